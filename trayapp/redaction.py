"""Defence in depth: once a key is loaded, text to be shown, logged or written is scrubbed of it.

A server can echo the key back in any form: whole, in another case, or cut short by its own
length limits. So every run of RUN_LENGTH or more characters of a known key is found, in any
case, and replaced: the whole key by `<key …WXYZ>` (its last four characters, which the interface
shows anyway), a piece of it by `<key part>`.

Only text shaped like a key (KEY_SHAPE) is hidden piece by piece. Anything else remembered (what
was pasted where a key belongs, say `export DEEPGRAM_API_KEY=…`) is hidden whole: its pieces are
ordinary words, which every later message would otherwise lose.
"""

from __future__ import annotations

import re
import threading

RUN_LENGTH = 8
"""The shortest piece of a key that is hidden. Shorter runs of a 40-character hex key turn up by
chance in ordinary text (request ids are hex too); eight characters are not guessable from."""

KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,}")
"""Deepgram's keys are 40 hex characters; this is any long run of the characters tokens use."""

_patterns: dict[str, re.Pattern[str]] = {}
"""Each secret, lower-cased, with a pattern that finds the pieces of it to hide.

The lookahead makes the matches overlap, so a run longer than one piece is found at each of its
starts, and the pieces' spans merge into the run."""
_lock = threading.Lock()


def remember_secret(secret: str) -> None:
    folded = secret.lower()
    if len(folded) < RUN_LENGTH or folded in _patterns:
        return
    if KEY_SHAPE.fullmatch(folded):
        pieces = {folded[i : i + RUN_LENGTH] for i in range(len(folded) - RUN_LENGTH + 1)}
    else:
        pieces = {folded}
    alternatives = "|".join(re.escape(piece) for piece in sorted(pieces))
    pattern = re.compile(f"(?=({alternatives}))", re.IGNORECASE)
    with _lock:
        _patterns[folded] = pattern


def redact(text: str) -> str:
    with _lock:
        patterns = list(_patterns.items())
    for folded_secret, pattern in patterns:
        text = _redact_one(text, folded_secret, pattern)
    return text


def _redact_one(text: str, folded_secret: str, pattern: re.Pattern[str]) -> str:
    spans = _covered_spans(text, pattern)
    pieces, end = [], 0
    for start, stop in spans:
        pieces.append(text[end:start])
        whole = text[start:stop].lower() == folded_secret
        pieces.append(f"<key …{text[stop - 4 : stop]}>" if whole else "<key part>")
        end = stop
    pieces.append(text[end:])
    return "".join(pieces)


def _covered_spans(text: str, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """The merged stretches of `text` that windows of the key cover, in order."""
    spans: list[tuple[int, int]] = []
    for match in pattern.finditer(text):
        start, stop = match.start(), match.start() + len(match.group(1))
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], stop)
        else:
            spans.append((start, stop))
    return spans
