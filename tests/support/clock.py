"""A clock tests move by hand: monotonic and wall time, and a machine that sleeps."""

from __future__ import annotations

from trayapp.tray.scheduler import Clock


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
