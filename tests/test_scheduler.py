"""When to poll (pure): the scheduler alone on a fake clock, told what happened to each fetch."""

from __future__ import annotations

import pytest

from tests.support.clock import FakeClock
from trayapp.tray.scheduler import REFRESH_DEBOUNCE, PollScheduler


def make(interval: float = 300, jitter: float = 1.0) -> tuple[FakeClock, PollScheduler]:
    clock = FakeClock()
    return clock, PollScheduler(interval, clock.clock, jitter=lambda: jitter)


def succeed(clock: FakeClock, s: PollScheduler, *, listed: bool = False, takes: float = 0) -> None:
    s.fetch_started(listed)
    clock.advance(takes)
    s.fetch_succeeded(listed)


def fail(
    clock: FakeClock,
    s: PollScheduler,
    retry_after: float | None = None,
    *,
    listed: bool = False,
    relist: bool = False,
    takes: float = 0,
) -> None:
    s.fetch_started(listed)
    clock.advance(takes)
    s.fetch_failed(retry_after, relist=relist)


def waits_after_failures(s: PollScheduler, clock: FakeClock, count: int) -> list[float]:
    """Fail `count` fetches in a row, each as soon as it is due; the wait before each retry."""
    waits = []
    for _ in range(count):
        fail(clock, s)
        waits.append(s.seconds_until_due())
        clock.advance(waits[-1])
        assert s.due()
    return waits


class TestInterval:
    def test_the_first_poll_is_at_once_and_lists_the_projects(self) -> None:
        _, s = make()
        assert s.due() and s.seconds_until_due() == 0
        assert s.should_list_projects()

    def test_the_next_poll_is_one_interval_after_a_fetch_ends(self) -> None:
        clock, s = make(interval=300)
        succeed(clock, s, listed=True, takes=4)
        assert s.seconds_until_due() == 300
        clock.advance(299.5)
        assert not s.due() and s.seconds_until_due() == 0.5
        clock.advance(0.5)
        assert s.due()

    def test_nothing_more_is_due_while_a_fetch_is_out(self) -> None:
        clock, s = make(interval=300)
        s.fetch_started(listed_projects=True)
        clock.advance(1000)
        assert not s.due()
        s.fetch_succeeded(listed_projects=True)
        assert not s.due() and s.seconds_until_due() == 300

    def test_an_overdue_poll_is_due_now_not_in_negative_time(self) -> None:
        clock, s = make(interval=300)
        succeed(clock, s)
        clock.advance(350)
        assert s.seconds_until_due() == 0


class TestBackoff:
    def test_retries_double_from_thirty_seconds_up_to_fifteen_minutes(self) -> None:
        clock, s = make(interval=300)
        assert waits_after_failures(s, clock, 8) == [30, 60, 120, 240, 480, 900, 900, 900]

    def test_an_interval_longer_than_fifteen_minutes_is_the_ceiling(self) -> None:
        clock, s = make(interval=3600)
        waits = waits_after_failures(s, clock, 9)
        assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]

    @pytest.mark.parametrize(
        ("jitter", "first", "second"), [(0.0, 15, 30), (0.5, 22.5, 45), (0.999, 29.985, 59.97)]
    )
    def test_jitter_waits_between_half_and_all_of_the_delay(
        self, jitter: float, first: float, second: float
    ) -> None:
        clock, s = make(jitter=jitter)
        assert waits_after_failures(s, clock, 2) == pytest.approx([first, second])

    def test_a_success_starts_the_backoff_again_from_thirty_seconds(self) -> None:
        clock, s = make(interval=300)
        waits_after_failures(s, clock, 3)
        succeed(clock, s)
        clock.advance(300)
        assert waits_after_failures(s, clock, 2) == [30, 60]


class TestRetryAfter:
    def test_a_retry_after_longer_than_the_backoff_holds_back_every_poll(self) -> None:
        clock, s = make(interval=300)
        fail(clock, s, retry_after=600)
        assert s.seconds_until_due() == 600
        clock.advance(100)
        s.request_refresh()
        clock.suspend(3600)
        assert s.check_for_wake() is False  # the first look at the clock
        clock.suspend(3600)
        assert s.check_for_wake() is True
        clock.advance(499.5)
        assert not s.due() and s.seconds_until_due() == 0.5
        clock.advance(0.5)
        assert s.due()

    def test_a_retry_after_shorter_than_the_backoff_does_not_shorten_it(self) -> None:
        clock, s = make(interval=300)
        waits_after_failures(s, clock, 2)
        fail(clock, s, retry_after=10)
        assert s.seconds_until_due() == 120

    def test_a_refresh_may_go_as_soon_as_the_retry_after_has_passed(self) -> None:
        clock, s = make(interval=300)
        waits_after_failures(s, clock, 2)
        fail(clock, s, retry_after=10)
        s.request_refresh()
        assert s.seconds_until_due() == 10


class TestRefresh:
    def test_a_refresh_at_start_up_is_due_at_once(self) -> None:
        _, s = make()
        s.request_refresh()
        assert s.due() and s.should_list_projects()

    def test_a_refresh_between_polls_is_due_at_once_and_rereads_the_projects(self) -> None:
        clock, s = make(interval=300)
        succeed(clock, s, listed=True)
        clock.advance(100)
        assert not s.should_list_projects()
        s.request_refresh()
        assert s.due() and s.should_list_projects()

    def test_a_refresh_right_after_a_fetch_started_waits_out_the_debounce(self) -> None:
        clock, s = make(interval=300)
        succeed(clock, s, takes=0.5)
        s.request_refresh()
        assert s.seconds_until_due() == REFRESH_DEBOUNCE - 0.5

    def test_clicks_during_a_fetch_give_one_fetch_right_after_it(self) -> None:
        clock, s = make(interval=300)
        s.fetch_started(listed_projects=True)
        clock.advance(3)
        for _ in range(5):
            s.request_refresh()
        clock.advance(2)
        assert not s.due()
        s.fetch_succeeded(listed_projects=True)
        assert s.due() and s.should_list_projects()
        succeed(clock, s, listed=True)
        assert s.seconds_until_due() == 300, "one follow-up fetch, then the interval again"

    def test_clicks_during_a_quick_fetch_wait_out_the_debounce(self) -> None:
        clock, s = make(interval=300)
        s.fetch_started(listed_projects=False)
        clock.advance(0.5)
        s.request_refresh()
        s.fetch_succeeded(listed_projects=False)
        assert s.seconds_until_due() == REFRESH_DEBOUNCE - 0.5

    @pytest.mark.parametrize(("takes", "wait"), [(5, 0), (0.5, REFRESH_DEBOUNCE - 0.5)])
    def test_a_click_during_a_failing_fetch_does_not_wait_for_the_backoff(
        self, takes: float, wait: float
    ) -> None:
        clock, s = make(interval=300)
        waits_after_failures(s, clock, 4)  # the next retry would wait 480 s
        s.fetch_started(listed_projects=False)
        clock.advance(takes)
        s.request_refresh()
        s.fetch_failed()
        assert s.seconds_until_due() == wait
        assert s.should_list_projects()

    def test_a_click_during_a_rate_limited_fetch_waits_for_the_retry_after(self) -> None:
        clock, s = make(interval=300)
        s.fetch_started(listed_projects=True)
        clock.advance(5)
        s.request_refresh()
        s.fetch_failed(retry_after=60)
        assert s.seconds_until_due() == 60


class TestProjectList:
    def test_the_project_list_is_reread_an_hour_after_it_was_read(self) -> None:
        clock, s = make(interval=300)
        succeed(clock, s, listed=True, takes=2)
        clock.advance(1800)
        succeed(clock, s, listed=False)  # a fetch of the known projects changes nothing
        clock.advance(1799.5)
        assert not s.should_list_projects()
        clock.advance(0.5)
        assert s.should_list_projects()

    def test_a_project_not_found_rereads_the_list_at_the_next_poll(self) -> None:
        clock, s = make(interval=300)
        succeed(clock, s, listed=True)
        clock.advance(300)
        fail(clock, s, relist=True)  # the poller says so for a project not found
        clock.advance(s.seconds_until_due())
        assert s.due() and s.should_list_projects()
        s.fetch_started(listed_projects=True)
        assert not s.should_list_projects()

    def test_other_failures_keep_the_project_list(self) -> None:
        clock, s = make(interval=300)
        succeed(clock, s, listed=True)
        for retry_after in (None, 60.0):  # offline, or some project rate-limited
            clock.advance(s.seconds_until_due())
            s.fetch_started(listed_projects=False)
            s.fetch_failed(retry_after)
            assert not s.should_list_projects()

    def test_a_failed_listing_is_tried_again_at_the_next_poll(self) -> None:
        clock, s = make(interval=300)
        fail(clock, s, listed=True)
        assert s.should_list_projects()
        clock.advance(s.seconds_until_due())
        succeed(clock, s, listed=True)
        assert not s.should_list_projects()


class TestWake:
    def test_waking_from_sleep_polls_at_once(self) -> None:
        clock, s = make(interval=300)
        succeed(clock, s)
        assert s.check_for_wake() is False
        clock.advance(100)
        clock.suspend(8 * 3600)
        clock.advance(1)
        assert s.check_for_wake() is True
        assert s.due()
        assert s.check_for_wake() is False, "one wake-up, noticed once"

    def test_the_first_look_at_the_clock_is_not_a_wake_up(self) -> None:
        clock, s = make(interval=300)
        succeed(clock, s)
        clock.advance(10)
        assert s.check_for_wake() is False
        assert not s.due()

    @pytest.mark.parametrize(("jump", "woke"), [(60, False), (60.5, True)])
    def test_a_wake_up_is_a_wall_clock_jump_of_more_than_a_minute(
        self, jump: float, woke: bool
    ) -> None:
        clock, s = make(interval=300)
        succeed(clock, s)
        s.check_for_wake()
        clock.advance(30)
        clock.suspend(jump)
        assert s.check_for_wake() is woke
        assert s.due() is woke

    def test_the_wall_clock_going_back_is_not_a_wake_up(self) -> None:
        clock, s = make(interval=300)
        succeed(clock, s)
        s.check_for_wake()
        clock.wall -= 3600
        clock.advance(10)
        assert s.check_for_wake() is False
        assert not s.due()
