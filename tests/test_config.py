"""Settings: defaults, validation, env overrides, atomic writes, bad files never overwritten."""

from __future__ import annotations

import os
import stat
import sys
import typing
from decimal import Decimal
from pathlib import Path

import pytest
import tomli_w

from trayapp.atomic import write_atomically
from trayapp.config import (
    FIELDS,
    Conflict,
    Settings,
    conflict_in,
    load_settings,
    parse_cli_value,
    set_config_value,
    settings_as_table,
    settings_from_table,
    settings_with,
    validate_value,
)
from trayapp.desktop.paths import config_path
from trayapp.errors import ConfigError

# Every setting away from its default, as in the file the first tests write.
CUSTOM = Settings(
    api_url="https://proxy.example.com/deepgram",
    poll_interval=600,
    warn_below=Decimal("50"),
    critical_below=Decimal("7.5"),
    projects=("a", "b"),
    notify=False,
    warn_days_left=Decimal("3.5"),
    warn_expiry_days=30,
)


def test_contract_defaults() -> None:
    settings = Settings()
    assert settings.api_url == "https://api.deepgram.com"
    assert settings.poll_interval == 300
    assert settings.warn_below == Decimal("20.0")
    assert settings.critical_below == Decimal("5.0")
    assert settings.projects == ()
    assert settings.notify is True
    assert settings.warn_days_left == 7
    assert settings.warn_expiry_days == 14


def test_the_table_and_settings_agree() -> None:
    """Settings is the typed record the app reads, FIELDS how each setting is read, written and
    shown: the same names in the same order, the same defaults, each of its attribute's type."""
    assert tuple(field.name for field in FIELDS) == Settings._fields
    assert [field.default for field in FIELDS] == list(Settings())
    hints = typing.get_type_hints(Settings)
    for field in FIELDS:
        declared = typing.get_origin(hints[field.name]) or hints[field.name]
        assert type(field.default) is declared, field.name


@pytest.mark.parametrize("field", FIELDS, ids=lambda field: field.name)
def test_every_default_survives_being_written_and_read(field: typing.Any) -> None:
    value = field.read(field.write(field.default), field.name)
    assert value == field.default and type(value) is type(field.default)


def test_missing_file_gives_defaults(isolated_config: Path) -> None:
    assert not isolated_config.exists()
    assert load_settings() == Settings()


def test_config_path_from_env_else_platformdirs(monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    assert config_path({"DEEPGRAM_TRAY_CONFIG": "/x/y.toml"}) == Path("/x/y.toml")
    expected = Path(platformdirs.user_config_dir("deepgram-balance-tray")) / "config.toml"
    assert config_path({}) == expected


def test_full_file(isolated_config: Path) -> None:
    isolated_config.parent.mkdir(parents=True)
    isolated_config.write_text(
        'api_url = "https://proxy.example.com/deepgram/"\n'
        "poll_interval = 600\n"
        "warn_below = 50\n"
        "critical_below = 7.5\n"
        'projects = ["a", "b", "a"]\n'
        "notify = false\n"
        "warn_days_left = 3.5\n"
        "warn_expiry_days = 30\n"
    )
    assert load_settings() == CUSTOM


def test_env_api_url_overrides_the_file(
    isolated_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolated_config.parent.mkdir(parents=True)
    isolated_config.write_text('api_url = "https://one.example.com"\n')
    monkeypatch.setenv("DEEPGRAM_TRAY_API_URL", "http://127.0.0.1:8080")
    assert load_settings().api_url == "http://127.0.0.1:8080"


def test_env_api_url_is_validated_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEEPGRAM_TRAY_API_URL", "http://api.deepgram.com")
    with pytest.raises(ConfigError, match="DEEPGRAM_TRAY_API_URL must use https"):
        load_settings()


@pytest.mark.parametrize(
    ("table", "says"),
    [
        ({"poll_interval": 5}, "below the minimum of 10 s"),
        ({"poll_interval": 9.0}, "below the minimum"),
        ({"poll_interval": 30.5}, "whole number of seconds"),
        ({"poll_interval": "300"}, "whole number of seconds"),
        ({"poll_interval": True}, "whole number of seconds"),
        ({"poll_interval": 86_401}, "at most 86400"),
        ({"poll_interval": 10**9}, "at most 86400"),
        ({"warn_below": "20"}, "must be a number"),
        ({"warn_below": -1}, "zero or a positive number"),
        ({"warn_below": float("nan")}, "zero or a positive number"),
        ({"warn_below": 5, "critical_below": 10}, "make critical_below the smaller one"),
        ({"projects": "abc"}, "list of project ids"),
        ({"projects": ["ok", ""]}, "list of project ids"),
        ({"notify": "yes"}, "true or false"),
        ({"warn_days_left": "7"}, "number of days, e.g. 7"),
        ({"warn_days_left": -1}, "zero or a positive number of days"),
        ({"warn_expiry_days": 14.5}, "whole number of days from 0 to 365"),
        ({"warn_expiry_days": 366}, "whole number of days from 0 to 365"),
        ({"warn_expiry_days": -1}, "whole number of days from 0 to 365"),
        ({"warn_expiry_days": False}, "whole number of days"),
        ({"api_url": 5}, "quoted URL"),
        ({"api_url": "http://api.deepgram.com"}, "must use https:// for api.deepgram.com"),
        ({"api_url": "https://user:pw@api.deepgram.com"}, "must not contain credentials"),
    ],
)
def test_invalid_values_are_refused_with_what_to_do(table: dict[str, object], says: str) -> None:
    with pytest.raises(ConfigError, match=says) as info:
        settings_from_table(table, origin="test.toml")
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    "table",
    [
        {"poll_interval": 10},
        {"poll_interval": 86_400},
        {"warn_below": 8, "critical_below": 8},  # no amber band
        {"warn_below": 0, "critical_below": 0},  # never amber, never red
        {"warn_days_left": 0},  # 0 turns the warning off
        {"warn_expiry_days": 0},  # 0 turns the warning off
        {"warn_expiry_days": 365},
    ],
)
def test_values_at_the_limits_are_accepted(table: dict[str, object]) -> None:
    settings = settings_from_table(table, origin="t")
    assert settings == Settings()._replace(**table)


@pytest.mark.parametrize(("name", "value"), [("poll_interval", 600), ("warn_expiry_days", 30)])
def test_whole_numbers_written_as_floats_are_accepted(name: str, value: int) -> None:
    # Some TOML writers turn 30 into 30.0.
    settings = settings_from_table({name: float(value)}, origin="t")
    assert getattr(settings, name) == value
    assert type(getattr(settings, name)) is int


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            {"poll_interval": 5},
            "poll_interval in f.toml is 5 s, below the minimum of 10 s: use a larger value (the "
            "default is 300) so the API is polled gently.",
        ),
        (
            {"poll_interval": 86401},
            "poll_interval in f.toml is 86401 s: use at most 86400 (one day).",
        ),
        (
            {"poll_interval": "300"},
            "poll_interval in f.toml must be a whole number of seconds, e.g. 300.",
        ),
        ({"warn_below": "20"}, "warn_below in f.toml must be a number, e.g. 20.0."),
        (
            {"critical_below": -1},
            "critical_below in f.toml must be zero or a positive number, e.g. 20.0.",
        ),
        (
            {"warn_days_left": "7"},
            "warn_days_left in f.toml must be a number of days, e.g. 7 (0 turns the warning off).",
        ),
        (
            {"warn_days_left": -1},
            "warn_days_left in f.toml must be zero or a positive number of days, e.g. 7 (0 turns "
            "the warning off).",
        ),
        (
            {"warn_expiry_days": 366},
            "warn_expiry_days in f.toml must be a whole number of days from 0 to 365, e.g. 14 (0 "
            "turns the warning off).",
        ),
        (
            {"projects": "abc"},
            'projects in f.toml must be a list of project ids, e.g. ["id-1", "id-2"], or [] for '
            "all.",
        ),
        ({"notify": "yes"}, "notify in f.toml must be true or false."),
        (
            {"api_url": 5},
            'api_url in f.toml must be a quoted URL such as "https://api.deepgram.com".',
        ),
        (
            {"warn_below": 5, "critical_below": 10},
            "critical_below (10) is above warn_below (5) in f.toml: make critical_below the "
            "smaller one.",
        ),
    ],
)
def test_file_refusals_word_for_word(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        settings_from_table(table, origin="f.toml")
    assert info.value.message == message


def test_a_conflict_names_the_setting_to_change_and_is_said_with_or_without_a_place() -> None:
    conflict = conflict_in(Settings(warn_below=Decimal(5), critical_below=Decimal(10)))
    assert conflict == Conflict(
        "critical_below",
        "critical_below (10) is above warn_below (5)",
        "make critical_below the smaller one.",
    )
    assert conflict.said("f.toml") == (
        "critical_below (10) is above warn_below (5) in f.toml: make critical_below the "
        "smaller one."
    )
    assert conflict.said() == (
        "critical_below (10) is above warn_below (5): make critical_below the smaller one."
    )
    assert conflict_in(Settings(warn_below=Decimal(8), critical_below=Decimal(8))) is None


def test_settings_with_changes_only_the_named_settings() -> None:
    changed = settings_with(CUSTOM, {"poll_interval": 60, "projects": ()})
    assert changed == CUSTOM._replace(poll_interval=60, projects=())
    assert settings_with(CUSTOM, {}) == CUSTOM


def test_one_value_is_checked_on_its_own() -> None:
    assert validate_value("warn_below", 12.5) == Decimal("12.5")
    assert validate_value("critical_below", 50) == Decimal("50")  # above the default warn_below
    with pytest.raises(ConfigError, match=r"^poll_interval is 5 s, below the minimum of 10 s"):
        validate_value("poll_interval", 5)
    with pytest.raises(ConfigError, match=r"^There is no setting called 'colour'\.$"):
        validate_value("colour", "red")


def test_settings_round_trip_through_the_written_table(isolated_config: Path) -> None:
    settings = CUSTOM
    isolated_config.parent.mkdir(parents=True)
    isolated_config.write_text(tomli_w.dumps(settings_as_table(settings)))
    assert load_settings() == settings


def test_defaults_as_written_to_toml() -> None:
    text = tomli_w.dumps(settings_as_table(Settings()))
    assert text.splitlines() == [
        'api_url = "https://api.deepgram.com"',
        "poll_interval = 300",
        "warn_below = 20.0",
        "critical_below = 5.0",
        "projects = []",
        "notify = true",
        "warn_days_left = 7",
        "warn_expiry_days = 14",
        "check_updates = true",
    ]


def test_unknown_keys_are_ignored_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    assert settings_from_table({"warn_bellow": 3}, origin="t.toml") == Settings()
    assert "warn_bellow" in caplog.text


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"warn_below = = 3\n", "not valid TOML"),
        (b"\xff\xfe garbage", "not valid TOML|not UTF-8"),
    ],
)
def test_unreadable_file_is_reported_and_never_overwritten(
    isolated_config: Path, content: bytes, says: str
) -> None:
    isolated_config.parent.mkdir(parents=True)
    isolated_config.write_bytes(content)
    with pytest.raises(ConfigError, match=says):
        load_settings()
    with pytest.raises(ConfigError, match=says):
        set_config_value(isolated_config, "poll_interval", "600")
    assert isolated_config.read_bytes() == content


def test_a_folder_at_the_path_is_reported_as_one(isolated_config: Path) -> None:
    isolated_config.mkdir(parents=True)  # a directory where the file should be
    # Looked at before opening, so every system says the same (Windows would say "Permission
    # denied" to the open). Other special files: tests/test_hostile_files.py.
    says = r"is a folder, not a file: put a TOML file there"
    with pytest.raises(ConfigError, match=says):
        load_settings()


@pytest.mark.parametrize(
    ("python", "missing"),
    [
        pytest.param((3, 10, 14, "final", 0), "tomllib", id="3.10: tomli, no tomllib"),
        pytest.param(None, "tomli", id="3.11 and later: tomllib, tomli not installed"),
    ],
)
def test_the_file_is_read_on_every_supported_python(
    isolated_config: Path,
    monkeypatch: pytest.MonkeyPatch,
    python: tuple[object, ...] | None,
    missing: str,
) -> None:
    if python is None:
        if sys.version_info < (3, 11):
            pytest.skip("needs Python 3.11 or later")
    else:
        pytest.importorskip("tomli")
        monkeypatch.setattr(sys, "version_info", python)
    monkeypatch.setitem(sys.modules, missing, None)  # the import fails, as when not installed
    isolated_config.parent.mkdir(parents=True)
    isolated_config.write_text("poll_interval = 600\n")
    assert load_settings().poll_interval == 600


class TestSet:
    def test_creates_the_file_and_keeps_other_keys(self, isolated_config: Path) -> None:
        isolated_config.parent.mkdir(parents=True)
        isolated_config.write_text('future_key = "kept"\nwarn_below = 30.0\n')
        settings = set_config_value(isolated_config, "critical_below", "10")
        assert settings.critical_below == Decimal("10")
        text = isolated_config.read_text()
        assert 'future_key = "kept"' in text and "warn_below = 30.0" in text
        assert "critical_below = 10.0" in text

    def test_refuses_invalid_values_without_writing(self, isolated_config: Path) -> None:
        with pytest.raises(ConfigError, match="below the minimum"):
            set_config_value(isolated_config, "poll_interval", "5")
        with pytest.raises(ConfigError, match="smaller one"):
            set_config_value(isolated_config, "critical_below", "25")
        assert not isolated_config.exists()

    @pytest.mark.parametrize(
        ("name", "text", "value"),
        [
            ("poll_interval", "600", 600),
            ("warn_below", "12.5", 12.5),
            ("projects", "a, b ,,c", ["a", "b", "c"]),
            ("projects", "", []),
            ("notify", "off", False),
            ("notify", "Yes", True),
            ("notify", " on\n", True),
            ("warn_days_left", "10", 10),
            ("warn_days_left", "2.5", 2.5),
            ("warn_expiry_days", "0", 0),
            ("api_url", "https://api.deepgram.com/", "https://api.deepgram.com"),
        ],
    )
    def test_command_line_text_to_values(self, name: str, text: str, value: object) -> None:
        assert parse_cli_value(name, text) == value

    @pytest.mark.parametrize(
        ("name", "text", "says"),
        [
            ("poll_interval", "5m", "whole number"),
            ("warn_below", "lots", "takes a number"),
            ("warn_below", "inf", "takes a number"),
            ("notify", "maybe", "true or false"),
            ("warn_days_left", "soon", "number of days"),
            ("warn_expiry_days", "2w", "whole number of days"),
            ("colour", "red", "no setting called 'colour'"),
        ],
    )
    def test_bad_command_line_text(self, name: str, text: str, says: str) -> None:
        with pytest.raises(ConfigError, match=says):
            parse_cli_value(name, text)

    @pytest.mark.parametrize(
        ("name", "text", "message"),
        [
            ("poll_interval", "5m", "poll_interval takes a whole number of seconds, e.g. 300."),
            ("warn_below", "lots", "warn_below takes a number, e.g. 20 or 7.5."),
            ("critical_below", "inf", "critical_below takes a number, e.g. 20 or 7.5."),
            ("warn_days_left", "soon", "warn_days_left takes a number of days, e.g. 7 (0: never)."),
            ("warn_expiry_days", "2w", "warn_expiry_days takes a whole number of days, e.g. 14."),
            ("notify", "maybe", "notify takes true or false."),
            (
                "api_url",
                "ftp://x",
                "api_url must be an https:// URL such as https://api.deepgram.com.",
            ),
            (
                "colour",
                "red",
                "There is no setting called 'colour': use one of api_url, poll_interval, "
                "warn_below, critical_below, projects, notify, warn_days_left, warn_expiry_days, "
                "check_updates.",
            ),
        ],
    )
    def test_command_line_refusals_word_for_word(self, name: str, text: str, message: str) -> None:
        with pytest.raises(ConfigError) as info:
            parse_cli_value(name, text)
        assert info.value.message == message


class TestAtomicWrite:
    def test_leaves_no_temporary_files(self, tmp_path: Path) -> None:
        target = tmp_path / "out.prom"
        write_atomically(target, b"one")
        write_atomically(target, b"two")
        assert target.read_bytes() == b"two"
        assert os.listdir(tmp_path) == ["out.prom"]

    def test_makes_the_folders_it_needs(self, tmp_path: Path) -> None:
        target = tmp_path / "a" / "b" / "out.prom"
        write_atomically(target, b"one")
        assert target.read_bytes() == b"one"

    def test_a_new_file_follows_the_umask_and_leaves_it_as_it_was(self, tmp_path: Path) -> None:
        previous = os.umask(0o022)
        try:
            write_atomically(tmp_path / "out.prom", b"x")
            assert os.umask(0o022) == 0o022
        finally:
            os.umask(previous)
        assert stat.S_IMODE((tmp_path / "out.prom").stat().st_mode) == 0o644

    def test_keeps_an_existing_executable_mode(self, tmp_path: Path) -> None:
        target = tmp_path / "hook"
        target.write_bytes(b"old")
        target.chmod(0o755)
        write_atomically(target, b"new")
        assert stat.S_IMODE(target.stat().st_mode) == 0o755

    def test_keeps_the_existing_mode(self, tmp_path: Path) -> None:
        target = tmp_path / "out.prom"
        target.write_bytes(b"old")
        target.chmod(0o640)
        write_atomically(target, b"new")
        assert stat.S_IMODE(target.stat().st_mode) == 0o640

    def test_private_files_are_owner_only(self, tmp_path: Path) -> None:
        target = tmp_path / "secret.toml"
        write_atomically(target, b"x", private=True)
        assert stat.S_IMODE(target.stat().st_mode) == 0o600

    def test_a_failed_write_keeps_the_old_file(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        target = tmp_path / "config.toml"
        target.write_bytes(b"old")

        def broken_replace(src: str, dst: str) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "replace", broken_replace)
        with pytest.raises(OSError):
            write_atomically(target, b"new")
        assert target.read_bytes() == b"old"
        assert os.listdir(tmp_path) == ["config.toml"]

    def test_on_windows_a_file_held_open_a_moment_is_replaced_once_let_go(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        target = tmp_path / "deepgram.prom"
        target.write_bytes(b"old")
        real_replace = os.replace
        refusals = iter([PermissionError(13, "Access is denied")] * 3)

        def held_replace(src: str, dst: str) -> None:
            refusal = next(refusals, None)
            if refusal is not None:
                raise refusal
            real_replace(src, dst)

        monkeypatch.setattr(sys, "platform", "win32")
        monkeypatch.setattr(os, "replace", held_replace)
        monkeypatch.setattr("trayapp.atomic.REPLACE_PAUSE_SECONDS", 0)
        write_atomically(target, b"new")
        assert target.read_bytes() == b"new"

    @pytest.mark.parametrize("platform", ["win32", "linux"])
    def test_a_file_never_let_go_is_an_error_and_is_kept(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, platform: str
    ) -> None:
        target = tmp_path / "deepgram.prom"
        target.write_bytes(b"old")
        attempts = []

        def refused(src: str, dst: str) -> None:
            attempts.append(dst)
            raise PermissionError(13, "Access is denied")

        pauses: list[float] = []
        monkeypatch.setattr(sys, "platform", platform)
        monkeypatch.setattr(os, "replace", refused)
        monkeypatch.setattr("trayapp.atomic.time.sleep", pauses.append)
        with pytest.raises(PermissionError):
            write_atomically(target, b"new")
        # Only Windows holds files: elsewhere a refusal is final at once. On Windows, ten tries
        # a tenth of a second apart: about a second in all.
        assert len(attempts) == (10 if platform == "win32" else 1)
        assert pauses == ([0.1] * 9 if platform == "win32" else [])
        assert target.read_bytes() == b"old"
        assert os.listdir(tmp_path) == ["deepgram.prom"]
