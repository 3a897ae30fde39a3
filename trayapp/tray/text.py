"""Text that has to fit a limit the desktop sets (tooltips, menu items, notifications)."""

from __future__ import annotations


def fit(text: str, limit: int) -> str:
    """`text` if it has at most `limit` characters (`limit` >= 1), else cut to end with `…`."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
