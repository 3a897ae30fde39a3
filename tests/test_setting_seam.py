"""One entry in the settings table is all a new setting needs to reach the config file,
`config set`, `config show` and the settings window's form (tests/support/made_up_setting.py adds
one; tests/test_settings_desktop.py shows it in the real window)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import plant_at_startup, run_cli
from tests.support import made_up_setting
from tests.support.made_up_setting import RETRIES
from trayapp import config
from trayapp.config import form_rows, parse_cli_value, settings_from_table
from trayapp.errors import ConfigError
from trayapp.tk.settings_form import FieldErrors, SavePlan, initial_input, plan_save


@pytest.fixture
def with_retries(monkeypatch: pytest.MonkeyPatch) -> type[Any]:
    """The made-up setting in the table for one test; gives the Settings record that holds it."""
    fields, record = made_up_setting.extended_table()
    monkeypatch.setattr(config, "FIELDS", fields)
    monkeypatch.setattr(config, "Settings", record)
    return record


def test_without_its_entry_the_setting_does_not_exist() -> None:
    with pytest.raises(ConfigError, match="no setting called 'retries'"):
        parse_cli_value("retries", "40")


def test_the_config_file_reads_and_checks_it(
    with_retries: type[Any], caplog: pytest.LogCaptureFixture
) -> None:
    assert settings_from_table({"retries": 40}, origin="t.toml").retries == 40
    assert settings_from_table({}, origin="t.toml").retries == 12
    with pytest.raises(ConfigError) as info:
        settings_from_table({"retries": 100}, origin="t.toml")
    assert info.value.message == "retries in t.toml must be a whole number from 0 to 99, e.g. 12."
    assert "unknown setting" not in caplog.text


def test_config_set_and_config_show_take_it(cli_env: dict[str, str], tmp_path: Path) -> None:
    plant_at_startup(cli_env, tmp_path / "start-up", made_up_setting.PLANT)
    result = run_cli(["config", "set", "retries", "40"], cli_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Saved retries = 40 to ")
    assert "retries = 40" in Path(cli_env["DEEPGRAM_TRAY_CONFIG"]).read_text()
    assert "\nretries = 40\n" in run_cli(["config", "show"], cli_env).stdout
    refused = run_cli(["config", "set", "retries", "lots"], cli_env)
    assert refused.returncode == 2
    assert "retries takes a whole number, e.g. 12." in refused.stderr


def test_the_settings_form_shows_checks_and_saves_it(with_retries: type[Any]) -> None:
    assert form_rows()[-1] == ("retries", RETRIES.form)
    current = with_retries()
    start = initial_input(current)
    assert start.entries["retries"] == "12"

    def save(text: str) -> SavePlan | FieldErrors:
        typed = replace(start, entries={**start.entries, "retries": text})
        return plan_save(typed, current, has_key=True, keyring_usable=True)

    saved = save("40")
    assert isinstance(saved, SavePlan)
    assert saved.config_updates["retries"] == 40 and saved.settings.retries == 40
    # The window names it by its label, as it names every setting.
    assert save("lots") == FieldErrors({"retries": "Retry up to takes a whole number, e.g. 12."})
    assert save("100") == FieldErrors(
        {"retries": "Retry up to must be a whole number from 0 to 99, e.g. 12."}
    )
