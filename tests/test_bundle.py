"""The Linux PyInstaller bundle, run as a user would run it: no Python, no source tree.

scripts/test builds it (packaging/build-linux.sh) before the tests. What can go wrong only in a
bundle is what these check: a backend, hook or data file left out (pystray's backends, keyring's
entry points, Tk, the icons), and the tray's children started as the bundle rather than Python.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.conftest import BAD_KEY, OWNER_KEY, UNICODE_NAME, run_cli, stored_secret
from tests.support.deepgram_server import FakeDeepgram
from tests.support.desktop import Rect, TrayProcess, VirtualDesktop
from tests.support.exporter_process import ExporterProcess
from tests.support.history_seed import seed_history
from tests.support.pypi_server import FakePyPI
from tests.support.waiting import wait_until
from tests.test_encodings import LOCALES, run_bytes
from tests.test_history_desktop import colour_pixels
from tests.test_settings_desktop import type_into_key_field, window_text
from trayapp import __version__
from trayapp.tk.history_chart import BALANCE_COLOUR, SPEND_COLOUR
from trayapp.tk.history_window import TITLE as HISTORY_TITLE

if TYPE_CHECKING:
    from tests.support.sni_desktop import SwayDesktop

pytestmark = pytest.mark.bundle


def test_version(bundle: list[str], cli_env: dict[str, str]) -> None:
    result = run_cli(["--version"], cli_env, program=bundle)
    assert (result.returncode, result.stdout) == (0, f"deepgram-tray {__version__}\n")


def test_balance_json_is_what_the_installed_app_prints(
    bundle: list[str], cli_env: dict[str, str], deepgram: FakeDeepgram
) -> None:
    frozen = run_cli(["balance", "--json"], cli_env, program=bundle)
    assert frozen.returncode == 0, frozen.stderr
    installed = run_cli(["balance", "--json"], cli_env)
    answer, expected = json.loads(frozen.stdout), json.loads(installed.stdout)
    del answer["fetched_at"], expected["fetched_at"]
    assert answer == expected
    assert '"usd": 128.31822227' in frozen.stdout  # exact decimals survive freezing too
    assert any(r.path == "/v1/projects" for r in deepgram.requests)


def test_the_bundled_exporter_serves_metrics(
    bundle: list[str], cli_env: dict[str, str], tmp_path: Path
) -> None:
    # prometheus_client and the exporter wing are imported lazily: the bundle must carry both.
    exporter = ExporterProcess(cli_env, tmp_path / "serve", program=bundle)
    try:
        total = wait_until(
            lambda: exporter.metrics().get("deepgram_balance_total"), what="the first read"
        )
        assert total == [({"account": "default", "units": "usd"}, 128.31822227)]
        assert exporter.stop() == 0
    finally:
        exporter.kill()


def test_tls_is_checked_against_the_systems_certificate_store(
    bundle: list[str], cli_env: dict[str, str], tmp_path: Path
) -> None:
    """A CA only the system trusts (a company's TLS-inspecting proxy) is trusted by the bundle
    too: truststore is in it, and reads OpenSSL's default places (SSL_CERT_FILE first). Without
    it the bundle would fall back to certifi, which does not know this CA."""
    import trustme

    from tests.support.tls_server import https_server, write_ca

    ca = trustme.CA()
    env = {k: v for k, v in cli_env.items() if k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")}
    env.update(SSL_CERT_FILE=str(write_ca(ca, tmp_path / "company-ca.pem")))
    env.pop("SSL_CERT_DIR", None)
    with https_server(ca) as base_url:
        env["DEEPGRAM_TRAY_API_URL"] = base_url
        trusted = run_cli(["balance", "--json"], env, program=bundle)
        env["SSL_CERT_FILE"] = str(write_ca(trustme.CA(), tmp_path / "another-ca.pem"))
        untrusted = run_cli(["balance"], env, program=bundle)
    assert trusted.returncode == 0, trusted.stderr
    assert json.loads(trusted.stdout)["projects"] == []
    assert untrusted.returncode == 4
    assert "its TLS certificate could not be verified" in untrusted.stderr


@pytest.mark.parametrize("locale", LOCALES)
def test_names_the_locale_cannot_encode_print(
    bundle: list[str], cli_env: dict[str, str], unicode_project: FakeDeepgram, locale: str
) -> None:
    env = {**cli_env, **LOCALES[locale]}
    as_text = run_bytes(["balance"], env, program=bundle)
    as_json = run_bytes(["balance", "--json"], env, program=bundle)
    assert as_text.returncode == 0, as_text.stderr
    assert as_text.stdout.decode("utf-8").splitlines()[-1] == "Total           $135.32"
    assert UNICODE_NAME in as_json.stdout.decode("utf-8")


def test_a_refused_key_is_one_sentence_and_exit_code_3(
    bundle: list[str], cli_env: dict[str, str]
) -> None:
    cli_env["DEEPGRAM_API_KEY"] = BAD_KEY
    result = run_cli(["balance"], cli_env, program=bundle)
    assert result.returncode == 3
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr and BAD_KEY not in result.stderr


@pytest.mark.keyring_daemon
def test_the_key_goes_to_the_secret_service_it_finds(
    bundle: list[str], secret_service: None, cli_env: dict[str, str]
) -> None:
    # No backend named: keyring must discover its backends inside the bundle (entry points).
    del cli_env["DEEPGRAM_API_KEY"], cli_env["PYTHON_KEYRING_BACKEND"]
    stored = run_cli(["key", "set"], cli_env, stdin=OWNER_KEY + "\n", program=bundle)
    assert stored.returncode == 0, stored.stderr
    assert stored_secret() == OWNER_KEY
    status = run_cli(["key", "status"], cli_env, program=bundle)
    assert "stored in the OS keyring (Secret Service)" in status.stdout, status.stdout
    assert run_cli(["balance"], cli_env, program=bundle).returncode == 0
    assert run_cli(["key", "delete"], cli_env, program=bundle).returncode == 0
    assert stored_secret() is None


def test_install_desktop_points_the_menu_at_the_bundle(
    bundle: list[str], cli_env: dict[str, str], tmp_path: Path
) -> None:
    cli_env["XDG_DATA_HOME"] = str(tmp_path / "data")
    result = run_cli(["install-desktop"], cli_env, program=bundle)
    assert result.returncode == 0, result.stderr
    entry = (tmp_path / "data" / "applications" / "deepgram-balance-tray.desktop").read_text()
    assert f"\nExec={bundle[0]}\n" in entry
    icon = tmp_path / "data" / "icons" / "hicolor" / "48x48" / "apps" / "deepgram-balance-tray.png"
    assert icon.is_file()

    cli_env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    assert run_cli(["autostart", "enable"], cli_env, program=bundle).returncode == 0
    autostart = (tmp_path / "config" / "autostart" / "deepgram-balance-tray.desktop").read_text()
    assert f"\nExec={bundle[0]}\n" in autostart


@pytest.mark.display
@pytest.mark.keyring_daemon
def test_bundled_tray_first_run_to_a_green_icon(
    bundle: list[str],
    desktop: VirtualDesktop,
    secret_service: None,
    deepgram: FakeDeepgram,
    tmp_path: Path,
    processes: list[TrayProcess],
) -> None:
    """From no key to a green icon, all inside the bundle: pystray picks its backend itself,
    the settings window is the bundled Tk, the key goes to the Secret Service keyring finds, and
    each poll runs the bundle's own fetch worker."""
    home = tmp_path / "home"
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = {
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "DEEPGRAM_TRAY_CONFIG": str(tmp_path / "config.toml"),
        "DEEPGRAM_TRAY_API_URL": deepgram.base_url,
        "DEEPGRAM_API_KEY": "",
    }
    tray = TrayProcess(desktop, env, tmp_path, private_bus=False, program=bundle)
    processes.append(tray)
    wait_until(lambda: desktop.tray_icon_colour() == "grey", what="a grey icon", timeout=30)
    wait_until(lambda: "Test" in window_text(desktop), what="the settings window", timeout=30)
    type_into_key_field(desktop, OWNER_KEY)
    desktop.xdotool("key", "Return")
    wait_until(lambda: desktop.window_rect() is None, what="the window to close")
    wait_until(lambda: desktop.tray_icon_colour() == "green", what="a green icon", timeout=30)
    desktop.screenshot().save(tmp_path / "bundle-green.png")
    assert stored_secret() == OWNER_KEY
    assert len(deepgram.requests_to("/balances")) >= 2
    assert tray.process.poll() is None
    assert "Traceback" not in tray.stderr()


@pytest.mark.display
def test_the_bundled_history_window_draws_its_chart(
    bundle: list[str], desktop: VirtualDesktop, tmp_path: Path, processes: list[TrayProcess]
) -> None:
    """The chart is a PNG drawn by the bundled Pillow and shown by the bundled Tk."""
    home = tmp_path / "home"
    seed_history(home / "data")
    env = {"HOME": str(home), "XDG_DATA_HOME": str(home / "data"), "DEEPGRAM_API_KEY": ""}
    window = TrayProcess(desktop, env, tmp_path, args=("history", "--window"), program=bundle)
    processes.append(window)

    def chart_drawn() -> Rect | None:
        rect = desktop.window_named(HISTORY_TITLE)
        return rect if rect and colour_pixels(desktop, rect, SPEND_COLOUR) > 10_000 else None

    rect = wait_until(chart_drawn, what="the history window's spend bars")
    assert colour_pixels(desktop, rect, BALANCE_COLOUR) > 1000
    window.stop()
    wait_until(lambda: desktop.window_named(HISTORY_TITLE) is None, what="the window to close")
    assert "Traceback" not in window.stderr()


@pytest.mark.display
def test_the_bundle_on_a_statusnotifieritem_panel(
    bundle: list[str],
    sway: SwayDesktop,
    deepgram: FakeDeepgram,
    tmp_path: Path,
    processes: list[TrayProcess],
    pypi: FakePyPI,
) -> None:
    """The bundle finds Waybar's watcher and shows its own StatusNotifierItem: green icon on the
    panel, the total in the ToolTip, Refresh now answering, and the update notice's line (the
    bundle carries what the check needs)."""
    pypi.latest("9.9.9")
    home = tmp_path / "home"
    env = {
        "HOME": str(home),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "DEEPGRAM_TRAY_CONFIG": str(tmp_path / "config.toml"),
        "DEEPGRAM_TRAY_API_URL": deepgram.base_url,
        "DEEPGRAM_API_KEY": OWNER_KEY,
        "DEEPGRAM_TRAY_UPDATES_URL": pypi.url,
        "PYSTRAY_BACKEND": "",
    }
    tray = TrayProcess(sway, env, tmp_path, private_bus=False, program=bundle)
    processes.append(tray)
    item = sway.sni.wait_for_item(timeout=30)
    assert (
        item.startswith("org.kde.StatusNotifierItem-")
        and sway.sni.owner_pid(item) == tray.process.pid
    )
    wait_until(lambda: sway.tray_icon_colour() == "green", what="a green icon", timeout=30)
    wait_until(
        lambda: sway.sni.item_properties(item)["ToolTip"][2] == "Deepgram $128.32",
        what="the total in the ToolTip",
    )
    before = len(deepgram.requests_to("/balances"))
    sway.sni.menu_click_label(item, "Refresh now")
    wait_until(lambda: len(deepgram.requests_to("/balances")) >= before + 2, what="a refresh")
    wait_until(
        lambda: any(e["label"] == "Version 9.9.9 available" for e in sway.sni.menu_layout(item)),
        what="the update line",
    )
    assert len(pypi.requests()) == 1
    sway.sni.menu_click_label(item, "Quit")
    assert tray.wait(timeout=20) == 0
    assert "Traceback" not in tray.stderr()
