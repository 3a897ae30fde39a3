"""The container recipe in packaging/container, built and run with podman: a Debian base made
from the Debian mirror (make-debian-base.sh, so no registry is needed), the image built from
this checkout (build.sh), and the exporter in it serving the test server's balances as a
non-root user, with the key from the environment or from a secret file, and a health check.

Slow (about a minute) and needs podman, runc and mmdebstrap as root: it runs only when
DEEPGRAM_TRAY_TEST_CONTAINER=1. Everything lives in a podman store of its own under the test's
temporary folder, removed at the end, so no image or container outlives the test.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import OWNER_KEY, REPO_ROOT
from tests.support.deepgram_server import FakeDeepgram
from tests.support.required import require_tools
from tests.support.waiting import wait_until

pytestmark = pytest.mark.skipif(
    os.environ.get("DEEPGRAM_TRAY_TEST_CONTAINER") != "1",
    reason="builds a container image: set DEEPGRAM_TRAY_TEST_CONTAINER=1 where podman works",
)

RECIPE = REPO_ROOT / "packaging" / "container"
BASE_TAG = "localhost/deepgram-tray-base:test"
IMAGE_TAG = "localhost/deepgram-tray-exporter:test"


@dataclass(frozen=True)
class Podman:
    env: dict[str, str]
    """Points podman at the test's own store and settings."""

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["podman", *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )

    def script(self, script: Path, *args: str, **env: str) -> None:
        result = subprocess.run(
            [str(script), *args],
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, f"{script.name} failed:\n{result.stderr[-4000:]}"


def isolated_podman(folder: Path) -> Podman:
    storage, settings = folder / "storage.conf", folder / "containers.conf"
    storage.write_text(
        "[storage]\n"
        'driver = "overlay"\n'
        f'graphroot = "{folder / "graph"}"\n'
        f'runroot = "{folder / "run"}"\n'
    )
    # Rlimits a container can always set (podman's default asks for more open files than many
    # hosts allow), and runc where installed: crun refuses hosts with hybrid cgroups.
    settings.write_text(
        '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n'
        + ('[engine]\nruntime = "runc"\n' if shutil.which("runc") else "")
    )
    return Podman(
        {
            **os.environ,
            "CONTAINERS_STORAGE_CONF": str(storage),
            "CONTAINERS_CONF": str(settings),
            "ENGINE": "podman",
        }
    )


@pytest.fixture(scope="module")
def podman(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Podman]:
    missing = [tool for tool in ("podman", "mmdebstrap") if shutil.which(tool) is None]
    require_tools(missing)
    if os.geteuid() != 0:
        require_tools(["root (rootless podman needs subuid ranges this test does not set up)"])
    folder = tmp_path_factory.mktemp("podman")
    engine = isolated_podman(folder)
    try:
        engine.script(RECIPE / "make-debian-base.sh", BASE_TAG)
        version = engine.run(
            "run",
            "--rm",
            BASE_TAG,
            "python3",
            "-c",
            "import sys; print('%d.%d' % sys.version_info[:2])",
        )
        assert version.returncode == 0, version.stderr
        engine.script(
            RECIPE / "build.sh",
            IMAGE_TAG,
            BASE=BASE_TAG,
            PYTHON_VERSION=version.stdout.strip(),
            PYTHON=sys.executable,
        )
        yield engine
    finally:
        engine.run("rm", "--all", "--force", timeout=120)
        engine.run("rmi", "--all", "--force", timeout=120)
        shutil.rmtree(folder, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Container:
    podman: Podman
    name: str
    port: int

    def get(self, path: str) -> tuple[int, str]:
        try:
            url = f"http://127.0.0.1:{self.port}{path}"
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8")
        except OSError as exc:
            return 0, str(exc)

    def logs(self) -> str:
        result = self.podman.run("logs", self.name)
        return result.stdout + result.stderr


StartContainer = Callable[..., Container]


@pytest.fixture
def start(podman: Podman, deepgram: FakeDeepgram) -> Iterator[StartContainer]:
    """Starts the image (detached, removed at the end); `key_from_env` passes the key through
    podman's environment with `-e DEEPGRAM_API_KEY`, which keeps it off every command line."""
    started: list[str] = []

    def start_container(*options: str, key_from_env: bool = False) -> Container:
        name, port = f"deepgram-tray-test-{uuid.uuid4().hex[:8]}", free_port()
        env = {**podman.env, "DEEPGRAM_API_KEY": OWNER_KEY} if key_from_env else podman.env
        # Host networking: the exporter reaches the test server on the host's loopback.
        result = Podman(env).run(
            "run", "--detach", "--name", name, "--network", "host",
            "-e", f"DEEPGRAM_TRAY_API_URL={deepgram.base_url}",
            "-e", f"DEEPGRAM_TRAY_LISTEN=127.0.0.1:{port}",
            *(["-e", "DEEPGRAM_API_KEY"] if key_from_env else []),
            *options, IMAGE_TAG,
        )  # fmt: skip
        started.append(name)
        assert result.returncode == 0, result.stderr
        return Container(podman, name, port)

    try:
        yield start_container
    finally:
        for name in started:
            podman.run("rm", "--force", "--time", "5", name, timeout=120)


def serves_balances(container: Container) -> bool:
    status, text = container.get("/metrics")
    return status == 200 and "deepgram_balance_total{" in text


def test_the_image_serves_the_balances_as_a_non_root_user(start: StartContainer) -> None:
    container = start(key_from_env=True)
    wait_until(lambda: serves_balances(container), timeout=60, what="/metrics with balances")
    assert container.get("/healthz")[0] == 200
    user = container.podman.run("exec", container.name, "id", "-u")
    assert user.stdout.strip() not in {"", "0"}, user.stdout + user.stderr
    # The image's HEALTHCHECK (kept by build.sh's Docker format) passes once balances are read.
    healthy = container.podman.run("healthcheck", "run", container.name)
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert OWNER_KEY not in container.logs()


def test_the_key_can_come_from_a_secret_file(start: StartContainer, tmp_path: Path) -> None:
    """A key file at /run/secrets/deepgram_api_key (where podman --secret and compose put it),
    with the newline editors add: the key is then nowhere in the container's configuration."""
    key_file = tmp_path / "deepgram_api_key"
    key_file.write_text(OWNER_KEY + "\n")
    key_file.chmod(0o644)  # the container's user is not the file's owner
    container = start("-v", f"{key_file}:/run/secrets/deepgram_api_key:ro")
    wait_until(lambda: serves_balances(container), timeout=60, what="/metrics with balances")
    inspected = container.podman.run("inspect", container.name)
    assert inspected.returncode == 0 and OWNER_KEY not in inspected.stdout


def test_without_a_key_it_stops_with_one_sentence(start: StartContainer) -> None:
    container = start()

    def exited() -> str | None:
        state = container.podman.run(
            "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", container.name
        )
        return state.stdout.strip() if state.stdout.startswith("exited") else None

    try:
        state = wait_until(exited, timeout=60, what="the container to exit")
    except AssertionError as exc:  # what it was doing instead, for whoever reads the failure
        inspected = container.podman.run("inspect", "--format", "{{json .State}}", container.name)
        state = f"{exc}\nstate: {inspected.stdout}\nlogs: {container.logs()}"
        raise AssertionError(state) from None
    assert state == "exited 2"
    assert container.logs().strip() == (
        "No Deepgram API key: pass -e DEEPGRAM_API_KEY, or mount the key as the file "
        "/run/secrets/deepgram_api_key."
    )
