"""Freedesktop Desktop Entry files: the menu entry and the autostart entry (Linux and BSDs).

Pure text generation; writing them is desktop_install's and autostart's business.
"""

from __future__ import annotations

from trayapp import APP_NAME

DESKTOP_FILE_NAME = f"{APP_NAME}.desktop"
ICON_NAME = APP_NAME  # looked up in the icon theme (hicolor), so no path is baked in

_RESERVED = " \t\n\"'\\><~|&;$*?#()`"


def exec_line(command: list[str]) -> str:
    """Quote per the Desktop Entry spec: reserved characters in double quotes, \\ " ` $ escaped."""
    quoted = []
    for argument in command:
        if argument and not any(c in argument for c in _RESERVED):
            quoted.append(argument)
            continue
        escaped = "".join("\\" + c if c in '"`$\\' else c for c in argument)
        quoted.append(f'"{escaped}"')
    # A literal % must be doubled: it introduces field codes.
    return " ".join(quoted).replace("%", "%%")


def desktop_entry(command: list[str], *, autostart: bool = False) -> str:
    """The entry that starts the tray with `command`: for the applications menu, or for login.

    The menu entry also offers the app's two windows, "Balance history…" and "Settings…", as
    desktop actions (a launcher's right-click menu): what is worth opening from a menu while the
    tray already runs.
    """
    lines = [
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.4",  # the newest that current validators (desktop-file-utils 0.26) know
        "Name=Deepgram Balance",
        "GenericName=Balance Monitor",
        "Comment=Your Deepgram prepaid balance in the system tray",
        f"Exec={exec_line(command)}",
        f"Icon={ICON_NAME}",
        "Terminal=false",
        "Categories=Utility;",
        "Keywords=Deepgram;balance;credit;speech;API;",
        # A tray app opens no window, so a launch-feedback spinner would spin until it times out.
        "StartupNotify=false",
        "X-GNOME-UsesNotifications=true",
    ]
    if autostart:
        lines.append("X-GNOME-Autostart-enabled=true")
    else:
        lines += [
            "Actions=history;settings;",
            "",
            "[Desktop Action history]",
            "Name=Balance history…",
            f"Exec={exec_line([*command, 'history', '--window'])}",
            "",
            "[Desktop Action settings]",
            "Name=Settings…",
            f"Exec={exec_line([*command, 'settings'])}",
        ]
    return "\n".join(lines) + "\n"
