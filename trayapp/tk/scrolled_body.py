"""A window body that scrolls when the screen is too short for it, so that what sits below it
(Save and Cancel) is always on screen: an 800x600 screen, a large font, many messages at once.

Tk has no scrolling frame: a frame inside a canvas, with a scrollbar shown only when needed.
"""

from __future__ import annotations

import sys
import tkinter as tk
from tkinter import ttk

SCREEN_MARGIN = 48
"""Pixels kept free below the window: panels, docks and the taskbar live at screen edges."""


def fitting_height(wanted: int, top: int, screen: int, margin: int = SCREEN_MARGIN) -> int:
    """The window height that shows `wanted` pixels if the screen has room below `top`."""
    return max(1, min(wanted, screen - max(top, 0) - margin))


class ScrolledBody(ttk.Frame):
    """Put the body's widgets in `.inner`; the body takes the rest of the window's height."""

    def __init__(self, parent: tk.Misc, *, background: str) -> None:
        super().__init__(parent)
        self.canvas = tk.Canvas(
            self, highlightthickness=0, borderwidth=0, background=background, takefocus=False
        )
        self.scrollbar = ttk.Scrollbar(self, orient="vertical", command=self.canvas.yview)
        self.canvas.configure(yscrollcommand=self._scrolled)
        self.canvas.grid(row=0, column=0, sticky="nsew")
        self.columnconfigure(0, weight=1)
        self.rowconfigure(0, weight=1)
        self.inner = ttk.Frame(self.canvas)
        self._window = self.canvas.create_window(0, 0, window=self.inner, anchor="nw")
        self.inner.bind("<Configure>", self._inner_changed)
        self.canvas.bind("<Configure>", self._canvas_changed)
        self._bind_wheel()

    # --- sizes --------------------------------------------------------------------------------

    def wanted_size(self) -> tuple[int, int]:
        """The body's size with nothing hidden (the scrollbar's width included)."""
        self.inner.update_idletasks()
        return (
            self.inner.winfo_reqwidth() + self.scrollbar.winfo_reqwidth(),
            self.inner.winfo_reqheight(),
        )

    def _inner_changed(self, _event: object) -> None:
        self.canvas.configure(scrollregion=(0, 0, 0, self.inner.winfo_reqheight()))
        self.canvas.configure(width=self.inner.winfo_reqwidth())

    def _canvas_changed(self, event: tk.Event[tk.Misc]) -> None:
        # The inner frame is as wide as the canvas, so rows can stretch with the window.
        self.canvas.itemconfigure(self._window, width=event.width)

    def _scrolled(self, first: float | str, last: float | str) -> None:
        self.scrollbar.set(first, last)
        if float(first) <= 0.0 and float(last) >= 1.0:
            self.scrollbar.grid_remove()
        else:
            self.scrollbar.grid(row=0, column=1, sticky="ns")

    # --- scrolling ----------------------------------------------------------------------------

    def see(self, widget: tk.Misc) -> None:
        """Scroll just enough that `widget` (inside the body) is in view."""
        self.update_idletasks()
        total = self.inner.winfo_height()
        shown = self.canvas.winfo_height()
        if total <= shown or not str(widget).startswith(str(self.inner)):
            return
        top = widget.winfo_rooty() - self.inner.winfo_rooty()
        bottom = top + widget.winfo_height()
        view_top = round(self.canvas.canvasy(0))
        if top < view_top:
            self.canvas.yview_moveto(top / total)
        elif bottom > view_top + shown:
            self.canvas.yview_moveto((bottom - shown) / total)

    def _bind_wheel(self) -> None:
        """The wheel scrolls the body wherever the pointer is over it (Tk sends wheel events to
        the widget under the pointer, so the whole window listens and checks where it is)."""
        toplevel = self.winfo_toplevel()
        if sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
            toplevel.bind("<Button-4>", lambda e: self._wheel(e, -1), add="+")
            toplevel.bind("<Button-5>", lambda e: self._wheel(e, 1), add="+")
        else:
            toplevel.bind("<MouseWheel>", self._mouse_wheel, add="+")

    def _mouse_wheel(self, event: tk.Event[tk.Misc]) -> None:
        # Windows reports multiples of 120 per notch; macOS small numbers of lines.
        delta = event.delta // 120 if abs(event.delta) >= 120 else event.delta
        self._wheel(event, -delta)

    def _wheel(self, event: tk.Event[tk.Misc], units: int) -> None:
        if not str(event.widget).startswith(str(self)):
            return
        if self.scrollbar.winfo_ismapped():
            self.canvas.yview_scroll(units * 3, "units")
