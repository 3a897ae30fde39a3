"""Releases: scripts/check-release refuses a tag the version or CHANGELOG.md does not back, every
v* tag has its changelog entry, and the version is written in one place only."""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent
HEADER = "# Changelog\n\nAll notable changes.\n\n"


def load_release_check() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "release_check", ROOT / "scripts" / "release_check.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["release_check"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


release_check = load_release_check()


def project(folder: Path, version: str, changelog: str | None) -> Path:
    """A checkout with this version and changelog, and a copy of the check's scripts."""
    (folder / "trayapp").mkdir(parents=True)
    (folder / "trayapp" / "__init__.py").write_text(
        f'"""The app."""\n\n__version__ = "{version}"\n\nAPP_NAME = "x"\n'
    )
    if changelog is not None:
        (folder / "CHANGELOG.md").write_text(HEADER + changelog)
    (folder / "scripts").mkdir()
    for script in ("check-release", "release_check.py"):
        shutil.copy2(ROOT / "scripts" / script, folder / "scripts" / script)
    return folder


def check_release(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(folder / "scripts" / "check-release"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=folder,
    )


RELEASED = "## [Unreleased]\n\n## [0.2.0] - 2026-12-02\n\n### Added\n\n- A thing.\n"


def test_the_tag_of_the_version_with_a_dated_entry_may_be_released(tmp_path: Path) -> None:
    folder = project(tmp_path, "0.2.0", RELEASED)
    done = check_release(folder, "v0.2.0")
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    assert done.stdout == "v0.2.0 is ready: version 0.2.0, released on 2026-12-02.\n"


def test_the_release_notes_are_the_versions_entry(tmp_path: Path) -> None:
    changelog = RELEASED + "\n## [0.1.0] - 2026-11-01\n\n- The first.\n"
    done = check_release(project(tmp_path, "0.2.0", changelog), "--notes", "v0.2.0")
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    assert done.stdout == "### Added\n\n- A thing.\n"


def test_no_release_notes_for_a_tag_that_may_not_be_released(tmp_path: Path) -> None:
    done = check_release(project(tmp_path, "0.3.0", RELEASED), "--notes", "v0.3.0")
    assert (done.returncode, done.stdout) == (1, "")
    assert "has no entry for 0.3.0" in done.stderr


def refusal(folder: Path, tag: str) -> str:
    """The one sentence check-release prints for a tag it refuses (exit 1, nothing on stdout)."""
    done = check_release(folder, tag)
    assert (done.returncode, done.stdout) == (1, ""), done
    assert done.stderr.count("\n") == 1 and done.stderr.rstrip().endswith("."), done.stderr
    assert "Traceback" not in done.stderr
    return done.stderr.rstrip()


def test_a_tag_of_another_version_is_refused(tmp_path: Path) -> None:
    folder = project(tmp_path, "0.2.0", RELEASED)
    assert refusal(folder, "v0.3.0") == (
        "The tag v0.3.0 does not match the version 0.2.0 in trayapp/__init__.py: "
        'set __version__ = "0.3.0" there, or tag v0.2.0.'
    )
    assert refusal(folder, "0.2.0") == (
        "The tag 0.2.0 does not start with v: release tags are v0.2.0."
    )
    assert refusal(folder, "v0.2").startswith("The tag v0.2 does not match")


def test_a_version_without_an_entry_is_refused(tmp_path: Path) -> None:
    # Unreleased's bullets are no release's, and another version's entry is not this one's.
    changelog = "## [Unreleased]\n\n- Coming.\n\n## [0.1.0] - 2026-11-01\n\n- First.\n"
    folder = project(tmp_path, "0.2.0", changelog)
    assert refusal(folder, "v0.2.0") == (
        "CHANGELOG.md has no entry for 0.2.0: add a `## [0.2.0] - YYYY-MM-DD` section before "
        "tagging."
    )


def test_an_entry_inside_a_comment_does_not_count(tmp_path: Path) -> None:
    folder = project(tmp_path, "0.2.0", "<!--\n## [0.2.0] - 2026-12-02\n\n- A thing.\n-->\n")
    assert refusal(folder, "v0.2.0").startswith("CHANGELOG.md has no entry for 0.2.0")


def test_no_changelog_at_all_is_refused(tmp_path: Path) -> None:
    folder = project(tmp_path, "0.2.0", None)
    assert refusal(folder, "v0.2.0").startswith("There is no CHANGELOG.md: add one")


@pytest.mark.parametrize(
    "heading",
    [
        "## [0.2.0]",
        "## [0.2.0] - ",
        "## [0.2.0] - 2 Dec 2026",
        "## [0.2.0] - 2026-13-02",  # the shape of a date, but none
        "## [0.2.0] 2026-12-02",
    ],
)
def test_an_undated_entry_is_refused(tmp_path: Path, heading: str) -> None:
    folder = project(tmp_path, "0.2.0", f"{heading}\n\n- A thing.\n")
    assert refusal(folder, "v0.2.0") == (
        "CHANGELOG.md's entry for 0.2.0 has no valid release date: "
        "write its heading as `## [0.2.0] - YYYY-MM-DD`."
    )


def test_a_yanked_release_keeps_its_date(tmp_path: Path) -> None:
    folder = project(tmp_path, "0.2.0", "## [0.2.0] - 2026-12-02 [YANKED]\n\n- A thing.\n")
    assert check_release(folder, "v0.2.0").returncode == 0


@pytest.mark.parametrize(
    "body",
    [
        "",
        "\n### Added\n\n",
        "\nSome words but no list.\n",
        # the next version's bullets are not this entry's
        "\n### Fixed\n\n## [0.1.0] - 2026-11-01\n\n- First.\n",
    ],
)
def test_an_entry_listing_no_change_is_refused(tmp_path: Path, body: str) -> None:
    folder = project(tmp_path, "0.2.0", f"## [0.2.0] - 2026-12-02\n{body}")
    assert refusal(folder, "v0.2.0") == (
        "CHANGELOG.md's entry for 0.2.0 lists no changes: "
        "add at least one bullet under it before tagging."
    )


def test_pre_releases_are_tagged_and_entered_as_python_writes_them(tmp_path: Path) -> None:
    entry = "## [1.0.0rc1] - 2026-12-02\n\n- Release candidate.\n"
    folder = project(tmp_path / "rc", "1.0.0rc1", entry)
    assert check_release(folder, "v1.0.0rc1").returncode == 0
    assert refusal(folder, "v1.0.0-rc1").startswith("The tag v1.0.0-rc1 does not match")
    assert refusal(folder, "v1.0.0").startswith("The tag v1.0.0 does not match")

    # A final release's tag is not its release candidate's.
    final = project(tmp_path / "final", "1.0.0", entry)
    assert refusal(final, "v1.0.0rc1").startswith("The tag v1.0.0rc1 does not match")
    assert refusal(final, "v1.0.0") == (
        "CHANGELOG.md has no entry for 1.0.0: add a `## [1.0.0] - YYYY-MM-DD` section before "
        "tagging."
    )

    # The wheel would spell 1.0.0-rc.1 as 1.0.0rc1, and no longer match the tag.
    semver = project(
        tmp_path / "semver", "1.0.0-rc.1", "## [1.0.0-rc.1] - 2026-12-02\n\n- Candidate.\n"
    )
    assert refusal(semver, "v1.0.0-rc.1") == (
        "The version 1.0.0-rc.1 in trayapp/__init__.py is not written the way Python's "
        "packaging writes it: use a form like 1.2.0, 1.2.0rc1 or 1.2.0.post1."
    )


def test_usage(tmp_path: Path) -> None:
    folder = project(tmp_path, "0.2.0", RELEASED)
    for args in ((), ("v0.2.0", "v0.3.0"), ("--help",)):
        done = check_release(folder, *args)
        assert (done.returncode, done.stdout) == (2, ""), done
        assert done.stderr.startswith("Usage: scripts/check-release [--notes] vX.Y.Z")


def git(folder: Path, *args: str) -> None:
    identity = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    identity |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    subprocess.run(
        ["git", "-C", str(folder), *args],
        check=True,
        capture_output=True,
        env={**os.environ, **identity},
        timeout=60,
    )


def test_tags_without_an_entry_are_listed(tmp_path: Path) -> None:
    changelog = "## [Unreleased]\n\n- Coming.\n\n## [0.1.0] - 2026-11-01\n\n- First.\n"
    folder = project(tmp_path, "0.1.0", changelog)
    git(folder, "init", "--quiet")
    git(folder, "add", ".")
    git(folder, "commit", "--quiet", "-m", "first")
    for tag in ("v0.1.0", "v0.2.0", "not-a-release", "vUnreleased"):
        git(folder, "tag", tag)
    assert release_check.tags_without_entry(folder) == ["v0.2.0", "vUnreleased"]

    done = check_release(folder, "--tags")
    assert (done.returncode, done.stderr) == (
        1,
        "These tags have no dated entry in CHANGELOG.md: v0.2.0, vUnreleased; "
        "add a section for each.\n",
    )

    git(folder, "tag", "--delete", "v0.2.0", "vUnreleased")
    assert release_check.tags_without_entry(folder) == []
    assert check_release(folder, "--tags").returncode == 0


def test_every_release_tag_of_this_repository_has_its_entry() -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout (an unpacked sdist, say): there are no tags to check")
    assert release_check.tags_without_entry(ROOT) == []


def test_the_changelog_keeps_a_changelog() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog\n")
    assert "https://keepachangelog.com/en/1.1.0/" in text
    assert "https://semver.org/" in text
    entries = release_check.changelog_entries(text)
    assert "Unreleased" in entries
    for version in entries:
        if version != "Unreleased":
            assert release_check.entry_problem(entries, version) is None, version
    # Unreleased on top, each version once.
    versions = re.findall(r"^## \[([^\]]+)\]", text, re.MULTILINE)
    assert versions[0] == "Unreleased" and len(versions) == len(set(versions))


# The version has one source: trayapp/__init__.py.


def test_the_wheel_reads_the_version_from_the_package() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in pyproject["project"]
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["hatch"]["version"] == {"path": "trayapp/__init__.py"}


def test_the_app_prints_that_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "trayapp", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert (done.returncode, done.stdout) == (0, f"deepgram-tray {release_check.read_version()}\n")


def spec_version(spec: Path) -> object:
    """VERSION as packaging/deepgram-tray.spec computes it, without running PyInstaller: its
    ROOT and VERSION assignments, run as PyInstaller would run them."""
    tree = ast.parse(spec.read_text(encoding="utf-8"))
    wanted = {"ROOT", "VERSION"}
    assignments = [
        node
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id in wanted for t in node.targets)
    ]
    namespace: dict[str, object] = {"re": re, "Path": Path, "SPECPATH": str(spec.parent)}
    exec(compile(ast.Module(assignments, type_ignores=[]), str(spec), "exec"), namespace)
    return namespace["VERSION"]


def test_the_bundles_read_the_same_version() -> None:
    spec = ROOT / "packaging" / "deepgram-tray.spec"
    assert spec_version(spec) == release_check.read_version()
    text = spec.read_text(encoding="utf-8")
    # The Windows version resource and the macOS Info.plist take it from there.
    for field in ("FileVersion", "ProductVersion", "CFBundleShortVersionString", "CFBundleVersion"):
        assert re.search(rf'"{field}": VERSION,', text), field


def test_the_spec_follows_the_packages_version(tmp_path: Path) -> None:
    """The spec's reading follows the package's file: change one, the other changes with it."""
    (tmp_path / "packaging").mkdir()
    shutil.copy2(ROOT / "packaging" / "deepgram-tray.spec", tmp_path / "packaging")
    (tmp_path / "trayapp").mkdir()
    (tmp_path / "trayapp" / "__init__.py").write_text('__version__ = "9.8.7"\n')
    assert spec_version(tmp_path / "packaging" / "deepgram-tray.spec") == "9.8.7"
    assert release_check.read_version(tmp_path) == "9.8.7"
