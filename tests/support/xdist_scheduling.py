"""How scripts/test spreads the suite over pytest-xdist's workers (`-n N`, `--dist load`).

Module by module, as `--dist loadfile` does: a module's fixtures (an X server, a session bus, a
panel) are set up once per module, as in a serial run, never torn down and set up again between
tests that other modules' tests interleave with. (Test by test, a worker once aborted: process-wide
singletons of GLib and D-Bus libraries had bound to a bus or display that a module fixture had
already torn down.) And one worker runs a whole lane where the lane sets up something costly once
per worker: the container image (tests/test_container.py builds it in a module fixture) and the
Windows lane (tests/windows/ boots one Wine prefix per session). The largest units are handed out
first and run while the other workers share the rest.

(pytest-xdist's own `--dist loadgroup` would say this with marks, but it silently stops grouping
on pytest 9.2, whose node ids it can no longer rewrite: pytest-dev/pytest-xdist#1386.)
"""

from __future__ import annotations

from xdist.scheduler import LoadScopeScheduling

KEPT_TOGETHER = ("tests/windows/", "tests/test_container.py")
"""Node id prefixes, relative to the checkout: each names a lane that runs on one worker."""


def work_unit(nodeid: str) -> str:
    """The lane a test belongs to, or its module."""
    for lane in KEPT_TOGETHER:
        if nodeid.startswith(lane):
            return lane
    return nodeid.split("::", 1)[0]


class LanesAndModules(LoadScopeScheduling):
    """xdist's scope scheduler (largest units first, then whatever is next to a free worker),
    with work units from `work_unit`: modules, and the lanes kept whole."""

    def _split_scope(self, nodeid: str) -> str:
        return work_unit(nodeid)
