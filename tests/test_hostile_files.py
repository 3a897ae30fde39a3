"""Local files and numbers that are not what the app expects: a named pipe or a device where a file
should be, files far too large, numbers of thousands of digits, NaN, and damaged history rows.

Each is refused in one sentence (exit 2) or skipped, never a hang, a traceback or a replaced node.
Anything that could hang without its fix runs in a subprocess with a timeout, so a regression
fails the test instead of stopping the run.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import sqlite3
import stat
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, CliResult, run_cli
from trayapp.atomic import NotARegularFileError, read_regular_file, write_atomically
from trayapp.commands.history import days_back
from trayapp.config import MAX_CONFIG_BYTES, load_settings, read_config_file, set_config_value
from trayapp.errors import ConfigError, HistoryUnreadableError
from trayapp.formats import render_history_csv, render_history_json
from trayapp.outlook import history
from trayapp.outlook.history import HistoryRow, read, recent_samples, record

posix_only = pytest.mark.skipif(
    sys.platform == "win32", reason="named pipes, device nodes and symlinks as POSIX has them"
)

# Long enough for a fresh interpreter on a busy machine; a hang fails at this deadline.
HANG_TIMEOUT = 30
NOW = datetime.now(timezone.utc).replace(microsecond=0)
HUGE_DIGITS = "1" * 5000  # past the 4300 digits Python turns into an int
NUMERIC_SETTINGS = (
    "poll_interval",
    "warn_below",
    "critical_below",
    "warn_days_left",
    "warn_expiry_days",
)


def assert_one_sentence(result: CliResult, code: int, *says: str) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("deepgram-tray: "), result.stderr
    assert lines[0].endswith("."), lines[0]
    for words in says:
        assert words in lines[0]


def python_on(code: str, path: Path) -> subprocess.CompletedProcess[str]:
    """Run `code` with `path` as its argument in a fresh interpreter, which a hang fails rather
    than stops (a named pipe would hold an open in this process for good)."""
    return subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        timeout=HANG_TIMEOUT,
        cwd=REPO_ROOT,
    )


def fifo_at(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    return path


def link_to(link: Path, target: str) -> Path:
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target)
    return link


def assert_still_a_fifo(path: Path) -> None:
    assert stat.S_ISFIFO(os.lstat(path).st_mode), f"{path} was replaced"


def assert_dev_null_untouched(link: Path) -> None:
    assert link.is_symlink() and os.readlink(link) == os.devnull
    assert stat.S_ISCHR(os.lstat(os.devnull).st_mode)


# --- 1. the config file: regular files only, and small ------------------------------------------


class TestConfigFileIsARegularFile:
    @posix_only
    def test_a_named_pipe_is_refused_at_once_and_kept(
        self, cli_env: dict[str, str], tmp_path: Path
    ) -> None:
        config = fifo_at(Path(cli_env["DEEPGRAM_TRAY_CONFIG"]))
        shown = run_cli(["config", "show"], cli_env, timeout=HANG_TIMEOUT)
        assert_one_sentence(shown, 2, f"The config file {config} is a named pipe (FIFO)")
        changed = run_cli(["config", "set", "poll_interval", "600"], cli_env, timeout=HANG_TIMEOUT)
        assert_one_sentence(changed, 2, "is a named pipe (FIFO), not a file")
        assert_still_a_fifo(config)

    @posix_only
    @pytest.mark.parametrize("device", [os.devnull, "/dev/zero"])
    def test_a_link_to_a_device_is_refused(self, isolated_config: Path, device: str) -> None:
        # /dev/zero would be read until memory runs out; /dev/null would pass for an empty file.
        link_to(isolated_config, device)
        with pytest.raises(ConfigError, match=r"is a device, not a file: put a TOML file there"):
            load_settings()
        with pytest.raises(ConfigError, match="is a device"):
            set_config_value(isolated_config, "poll_interval", "600")
        if device == os.devnull:
            assert_dev_null_untouched(isolated_config)

    @posix_only
    def test_a_link_to_a_regular_file_is_read_and_written_through(
        self, isolated_config: Path, tmp_path: Path
    ) -> None:
        real = tmp_path / "dotfiles" / "config.toml"
        real.parent.mkdir()
        real.write_text("poll_interval = 600\n")
        link_to(isolated_config, str(real))
        assert load_settings().poll_interval == 600
        set_config_value(isolated_config, "poll_interval", "900")
        # The user's link stays a link: the file it points at is what changed.
        assert isolated_config.is_symlink() and os.readlink(isolated_config) == str(real)
        assert "poll_interval = 900" in real.read_text()

    def test_a_file_over_a_mebibyte_is_not_read(self, isolated_config: Path) -> None:
        isolated_config.parent.mkdir(parents=True)
        padding = b"# " + b"x" * (MAX_CONFIG_BYTES - 3) + b"\n"  # exactly the limit: fine
        isolated_config.write_bytes(padding)
        assert read_config_file(isolated_config) == {}
        isolated_config.write_bytes(padding + b"\n")
        with pytest.raises(ConfigError, match="is larger than 1 MiB, far too large for settings"):
            load_settings()
        with pytest.raises(ConfigError, match="larger than 1 MiB"):
            set_config_value(isolated_config, "poll_interval", "600")
        assert isolated_config.read_bytes() == padding + b"\n"

    def test_the_read_stops_one_byte_past_the_limit(self, tmp_path: Path) -> None:
        big = tmp_path / "big"
        big.write_bytes(b"x" * 100)
        assert read_regular_file(big, 100) == b"x" * 100
        with pytest.raises(OSError, match="larger than 99 bytes"):
            read_regular_file(big, 99)

    @posix_only
    def test_a_pipe_swapped_in_after_the_first_look_is_caught_without_waiting(
        self, tmp_path: Path
    ) -> None:
        """The path is checked again on what was opened, which opening never waited for."""
        code = (
            "import os, stat, sys\n"
            "from pathlib import Path\n"
            "from trayapp import atomic\n"
            "real_stat = os.stat\n"
            "def looks_regular(path, *a, **k):\n"  # the first look sees a file, as if raced
            "    result = list(real_stat(path, *a, **k))\n"
            "    result[0] = stat.S_IFREG | 0o644\n"
            "    return os.stat_result(result)\n"
            "atomic.os.stat = looks_regular\n"
            "try:\n"
            "    atomic.read_regular_file(Path(sys.argv[1]), 1024)\n"
            "except atomic.NotARegularFileError as exc:\n"
            "    print(exc.what)\n"
        )
        pipe = fifo_at(tmp_path / "pipe")
        done = python_on(code, pipe)
        assert done.stdout.strip() == "a named pipe (FIFO)", done.stderr


# --- 2. numbers no setting can hold -------------------------------------------------------------


class TestOddNumbers:
    @pytest.mark.parametrize("name", NUMERIC_SETTINGS)
    @pytest.mark.parametrize("number", [HUGE_DIGITS, "1e400", "-1e400", "nan", "inf", "1e300"])
    def test_in_the_file_they_are_refused_naming_the_setting(
        self, isolated_config: Path, name: str, number: str
    ) -> None:
        isolated_config.parent.mkdir(parents=True)
        isolated_config.write_text(f"notify = true\n{name} = {number}\n")
        with pytest.raises(ConfigError) as info:
            load_settings()
        assert info.value.exit_code == 2
        assert info.value.message.startswith(name), info.value.message
        assert len(info.value.message) < 300  # the number is not echoed back in full

    @pytest.mark.parametrize("name", NUMERIC_SETTINGS)
    @pytest.mark.parametrize(
        "text", [HUGE_DIGITS, "-" + HUGE_DIGITS, "1e400", "-1e5000", "NaN", "inf", "1e-400"]
    )
    def test_on_the_command_line_they_are_refused_naming_the_setting(
        self, isolated_config: Path, name: str, text: str
    ) -> None:
        with pytest.raises(ConfigError) as info:
            set_config_value(isolated_config, name, text)
        assert info.value.exit_code == 2
        assert name in info.value.message and len(info.value.message) < 300
        assert not isolated_config.exists()

    @pytest.mark.parametrize(
        ("name", "text"), [("warn_days_left", "1e400"), ("warn_below", "1e13")]
    )
    def test_too_large_says_so(self, isolated_config: Path, name: str, text: str) -> None:
        with pytest.raises(ConfigError, match=f"^{name} is larger than a trillion: it takes "):
            set_config_value(isolated_config, name, text)

    def test_a_tiny_number_is_not_silently_saved_as_zero(self, isolated_config: Path) -> None:
        # As a TOML float 1e-400 is 0, and 0 turns the days-left warning off.
        with pytest.raises(ConfigError, match="warn_days_left is too close to zero to keep"):
            set_config_value(isolated_config, "warn_days_left", "1e-400")

    def test_the_cli_says_it_in_one_sentence(self, cli_env: dict[str, str]) -> None:
        config = Path(cli_env["DEEPGRAM_TRAY_CONFIG"])
        config.parent.mkdir(parents=True)
        config.write_text(f"poll_interval = {HUGE_DIGITS}\n")
        shown = run_cli(["config", "show"], cli_env, timeout=HANG_TIMEOUT)
        assert_one_sentence(
            shown, 2, f"poll_interval in the config file {config} is a number thousands of digits"
        )
        config.unlink()
        changed = run_cli(["config", "set", "warn_days_left", HUGE_DIGITS], cli_env)
        assert_one_sentence(changed, 2, "warn_days_left is larger than a trillion")

    def test_values_nested_past_the_parser_are_one_sentence(self, isolated_config: Path) -> None:
        isolated_config.parent.mkdir(parents=True)
        isolated_config.write_text("a = " + "[" * 100_000 + "]" * 100_000 + "\n")
        with pytest.raises(ConfigError, match="nests its values too deeply to read"):
            load_settings()


# --- 3. the history file ------------------------------------------------------------------------


def history_in(env: dict[str, str]) -> Path:
    path = Path(env["XDG_DATA_HOME"]) / "deepgram-balance-tray" / "history.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def hand_made_history(path: Path, rows: list[tuple[object, object, object]]) -> Path:
    """A samples table without the tray's types and constraints, as an editor might leave it."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE samples (at, units, total)")
        db.executemany("INSERT INTO samples VALUES (?, ?, ?)", rows)
    return path


GOOD = (int((NOW - timedelta(hours=2)).timestamp()), "usd", "128.5")
LATER = (int((NOW - timedelta(hours=1)).timestamp()), "usd", "127.25")
BAD_ROWS: list[tuple[object, object, object]] = [
    (GOOD[0] + 1, "usd", "NaN"),
    (GOOD[0] + 2, "usd", "Infinity"),
    (GOOD[0] + 3, "usd", "-Infinity"),
    (GOOD[0] + 4, "usd", "sNaN"),
    (GOOD[0] + 5, "usd", "lots"),
    (GOOD[0] + 6, "usd", "1E+999999999"),
    (GOOD[0] + 7, "usd", None),
    (GOOD[0] + 8, None, "1"),
    (GOOD[0] + 9, b"usd", "1"),
    (GOOD[0] + 10, 42, "1"),
    (GOOD[0] + 11, "usd", 5),
    (10**15, "usd", "1"),  # past the year 9999
    (None, "usd", "1"),
    ("soon", "usd", "1"),
    (GOOD[0] + 0.5, "usd", "1"),
]


def no_constants(name: str) -> object:
    raise AssertionError(f"{name} is not JSON")


class TestHistoryFile:
    @posix_only
    def test_a_named_pipe_is_refused_at_once_and_kept(self, cli_env: dict[str, str]) -> None:
        path = fifo_at(history_in(cli_env))
        shown = run_cli(["history"], cli_env, timeout=HANG_TIMEOUT)
        assert_one_sentence(shown, 2, f"The balance history {path} is a named pipe (FIFO)")
        assert_still_a_fifo(path)

    @posix_only
    def test_the_tray_never_writes_into_a_named_pipe(self, tmp_path: Path) -> None:
        path = fifo_at(tmp_path / "history.sqlite3")
        code = (
            "import sys\nfrom datetime import datetime, timezone\nfrom pathlib import Path\n"
            "from trayapp.errors import HistoryUnreadableError\n"
            "from trayapp.outlook.history import record\n"
            "try:\n"
            "    record(Path(sys.argv[1]), datetime.now(timezone.utc), {})\n"
            "except HistoryUnreadableError as exc:\n"
            "    print(exc)\n"
        )
        done = python_on(code, path)
        assert "is a named pipe (FIFO), not a file: move it away" in done.stdout, done.stderr
        assert_still_a_fifo(path)

    @posix_only
    @pytest.mark.parametrize(("make", "what"), [("folder", "a folder"), ("null", "a device")])
    def test_a_folder_or_a_device_is_refused(self, tmp_path: Path, make: str, what: str) -> None:
        path = tmp_path / "history.sqlite3"
        if make == "folder":
            path.mkdir()
        else:
            link_to(path, os.devnull)
        for use in (lambda: read(path), lambda: record(path, NOW, {"usd": Decimal(1)})):
            with pytest.raises(HistoryUnreadableError, match=f"is {what}, not a file"):
                use()
        if make == "null":
            assert_dev_null_untouched(path)

    def test_a_file_far_larger_than_the_tray_writes_is_not_opened(self, tmp_path: Path) -> None:
        path = tmp_path / "history.sqlite3"
        with path.open("wb") as handle:
            handle.truncate(history.MAX_HISTORY_BYTES + 1)  # sparse: no disk space used
        for use in (lambda: read(path), lambda: record(path, NOW, {"usd": Decimal(1)})):
            with pytest.raises(HistoryUnreadableError, match="is larger than 100 MiB"):
                use()
        assert path.stat().st_size == history.MAX_HISTORY_BYTES + 1

    def test_an_empty_file_reads_as_no_samples_and_stays_empty(
        self, cli_env: dict[str, str]
    ) -> None:
        path = history_in(cli_env)
        path.touch()
        assert read(path) == [] and recent_samples(path, NOW) == []
        shown = run_cli(["history"], cli_env, timeout=HANG_TIMEOUT)
        assert shown.returncode == 0 and "No history yet" in shown.stderr
        forecast = run_cli(["balance", "--forecast", "--json"], cli_env, timeout=HANG_TIMEOUT)
        assert forecast.returncode == 0, forecast.stderr
        assert path.stat().st_size == 0
        assert sorted(os.listdir(path.parent)) == ["history.sqlite3"]

    def test_a_database_without_the_table_reads_as_no_samples_unchanged(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "history.sqlite3"
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE other (x)")
        before = path.read_bytes()
        assert read(path) == []
        assert path.read_bytes() == before

    @pytest.mark.parametrize(
        ("absolute", "uri"),
        [
            ("/home/a b/h?#%.sqlite3", "file:///home/a%20b/h%3F%23%25.sqlite3?mode=ro"),
            ("C:/Users/Ünal/h.sqlite3", "file:///C:/Users/%C3%9Cnal/h.sqlite3?mode=ro"),
            ("//server/share/h.sqlite3", "file:////server/share/h.sqlite3?mode=ro"),
        ],
    )
    def test_the_read_only_uri_holds_any_path(self, absolute: str, uri: str) -> None:
        assert history.read_only_uri(absolute) == uri

    def test_a_path_with_uri_characters_is_read(self, tmp_path: Path) -> None:
        path = tmp_path / "a b#c%d&e=f" / "history.sqlite3"  # no "?": Windows forbids it
        record(path, NOW, {"usd": Decimal(3)})
        assert [r.total for r in read(path)] == [Decimal(3)]

    def test_a_busy_file_says_try_again_not_move_it_away(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        path = tmp_path / "history.sqlite3"
        record(path, NOW, {"usd": Decimal(1)})
        monkeypatch.setattr(history, "BUSY_TIMEOUT_SECONDS", 0.1)
        writer = sqlite3.connect(path, isolation_level=None)
        try:
            writer.execute("BEGIN EXCLUSIVE")  # another process, mid-write
            for use in (lambda: read(path), lambda: record(path, NOW, {"usd": Decimal(2)})):
                with pytest.raises(HistoryUnreadableError) as info:
                    use()
                assert info.value.message == (
                    f"The balance history {path} is busy (another deepgram-tray process is "
                    "writing it): try again in a moment."
                )
        finally:
            writer.close()
        assert [r.total for r in read(path)] == [Decimal(1)]

    def test_a_file_that_is_no_database_still_says_move_it_away(self, tmp_path: Path) -> None:
        path = tmp_path / "history.sqlite3"
        path.write_bytes(b"not a database" * 100)
        with pytest.raises(HistoryUnreadableError, match=r"cannot be used .*: move it away"):
            read(path)

    def test_damaged_rows_are_skipped_and_counted_once(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        path = hand_made_history(tmp_path / "history.sqlite3", [GOOD, *BAD_ROWS, LATER])
        with caplog.at_level(logging.WARNING, logger="trayapp.outlook.history"):
            rows = read(path)
        assert [(r.units, r.total) for r in rows] == [
            ("usd", Decimal("128.5")),
            ("usd", Decimal("127.25")),
        ]
        warnings = [r.getMessage() for r in caplog.records]
        skipped = len(BAD_ROWS) - 1  # a NULL time is never at or after any start, so never read
        assert warnings == [f"Skipped {skipped} damaged row(s) of the balance history {path}"]
        assert [s.total for s in recent_samples(path, NOW)] == [Decimal("128.5"), Decimal("127.25")]
        # The tray's own write, which reads the window back, gets past them too.
        recorded = record(path, NOW, {"usd": Decimal("127")})
        assert [s.total for s in recorded] == [Decimal("128.5"), Decimal("127.25"), Decimal(127)]

    def test_damaged_rows_never_reach_the_export(self, cli_env: dict[str, str]) -> None:
        hand_made_history(history_in(cli_env), [GOOD, *BAD_ROWS, LATER])
        as_json = run_cli(["history", "--format", "json"], cli_env, timeout=HANG_TIMEOUT)
        assert as_json.returncode == 0, as_json.stderr
        document = json.loads(as_json.stdout, parse_constant=no_constants, parse_float=Decimal)
        assert [s["total"] for s in document["samples"]] == [Decimal("128.5"), Decimal("127.25")]
        as_csv = run_cli(["history"], cli_env, timeout=HANG_TIMEOUT)
        assert as_csv.returncode == 0 and "Traceback" not in as_csv.stderr
        assert [row[2] for row in csv.reader(io.StringIO(as_csv.stdout))] == [
            "total",
            "128.5",
            "127.25",
        ]

    @pytest.mark.parametrize("days", [10**9, 10**30])
    def test_days_past_the_calendar_mean_everything(
        self, cli_env: dict[str, str], days: int
    ) -> None:
        path = history_in(cli_env)
        record(path, NOW - timedelta(days=3000), {"usd": Decimal(900)})
        record(path, NOW, {"usd": Decimal(100)})
        shown = run_cli(["history", "--days", str(days)], cli_env, timeout=HANG_TIMEOUT)
        assert shown.returncode == 0, shown.stderr
        assert [line.split(",")[2] for line in shown.stdout.splitlines()[1:]] == ["900", "100"]

    def test_days_back_stops_at_1970(self) -> None:
        assert days_back(30, NOW) == 30
        everything = days_back(10**30, NOW)
        assert NOW - timedelta(days=everything) < datetime(1970, 1, 1, tzinfo=timezone.utc)


# --- 4. the history export ----------------------------------------------------------------------


AWKWARD_UNITS = ["usd", "a,b", 'say "hi"', "two\nlines", "cr\rhere", "crlf\r\n", " spaced "]


class TestHistoryExport:
    def test_csv_reads_back_one_record_per_sample_with_its_values(self) -> None:
        rows = [
            HistoryRow(NOW + timedelta(seconds=n), units, Decimal(f"{n}.25"))
            for n, units in enumerate(AWKWARD_UNITS)
        ]
        rendered = render_history_csv(rows)
        records = list(csv.reader(io.StringIO(rendered, newline="")))
        assert records[0] == ["time", "units", "total"]
        assert records[1:] == [
            [r.at.strftime("%Y-%m-%dT%H:%M:%SZ"), r.units, str(r.total)] for r in rows
        ]
        # Plain samples stay as plain as they were.
        assert rendered.splitlines()[1] == f"{NOW.strftime('%Y-%m-%dT%H:%M:%SZ')},usd,0.25"

    @pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity", "sNaN"])
    def test_json_and_csv_never_hold_a_total_that_is_not_a_number(self, bad: str) -> None:
        rows = [HistoryRow(NOW, "usd", Decimal(bad)), HistoryRow(NOW, "usd", Decimal("1.5"))]
        document = json.loads(render_history_json(rows), parse_constant=no_constants)
        assert [s["total"] for s in document["samples"]] == [1.5]
        assert render_history_csv(rows).splitlines()[1:] == [
            f"{NOW.strftime('%Y-%m-%dT%H:%M:%SZ')},usd,1.5"
        ]


# --- 5. balance --output: a new path or a regular file, nothing else ----------------------------


class TestBalanceOutput:
    @posix_only
    def test_a_named_pipe_is_refused_and_kept(
        self, cli_env: dict[str, str], tmp_path: Path
    ) -> None:
        pipe = fifo_at(tmp_path / "out.prom")
        result = run_cli(["balance", "--output", str(pipe)], cli_env, timeout=HANG_TIMEOUT)
        assert_one_sentence(
            result,
            2,
            f"Cannot write {pipe}, which is a named pipe (FIFO): give --output a new file name",
        )
        assert_still_a_fifo(pipe)

    @posix_only
    def test_a_link_to_a_device_is_refused_and_the_device_kept(
        self, cli_env: dict[str, str], tmp_path: Path
    ) -> None:
        link = link_to(tmp_path / "out.prom", os.devnull)
        result = run_cli(["balance", "--output", str(link)], cli_env, timeout=HANG_TIMEOUT)
        assert_one_sentence(result, 2, f"Cannot write {link}, which is a device")
        assert_dev_null_untouched(link)

    def test_a_folder_is_refused_in_one_sentence(
        self, cli_env: dict[str, str], tmp_path: Path
    ) -> None:
        folder = tmp_path / "reports"
        folder.mkdir()
        result = run_cli(["balance", "--output", str(folder)], cli_env, timeout=HANG_TIMEOUT)
        assert_one_sentence(result, 2, f"Cannot write {folder}, which is a folder")
        assert folder.is_dir() and os.listdir(folder) == []

    @posix_only
    def test_a_link_to_a_file_is_written_through(
        self, cli_env: dict[str, str], tmp_path: Path
    ) -> None:
        real = tmp_path / "textfiles" / "deepgram.prom"
        real.parent.mkdir()
        real.write_text("old\n")
        link = link_to(tmp_path / "out.prom", str(real))
        result = run_cli(["balance", "--format", "prometheus", "--output", str(link)], cli_env)
        assert result.returncode == 0, result.stderr
        assert link.is_symlink() and os.readlink(link) == str(real)
        assert "deepgram_balance_total" in real.read_text()
        assert sorted(os.listdir(real.parent)) == ["deepgram.prom"]  # no temporary left

    @posix_only
    def test_the_check_is_in_the_atomic_write_itself(self, tmp_path: Path) -> None:
        pipe = fifo_at(tmp_path / "pipe")
        link = link_to(tmp_path / "null", os.devnull)
        for path in (pipe, link, tmp_path):
            with pytest.raises(NotARegularFileError):
                write_atomically(path, b"x")
        assert_still_a_fifo(pipe)
        assert_dev_null_untouched(link)
        assert sorted(os.listdir(tmp_path)) == ["null", "pipe"]
