"""Where the app keeps its files. Functions, not constants, so tests can point them elsewhere."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from trayapp import APP_NAME

CONFIG_ENV = "DEEPGRAM_TRAY_CONFIG"


def config_path(env: Mapping[str, str] = os.environ) -> Path:
    override = env.get(CONFIG_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def log_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def history_path() -> Path:
    """The tray's balance history (SQLite), in the user data folder."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "history.sqlite3"


def last_read_path(account: str = "default") -> Path:
    """The last complete read of an account's balances (trayapp.tray.last_read), in the user
    cache folder: losing it costs one call to Deepgram. `last-read.json` for the default
    account, `last-read.NAME.json` for a named one (names are file-safe: trayapp.accounts)."""
    import platformdirs

    folder = Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))
    return folder / ("last-read.json" if account == "default" else f"last-read.{account}.json")


def update_check_path() -> Path:
    """What the update notice remembers (trayapp.updates.memory), in the user cache folder:
    losing it costs one request to PyPI."""
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)) / "update-check.json"
