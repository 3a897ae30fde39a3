"""Is a tag ready to release? The version, the tag and CHANGELOG.md must agree.

    scripts/check-release v0.2.0     exit 0 when v0.2.0 may be released, else 1 and what to do
    scripts/check-release --tags     every v* tag of this repository that has no changelog entry
    scripts/check-release --notes v0.2.0   the release notes: that version's changelog entry

A release tag is `v` followed by exactly the version in trayapp/__init__.py (the one place it is
written; the wheel, `deepgram-tray --version` and the bundles read it from there), and
CHANGELOG.md has a dated section for it, `## [X.Y.Z] - YYYY-MM-DD`, listing at least one change.
Pre-releases are written as Python writes them (1.0.0rc1, tag v1.0.0rc1), because the wheel's
metadata would rewrite any other spelling and no longer match the tag.

Only the standard library, and the files are read rather than imported, so this runs on any
Python 3.10+ before anything is installed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSION_FILE = Path("trayapp") / "__init__.py"
CHANGELOG = Path("CHANGELOG.md")

_VERSION_LINE = re.compile(r'^__version__ = "([^"]*)"$', re.MULTILINE)
# PEP 440's normal form for what this project releases: N(.N)*[{a|b|rc}N][.postN][.devN].
_NORMAL_VERSION = re.compile(r"^\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?$")
_HEADING = re.compile(r"^## \[(?P<version>[^\]]+)\](?P<rest>.*)$")
_DATED = re.compile(r"^ - (?P<date>\d{4}-\d{2}-\d{2})( \[YANKED\])?$")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


class NotReady(Exception):
    """A tag that may not be released; the message says what to do."""


@dataclass(frozen=True)
class Entry:
    """One `## [version] ...` section of the changelog."""

    version: str
    heading_rest: str  # what follows `## [version]`, e.g. " - 2026-12-02"
    body: list[str]

    def released_on(self) -> date | None:
        match = _DATED.match(self.heading_rest)
        if not match:
            return None
        try:
            return date.fromisoformat(match["date"])
        except ValueError:  # 2026-13-01 has the shape of a date but is none
            return None

    def changes(self) -> list[str]:
        return [line for line in self.body if line.lstrip().startswith(("- ", "* "))]


def read_version(root: Path = ROOT) -> str:
    path = root / VERSION_FILE
    match = _VERSION_LINE.search(path.read_text(encoding="utf-8"))
    if not match:
        raise NotReady(f'{VERSION_FILE} sets no __version__: add a line __version__ = "X.Y.Z".')
    return match[1]


def changelog_entries(text: str) -> dict[str, Entry]:
    """Every version's section, by version (Unreleased included), comments left out."""
    entries: dict[str, Entry] = {}
    current: Entry | None = None
    for line in _COMMENT.sub("", text).splitlines():
        heading = _HEADING.match(line)
        if heading:
            current = Entry(heading["version"], heading["rest"], [])
            entries.setdefault(current.version, current)
        elif line.startswith("## "):  # a section that is no version's ends the one before
            current = None
        elif current is not None:
            current.body.append(line)
    return entries


def read_changelog(root: Path) -> str:
    path = root / CHANGELOG
    if not path.is_file():
        raise NotReady(
            f"There is no {CHANGELOG}: add one (Keep a Changelog format) with an entry "
            "for this version before tagging."
        )
    return path.read_text(encoding="utf-8")


def entry_problem(entries: dict[str, Entry], version: str) -> str | None:
    """What is wrong with the changelog's entry for `version`, or None when it is a release's."""
    heading = f"`## [{version}] - YYYY-MM-DD`"
    entry = entries.get(version)
    if entry is None:
        return f"{CHANGELOG} has no entry for {version}: add a {heading} section before tagging."
    if entry.released_on() is None:
        return (
            f"{CHANGELOG}'s entry for {version} has no valid release date: "
            f"write its heading as {heading}."
        )
    if not entry.changes():
        return (
            f"{CHANGELOG}'s entry for {version} lists no changes: "
            "add at least one bullet under it before tagging."
        )
    return None


def check_tag(tag: str, root: Path = ROOT) -> Entry:
    """The changelog entry `tag` releases; NotReady says why it may not be released."""
    version = read_version(root)
    if not _NORMAL_VERSION.match(version):
        raise NotReady(
            f"The version {version} in {VERSION_FILE} is not written the way Python's packaging "
            "writes it: use a form like 1.2.0, 1.2.0rc1 or 1.2.0.post1."
        )
    if not tag.startswith("v"):
        raise NotReady(f"The tag {tag} does not start with v: release tags are v{version}.")
    if tag != f"v{version}":
        raise NotReady(
            f"The tag {tag} does not match the version {version} in {VERSION_FILE}: "
            f'set __version__ = "{tag[1:]}" there, or tag v{version}.'
        )
    entries = changelog_entries(read_changelog(root))
    problem = entry_problem(entries, version)
    if problem:
        raise NotReady(problem)
    return entries[version]


def release_notes(entry: Entry) -> str:
    """The entry's body, without the blank lines around it."""
    return "\n".join(entry.body).strip("\n")


def version_tags(root: Path = ROOT) -> list[str]:
    listed = subprocess.run(
        ["git", "-C", str(root), "tag", "--list", "v*"], capture_output=True, text=True
    )
    if listed.returncode != 0:
        raise NotReady(f"Could not list the tags of {root}: run this in a git checkout.")
    return listed.stdout.split()


def tags_without_entry(root: Path = ROOT) -> list[str]:
    """The repository's v* tags whose version has no dated, non-empty changelog entry."""
    tags = version_tags(root)
    if not tags:
        return []
    entries = changelog_entries(read_changelog(root))
    return [tag for tag in tags if entry_problem(entries, tag[1:]) is not None]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        if args == ["--tags"]:
            missing = tags_without_entry()
            if missing:
                print(
                    f"These tags have no dated entry in {CHANGELOG}: {', '.join(missing)}; "
                    "add a section for each.",
                    file=sys.stderr,
                )
                return 1
            print(f"Every v* tag has an entry in {CHANGELOG}.")
            return 0
        if len(args) == 2 and args[0] == "--notes":
            # The release's notes: its changelog entry, as the GitHub release shows them.
            print(release_notes(check_tag(args[1])))
            return 0
        if len(args) != 1 or args[0].startswith("-"):
            print("Usage: scripts/check-release [--notes] vX.Y.Z  (or --tags)", file=sys.stderr)
            return 2
        entry = check_tag(args[0])
    except NotReady as problem:
        print(problem, file=sys.stderr)
        return 1
    print(f"{args[0]} is ready: version {entry.version}, released on {entry.released_on()}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
