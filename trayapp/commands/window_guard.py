"""Open a Tk window from a command: no Tk, or no display, becomes one sentence that names what to
use instead, never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from trayapp.errors import ConfigError

T = TypeVar("T")


def run_tk_window(window: str, show: Callable[[], T], *, instead: str) -> T:
    """Run `show()` (which imports and runs the window); `instead` is the command-line way."""
    try:
        import tkinter
    except ImportError:
        raise ConfigError(
            f"The {window} window needs Tk: install python3-tk (Debian/Ubuntu) or a Python with "
            f"Tk, or use {instead} instead."
        ) from None
    try:
        return show()
    except tkinter.TclError as exc:
        if "display" in str(exc).lower():
            raise ConfigError(
                f"The {window} window needs a graphical session (no display was found): use "
                f"{instead} instead."
            ) from exc
        raise
