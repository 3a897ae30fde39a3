"""Desktop sessions with no usable keyring, as users of minimal desktops (i3, sway) have them.

Each is a private D-Bus session bus whose only activatable services are the ones chosen here,
copied from the system's own service files:

- NO_SECRET_SERVICE: nothing answers for the Secret Service (no gnome-keyring, no KeePassXC).
- KEYRING_WITHOUT_PROMPTER: gnome-keyring starts on demand with no keyring of its own yet, and
  no prompter is installed, so creating one is "dismissed" at once (keyring's InitError).
- KEYRING_THAT_PROMPTS: as above, with gnome-keyring's prompter: asked for the key, it shows the
  real "Choose password for new keyring" dialog and waits.

`in_session(...)` runs a command inside such a bus (dbus-run-session ends the bus and the
daemons it started when the command ends; tests stop the command's process group after).
The keyring backend is left to keyring's own detection, as on a user's machine.
"""

from __future__ import annotations

import shutil
from pathlib import Path

SYSTEM_SERVICES = Path("/usr/share/dbus-1/services")
SECRETS = "org.freedesktop.secrets.service"
PROMPTERS = (
    "org.gnome.keyring.SystemPrompter.service",
    "org.gnome.keyring.PrivatePrompter.service",
)

NO_SECRET_SERVICE: tuple[str, ...] = ()
KEYRING_WITHOUT_PROMPTER = (SECRETS,)
KEYRING_THAT_PROMPTS = (SECRETS, *PROMPTERS)

TOOLS = ("dbus-run-session", "gnome-keyring-daemon")

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:tmpdir={runtime}</listen>
  <auth>EXTERNAL</auth>
  <servicedir>{services}</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def missing() -> list[str]:
    """What this machine lacks for these sessions (scripts/test installs it)."""
    absent = [tool for tool in TOOLS if shutil.which(tool) is None]
    absent += [name for name in (SECRETS, *PROMPTERS) if not (SYSTEM_SERVICES / name).exists()]
    return absent


def session_env(folder: Path) -> dict[str, str]:
    """Where the session's keyring files and sockets go: inside `folder`, never the user's."""
    runtime = folder / "run"
    runtime.mkdir(parents=True, mode=0o700, exist_ok=True)
    return {
        "HOME": str(folder / "home"),
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_DATA_HOME": str(folder / "data"),
        "XDG_STATE_HOME": str(folder / "state"),
        "XDG_CONFIG_HOME": str(folder / "config"),
        "DEEPGRAM_API_KEY": "",
    }


def bus_config(folder: Path, services: tuple[str, ...]) -> Path:
    """A session bus configuration in `folder` offering exactly `services`."""
    service_dir = folder / "dbus-services"
    service_dir.mkdir(parents=True, exist_ok=True)
    for name in services:
        shutil.copyfile(SYSTEM_SERVICES / name, service_dir / name)
    runtime = folder / "run"
    runtime.mkdir(parents=True, mode=0o700, exist_ok=True)
    config = folder / "session-bus.conf"
    config.write_text(BUS_CONFIG.format(runtime=runtime, services=service_dir))
    return config


def in_session(config: Path, command: list[str]) -> list[str]:
    """`command` on its own session bus from `config`, with keyring choosing its backend itself."""
    return [
        "env",
        "-u",
        "PYTHON_KEYRING_BACKEND",
        "dbus-run-session",
        f"--config-file={config}",
        "--",
        *command,
    ]
