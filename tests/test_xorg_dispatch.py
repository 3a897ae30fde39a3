"""How the tray hands its changes to pystray's xorg loop: on a real X server, in a child process.

pystray's xorg backend makes a change from another thread by sending a message on its loop's X
connection, and python-xlib can then leave the loop waiting forever for a reply (the tray started
without its balance about one time in four). The tray's dispatcher makes every change on the loop's
own thread instead, woken from a connection of its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from tests.conftest import REPO_ROOT

if TYPE_CHECKING:
    from tests.support.desktop import VirtualDesktop

pytestmark = pytest.mark.display

# Runs pystray's xorg Icon with the tray's dispatcher; the setup thread dispatches the changes a
# poller makes, then Quit. Prints, as JSON, which changes ran on the loop's (the main) thread.
PROBE = """
import importlib, json, threading
from PIL import Image
from trayapp.tray.backends.pystray_compat import import_pystray
from trayapp.tray.backends.xorg_dispatch import xorg_dispatcher

import_pystray()
icon_class = importlib.import_module("pystray._xorg").Icon
icon = icon_class("dispatch-probe", icon=Image.new("RGB", (16, 16), "green"), title="first")
dispatch = xorg_dispatcher(icon, lambda action: action())
on_loop = []

def change(n, colour):
    on_loop.append(threading.current_thread() is threading.main_thread())
    icon.icon = Image.new("RGB", (16, 16), colour)
    icon.title = f"change {n}"

def setup(icon):
    dispatch(lambda: setattr(icon, "visible", True))
    for n in range(40):
        dispatch(lambda n=n: change(n, "red" if n % 2 else "blue"))
    dispatch(icon.stop)

icon.run(setup=setup)
print(json.dumps({"on_loop": on_loop, "title": icon.title}))
"""


def test_changes_run_on_the_x_loop_and_quit_ends_it(desktop: VirtualDesktop) -> None:
    probe = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=desktop.env(PYTHONPATH=str(REPO_ROOT)),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,  # the loop used to hang: a deadline, not a wait forever
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    result = json.loads(probe.stdout.strip().splitlines()[-1])
    assert result == {"on_loop": [True] * 40, "title": "change 39"}, probe.stderr
