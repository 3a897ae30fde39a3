"""Defence in depth: once a key is loaded, text about to be shown or logged is scrubbed of it."""

from __future__ import annotations

import threading

_secrets: set[str] = set()
_lock = threading.Lock()


def remember_secret(secret: str) -> None:
    with _lock:
        _secrets.add(secret)


def redact(text: str) -> str:
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, f"<key …{secret[-4:]}>")
    return text
