"""The sdist and the wheel a release publishes, and the wheel installed as a pipx user has it.

scripts/build-dist builds them into dist/python/ and scripts/test points these tests at them
(DEEPGRAM_TRAY_TEST_DIST); without it they are built here. The wheel is installed once per run
with `pipx install` on the system's Python (a venv without its packages, so without PyGObject),
and run from a folder outside the checkout with no PYTHONPATH, so the checkout's source cannot
answer.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from email.message import Message
from email.parser import HeaderParser
from pathlib import Path
from typing import NamedTuple

import pytest
from packaging.requirements import Requirement

from tests.conftest import OWNER_KEY, REPO_ROOT, run_cli
from tests.support.deepgram_server import FakeDeepgram
from tests.support.required import unavailable
from tests.test_sni_desktop import PLAIN_PYTHON, tray_command
from trayapp import __version__

DIST = "DEEPGRAM_TRAY_TEST_DIST"
SYSTEM_PYTHON = Path("/usr/bin/python3")
DIST_INFO = f"deepgram_balance_tray-{__version__}.dist-info"


class Dist(NamedTuple):
    wheel: Path
    sdist: Path


def only(folder: Path, pattern: str) -> Path:
    (found,) = folder.glob(pattern)  # exactly one: a stale second build would be ambiguous
    return found


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    """What scripts/build-dist built (DEEPGRAM_TRAY_TEST_DIST), else a build made here."""
    given = os.environ.get(DIST)
    if given:
        folder = Path(given).resolve()
    else:
        folder = tmp_path_factory.mktemp("dist")
        built = subprocess.run(
            [sys.executable, "-m", "build", "--outdir", str(folder), str(REPO_ROOT)],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if built.returncode != 0 and "No module named build" in built.stderr:
            unavailable("needs `build` (the dev extras; scripts/test installs them)")
        assert built.returncode == 0, built.stdout + built.stderr
    return Dist(only(folder, "*.whl"), only(folder, "*.tar.gz"))


def wheel_names(dist: Dist) -> set[str]:
    with zipfile.ZipFile(dist.wheel) as wheel:
        return set(wheel.namelist())


def wheel_text(dist: Dist, name: str) -> str:
    with zipfile.ZipFile(dist.wheel) as wheel:
        return wheel.read(name).decode("utf-8")


def test_the_wheel_carries_the_package_and_what_it_needs_at_run_time(dist: Dist) -> None:
    names = wheel_names(dist)
    assert "trayapp/py.typed" in names  # the package's types, for code that imports it
    assert "trayapp/__main__.py" in names and "trayapp/cli.py" in names
    # trayapp.desktop.resources finds the icons in trayapp/assets/: the app icon for the windows
    # and notifications, the hicolor theme for the menu entry (install-desktop), every size.
    assert "trayapp/assets/deepgram-balance-tray.svg" in names
    theme = REPO_ROOT / "assets" / "linux"
    shipped = {f"trayapp/assets/linux/{p.relative_to(theme)}" for p in theme.rglob("*.*")}
    assert any(n.endswith("/scalable/apps/deepgram-balance-tray.svg") for n in shipped)
    assert any(n.endswith("/64x64/apps/deepgram-balance-tray.png") for n in shipped)
    assert shipped <= names, sorted(shipped - names)


def test_the_wheel_carries_no_tests_or_development_files(dist: Dist) -> None:
    tops = {name.split("/")[0] for name in wheel_names(dist)}
    assert tops == {"trayapp", DIST_INFO}, tops


def test_the_wheels_programs(dist: Dist) -> None:
    entry_points = configparser.ConfigParser()
    entry_points.read_string(wheel_text(dist, f"{DIST_INFO}/entry_points.txt"))
    assert dict(entry_points["console_scripts"]) == {"deepgram-tray": "trayapp.cli:main"}
    # The same program without a console window on Windows (shortcuts, start at login).
    assert dict(entry_points["gui_scripts"]) == {"deepgram-tray-gui": "trayapp.cli:main"}


def metadata(dist: Dist) -> Message:
    return HeaderParser().parsestr(wheel_text(dist, f"{DIST_INFO}/METADATA"))


def test_the_wheels_metadata(dist: Dist) -> None:
    fields = metadata(dist)
    assert (fields["Name"], fields["Version"]) == ("deepgram-balance-tray", __version__)
    assert fields["Requires-Python"] == ">=3.10"
    required = {r.name: r for r in map(Requirement, fields.get_all("Requires-Dist") or [])}
    # The StatusNotifierItem tray and the Secret Service speak D-Bus through jeepney, which
    # Windows and macOS have no use for.
    jeepney = required["jeepney"]
    assert jeepney.marker is not None
    for platform, needed in (("linux", True), ("win32", False), ("darwin", False)):
        assert jeepney.marker.evaluate({"sys_platform": platform}) is needed, platform
    assert required["packaging"].marker is None
    for name in ("requests", "keyring", "pystray", "pillow", "truststore", "prometheus-client"):
        assert required[name].marker is None, name


def test_the_sdist_carries_the_changelog_and_readme(dist: Dist) -> None:
    top = f"deepgram_balance_tray-{__version__}"
    with tarfile.open(dist.sdist) as sdist:
        names = set(sdist.getnames())
    for name in ("CHANGELOG.md", "README.md", "pyproject.toml", "trayapp/__init__.py"):
        assert f"{top}/{name}" in names, name


class Installed(NamedTuple):
    python: Path
    program: Path  # its deepgram-tray launcher


def clean_env(**extra: str) -> dict[str, str]:
    """This run's environment without what points Python at the checkout or another venv."""
    dropped = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "DEEPGRAM_", "PYTHON_KEYRING")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    return {**env, "PYTHONPATH": "", **extra}


@pytest.fixture(scope="session")
def installed(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel installed by `pipx install`, as a user runs it: its own venv on the system's
    Python (pipx never gives a venv the system's packages), dependencies from PyPI."""
    if not SYSTEM_PYTHON.is_file():
        unavailable(f"needs {SYSTEM_PYTHON} to make a virtualenv without PyGObject")
    home = tmp_path_factory.mktemp("pipx")
    env = clean_env(PIPX_HOME=str(home / "pipx"), PIPX_BIN_DIR=str(home / "bin"))
    done = subprocess.run(
        [sys.executable, "-m", "pipx", "install", "--python", str(SYSTEM_PYTHON), str(dist.wheel)],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        cwd=home,
    )
    if done.returncode != 0 and "No module named pipx" in done.stderr:
        unavailable("needs pipx (the test extras; scripts/test installs them)")
    assert done.returncode == 0, done.stdout + done.stderr
    venv = home / "pipx" / "venvs" / "deepgram-balance-tray"
    return Installed(venv / "bin" / "python", home / "bin" / "deepgram-tray")


def run_installed(
    command: list[str], folder: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=folder,  # not the checkout: `python -m` and `-c` put the current folder on sys.path
        env=env or clean_env(),
    )


def test_the_installed_python_has_no_pygobject(installed: Installed, tmp_path: Path) -> None:
    done = run_installed([str(installed.python), "-c", "import gi"], tmp_path)
    assert done.returncode != 0 and "No module named 'gi'" in done.stderr, done.stderr


def test_the_installed_program_prints_its_version(installed: Installed, tmp_path: Path) -> None:
    done = run_installed([str(installed.program), "--version"], tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"deepgram-tray {__version__}\n", "")


def imported_trayapp_files(done: subprocess.CompletedProcess[str]) -> set[Path]:
    """The trayapp/__init__.py a `PYTHONVERBOSE=1` run imported, from its stderr."""
    found = re.findall(r"(/\S*/trayapp/__init__\.py)\b", done.stderr)
    assert found, done.stderr[-2000:]
    return {Path(name) for name in found}


def test_a_tray_started_like_the_sni_tests_runs_the_installed_wheel(
    installed: Installed, tmp_path: Path
) -> None:
    """The plain Python's tray (tests/test_sni_desktop.py) and its fetch worker (the same
    Python with -m trayapp, in the tray's folder) import the installed package, not the
    checkout's source."""
    python = os.environ.get(PLAIN_PYTHON) or str(installed.python)
    program, folder = tray_command(python, tmp_path)
    assert folder is not None and not folder.resolve().is_relative_to(REPO_ROOT)
    site = Path(python).parent.parent
    # `python -v` says where each import came from (pipx's launchers run `python -E`, which
    # ignores PYTHONVERBOSE): the launcher's script, and the worker's `-m trayapp`.
    verbose = clean_env()
    launcher = [python, "-v", *program, "--version"]
    for command in (launcher, [python, "-v", "-m", "trayapp", "--version"]):
        done = run_installed(command, folder, verbose)
        assert done.returncode == 0, done.stderr[-2000:]
        for path in imported_trayapp_files(done):
            assert path.is_relative_to(site), (command, path)
            assert not path.is_relative_to(REPO_ROOT / "trayapp"), (command, path)

    # Why the folder matters: started from the checkout, -m imports the checkout's source.
    done = run_installed([python, "-v", "-m", "trayapp", "--version"], REPO_ROOT, verbose)
    assert REPO_ROOT / "trayapp" / "__init__.py" in imported_trayapp_files(done)


@pytest.fixture
def user_env(tmp_path: Path, deepgram: FakeDeepgram) -> Iterator[dict[str, str]]:
    """A user's environment in tmp_path, pointed at the test server; no keyring is touched."""
    home = tmp_path / "home"
    home.mkdir()
    yield clean_env(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        XDG_CACHE_HOME=str(home / ".cache"),
        DEEPGRAM_TRAY_CONFIG=str(tmp_path / "config" / "config.toml"),
        DEEPGRAM_TRAY_API_URL=deepgram.base_url,
        DEEPGRAM_API_KEY=OWNER_KEY,
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        NO_PROXY="*",
    )


def test_the_installed_program_reads_the_balance(
    installed: Installed,
    user_env: dict[str, str],
    deepgram: FakeDeepgram,
    cli_env: dict[str, str],
    tmp_path: Path,
) -> None:
    done = run_installed([str(installed.program), "balance", "--json"], tmp_path, user_env)
    assert done.returncode == 0, done.stderr
    assert '"usd": 128.31822227' in done.stdout  # exact decimals
    assert any(r.path == "/v1/projects" for r in deepgram.requests)
    # What the checkout prints, but for the time of the read.
    answer, expected = (
        json.loads(done.stdout),
        json.loads(run_cli(["balance", "--json"], cli_env).stdout),
    )
    del answer["fetched_at"], expected["fetched_at"]
    assert answer == expected


def test_the_installed_program_adds_the_menu_entry_and_icons_from_the_wheel(
    installed: Installed, user_env: dict[str, str], dist: Dist, tmp_path: Path
) -> None:
    done = run_installed([str(installed.program), "install-desktop"], tmp_path, user_env)
    assert done.returncode == 0, done.stderr
    data = Path(user_env["XDG_DATA_HOME"])
    entry = data / "applications" / "deepgram-balance-tray.desktop"
    assert f"Added Deepgram Balance to the applications menu ({entry})" in done.stdout
    exec_lines = [line for line in entry.read_text().splitlines() if line.startswith("Exec=")]
    # This install's own launcher (pipx links it into its bin folder).
    assert exec_lines[0] == f"Exec={installed.python.parent / 'deepgram-tray'}", exec_lines
    if shutil.which("desktop-file-validate"):
        validated = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True)
        assert validated.returncode == 0, validated.stdout

    theme = data / "icons" / "hicolor"
    icons = {p.relative_to(theme) for p in theme.glob("*/apps/*")}
    prefix = "trayapp/assets/linux/hicolor/"
    with zipfile.ZipFile(dist.wheel) as wheel:
        in_wheel = {
            n[len(prefix) :]: wheel.read(n) for n in wheel.namelist() if n.startswith(prefix)
        }
    assert {str(p) for p in icons} == set(in_wheel)
    for icon in icons:
        assert (theme / icon).read_bytes() == in_wheel[str(icon)], icon
