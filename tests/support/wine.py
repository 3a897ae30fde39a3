"""Windows for real, under Wine: a Windows CPython running the app, in a Wine prefix of its own.

`scripts/windows-python` installs the interpreter and the app (cached between runs) and prints
the path of python.exe; the tests find it in DEEPGRAM_TRAY_TEST_WINDOWS_PYTHON. Each test session
makes a new, empty prefix (a new Windows user profile: no key in the Credential Locker, nothing in
the Run key, no AppData), and `stop()` ends every Windows process in it and deletes it.

Wine's quirks that shape this module (see the README's testing section):
- Windows Python cannot start with both stdout and stderr redirected to files ("init_sys_streams:
  Invalid handle"), so output is always read through pipes;
- now and then (one command in a few thousand, under load) Wine's launcher fails before the
  program starts, printing "ShellExecuteEx failed: Internal error."; nothing of ours ran, so
  the command is started again (LAUNCH_ATTEMPTS);
- as rarely, a Wine process is aborted by the host's own loader as it exits ("Inconsistency
  detected by ld.so: dl-fini.c"), after our program did its work but with a failing exit code;
  that is Wine on this host, never our code, so the command is started again too;
- the interpreter is a portable one whose pip launchers (Scripts\\deepgram-tray.exe) find
  python.exe on PATH, as a python.org install with "Add to PATH" would: WINEPATH says where.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath

PYTHON_ENV = "DEEPGRAM_TRAY_TEST_WINDOWS_PYTHON"

# What Wine and the tests need from the Linux side; nothing else of this process's environment
# (its PYTHONPATH, its keys) reaches the Windows programs.
PASSED_THROUGH = (
    "PATH",
    "HOME",
    "USER",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "XDG_RUNTIME_DIR",
    "DEEPGRAM_TRAY_UPDATES_URL",  # no test's tray asks the real PyPI (tests/conftest.py)
)

LAUNCH_ATTEMPTS = 3
WINE_HOST_FAILURES = (b"ShellExecuteEx failed", b"Inconsistency detected by ld.so")
"""What Wine prints when its launcher (start.exe) could not start the program at all, and when
the host's loader aborted a Wine process at exit: both are Wine's, so the command is run again."""


def configured_python() -> Path | None:
    value = os.environ.get(PYTHON_ENV, "").strip()
    return Path(value) if value else None


@dataclass(frozen=True)
class WindowsResult:
    returncode: int
    stdout_bytes: bytes
    stderr_bytes: bytes

    @property
    def stdout(self) -> str:
        """stdout as text, with Windows line ends made Unix ones; strict UTF-8, so a test fails
        on output in any other encoding."""
        return self.stdout_bytes.decode("utf-8").replace("\r\n", "\n")

    @property
    def stderr(self) -> str:
        return self.stderr_bytes.decode("utf-8", errors="replace").replace("\r\n", "\n")


class WindowsPython:
    def __init__(self, python_exe: Path, prefix: Path) -> None:
        self.python_exe = python_exe
        self.prefix = prefix
        self.display = ""
        self._server: subprocess.Popen[bytes] | None = None

    # --- life cycle -------------------------------------------------------------------------------

    def start(self) -> WindowsPython:
        # One wineserver for the whole session (persistent: it stays when no Windows program
        # runs), so each command does not pay for starting it again.
        self._start_server()
        # Make the prefix now, with output to a file: the services Wine starts with the first
        # program (explorer, winedevice...) live as long as the server and keep that program's
        # standard streams open; a test reading a pipe would then never see its end.
        log = self.prefix.parent / "wineboot.log"
        with open(log, "wb") as out:
            init = subprocess.run(
                ["wineboot", "--init"],
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=180,
                check=False,
            )
        assert init.returncode == 0, f"wineboot failed: {log.read_text(errors='replace')}"
        return self

    def _start_server(self) -> None:
        self._server = subprocess.Popen(
            ["wineserver", "--foreground", "--persistent"],
            env=self.env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def stop(self) -> None:
        """End every Windows process of this prefix, its wineserver, and delete the prefix."""
        subprocess.run(["wineserver", "--kill"], env=self.env(), check=False, timeout=60)
        if self._server is not None:
            try:
                self._server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._server.kill()
                self._server.wait(timeout=30)
        shutil.rmtree(self.prefix, ignore_errors=True)

    def kill_programs(self) -> None:
        """End every Windows program in the prefix (the tray, a window), keeping the prefix."""
        subprocess.run(["wineserver", "--kill"], env=self.env(), check=False, timeout=60)
        if self._server is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._server.wait(timeout=30)
        self.start()

    # --- environment and paths --------------------------------------------------------------------

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k in PASSED_THROUGH}
        python_dir = self.windows_path(self.python_exe.parent)
        env.update(
            WINEPREFIX=str(self.prefix),
            WINEDEBUG="-all",
            # No prompts to install Mono or Gecko: the app needs neither.
            WINEDLLOVERRIDES="mscoree,mshtml=",
            WINEPATH=f"{python_dir};{python_dir}\\Scripts",
            NO_PROXY="*",
            PYTHONDONTWRITEBYTECODE="1",
        )
        if self.display:
            env["DISPLAY"] = self.display
        env.update(extra)
        return env

    @property
    def workdir(self) -> Path:
        """Where Windows programs start: not the checkout, whose trayapp/ would shadow the
        installed app (python -m puts the working folder first on the import path)."""
        return self.prefix.parent

    @staticmethod
    def windows_path(path: Path) -> str:
        """The Windows name of a Linux path: Wine maps / to drive Z:."""
        return "Z:" + str(path.resolve()).replace("/", "\\")

    def user_folder(self, known_folder: str) -> Path:
        """A folder of the Windows profile, e.g. 'AppData/Roaming', as a Linux path."""
        return self.prefix / "drive_c" / "users" / getpass.getuser() / known_folder

    def linux_path(self, windows_path: str) -> Path:
        """The Linux path of a C:\\ path inside the prefix (or a Z:\\ path)."""
        path = PureWindowsPath(windows_path)
        drive = path.drive.upper()
        parts = path.parts[1:]
        if drive == "Z:":
            return Path("/", *parts)
        assert drive == "C:", f"not a path Wine maps: {windows_path}"
        return Path(self.prefix, "drive_c", *parts)

    # --- running ----------------------------------------------------------------------------------

    def command(self, *args: str, program: list[str] | None = None) -> list[str]:
        return ["wine", *(program or [str(self.python_exe), "-m", "trayapp"]), *args]

    def run(
        self,
        args: list[str],
        env: dict[str, str] | None = None,
        *,
        stdin: bytes | str = b"",
        program: list[str] | None = None,
        timeout: float = 120,
    ) -> WindowsResult:
        """`deepgram-tray ARGS` under Windows Python, its output read through pipes."""
        data = stdin.encode() if isinstance(stdin, str) else stdin
        for _ in range(LAUNCH_ATTEMPTS):
            completed = subprocess.run(
                self.command(*args, program=program),
                env=self.env(**(env or {})),
                input=data,
                capture_output=True,
                timeout=timeout,
                check=False,
                cwd=self.workdir,
            )
            output = completed.stdout + completed.stderr
            if completed.returncode == 0 or not any(m in output for m in WINE_HOST_FAILURES):
                break
        return WindowsResult(completed.returncode, completed.stdout, completed.stderr)

    def python(self, code: str, env: dict[str, str] | None = None) -> WindowsResult:
        """Run a snippet under Windows Python (to look at the Windows side: the Credential
        Locker, the registry, known folders)."""
        return self.run(["-c", code], env, program=[str(self.python_exe)])

    def reg_query(self, key: str) -> str:
        """`reg query KEY`, as Windows' own reg.exe prints it."""
        completed = subprocess.run(
            ["wine", "reg", "query", key],
            env=self.env(),
            cwd=self.workdir,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=60,
            check=False,
        )
        return completed.stdout.decode("utf-8", errors="replace").replace("\r\n", "\n")
