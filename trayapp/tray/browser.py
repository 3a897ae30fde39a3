"""Opening a page in the user's web browser, and knowing when that failed.

`webbrowser.open` says False when it could start no browser, but on Linux it cannot see the usual
failure: it starts xdg-open in the background and calls that success, and xdg-open then finds no
browser and says so on stderr, which nobody reads. So there the user's BROWSER commands are tried
first, as webbrowser would, then xdg-open, waiting for its answer.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from webbrowser import BaseBrowser

log = logging.getLogger(__name__)

XDG_OPEN_PATIENCE = 10.0
"""Seconds to wait for xdg-open's answer. It answers at once on desktops that hand the page to a
running browser, and when it finds none; one still running after this runs a browser in the
foreground, which means it opened."""


def open_in_browser(url: str) -> bool:
    """Open `url`; False when no browser could be opened. Call it off the UI thread: it may
    wait for a browser command."""
    import webbrowser

    xdg_open = shutil.which("xdg-open")
    if sys.platform in ("win32", "darwin") or xdg_open is None:
        return webbrowser.open(url)
    for choice in os.environ.get("BROWSER", "").split(os.pathsep):
        if choice.strip() and _user_browser(choice).open(url):
            return True
    return _xdg_open(xdg_open, url)


def _user_browser(choice: str) -> BaseBrowser:
    """BROWSER's entry as webbrowser runs it (a command it does not know: run with the URL, and
    waited for)."""
    import webbrowser

    try:
        return webbrowser.get(choice)
    except webbrowser.Error:  # BROWSER was set after webbrowser read it
        return webbrowser.GenericBrowser(choice)


def _xdg_open(xdg_open: str, url: str) -> bool:
    try:
        process = subprocess.Popen(
            [xdg_open, url], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL
        )
    except OSError as exc:
        log.warning("xdg-open could not be started: %s", exc)
        return False
    try:
        code = process.wait(timeout=XDG_OPEN_PATIENCE)
    except subprocess.TimeoutExpired:
        return True  # a browser runs in its foreground: the page is open
    if code != 0:
        log.warning("xdg-open could not open %s (exit code %s)", url, code)
    return code == 0
