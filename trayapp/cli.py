"""The `deepgram-tray` command: argument parsing, dispatch and the one place errors are printed.

Kept light on imports: each subcommand's module is imported only when that subcommand runs.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from trayapp import __version__

log = logging.getLogger(__name__)

PROG = "deepgram-tray"
BUG_REPORT_HINT = "run it again with --verbose and report the output to the project's issue tracker"

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Your Deepgram prepaid balance in the system tray, and on the command line.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log details to stderr (never the API key)"
    )
    parser.set_defaults(handler=_lazy("trayapp.commands.run", "run_tray"))
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = commands.add_parser("run", help="start the tray (the default)")
    run.set_defaults(handler=_lazy("trayapp.commands.run", "run_tray"))

    stop = commands.add_parser("stop", help="quit the running tray (if any) and wait until it has")
    stop.set_defaults(handler=_lazy("trayapp.commands.stop", "run_stop"))

    balance = commands.add_parser("balance", help="print the balances once and exit")
    formats = balance.add_mutually_exclusive_group()
    formats.add_argument(
        "--format",
        choices=("text", "json", "prometheus", "waybar", "xbar"),
        default="text",
        help="output format; waybar: one JSON line for a bar's custom module, xbar: an "
        "xbar/SwiftBar/Argos plugin's output (both printed on failure too)",
    )
    formats.add_argument(
        "--json", dest="format", action="store_const", const="json", help="same as --format json"
    )
    balance.add_argument(
        "--project",
        action="append",
        default=[],
        metavar="ID",
        help="read this project (repeatable); default: the `projects` setting, else all",
    )
    balance.add_argument(
        "--output", metavar="FILE", help="write to FILE atomically instead of stdout"
    )
    balance.add_argument(
        "--forecast",
        action="store_true",
        help="also read spend and credit expiry (two more calls per project): days left",
    )
    which = balance.add_mutually_exclusive_group()
    _account_option(which)
    which.add_argument(
        "--all-accounts",
        action="store_true",
        help="read every account in the config (JSON gains an `accounts` list, Prometheus an "
        "`account` label)",
    )
    balance.add_argument(
        "--max-age",
        type=_seconds,
        default=0,
        metavar="SECONDS",
        help="answer from the last read saved on this machine (by the tray, serve or an earlier "
        "balance) when it is at most SECONDS old; default 0: always read Deepgram",
    )
    balance.set_defaults(handler=_lazy("trayapp.commands.balance", "run_balance"))

    serve = commands.add_parser(
        "serve", help="serve the balances to Prometheus (/metrics), read in the background"
    )
    serve.add_argument(
        "--listen",
        default="127.0.0.1:9787",
        metavar="HOST:PORT",
        help="address to serve on (default 127.0.0.1:9787: this machine only)",
    )
    serve.set_defaults(handler=_lazy("trayapp.commands.serve", "run_serve"))

    history = commands.add_parser("history", help="export the balance history the tray recorded")
    history.add_argument("--format", choices=("csv", "json"), default="csv", help="output format")
    history.add_argument("--days", type=int, metavar="N", help="only the last N days")
    history.add_argument(
        "--window", action="store_true", help="open the chart window instead (30 days, or --days)"
    )
    _account_option(history)
    history.set_defaults(handler=_lazy("trayapp.commands.history", "run_history"))

    key = commands.add_parser("key", help="manage the API key in the OS keyring")
    key_commands = key.add_subparsers(title="key commands", metavar="ACTION", required=True)
    key_set = key_commands.add_parser(
        "set", help="store a key (read from stdin when piped, else prompted without echo)"
    )
    key_set.add_argument(
        "--no-verify", action="store_true", help="store the key without checking it with the API"
    )
    _account_option(key_set)
    key_set.set_defaults(handler=_lazy("trayapp.commands.key", "run_key_set"))
    key_status = key_commands.add_parser("status", help="say where the key comes from")
    _account_option(key_status)
    key_status.set_defaults(handler=_lazy("trayapp.commands.key", "run_key_status"))
    key_delete = key_commands.add_parser("delete", help="remove the key from the OS keyring")
    _account_option(key_delete)
    key_delete.set_defaults(handler=_lazy("trayapp.commands.key", "run_key_delete"))

    autostart = commands.add_parser("autostart", help="start the tray at login, or not")
    autostart.add_argument("action", choices=("enable", "disable", "status"))
    autostart.set_defaults(handler=_lazy("trayapp.commands.autostart", "run_autostart"))

    install_desktop = commands.add_parser(
        "install-desktop", help="add the app to the applications menu (Linux, pip/pipx installs)"
    )
    install_desktop.set_defaults(handler=_lazy("trayapp.commands.desktop", "run_install_desktop"))
    uninstall_desktop = commands.add_parser(
        "uninstall-desktop", help="remove the app's applications-menu entry and icons (Linux)"
    )
    uninstall_desktop.set_defaults(
        handler=_lazy("trayapp.commands.desktop", "run_uninstall_desktop")
    )

    settings = commands.add_parser("settings", help="open the settings window")
    _account_option(settings)
    settings.set_defaults(handler=_lazy("trayapp.commands.settings", "run_settings"))

    # The tray's fetch worker (see trayapp.tray.fetch_process): not for people, so not in --help.
    worker = commands.add_parser("_fetch")
    worker.set_defaults(handler=_lazy("trayapp.commands.fetch_worker", "run_fetch_worker"))

    config = commands.add_parser("config", help="show or change settings")
    config_commands = config.add_subparsers(
        title="config commands", metavar="ACTION", required=True
    )
    config_path = config_commands.add_parser("path", help="print the config file's path")
    config_path.set_defaults(handler=_lazy("trayapp.commands.config", "run_config_path"))
    config_show = config_commands.add_parser("show", help="print the settings in effect")
    config_show.set_defaults(handler=_lazy("trayapp.commands.config", "run_config_show"))
    config_set = config_commands.add_parser("set", help="change one setting")
    config_set.add_argument("name", metavar="NAME")
    config_set.add_argument("value", metavar="VALUE")
    config_set.set_defaults(handler=_lazy("trayapp.commands.config", "run_config_set"))
    return parser


def _account_option(parser: argparse.ArgumentParser | argparse._MutuallyExclusiveGroup) -> None:
    parser.add_argument(
        "--account",
        default="default",
        metavar="NAME",
        help="the account of [accounts.NAME] in the config (default: the top-level one)",
    )


def _seconds(text: str) -> int:
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of seconds (e.g. 300)")
    return int(text)


def _lazy(module: str, function: str) -> Handler:
    def handler(args: argparse.Namespace) -> int:
        import importlib

        command: Handler = getattr(importlib.import_module(module), function)
        return command(args)

    return handler


def main(argv: Sequence[str] | None = None) -> int:
    from trayapp.console import prepare_standard_streams

    prepare_standard_streams()
    args = build_parser().parse_args(argv)
    from trayapp.desktop.logs import configure_cli_logging

    configure_cli_logging(args.verbose)
    try:
        handler: Handler = args.handler
        return handler(args)
    except KeyboardInterrupt:
        print_error("Interrupted.")
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, and keep Python's exit-time flush
        # of stdout from raising again.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        from trayapp.errors import DeepgramTrayError

        if isinstance(exc, DeepgramTrayError):
            # Expected failures need no traceback, even with --verbose: the sentence is the report.
            log.debug("%s (caused by %r)", type(exc).__name__, exc.__cause__)
            print_error(exc.user_message())
            return exc.exit_code
        log.debug("Unexpected error", exc_info=True)
        print_error(f"Something unexpected went wrong ({type(exc).__name__}): {BUG_REPORT_HINT}.")
        return 1


def print_error(message: str) -> None:
    """One line on stderr. Server text in messages is cleaned where it is read; the line is made
    safe again here, where anything else (a path, an argument) could carry a control character."""
    import re

    from trayapp.redaction import redact

    if sys.stderr is not None:
        line = re.sub(r"[\x00-\x1f\x7f-\x9f]+", " ", redact(message))
        print(f"{PROG}: {line}", file=sys.stderr)


def print_out(text: str, *, machine_format: bool = False) -> None:
    """Print to stdout. `machine_format` (JSON, Prometheus, CSV): UTF-8 whatever the console."""
    from trayapp.console import write_text, write_utf8
    from trayapp.redaction import redact

    (write_utf8 if machine_format else write_text)(redact(text))
