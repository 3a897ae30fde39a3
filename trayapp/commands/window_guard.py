"""Open a Tk window from a command: no Tk, or no display, becomes one sentence that names what to
use instead, never a traceback."""

from __future__ import annotations

import sys
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
            f"The {window} window needs Tk: {_how_to_get_tk()}, or use {instead} instead."
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


def _how_to_get_tk() -> str:
    if sys.platform == "win32":
        # python.org's installer leaves Tk out when "tcl/tk and IDLE" is unticked; apt means
        # nothing there.
        return 'run the Python installer again, choose Modify and tick "tcl/tk and IDLE"'
    return "install python3-tk (Debian/Ubuntu) or a Python with Tk"
