"""The Windows lane: the app under a Windows CPython in Wine (see tests/support/wine.py).

Every test here is marked `windows`. One Wine prefix serves the session; tests that change it
(the Credential Locker, the Run key, AppData) undo what they did.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import OWNER_KEY
from tests.support.deepgram_server import FakeDeepgram
from tests.support.required import unavailable
from tests.support.wine import PYTHON_ENV, WindowsPython, configured_python


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.windows)


@pytest.fixture(scope="session")
def windows() -> Iterator[WindowsPython]:
    python_exe = configured_python()
    if python_exe is None or shutil.which("wine") is None:
        unavailable(f"needs Wine and a Windows CPython: {PYTHON_ENV}=$(scripts/windows-python)")
    assert python_exe.is_file(), f"{PYTHON_ENV} names no file: {python_exe}"
    # Not under pytest's own temporary folder: pytest deletes old sessions' folders when a new
    # session starts, which would pull the prefix from under a second session still running.
    folder = Path(tempfile.mkdtemp(prefix="deepgram-tray-wine-"))
    session = WindowsPython(python_exe, folder / "prefix")
    try:
        yield session.start()
    finally:
        session.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def windows_env(deepgram: FakeDeepgram) -> dict[str, str]:
    """Like cli_env, for Windows: the test server, the owner key in the environment."""
    return {"DEEPGRAM_TRAY_API_URL": deepgram.base_url, "DEEPGRAM_API_KEY": OWNER_KEY}


@pytest.fixture
def app_folders(windows: WindowsPython) -> Iterator[dict[str, Path]]:
    """The app's folders in the Windows profile, empty before the test and removed after it."""
    folders = {
        "config": windows.user_folder("AppData/Local/deepgram-balance-tray"),
        "roaming": windows.user_folder("AppData/Roaming/deepgram-balance-tray"),
    }
    for folder in folders.values():
        shutil.rmtree(folder, ignore_errors=True)
    yield folders
    for folder in folders.values():
        shutil.rmtree(folder, ignore_errors=True)
