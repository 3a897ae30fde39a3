"""Which release PyPI's answer names, whether it is newer, and which page the menu opens."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.pypi_server import project_document
from trayapp.updates.release import Release, UnreadableRelease, latest_release, newer_than

PYPI = "https://pypi.org/pypi/deepgram-balance-tray/json"


def answer(version: str, **info: Any) -> dict[str, Any]:
    document = project_document("https://pypi.org", version)
    document["info"].update(**info)
    return document


def test_the_latest_final_release_and_its_page() -> None:
    assert latest_release(answer("0.2.0"), PYPI) == Release(
        "0.2.0", "https://pypi.org/project/deepgram-balance-tray/0.2.0/"
    )


@pytest.mark.parametrize("version", ["0.3.0rc1", "0.3.0a2", "0.3.0b1", "0.3.0.dev4", "1.0.0rc1"])
def test_a_pre_release_is_never_offered(version: str) -> None:
    assert latest_release(answer(version), PYPI) is None


def test_a_yanked_release_is_never_offered() -> None:
    assert latest_release(answer("0.2.0", yanked=True), PYPI) is None


@pytest.mark.parametrize("version", ["1", "1." + "9" * 62])
def test_a_version_from_one_character_to_the_longest_is_read(version: str) -> None:
    assert len(version) in (1, 64)
    release = latest_release(answer(version), PYPI)
    assert release is not None and release.version == version


def test_a_post_release_is_a_final_release() -> None:
    release = latest_release(answer("0.2.0.post1"), PYPI)
    assert release is not None and release.version == "0.2.0.post1"


def test_the_version_is_shown_as_pip_writes_it() -> None:
    release = latest_release(answer("0.2.0-post1"), PYPI)
    assert release is not None and release.version == "0.2.0.post1"


@pytest.mark.parametrize(
    "document",
    [
        None,
        [],
        "0.2.0",
        {},
        {"info": None},
        {"info": []},
        {"info": {}},
        {"info": {"version": None}},
        {"info": {"version": 2}},
        {"info": {"version": ""}},
        {"info": {"version": "not a version"}},
        {"info": {"version": "1" * 65}},
        {"message": "Not Found"},
    ],
)
def test_anything_but_pypis_answer_is_unreadable(document: object) -> None:
    with pytest.raises(UnreadableRelease):
        latest_release(document, PYPI)


def test_a_page_on_another_site_is_never_opened() -> None:
    """The menu opens a page on the host the app chose to ask, whatever the answer names."""
    for elsewhere in (
        "https://evil.example/project/deepgram-balance-tray/0.2.0/",
        "http://pypi.org/project/deepgram-balance-tray/0.2.0/",  # not https
        "javascript:alert(1)",
        None,
        42,
    ):
        release = latest_release(answer("0.2.0", release_url=elsewhere), PYPI)
        assert release == Release("0.2.0", "https://pypi.org/project/deepgram-balance-tray/0.2.0/")


def test_the_page_pypi_names_on_its_own_host_is_kept() -> None:
    page = "https://pypi.org/project/deepgram-balance-tray/0.2.0/#history"
    release = latest_release(answer("0.2.0", release_url=page), PYPI)
    assert release is not None and release.page == page


def test_a_stand_ins_pages_are_on_the_stand_in() -> None:
    url = "http://127.0.0.1:8123/pypi/deepgram-balance-tray/json"
    release = latest_release(answer("0.2.0", release_url="x"), url)
    assert release is not None
    assert release.page == "http://127.0.0.1:8123/project/deepgram-balance-tray/0.2.0/"


@pytest.mark.parametrize(
    ("latest", "running", "newer"),
    [
        ("0.2.0", "0.1.0", True),
        ("0.1.0", "0.1.0", False),
        ("0.0.9", "0.1.0", False),
        ("0.10.0", "0.9.0", True),  # not compared as text
        ("0.1.0.post1", "0.1.0", True),
        ("0.2.0", "0.2.0rc1", True),  # a pre-release's final release
        ("0.1.0", "0.2.0.dev3", False),
        ("1.0", "1.0.0", False),
        ("0.2.0", "a checkout's build", False),
    ],
)
def test_newer_than_the_running_version(latest: str, running: str, newer: bool) -> None:
    release = Release(latest, "https://pypi.org/")
    assert newer_than(release, running) == (release if newer else None)


def test_nothing_is_newer_than_no_release() -> None:
    assert newer_than(None, "0.1.0") is None
