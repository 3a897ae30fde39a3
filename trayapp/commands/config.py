"""`deepgram-tray config path | show | set NAME VALUE`."""

from __future__ import annotations

import argparse
import os

from trayapp.cli import print_out
from trayapp.config import API_URL_ENV, load_settings, set_config_value, settings_as_table
from trayapp.desktop.paths import CONFIG_ENV, config_path


def run_config_path(args: argparse.Namespace) -> int:
    print_out(f"{config_path()}\n")
    return 0


def run_config_show(args: argparse.Namespace) -> int:
    import tomli_w

    path = config_path()
    settings = load_settings()
    notes = [
        f"# Settings in effect; file: {path}" + ("" if path.exists() else " (not created yet)")
    ]
    if os.environ.get(CONFIG_ENV, "").strip():
        notes.append(f"# The file's path comes from {CONFIG_ENV}.")
    if os.environ.get(API_URL_ENV, "").strip():
        notes.append(f"# api_url comes from {API_URL_ENV}, which overrides the file.")
    print_out("\n".join(notes) + "\n" + tomli_w.dumps(settings_as_table(settings)))
    return 0


def run_config_set(args: argparse.Namespace) -> int:
    import tomli_w

    path = config_path()
    settings = set_config_value(path, args.name, args.value)
    assignment = tomli_w.dumps({args.name: settings_as_table(settings)[args.name]}).strip()
    print_out(f"Saved {assignment} to {path}.\n")
    return 0
