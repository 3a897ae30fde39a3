"""What every window of the app shares: its icon, its theme and its window class.

The look follows the platform, light or dark, with no theme package: Windows' own theme (vista)
in light mode, macOS' (aqua, which follows dark mode by itself), and elsewhere Tk's tidy 'clam'
coloured from a light or a dark palette, as the desktop prefers (see trayapp/tk/dark_mode.py).
Windows in dark mode gets 'clam' in the dark palette too: vista cannot be darkened.
"""

from __future__ import annotations

import logging
import sys
import tkinter as tk
from dataclasses import dataclass
from tkinter import ttk

log = logging.getLogger(__name__)

WINDOW_CLASS = "deepgram-balance-tray"
"""WM_CLASS: how desktops group the app's windows under one icon."""
ERROR_COLOUR = "#b00020"
OK_COLOUR = "#1b7f3b"


@dataclass(frozen=True)
class Palette:
    """The colours of one look. Text colours keep at least 4.5:1 contrast on `background`."""

    dark: bool
    background: str
    field: str
    """Entries' and check boxes' insides."""
    text: str
    muted: str
    """Hints: readable, but quieter than text."""
    disabled_text: str
    disabled_field: str
    border: str
    accent: str
    """Focus rings and selected text."""
    on_accent: str
    error: str
    ok: str
    info: str
    button: str
    button_active: str


LIGHT = Palette(
    dark=False,
    background="#f2f2f2",
    field="#ffffff",
    text="#1c1c1c",
    muted="#555555",
    disabled_text="#6e6e6e",
    disabled_field="#e0e0e0",
    border="#a8a8a8",
    accent="#1a5fb4",
    on_accent="#ffffff",
    error=ERROR_COLOUR,
    ok=OK_COLOUR,
    info="#1a4f8b",
    button="#e6e6e6",
    button_active="#d6d6d6",
)
DARK = Palette(
    dark=True,
    background="#242424",
    field="#303030",
    text="#ececec",
    muted="#b4b4b4",
    disabled_text="#8c8c8c",
    disabled_field="#2a2a2a",
    border="#5c5c5c",
    accent="#78aeed",
    on_accent="#101010",
    error="#ff938a",
    ok="#8fd19e",
    info="#99c1f1",
    button="#3a3a3a",
    button_active="#4a4a4a",
)

# Named styles for text with a meaning; each theme above colours them.
ERROR_STYLE = "Error.TLabel"
OK_STYLE = "Ok.TLabel"
INFO_STYLE = "Info.TLabel"
HINT_STYLE = "Hint.TLabel"


def new_root() -> tk.Tk:
    """The Tk root of one of the app's windows."""
    from trayapp.desktop.dpi import declare_dpi_awareness

    declare_dpi_awareness()
    return tk.Tk(className=WINDOW_CLASS)


def set_window_icon(root: tk.Tk) -> list[tk.PhotoImage]:
    """The app's icon in the title bar, task switcher and taskbar, where the desktop shows one."""
    from trayapp.desktop.resources import app_icon_png

    icons = [path for size in (32, 64, 128) if (path := app_icon_png(size)) is not None]
    try:
        images = [tk.PhotoImage(master=root, file=str(path)) for path in icons]
        if images:
            root.iconphoto(True, *images)
    except tk.TclError:
        log.debug("The window icon could not be loaded", exc_info=True)
        return []
    return images


def choose_theme(platform: str, prefers_dark: bool, available: tuple[str, ...]) -> str:
    """The ttk theme for a platform and the desktop's light or dark preference."""
    native = {"win32": "vista", "darwin": "aqua"}.get(platform)
    # aqua follows dark mode itself; vista has no dark form, so dark Windows gets clam below.
    if native in available and (platform == "darwin" or not prefers_dark):
        return native
    return "clam" if "clam" in available else "default"


def use_platform_theme(root: tk.Tk) -> Palette:
    """Follow the platform's look, light or dark; the palette the window's own colours use."""
    from trayapp.tk.dark_mode import prefers_dark

    style = ttk.Style(root)
    dark = prefers_dark(root)
    theme = choose_theme(sys.platform, dark, tuple(style.theme_names()))
    style.theme_use(theme)
    palette = DARK if dark else LIGHT
    if theme == "clam":
        _colour_clam(root, style, palette)
    for name, colour in (
        (ERROR_STYLE, palette.error),
        (OK_STYLE, palette.ok),
        (INFO_STYLE, palette.info),
        (HINT_STYLE, palette.muted),
    ):
        style.configure(name, foreground=colour)
    # HiDPI: Tk sizes fonts in points from the screen's DPI; keep its scaling at least 1.0.
    scaling = float(root.tk.call("tk", "scaling"))
    if scaling < 1.0:
        root.tk.call("tk", "scaling", 1.0)
    return palette


def _colour_clam(root: tk.Tk, style: ttk.Style, p: Palette) -> None:
    style.configure(
        ".",
        background=p.background,
        foreground=p.text,
        fieldbackground=p.field,
        bordercolor=p.border,
        lightcolor=p.background,
        darkcolor=p.background,
        troughcolor=p.field,
        focuscolor=p.accent,
        selectbackground=p.accent,
        selectforeground=p.on_accent,
        insertcolor=p.text,
    )
    style.map(
        ".",
        foreground=[("disabled", p.disabled_text)],
        background=[("active", p.button_active)],
    )
    # A disabled entry must look it: a flat grey inside, grey text (clam keeps it white).
    style.map(
        "TEntry",
        fieldbackground=[("disabled", p.disabled_field), ("readonly", p.disabled_field)],
        foreground=[("disabled", p.disabled_text)],
        bordercolor=[("focus", p.accent)],
        lightcolor=[("focus", p.accent)],
    )
    style.configure("TButton", background=p.button, padding=(10, 4))
    style.map(
        "TButton",
        background=[("disabled", p.background), ("pressed", p.border), ("active", p.button_active)],
        bordercolor=[("focus", p.accent)],
    )
    style.configure("TCheckbutton", indicatorbackground=p.field, indicatorforeground=p.text)
    style.map(
        "TCheckbutton",
        indicatorbackground=[("disabled", p.disabled_field), ("pressed", p.button_active)],
        background=[("active", p.background)],
    )
    style.configure("TScrollbar", background=p.button, arrowcolor=p.text)
    root.configure(background=p.background)
    # Classic Tk parts (an entry's right-click menu, a canvas) read the option database.
    root.option_add("*Background", p.background)
    root.option_add("*Foreground", p.text)
    root.option_add("*selectBackground", p.accent)
    root.option_add("*selectForeground", p.on_accent)
