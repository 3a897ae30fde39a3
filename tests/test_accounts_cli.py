"""Several accounts from the command line: `key set | status | delete --account NAME` and
`config set accounts.NAME.KEY VALUE` / `config show`, run as a user runs them.

The key commands run in this process against an in-memory keyring (its contents are checked
directly) and the test server; the rest run `deepgram-tray` in a fresh interpreter; one test keeps
keys for two accounts side by side in a real Secret Service. No key ever shows in what is said.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import BAD_KEY, MEMBER_KEY, OWNER_KEY, CliResult, run_cli, stored_secret
from tests.support.deepgram_server import FakeDeepgram
from tests.support.memory_keyring import MemoryKeyring
from trayapp.cli import main
from trayapp.credentials import KEYRING_SERVICE

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 only
    import tomli as tomllib

CLIENT_KEY = "6fd7ef58d5f8ace580311377ad1b3660278b2e46"
"""Client A's key: shaped like Deepgram's, sharing no run of characters with the other keys."""
KEYS = (OWNER_KEY, MEMBER_KEY, BAD_KEY, CLIENT_KEY)

DEFAULT_SLOT = (KEYRING_SERVICE, "api-key")
CLIENT_SLOT = (KEYRING_SERVICE, "api-key:client-a")

CLIENT_A = '[accounts.client-a]\nlabel = "Client A"\n'


def assert_no_key_in(*texts: str) -> None:
    for text in texts:
        for key in KEYS:
            assert key not in text and key[:8] not in text, "a key was shown"


def assert_one_sentence(stderr: str) -> None:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("deepgram-tray: ") and lines[0].endswith("."), stderr


@pytest.fixture
def client_a(isolated_config: Path) -> Path:
    """A config file with the account `client-a` (and nothing else)."""
    isolated_config.parent.mkdir(parents=True, exist_ok=True)
    isolated_config.write_text(CLIENT_A)
    return isolated_config


@pytest.fixture
def api(deepgram: FakeDeepgram, monkeypatch: pytest.MonkeyPatch) -> FakeDeepgram:
    deepgram.add_key(CLIENT_KEY)
    monkeypatch.setenv("DEEPGRAM_TRAY_API_URL", deepgram.base_url)
    return deepgram


def cli(capsys: pytest.CaptureFixture[str], *args: str, stdin: str = "") -> tuple[int, str, str]:
    """`deepgram-tray ARGS` in this process: exit code, stdout, stderr (checked for keys)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(list(args))
    said = capsys.readouterr()
    assert_no_key_in(said.out, said.err)
    return code, said.out, said.err


# --- key set | status | delete --account NAME, in this process --------------------------------


def test_key_set_for_an_account_is_verified_and_kept_beside_the_default(
    api: FakeDeepgram,
    client_a: Path,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
) -> None:
    memory_keyring.store[DEFAULT_SLOT] = OWNER_KEY
    code, out, err = cli(capsys, "key", "set", "--account", "client-a", stdin=CLIENT_KEY + "\n")
    assert (code, err) == (0, "")
    assert memory_keyring.store == {DEFAULT_SLOT: OWNER_KEY, CLIENT_SLOT: CLIENT_KEY}
    assert out.startswith("Saved the key ending in …2e46 for the account 'client-a' to the OS ")
    assert out.endswith(": it sees 2 projects and can read balances.\n")
    balance_reads = api.requests_to("/balances")
    assert balance_reads and all(r.authorization == f"Token {CLIENT_KEY}" for r in balance_reads)


def test_a_refused_key_for_an_account_says_how_to_try_again_for_it(
    api: FakeDeepgram,
    client_a: Path,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = cli(capsys, "key", "set", "--account", "client-a", stdin=MEMBER_KEY)
    assert code == 3 and memory_keyring.store == {}
    assert "run `deepgram-tray key set --account client-a` again" in err
    assert_one_sentence(err)


def test_an_unreachable_api_suggests_no_verify_for_the_account(
    client_a: Path,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DEEPGRAM_TRAY_API_URL", "http://127.0.0.1:9")
    code, _, err = cli(capsys, "key", "set", "--account", "client-a", stdin=CLIENT_KEY)
    assert code == 4 and memory_keyring.store == {}
    assert "store it unchecked with `deepgram-tray key set --no-verify --account client-a`" in err
    code, _, _ = cli(capsys, "key", "set", "--no-verify", "--account", "client-a", stdin=CLIENT_KEY)
    assert code == 0 and memory_keyring.store == {CLIENT_SLOT: CLIENT_KEY}


def test_status_and_delete_of_an_account_leave_the_default_alone(
    client_a: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    memory_keyring.store[DEFAULT_SLOT] = OWNER_KEY
    code, _, err = cli(capsys, "key", "status", "--account", "client-a")
    assert code == 2
    assert err == (
        "deepgram-tray: No Deepgram API key is set for the account 'client-a': run "
        "`deepgram-tray key set --account client-a`, or set DEEPGRAM_API_KEY_CLIENT_A.\n"
    )
    memory_keyring.store[CLIENT_SLOT] = CLIENT_KEY
    code, out, _ = cli(capsys, "key", "status", "--account", "client-a")
    assert code == 0
    assert out.startswith("API key ending in …2e46 for the account 'client-a', stored in the OS")
    code, out, _ = cli(capsys, "key", "status")
    assert out.startswith(f"API key ending in …{OWNER_KEY[-4:]}, stored in the OS keyring")

    code, out, _ = cli(capsys, "key", "delete", "--account", "client-a")
    assert (code, out) == (
        0,
        "Deleted the API key for the account 'client-a' from the OS keyring.\n",
    )
    assert memory_keyring.store == {DEFAULT_SLOT: OWNER_KEY}
    code, out, _ = cli(capsys, "key", "delete", "--account", "client-a")
    assert out == (
        "No API key for the account 'client-a' was stored in the OS keyring; nothing to delete.\n"
    )
    assert memory_keyring.store == {DEFAULT_SLOT: OWNER_KEY}


def test_notes_about_the_environment_name_the_accounts_variable(
    client_a: Path,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DEEPGRAM_API_KEY", OWNER_KEY)  # the default account's: no note for this one
    args = ("--no-verify", "--account", "client-a")
    assert cli(capsys, "key", "set", *args, stdin=CLIENT_KEY)[2] == ""
    assert cli(capsys, "key", "delete", "--account", "client-a")[2] == ""

    monkeypatch.setenv("DEEPGRAM_API_KEY_CLIENT_A", CLIENT_KEY)
    assert cli(capsys, "key", "set", *args, stdin=CLIENT_KEY)[2] == (
        "deepgram-tray: Note: DEEPGRAM_API_KEY_CLIENT_A is set and is used instead of the keyring "
        "while it is set.\n"
    )
    assert cli(capsys, "key", "delete", "--account", "client-a")[2] == (
        "deepgram-tray: Note: DEEPGRAM_API_KEY_CLIENT_A is still set, so a key is still in use.\n"
    )


def test_account_default_is_the_key_commands_as_they_were(
    client_a: Path,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    said_without: list[tuple[int, str, str]] = []
    said_with: list[tuple[int, str, str]] = []
    for said, option in ((said_without, ()), (said_with, ("--account", "default"))):
        assert cli(capsys, "key", "set", "--no-verify", *option, stdin=OWNER_KEY)[0] == 0
        assert memory_keyring.store == {DEFAULT_SLOT: OWNER_KEY}
        said.append(cli(capsys, "key", "status", *option))
        said.append(cli(capsys, "key", "delete", *option))
        assert memory_keyring.store == {}
    assert said_with == said_without
    code, out, err = said_with[0]
    assert (code, err) == (0, "")
    assert out.startswith(f"API key ending in …{OWNER_KEY[-4:]}, stored in the OS keyring (")


def test_the_default_account_needs_no_readable_config_to_set_a_key(
    isolated_config: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    """As before accounts: `key set --no-verify` never read the config."""
    isolated_config.parent.mkdir(parents=True)
    isolated_config.write_text("this is [not toml\n")
    code, _, err = cli(capsys, "key", "set", "--no-verify", stdin=OWNER_KEY)
    assert (code, err) == (0, "")
    code, _, err = cli(
        capsys, "key", "set", "--no-verify", "--account", "client-a", stdin=CLIENT_KEY
    )
    assert code == 2 and "not valid TOML" in err
    assert memory_keyring.store == {DEFAULT_SLOT: OWNER_KEY}


@pytest.fixture
def saved_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A saved read (for `balance --max-age`) for each account, in a cache folder of the test's."""
    from trayapp.desktop.paths import last_read_path

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    paths = {name: last_read_path(name) for name in ("default", "client-a")}
    assert paths["default"] != paths["client-a"]
    assert all(tmp_path in path.parents for path in paths.values())  # never the user's own
    for path in paths.values():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}")
    return paths


def test_a_new_or_deleted_key_forgets_only_that_accounts_saved_read(
    client_a: Path,
    memory_keyring: MemoryKeyring,
    saved_reads: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert (
        cli(capsys, "key", "set", "--no-verify", "--account", "client-a", stdin=CLIENT_KEY)[0] == 0
    )
    assert not saved_reads["client-a"].exists() and saved_reads["default"].exists()
    saved_reads["client-a"].write_text("{}")
    assert cli(capsys, "key", "delete")[0] == 0
    assert saved_reads["client-a"].exists() and not saved_reads["default"].exists()
    assert cli(capsys, "key", "delete", "--account", "client-a")[0] == 0
    assert not saved_reads["client-a"].exists()


@pytest.mark.parametrize("action", [("set", "--no-verify"), ("status",), ("delete",)])
def test_an_account_missing_from_the_config_is_refused_before_the_keyring(
    client_a: Path,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
    action: tuple[str, ...],
) -> None:
    memory_keyring.store[(KEYRING_SERVICE, "api-key:client-b")] = CLIENT_KEY
    code, out, err = cli(capsys, "key", *action, "--account", "client-b", stdin=CLIENT_KEY)
    assert (code, out) == (2, "")
    assert err == (
        "deepgram-tray: There is no account called 'client-b' in the config: add it with "
        '`deepgram-tray config set accounts.client-b.label "client-b"`, or use one of default, '
        "client-a.\n"
    )
    assert memory_keyring.store == {(KEYRING_SERVICE, "api-key:client-b"): CLIENT_KEY}
    code, _, err = cli(capsys, "key", *action, "--account", "Client B", stdin=CLIENT_KEY)
    assert code == 2 and "use lower-case letters, digits, '-' and '_'" in err


# --- a fresh interpreter, as a user's shell runs it -------------------------------------------


def config_file(cli_env: dict[str, str]) -> Path:
    return Path(cli_env["DEEPGRAM_TRAY_CONFIG"])


def run(args: list[str], env: dict[str, str], stdin: str | None = None) -> CliResult:
    result = run_cli(args, env, stdin=stdin)
    assert_no_key_in(result.stdout, result.stderr)
    return result


def test_config_set_creates_an_accounts_table_and_show_prints_it_in_effect(
    cli_env: dict[str, str],
) -> None:
    path = config_file(cli_env)
    assert run(["config", "set", "warn_below", "30"], cli_env).returncode == 0
    label = run(["config", "set", "accounts.client-a.label", "  Client A "], cli_env)
    assert label.returncode == 0, label.stderr
    assert label.stdout == f'Saved label = "Client A" in [accounts.client-a] to {path}.\n'
    critical = run(["config", "set", "accounts.client-a.critical_below", "12.5"], cli_env)
    assert critical.stdout == f"Saved critical_below = 12.5 in [accounts.client-a] to {path}.\n"
    projects = run(["config", "set", "accounts.client-a.projects", "p-1, p-2"], cli_env)
    assert projects.stdout.endswith(f'"p-2",\n] in [accounts.client-a] to {path}.\n')
    assert tomllib.loads(path.read_text()) == {
        "warn_below": 30.0,
        "accounts": {
            "client-a": {"label": "Client A", "critical_below": 12.5, "projects": ["p-1", "p-2"]}
        },
    }

    shown = run(["config", "show"], cli_env)
    assert shown.returncode == 0, shown.stderr
    top, accounts = shown.stdout.split("\n\n# Each account's settings in effect", 1)
    assert "warn_below = 30.0" in top and "[accounts" not in top
    assert accounts.split("\n", 2)[1] == "[accounts.client-a]"
    assert tomllib.loads(accounts.split("\n", 1)[1]) == {
        "accounts": {
            "client-a": {
                "label": "Client A",
                "projects": ["p-1", "p-2"],
                "warn_below": 30.0,  # the top level's
                "critical_below": 12.5,
            }
        }
    }
    assert tomllib.loads(shown.stdout)["warn_below"] == 30.0  # all of it is TOML


def test_a_one_account_config_shows_and_sets_as_before(cli_env: dict[str, str]) -> None:
    assert run(["config", "set", "warn_below", "42"], cli_env).stdout.startswith(
        "Saved warn_below = 42.0 to "
    )
    shown = run(["config", "show"], cli_env).stdout
    assert "[accounts" not in shown and "Each account" not in shown
    assert tomllib.loads(shown)["warn_below"] == 42.0
    status = run(["key", "status"], cli_env)
    assert status.stdout == (
        f"API key ending in …{OWNER_KEY[-4:]}, from DEEPGRAM_API_KEY (it takes precedence over "
        "the keyring).\n"
    )


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("accounts.Client.label", "use lower-case letters, digits, '-' and '_'"),
        ("accounts.default.label", "set those at the top level"),
        ("accounts.client-a.poll_interval", "KEY one of label, projects, warn_below"),
        ("accounts.client-a", "use accounts.NAME.KEY, with NAME made of lower-case letters"),
        ("accounts", "use accounts.NAME.KEY"),
    ],
)
def test_config_set_of_a_bad_account_setting_says_what_works(
    cli_env: dict[str, str], name: str, says: str
) -> None:
    result = run(["config", "set", name, "5"], cli_env)
    assert result.returncode == 2
    assert says in result.stderr
    assert_one_sentence(result.stderr)
    assert not config_file(cli_env).exists()


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("warn_below", "lots", "accounts.client-a.warn_below takes a number, e.g. 20 or 7.5."),
        ("warn_below", "-5", "warn_below of [accounts.client-a] in "),
        ("critical_below", "60", "is above warn_below (20.0) in [accounts.client-a] in "),
        ("label", "x" * 41, "The label of [accounts.client-a] must be text of 1 to 40 characters."),
        ("label", "", "must be text of 1 to 40 characters"),
    ],
)
def test_config_set_of_a_bad_account_value_changes_nothing(
    cli_env: dict[str, str], key: str, value: str, says: str
) -> None:
    path = config_file(cli_env)
    path.parent.mkdir(parents=True)
    path.write_text("warn_below = 20.0\n" + CLIENT_A)
    result = run(["config", "set", f"accounts.client-a.{key}", value], cli_env)
    assert result.returncode == 2
    assert says in result.stderr
    assert_one_sentence(result.stderr)
    assert path.read_text() == "warn_below = 20.0\n" + CLIENT_A


def test_config_set_never_overwrites_an_unusable_config(cli_env: dict[str, str]) -> None:
    path = config_file(cli_env)
    path.parent.mkdir(parents=True)
    for broken, says in (
        ("this is [not toml\n", "not valid TOML"),
        ("accounts = 5\n", "must be tables like [accounts.client-a]"),
    ):
        path.write_text(broken)
        result = run(["config", "set", "accounts.client-a.label", "Client A"], cli_env)
        assert result.returncode == 2 and says in result.stderr
        assert_one_sentence(result.stderr)
        assert path.read_text() == broken


def test_a_top_level_change_that_breaks_an_account_is_refused(cli_env: dict[str, str]) -> None:
    path = config_file(cli_env)
    path.parent.mkdir(parents=True)
    original = "[accounts.client-a]\ncritical_below = 15.0\n"
    path.write_text(original)
    result = run(["config", "set", "warn_below", "10"], cli_env)
    assert result.returncode == 2
    assert "is above warn_below (10.0) in [accounts.client-a] in" in result.stderr
    assert path.read_text() == original


def test_config_show_reports_a_bad_account_table(cli_env: dict[str, str]) -> None:
    path = config_file(cli_env)
    path.parent.mkdir(parents=True)
    path.write_text('[accounts.client-a]\nlabel = "A\\tB"\n')
    result = run(["config", "show"], cli_env)
    assert (result.returncode, result.stdout) == (2, "")
    assert "must be one line of plain text" in result.stderr
    assert_one_sentence(result.stderr)


def test_key_status_of_an_account_from_its_environment_variable(
    cli_env: dict[str, str],
) -> None:
    config_file(cli_env).parent.mkdir(parents=True)
    config_file(cli_env).write_text(CLIENT_A)
    env = cli_env | {"DEEPGRAM_API_KEY_CLIENT_A": CLIENT_KEY}
    result = run(["key", "status", "--account", "client-a"], env)
    assert result.stdout == (
        "API key ending in …2e46 for the account 'client-a', from DEEPGRAM_API_KEY_CLIENT_A (it "
        "takes precedence over the keyring).\n"
    )
    default = run(["key", "status"], env)
    assert f"…{OWNER_KEY[-4:]}, from DEEPGRAM_API_KEY " in default.stdout


@pytest.mark.parametrize(
    ("value", "problem"),
    [("abc def ghijkl", "contains a space"), (f'"{CLIENT_KEY}"', "has quotes in it")],
)
def test_key_status_of_a_bad_account_variable_is_a_configuration_error(
    cli_env: dict[str, str], value: str, problem: str
) -> None:
    config_file(cli_env).parent.mkdir(parents=True)
    config_file(cli_env).write_text(CLIENT_A)
    env = cli_env | {"DEEPGRAM_API_KEY_CLIENT_A": value}
    result = run(["key", "status", "--account", "client-a"], env)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(
        "deepgram-tray: DEEPGRAM_API_KEY_CLIENT_A (which is used before the OS keyring) "
    )
    assert problem in result.stderr
    assert result.stderr.rstrip().endswith(
        "set DEEPGRAM_API_KEY_CLIENT_A to the key alone, or unset it to use the key in the OS "
        "keyring."
    )
    assert_one_sentence(result.stderr)


# --- a real Secret Service -------------------------------------------------------------------


def stored_secret_of(username: str, *, delete: bool = False) -> str | None:
    """One keyring entry read straight from the Secret Service, bypassing the app (and deleted,
    when asked)."""
    import secretstorage

    with secretstorage.dbus_init() as connection:
        collection = secretstorage.get_default_collection(connection)
        items = list(collection.search_items({"service": KEYRING_SERVICE, "username": username}))
        secret = items[0].get_secret().decode() if items else None
        for item in items if delete else ():
            item.delete()
        return secret


@pytest.fixture
def no_client_a_secret(secret_service: None) -> Iterator[None]:
    """The `secret_service` fixture empties the default account's entry; this, client-a's."""
    stored_secret_of(CLIENT_SLOT[1], delete=True)
    yield
    with contextlib.suppress(Exception):
        stored_secret_of(CLIENT_SLOT[1], delete=True)


@pytest.mark.keyring_daemon
def test_two_accounts_keys_side_by_side_in_the_secret_service(
    no_client_a_secret: None, cli_env: dict[str, str], deepgram: FakeDeepgram
) -> None:
    deepgram.add_key(CLIENT_KEY)
    del cli_env["DEEPGRAM_API_KEY"]
    cli_env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.SecretService.Keyring"
    cli_env["XDG_DATA_HOME"] = os.environ["XDG_DATA_HOME"]  # where the test keyring keeps files
    assert run(["config", "set", "accounts.client-a.label", "Client A"], cli_env).returncode == 0

    for args, key in (
        (["key", "set"], OWNER_KEY),
        (["key", "set", "--account", "client-a"], CLIENT_KEY),
    ):
        result = run(args, cli_env, stdin=key + "\n")
        assert result.returncode == 0, result.stderr
        assert "it sees 2 projects and can read balances" in result.stdout
    assert stored_secret() == OWNER_KEY
    assert stored_secret_of("api-key:client-a") == CLIENT_KEY

    status = run(["key", "status", "--account", "client-a"], cli_env)
    assert status.stdout == (
        "API key ending in …2e46 for the account 'client-a', stored in the OS keyring (Secret "
        "Service).\n"
    )
    assert run(["key", "delete", "--account", "client-a"], cli_env).returncode == 0
    assert stored_secret_of("api-key:client-a") is None
    assert stored_secret() == OWNER_KEY
    assert run(["key", "status", "--account", "client-a"], cli_env).returncode == 2
