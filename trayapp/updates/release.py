"""Which release PyPI calls the latest, and whether it is newer than the one running. Pure.

PyPI's JSON API (`GET /pypi/<name>/json`) answers with `info.version`, the project's latest
release: PyPI leaves out yanked releases, and pre-releases unless there is nothing else. A
pre-release (or a development release) is never offered here: people who run one upgrade by hand.
Versions are compared as pip compares them (`packaging`): 1.10 is newer than 1.9, 1.0.post1 than
1.0.
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlsplit

DISTRIBUTION = "deepgram-balance-tray"
LONGEST_VERSION = 64
"""A version PyPI accepts is far shorter: anything longer is not one, and is not shown."""


class UnreadableRelease(ValueError):
    """The answer is not PyPI's JSON for a project (an error page, a portal, garbage)."""


class Release(NamedTuple):
    version: str
    """As published, e.g. "0.2.0"."""
    page: str
    """Where to read about it and download it."""


def latest_release(document: object, checked_url: str) -> Release | None:
    """The latest final release in PyPI's answer; None when it is a pre-release or yanked.
    UnreadableRelease when the answer is not PyPI's."""
    from packaging.version import InvalidVersion, Version

    info = document.get("info") if isinstance(document, dict) else None
    if not isinstance(info, dict):
        raise UnreadableRelease("the answer has no info object")
    text = info.get("version")
    if not isinstance(text, str) or len(text) > LONGEST_VERSION:  # "" fails as a version below
        raise UnreadableRelease("info.version is not a version")
    try:
        version = Version(text)
    except InvalidVersion as exc:
        raise UnreadableRelease(f"info.version {text!r} is not a version") from exc
    if version.is_prerelease or info.get("yanked") is True:
        return None
    return Release(str(version), _page(info.get("release_url"), str(version), checked_url))


def newer_than(release: Release | None, running: str) -> Release | None:
    """`release` when it is newer than the `running` version; else None (also when the running
    version is not one pip could compare: a build from a checkout, say)."""
    # Imported here: the menu, which shows a Release, is drawn long before a check compares one.
    from packaging.version import InvalidVersion, Version

    if release is None:
        return None
    try:
        return release if Version(release.version) > Version(running) else None
    except InvalidVersion:
        return None


def _page(offered: object, version: str, checked_url: str) -> str:
    """PyPI's page of the release: the one PyPI names when it is on the host that was asked,
    else the one PyPI's addresses say it is. A link the answer carries to another site is never
    opened: what the menu opens is always on the host the app chose to ask."""
    asked = urlsplit(checked_url)
    if isinstance(offered, str):
        parts = urlsplit(offered)
        if parts.scheme == asked.scheme and parts.netloc == asked.netloc:
            return offered
    return f"{asked.scheme}://{asked.netloc}/project/{DISTRIBUTION}/{version}/"
