"""The history window (Tk), run as its own process: `deepgram-tray history --window`.

Its own process, like the settings window: macOS allows one main-thread UI loop per process, and
the tray owns that one. It only reads the history file the tray writes, so it needs no key and no
network; the chart itself is drawn by history_chart (pure) and shown as a PNG, which Tk reads
natively.

With several accounts in the config it offers a chooser of them: each account's samples are its
own in the history file, so switching reads that account's and redraws.
"""

from __future__ import annotations

import base64
import tkinter as tk
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from tkinter import filedialog, ttk

from trayapp.errors import DeepgramTrayError, os_reason
from trayapp.formats import render_history_csv
from trayapp.outlook.history import HistoryRow, main_unit_samples, read
from trayapp.tk.history_chart import (
    CHART_SIZE,
    DEFAULT_CHOICE,
    AccountChoice,
    chart_png,
    history_view,
    summary_text,
    window_title,
)
from trayapp.tk.look import (
    ERROR_COLOUR,
    OK_COLOUR,
    new_root,
    set_window_icon,
    use_platform_theme,
)

TITLE = "Deepgram balance history"
PERIODS = (30, 90)
RELOAD_EVERY_MS = 60_000
"""The tray keeps recording while the window is open: redraw with its new samples each minute."""


def local_day(moment: datetime) -> date:
    return moment.astimezone().date()


def chart_scale(root: tk.Misc) -> float:
    """How much larger than at 96 DPI to draw the chart: as much as Tk enlarges the window's
    text (sized in points) on this screen, e.g. 1.5 at Windows' 150 % scaling."""
    pixels_per_point = float(root.tk.call("tk", "scaling"))
    return max(1.0, pixels_per_point * 72 / 96)


class HistoryWindow:
    def __init__(
        self,
        root: tk.Tk,
        path: Path,
        days: int,
        choices: Sequence[AccountChoice] = (DEFAULT_CHOICE,),
        account: AccountChoice = DEFAULT_CHOICE,
    ) -> None:
        """`choices` are the chooser's entries (none is shown for one); `account` is shown first."""
        self.root = root
        self.path = path
        self.days = tk.IntVar(value=days)
        self.choices = list(choices)
        self.account = account
        self.rows: list[HistoryRow] = []
        self._chart: tk.PhotoImage | None = None  # kept: Tk forgets images nobody references
        self._build()
        self.show()

    def _build(self) -> None:
        root = self.root
        self._icons = set_window_icon(root)
        use_platform_theme(root)
        frame = ttk.Frame(root, padding=12)
        frame.grid(sticky="nsew")
        root.columnconfigure(0, weight=1)

        periods = ttk.Frame(frame)
        periods.grid(row=0, column=0, sticky="w")
        ttk.Label(periods, text="Show").grid(row=0, column=0, padx=(0, 8))
        for column, days in enumerate(PERIODS, start=1):
            choice = ttk.Radiobutton(
                periods,
                text=f"Last {days} days",
                value=days,
                variable=self.days,
                command=self.show,
            )
            choice.grid(row=0, column=column, padx=(0, 8))
            # A click leaves the keyboard focus, and so its dashed ring, on the choice for good:
            # hand it back to the window. Tab still moves it there, ring and all.
            choice.bind("<ButtonRelease-1>", lambda _event: self.root.focus_set(), add="+")
        if len(self.choices) > 1:
            self._build_chooser(periods, column=len(PERIODS) + 1)

        # Wrapped at the chart's width: a short history's summary is a longer sentence.
        wrap_at = round(CHART_SIZE[0] * chart_scale(root))
        self.summary = ttk.Label(frame, text="", wraplength=wrap_at)
        self.summary.grid(row=1, column=0, sticky="w", pady=(8, 4))
        self.chart = ttk.Label(frame)
        self.chart.grid(row=2, column=0, sticky="nsew")

        buttons = ttk.Frame(frame)
        buttons.grid(row=3, column=0, sticky="we", pady=(10, 0))
        buttons.columnconfigure(1, weight=1)
        ttk.Button(buttons, text="Export CSV…", command=self.export).grid(row=0, column=0)
        self.status = ttk.Label(buttons, text="")
        self.status.grid(row=0, column=1, sticky="w", padx=10)
        ttk.Button(buttons, text="Close", command=root.destroy).grid(row=0, column=2)
        root.bind("<Escape>", lambda _event: root.destroy())

    def _build_chooser(self, line: ttk.Frame, column: int) -> None:
        """The accounts by label, after the periods: a list, so that ten accounts fit as well as
        two. Read-only: only an account of the config can be typed."""
        ttk.Label(line, text="Account").grid(row=0, column=column, padx=(16, 8))
        shown = [choice.shown_as for choice in self.choices]
        self.chooser = ttk.Combobox(
            line, values=shown, state="readonly", width=max(len(label) for label in shown)
        )
        self.chooser.set(self.account.shown_as)
        self.chooser.grid(row=0, column=column + 1)
        self.chooser.bind("<<ComboboxSelected>>", self._account_chosen)

    def _account_chosen(self, _event: object) -> None:
        self.account = self.choices[self.chooser.current()]
        # The choice stays highlighted, as if being typed over, while the box keeps the focus.
        self.chooser.selection_clear()
        self.root.focus_set()
        self._say("", ok=True)  # "Saved 1441 samples" was the other account's
        self.show()

    # --- showing ----------------------------------------------------------------------------

    def show(self) -> None:
        """Read the account's samples of the period again and redraw the chart and summary."""
        self.root.title(window_title(TITLE, self.account))
        days = self.days.get()
        now = datetime.now(timezone.utc)
        try:
            self.rows = read(self.path, now - timedelta(days=days), self.account.name)
        except DeepgramTrayError as exc:
            self.rows = []
            self._say(exc.message, ok=False)
        view = history_view(main_unit_samples(self.rows), days, now, local_day)
        png = chart_png(view, scale=chart_scale(self.root))
        self._chart = tk.PhotoImage(master=self.root, data=base64.b64encode(png).decode("ascii"))
        self.chart.configure(image=self._chart)
        self.summary.configure(text=summary_text(view, self.account))

    def reload_periodically(self) -> None:
        self.root.after(RELOAD_EVERY_MS, self._reload)

    def _reload(self) -> None:
        self.show()
        self.reload_periodically()

    # --- Export CSV… --------------------------------------------------------------------------

    def export(self) -> None:
        chosen = filedialog.asksaveasfilename(
            parent=self.root,
            title="Export the balance history",
            initialdir=str(Path.home()),
            defaultextension=".csv",
            filetypes=[("CSV files", "*.csv"), ("All files", "*")],
            initialfile=self._export_name(),
        )
        if not chosen:
            return  # cancelled
        from trayapp.atomic import write_atomically

        path = Path(chosen)
        try:
            write_atomically(path, render_history_csv(self.rows).encode("utf-8"), private=False)
        except OSError as exc:
            reason = os_reason(exc)
            self._say(f"Could not save {path.name} ({reason}): choose another folder.", ok=False)
            return
        self._say(f"Saved {len(self.rows)} samples to {path.name}.", ok=True)

    def _export_name(self) -> str:
        account = "" if self.account.is_default else f"{self.account.name}-"
        return f"deepgram-balance-history-{account}{self.days.get()}-days.csv"

    def _say(self, text: str, *, ok: bool) -> None:
        self.status.configure(text=text, foreground=OK_COLOUR if ok else ERROR_COLOUR)


def run_window(
    path: Path,
    days: int,
    choices: Sequence[AccountChoice] = (DEFAULT_CHOICE,),
    account: AccountChoice = DEFAULT_CHOICE,
) -> None:
    """Show the window until it is closed: `account`'s chart, with a chooser of `choices`."""
    root = new_root()
    window = HistoryWindow(root, path, days, choices, account)
    window.reload_periodically()
    root.resizable(False, False)
    root.mainloop()
