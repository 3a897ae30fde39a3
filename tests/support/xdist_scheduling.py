"""How scripts/test spreads the suite over pytest-xdist's workers (`-n N`, `--dist load`).

Test by test, as `--dist load` does, except where one worker must run a whole lane because the
lane sets up something costly once per worker: the container image (tests/test_container.py
builds it in a module fixture, a minute of CPU) and the Windows lane (tests/windows/ boots one
Wine prefix per session). Those lanes are the largest units, so they are handed out first and
run while the other workers share the rest.

(pytest-xdist's own `--dist loadgroup` would say this with marks, but it silently stops grouping
on pytest 9.2, whose node ids it can no longer rewrite: pytest-dev/pytest-xdist#1386.)
"""

from __future__ import annotations

from xdist.scheduler import LoadScopeScheduling

KEPT_TOGETHER = ("tests/windows/", "tests/test_container.py")
"""Node id prefixes, relative to the checkout: each names a lane that runs on one worker."""


def work_unit(nodeid: str) -> str:
    """The lane a test belongs to, or the test itself."""
    for lane in KEPT_TOGETHER:
        if nodeid.startswith(lane):
            return lane
    return nodeid


class LanesAndSingleTests(LoadScopeScheduling):
    """xdist's scope scheduler (largest units first, then whatever is next to a free worker),
    with work units from `work_unit` instead of whole modules."""

    def _split_scope(self, nodeid: str) -> str:
        return work_unit(nodeid)
