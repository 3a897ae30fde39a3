"""The settings window's account rows (Tk): which account the window works on, Add account…,
and for a named account its Label and Remove account, each asking inline (no dialog to hunt for
behind the window).

What is checked and what is saved lives in account_list.py; the window (settings_window.py) is
told through the callbacks given here, and keeps each account's unsaved changes.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Iterable
from tkinter import ttk

from trayapp.accounts import DEFAULT_ACCOUNT
from trayapp.errors import ConfigError
from trayapp.tk.account_list import NewAccount, check_new_account
from trayapp.tk.look import ERROR_STYLE, HINT_STYLE

WRAP = "4.4i"
LABEL_GAP = 12
NAMED_HINT = (
    "Warn below and Critical below follow Default's until you change them here; how often to "
    "check and the other warnings are Default's, for every account."
)


class AccountRows:
    """Lays itself out in `frame` from grid row `row` on (next_row says where it ends)."""

    def __init__(
        self,
        frame: ttk.Frame,
        row: int,
        *,
        taken: Callable[[], Iterable[str]],
        on_choose: Callable[[str], None],
        on_add: Callable[[NewAccount], None],
        on_remove: Callable[[str], None],
        can_change: bool,
    ) -> None:
        self._taken = taken
        self._on_choose = on_choose
        self._on_add = on_add
        self._on_remove = on_remove
        self._names: list[str] = []
        self._shown: dict[str, str] = {}
        self._chosen = DEFAULT_ACCOUNT

        ttk.Label(frame, text="Account").grid(row=row, column=0, sticky="w", padx=(0, LABEL_GAP))
        line = ttk.Frame(frame)
        line.grid(row=row, column=1, columnspan=2, sticky="w")
        self.choice = ttk.Combobox(line, state="readonly", width=28)
        self.choice.pack(side="left")
        self.choice.bind("<<ComboboxSelected>>", self._chose)
        self.add_button = ttk.Button(line, text="Add account…", command=self.open_add)
        self.add_button.pack(side="left", padx=(6, 0))
        row += 1

        # A named account's label, and removing it: not for the default account.
        self.label_caption = ttk.Label(frame, text="Label")
        self.label_caption.grid(row=row, column=0, sticky="w", padx=(0, LABEL_GAP), pady=(6, 0))
        self.label_line = ttk.Frame(frame)
        self.label_line.grid(row=row, column=1, columnspan=2, sticky="w", pady=(6, 0))
        self.label_var = tk.StringVar()
        ttk.Entry(self.label_line, textvariable=self.label_var, width=28).pack(side="left")
        self.remove_button = ttk.Button(
            self.label_line, text="Remove account", command=self._ask_remove
        )
        self.remove_button.pack(side="left", padx=(6, 0))
        row += 1
        self.label_error = self._message(frame, row, ERROR_STYLE)
        row += 1
        self.named_hint = self._message(frame, row, HINT_STYLE)
        self.named_hint.configure(text=NAMED_HINT)
        row += 1

        self.confirm = ttk.Frame(frame)
        self.confirm.grid(row=row, column=1, columnspan=2, sticky="w", pady=(6, 0))
        self.confirm_text = ttk.Label(self.confirm, text="", wraplength=WRAP)
        self.confirm_text.pack(side="top", anchor="w")
        ttk.Button(self.confirm, text="Delete", command=self._remove).pack(side="left", pady=(4, 0))
        ttk.Button(self.confirm, text="Keep", command=self._keep).pack(
            side="left", padx=(6, 0), pady=(4, 0)
        )
        self.confirm.grid_remove()
        row += 1

        row = self._add_panel(frame, row)
        ttk.Frame(frame, height=8).grid(row=row, column=0)  # space before the key
        self.next_row = row + 1
        if not can_change:  # an unusable config file: nothing could be saved
            self.add_button.state(["disabled"])
            self.remove_button.state(["disabled"])

    def _message(self, frame: ttk.Frame, row: int, style: str) -> ttk.Label:
        label = ttk.Label(frame, text="", style=style, wraplength=WRAP)
        label.grid(row=row, column=1, columnspan=2, sticky="w")
        label.grid_remove()
        return label

    def _add_panel(self, frame: ttk.Frame, row: int) -> int:
        """Name and label of a new account, with Add and Cancel, in the window's own columns;
        hidden until Add account…"""
        heading = ttk.Label(frame, text="New account", style=HINT_STYLE)
        heading.grid(row=row, column=0, columnspan=3, sticky="w", pady=(8, 0))
        self.new_name = tk.StringVar()
        self.new_label = tk.StringVar()
        name_caption = ttk.Label(frame, text="Name")
        name_caption.grid(row=row + 1, column=0, sticky="w", padx=(0, LABEL_GAP))
        name_line = ttk.Frame(frame)
        name_line.grid(row=row + 1, column=1, columnspan=2, sticky="w")
        self.name_entry = ttk.Entry(name_line, textvariable=self.new_name, width=20)
        self.name_entry.pack(side="left")
        ttk.Label(name_line, text="lower-case, e.g. client-a", style=HINT_STYLE).pack(
            side="left", padx=(6, 0)
        )
        label_caption = ttk.Label(frame, text="Label")
        label_caption.grid(row=row + 2, column=0, sticky="w", padx=(0, LABEL_GAP), pady=(4, 0))
        label_line = ttk.Frame(frame)
        label_line.grid(row=row + 2, column=1, columnspan=2, sticky="w", pady=(4, 0))
        label_entry = ttk.Entry(label_line, textvariable=self.new_label, width=20)
        label_entry.pack(side="left")
        ttk.Button(label_line, text="Add", command=self._add).pack(side="left", padx=(6, 0))
        ttk.Button(label_line, text="Cancel", command=self.close_add).pack(side="left", padx=(6, 0))
        self.add_error = self._message(frame, row + 3, ERROR_STYLE)
        # Enter and Escape act on the new account here, not on the whole window's Save/Cancel.
        for entry in (self.name_entry, label_entry):
            entry.bind("<Return>", lambda _event: _then_stop(self._add))
            entry.bind("<KP_Enter>", lambda _event: _then_stop(self._add))
            entry.bind("<Escape>", lambda _event: _then_stop(self.close_add))
        self.add_panel: list[ttk.Widget] = [
            heading,
            name_caption,
            name_line,
            label_caption,
            label_line,
        ]
        for widget in self.add_panel:
            widget.grid_remove()
        return row + 4

    # --- the list -------------------------------------------------------------------------------

    def show(self, shown: dict[str, str], chosen: str, label_text: str) -> None:
        """List the accounts (name -> how the list shows it) with `chosen` picked."""
        self._names = list(shown)
        self._shown = shown
        self._chosen = chosen
        self.choice.configure(values=[shown[name] for name in self._names])
        self.choice.set(shown[chosen])
        named = chosen != DEFAULT_ACCOUNT
        for widget in (self.label_caption, self.label_line, self.named_hint):
            if named:
                widget.grid()
            else:
                widget.grid_remove()
        self.label_var.set(label_text)
        self.show_label_error("")
        self._keep()

    def _chose(self, _event: object) -> None:
        index = self.choice.current()
        if 0 <= index < len(self._names) and self._names[index] != self._chosen:
            self._on_choose(self._names[index])

    def label_text(self) -> str:
        return self.label_var.get()

    def show_label_error(self, message: str) -> None:
        self.label_error.configure(text=message)
        if message:
            self.label_error.grid()
        else:
            self.label_error.grid_remove()

    # --- Add account… ---------------------------------------------------------------------------

    def open_add(self) -> None:
        self.new_name.set("")
        self.new_label.set("")
        self.add_error.grid_remove()
        for widget in self.add_panel:
            widget.grid()
        self.name_entry.focus_set()

    def close_add(self) -> None:
        for widget in (*self.add_panel, self.add_error):
            widget.grid_remove()

    def _add(self) -> None:
        try:
            added = check_new_account(self.new_name.get(), self.new_label.get(), self._taken())
        except ConfigError as exc:
            self.add_error.configure(text=exc.message)
            self.add_error.grid()
            return
        self.close_add()
        self._on_add(added)

    # --- Remove account -------------------------------------------------------------------------

    def _ask_remove(self) -> None:
        shown = self._shown.get(self._chosen, self._chosen)
        self.confirm_text.configure(
            text=f"{shown}'s settings and its stored key will be deleted from this computer."
        )
        self.confirm.grid()

    def _keep(self) -> None:
        self.confirm.grid_remove()

    def _remove(self) -> None:
        self._keep()
        self._on_remove(self._chosen)


def _then_stop(action: Callable[[], None]) -> str:
    """Run `action` for a key, and keep the window's own binding for that key from running."""
    action()
    return "break"
