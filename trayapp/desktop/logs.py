"""Logging set-up, done once by the entry point. Every handler scrubs API keys from its output."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from trayapp.redaction import redact


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then removes any loaded API key, tracebacks included."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


_cli_handler: logging.Handler | None = None


def _from_the_app(record: logging.LogRecord) -> bool:
    return record.name == "trayapp" or record.name.startswith("trayapp.")


def configure_cli_logging(verbose: bool) -> None:
    """CLI runs log to stderr: warnings by default, everything with --verbose.

    Calling it again replaces the handler it installed before, rather than adding a second one.
    """
    global _cli_handler
    root = logging.getLogger()
    if _cli_handler is not None:
        root.removeHandler(_cli_handler)
    if sys.stderr is None:  # a windowed launcher on Windows has no console
        _cli_handler = logging.NullHandler()
    else:
        _cli_handler = logging.StreamHandler(sys.stderr)
        _cli_handler.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    _cli_handler.setLevel(logging.DEBUG if verbose else logging.WARNING)
    if not verbose:
        # A library's warnings (urllib3 on a header it cannot parse) come with tracebacks and
        # the server's raw text; the app's own sentence says what matters.
        _cli_handler.addFilter(_from_the_app)
    root.addHandler(_cli_handler)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)


LOG_FILE_BYTES = 1_000_000
LOG_FILE_BACKUPS = 3


def configure_tray_logging(log_dir: Path) -> Path:
    """The tray also logs to a rotating file (about 4 MB at most), for bug reports."""
    from logging.handlers import RotatingFileHandler

    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / "tray.log"
    handler = RotatingFileHandler(
        path, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_BACKUPS, encoding="utf-8"
    )
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    )
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(min(root.level, logging.INFO))
    return path
