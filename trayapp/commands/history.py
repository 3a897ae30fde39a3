"""`deepgram-tray history [--format csv|json] [--days N]`: the samples the tray recorded."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta, timezone

from trayapp.cli import print_error, print_out
from trayapp.errors import ConfigError
from trayapp.formats import render_history_csv, render_history_json
from trayapp.history import read
from trayapp.paths import history_path


def run_history(args: argparse.Namespace) -> int:
    since = None
    if args.days is not None:
        if args.days < 1:
            raise ConfigError("--days must be 1 or more: the number of days to go back.")
        since = datetime.now(timezone.utc) - timedelta(days=args.days)
    rows = read(history_path(), since)
    if not rows:
        print_error(
            "No history yet: the tray records the balance at each successful refresh while it runs."
        )
    print_out(render_history_json(rows) if args.format == "json" else render_history_csv(rows))
    return 0
