"""Text that has to fit a limit the desktop sets (tooltips, menu items, notifications)."""

from __future__ import annotations


def fit(text: str, limit: int) -> str:
    """`text` if it has at most `limit` characters (`limit` >= 1), else cut to end with `…`."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def latin1(text: str) -> str:
    """`text` as Latin-1 can hold it, for X11 window names set as STRING (pystray's xorg backend
    encodes its title that way and raises on anything else). A character outside Latin-1 becomes
    its compatibility form when that fits ("…" -> "..."), else "?"."""
    import unicodedata

    def one(character: str) -> str:
        for candidate in (character, unicodedata.normalize("NFKC", character)):
            try:
                candidate.encode("latin-1")
            except UnicodeEncodeError:
                continue
            return candidate
        return "?"

    return "".join(one(character) for character in text)
