"""Waybar with a `custom/deepgram` module running `deepgram-tray balance --format waybar`.

The headless Sway desktop of `sni_desktop`, its bar given the custom module a user would paste
from the README (`return-type: json`, an interval, `|| true` so a failure's line is shown), and a
style that paints each class in the icon's colour: what the bar shows is then read back from a
screenshot (the module's colour family, its words by OCR).

Waybar runs the command as the desktop's user, through a small script that sets the environment
(the test server's URL, the key) from a file only that user can read: never on a command line.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path

from PIL import Image

from tests.support.colours import dominant_family
from tests.support.desktop import Rect, ocr_words
from tests.support.sni_desktop import BAR_HEIGHT, SwayDesktop
from trayapp.tray.panel_formats import COLOUR_OF_CLASS

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
MODULE = "custom/deepgram"


class WaybarPanel(SwayDesktop):
    """`env` is the command's environment (DEEPGRAM_API_KEY, DEEPGRAM_TRAY_API_URL, ...);
    `keep_exit_code` leaves out the README's `|| true`, to see what Waybar does without it."""

    def __init__(self, env: dict[str, str], *, keep_exit_code: bool = False) -> None:
        super().__init__()
        self.command_env = env
        self.keep_exit_code = keep_exit_code

    def __enter__(self) -> WaybarPanel:
        self.start()
        return self

    @property
    def script(self) -> Path:
        return self.shared_dir / "deepgram-bar.sh"

    @property
    def config_file(self) -> Path:
        """The command's config file (none at first: the default settings)."""
        return self.shared_dir / "config.toml"

    @property
    def env_file(self) -> Path:
        return self.shared_dir / "deepgram-bar.env"

    def _prepare_files(self) -> None:
        super()._prepare_files()
        home = self.shared_dir / "home"
        home.mkdir()
        self._give_to_session_user(home)
        self.set_command_env(self.command_env)
        self.script.write_text(
            "#!/bin/sh\n"
            f". {shlex.quote(str(self.env_file))}\n"
            f"exec {shlex.quote(sys.executable)} -m trayapp balance --format waybar\n"
        )
        self.script.chmod(0o755)
        self.write_bar_config()

    def write_bar_config(self) -> None:
        """The bar: the custom module as the README has it, beside the (empty) tray that the
        desktop's start-up waits for."""
        exec_line = str(self.script) if self.keep_exit_code else f"{self.script} || true"
        config = {
            "layer": "top",
            "position": "top",
            "height": BAR_HEIGHT,
            "modules-left": [],
            "modules-center": [],
            "modules-right": [MODULE, "tray"],
            MODULE: {"exec": exec_line, "return-type": "json", "interval": 1},
            "tray": {"icon-size": self.icon_size, "spacing": 4},
        }
        (self.base / "waybar.json").write_text(json.dumps(config))
        r, g, b = self.bar_background
        classes = "".join(
            f"#custom-deepgram.{name} {{ background-color: {colour}; }}\n"
            for name, colour in COLOUR_OF_CLASS.items()
        )
        (self.base / "waybar.css").write_text(
            "* { border: none; border-radius: 0; min-height: 0; padding: 0; margin: 0;"
            " box-shadow: none; background-image: none; }\n"
            f"window#waybar, #tray {{ background-color: rgb({r}, {g}, {b}); }}\n"
            "#custom-deepgram { color: white; font-family: monospace; font-size: 18px;"
            " padding: 0 10px; }\n" + classes
        )
        for name in ("waybar.json", "waybar.css"):
            (self.base / name).chmod(0o644)

    def set_command_env(self, env: dict[str, str]) -> None:
        """What the next run of the command sees (Waybar runs it every second)."""
        home = self.shared_dir / "home"
        values = {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_STATE_HOME": str(home / "state"),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_CACHE_HOME": str(home / "cache"),
            "PYTHONPATH": str(REPO_ROOT),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            "NO_PROXY": "*",
            "DEEPGRAM_TRAY_CONFIG": str(self.config_file),
            **env,
        }
        text = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in values.items())
        # Written aside and renamed: Waybar's next run reads the old file or the new, never half.
        part = self.env_file.with_suffix(".part")
        part.write_text(text)
        part.chmod(0o600)
        self._give_to_session_user(part)
        part.replace(self.env_file)

    def _give_to_session_user(self, path: Path) -> None:
        assert self._user is not None
        if os.geteuid() == 0:
            os.chown(path, self._user.pw_uid, self._user.pw_gid)

    # --- looking ----------------------------------------------------------------------------------

    def module_box(self, shot: Image.Image | None = None) -> Rect | None:
        """Where the module is drawn (the tray beside it holds no icon), or None when hidden."""
        return self.tray_icon_box(shot)

    def shown(self) -> tuple[str, str] | None:
        """The module's colour family and the words on it, or None while it is hidden."""
        shot = self.screenshot()
        box = self.module_box(shot)
        if box is None:
            return None
        module = shot.crop(box.box)
        words = ocr_words(module.convert("L"), box, prepare=_dark_on_light)
        return dominant_family(module), " ".join(word.text for word in words)


def _dark_on_light(image: Image.Image) -> Image.Image:
    """White text on a coloured ground, turned black on white: what OCR reads best."""
    return image.point(lambda v: 0 if v > 200 else 255)
