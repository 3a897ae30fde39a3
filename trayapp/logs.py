"""Logging set-up, done once by the entry point. Every handler scrubs API keys from its output."""

from __future__ import annotations

import logging
import sys

from trayapp.redaction import redact


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then removes any loaded API key, tracebacks included."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_cli_logging(verbose: bool) -> None:
    """CLI runs log to stderr: warnings by default, everything with --verbose."""
    stream = sys.stderr
    if stream is None:  # a windowed launcher on Windows has no console
        logging.getLogger().addHandler(logging.NullHandler())
        return
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
