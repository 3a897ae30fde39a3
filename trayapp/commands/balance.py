"""`deepgram-tray balance`: one fetch, printed or written atomically, then exit."""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from pathlib import Path

from trayapp.cli import print_error, print_out
from trayapp.config import load_settings
from trayapp.credentials import require_api_key
from trayapp.deepgram.client import DeepgramClient
from trayapp.deepgram.models import BalanceSnapshot
from trayapp.errors import ConfigError, most_severe_exit_code, os_reason
from trayapp.formats import render_json, render_prometheus, render_text
from trayapp.outlook.forecast import Forecast
from trayapp.redaction import redact

RENDERERS = {"text": render_text, "json": render_json, "prometheus": render_prometheus}


def run_balance(args: argparse.Namespace) -> int:
    settings = load_settings()
    key = require_api_key()
    project_ids = tuple(dict.fromkeys(args.project)) or settings.projects
    # One deadline for the whole command, the forecast's calls included.
    with DeepgramClient(settings.api_url, key.value) as client, client.refresh():
        snapshot = client.fetch_snapshot(project_ids)
        forecast = _read_forecast(client, snapshot) if args.forecast else None

    output = RENDERERS[args.format](snapshot, forecast)
    if args.output:
        _write_output(Path(args.output), output)
    else:
        print_out(output, machine_format=args.format != "text")

    for project in snapshot.projects:
        if project.error is not None:
            print_error(f"{project.project.name}: {project.error.user_message()}")
    return most_severe_exit_code([error.exit_code for error in snapshot.errors])


def _read_forecast(client: DeepgramClient, snapshot: BalanceSnapshot) -> Forecast:
    """Billing and purchases of the projects that were read; the tray's history as the fallback."""
    from trayapp.desktop.paths import history_path
    from trayapp.outlook.fetch import read_forecast
    from trayapp.outlook.history import recent_samples

    readable = [p.project.project_id for p in snapshot.projects if p.error is None]
    now = datetime.now(timezone.utc)
    history = recent_samples(history_path(), now)
    return read_forecast(client, readable, snapshot.main_total, now, history, snapshot=snapshot)


def _write_output(path: Path, text: str) -> None:
    from trayapp.atomic import NotARegularFileError, write_atomically

    try:
        # Scrubbed like stdout (print_out): whatever the server said is in it.
        write_atomically(path, redact(text).encode("utf-8"))
    except NotARegularFileError as exc:
        # Left as it is: replacing a named pipe or /dev/null with a file would break what uses it.
        raise ConfigError(
            f"Cannot write {path}, which is {exc.what}: give --output a new file name, or a "
            "regular file to replace."
        ) from exc
    except OSError as exc:
        reason = os_reason(exc)
        raise ConfigError(
            f"Cannot write {path} ({reason}): choose a file in a folder you may write to."
        ) from exc
