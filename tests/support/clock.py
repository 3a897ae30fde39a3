"""A clock tests move by hand: monotonic and wall time, and a machine that sleeps."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trayapp.tray.scheduler import Clock

if TYPE_CHECKING:
    from trayapp.tray.poller import Poller


class FakeClock:
    def __init__(self) -> None:
        self.mono = 1000.0
        self.wall = 1_800_000_000.0

    def advance(self, seconds: float) -> None:
        self.mono += seconds
        self.wall += seconds

    def suspend(self, seconds: float) -> None:
        """The machine sleeps: wall time moves on, monotonic time does not."""
        self.wall += seconds

    @property
    def clock(self) -> Clock:
        return Clock(monotonic=lambda: self.mono, wall=lambda: self.wall)


def step_poller_for(poller: Poller, clock: FakeClock, seconds: float) -> None:
    """Step `poller` the way its thread would for `seconds`, jumping `clock` between turns."""
    end = clock.mono + seconds
    poller.step()
    while clock.mono < end:
        wait = poller.seconds_until_next_turn()
        clock.advance(min(max(wait, 0.001), end - clock.mono))
        poller.step()
