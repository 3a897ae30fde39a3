"""`deepgram-tray` / `deepgram-tray run`: the tray itself."""

from __future__ import annotations

import argparse

from trayapp.errors import ConfigError


def run_tray(args: argparse.Namespace) -> int:
    # The tray icon lands in the next milestone; say so plainly instead of failing obscurely.
    raise ConfigError(
        "This version has no tray icon yet: use `deepgram-tray balance` to read your balances."
    )
