"""The history window's content, headless: daily spend from the balance's falls, the summary line,
and the chart's pixels."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from itertools import pairwise

import pytest
from PIL import Image, ImageChops

from trayapp.outlook.forecast import Sample, daily_spend
from trayapp.tk.history_chart import (
    AXIS_TEXT,
    BACKGROUND,
    BALANCE_COLOUR,
    CHART_SIZE,
    GRID,
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_TOP,
    NO_HISTORY,
    SPEND_COLOUR,
    AccountChoice,
    Panel,
    account_choices,
    chart_png,
    date_ticks,
    draw_chart,
    history_view,
    nice_ceiling,
    short_date,
    summary_text,
    window_title,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def utc_day(moment: datetime) -> date:
    return moment.astimezone(timezone.utc).date()


def hourly(days: int, start: str, per_day: str, *, top_up_at: int | None = None) -> list[Sample]:
    samples, total = [], Decimal(start)
    for hours in range(days * 24, -1, -1):
        if hours == top_up_at:
            total += 100
        samples.append(Sample(NOW - timedelta(hours=hours), total))
        total -= Decimal(per_day) / 24
    return samples


def test_daily_spend_leaves_top_ups_out() -> None:
    daily = dict(daily_spend(hourly(3, "50", "2.4", top_up_at=30), utc_day))
    # The $100 top-up on 24 Nov is not negative spend: only the hour that hides it is lost.
    assert daily[date(2026, 11, 24)] == pytest.approx(Decimal("2.3"))
    assert daily[date(2026, 11, 23)] == pytest.approx(Decimal("2.4"))
    assert sum(daily.values()) == pytest.approx(Decimal("7.1"))


def test_the_summary_says_balance_spend_and_average() -> None:
    view = history_view(hourly(60, "400", "3"), 30, NOW, utc_day)
    assert summary_text(view) == (
        "Balance $220.00 · spent $90.00 in 30 days, $3.00 a day on average, from the balances "
        "the tray recorded"
    )
    longer = history_view(hourly(10, "400", "3"), 90, NOW, utc_day)
    assert "spent $30.00 in 10 days" in summary_text(longer)


def test_no_history_is_said_in_words_and_on_the_chart() -> None:
    view = history_view([], 30, NOW, utc_day)
    assert summary_text(view) == NO_HISTORY
    pixels = draw_chart(view).getcolors(CHART_SIZE[0] * CHART_SIZE[1]) or []
    assert count(pixels, BACKGROUND) > CHART_SIZE[0] * CHART_SIZE[1] * 0.8
    assert count(pixels, BALANCE_COLOUR) < 200  # the panel's title, no line


CLIENT_A = AccountChoice("client-a", "Client A")


def test_a_named_account_s_summary_and_title_start_with_its_label() -> None:
    view = history_view(hourly(60, "400", "3"), 30, NOW, utc_day)
    assert summary_text(view, CLIENT_A) == f"Client A: {summary_text(view)}"
    assert summary_text(view, CLIENT_A).startswith("Client A: Balance $220.00 · spent $90.00")
    assert window_title("Balance history", CLIENT_A) == "Balance history — Client A"
    empty = history_view([], 30, NOW, utc_day)
    assert summary_text(empty, CLIENT_A) == (
        "No history of Client A yet: the tray records the balance at each refresh while it runs."
    )


def test_the_default_account_s_summary_and_title_are_as_before_accounts() -> None:
    default = account_choices([("default", "default")])[0]
    view = history_view(hourly(60, "400", "3"), 30, NOW, utc_day)
    assert summary_text(view, default) == summary_text(view)
    assert summary_text(view).startswith("Balance $220.00")
    assert window_title("Balance history", default) == "Balance history"
    assert summary_text(history_view([], 30, NOW, utc_day), default) == NO_HISTORY


def test_the_chooser_lists_the_default_first_then_the_config_s_order_by_label() -> None:
    choices = account_choices(
        [("client-b", "Beta Corp"), ("default", "default"), ("client-a", "Client A")]
    )
    assert choices == [
        AccountChoice("default", "default"),
        AccountChoice("client-b", "Beta Corp"),
        AccountChoice("client-a", "Client A"),
    ]
    assert [c.is_default for c in choices] == [True, False, False]


def test_the_chooser_has_the_default_even_when_the_config_could_not_be_read() -> None:
    assert account_choices([]) == [AccountChoice("default", "default")]


def test_accounts_sharing_a_label_are_told_apart_by_name() -> None:
    choices = account_choices(
        [("default", "default"), ("acme-eu", "Acme"), ("acme-us", "Acme"), ("solo", "Solo")]
    )
    assert [c.shown_as for c in choices] == ["default", "Acme (acme-eu)", "Acme (acme-us)", "Solo"]


def count(
    image_colours: list[tuple[int, tuple[int, int, int]]], colour: tuple[int, int, int]
) -> int:
    return sum(n for n, c in image_colours if c == colour)


def test_the_chart_draws_the_balance_line_and_a_bar_per_day() -> None:
    image = draw_chart(history_view(hourly(30, "200", "4"), 30, NOW, utc_day))
    pixels = image.getcolors(CHART_SIZE[0] * CHART_SIZE[1]) or []
    empty = draw_chart(history_view([], 30, NOW, utc_day)).getcolors(CHART_SIZE[0] * CHART_SIZE[1])
    assert count(pixels, BALANCE_COLOUR) > count(empty or [], BALANCE_COLOUR) + 1500
    assert count(pixels, SPEND_COLOUR) > count(empty or [], SPEND_COLOUR) + 10_000
    # Along the bars' feet: 31 separate bars (30 days touch 31 calendar days).
    feet = max(y for y in range(image.height) if SPEND_COLOUR in _row(image, y))
    row = [pixel == SPEND_COLOUR for pixel in _row(image, feet - 2)]
    starts = sum(1 for x in range(1, len(row)) if row[x] and not row[x - 1])
    assert starts == 31


def test_higher_balance_is_higher_on_the_chart() -> None:
    falling = draw_chart(history_view(hourly(30, "200", "4"), 30, NOW, utc_day))
    columns = [
        min(y for y in range(falling.height) if falling.getpixel((x, y)) == BALANCE_COLOUR)
        for x in (120, 700)
    ]
    assert columns[0] < columns[1]  # y grows downwards: the start of the month is higher


def _row(image: object, y: int) -> list[object]:
    return [image.getpixel((x, y)) for x in range(image.width)]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("value", "top"),
    [("0", "1"), ("0.3", "0.5"), ("4", "5"), ("7.9", "10"), ("120", "200"), ("440", "500"),
     ("2100", "2500")],
)  # fmt: skip
def test_axis_tops_are_round_numbers(value: str, top: str) -> None:
    assert nice_ceiling(Decimal(value)) == Decimal(top)


def test_on_a_scaled_screen_every_length_scales_with_the_text() -> None:
    # Windows at 150 %: the window's text is drawn 1.5 times larger, so the chart is too, in
    # proportion, rather than a small picture in a large window.
    view = history_view(hourly(30, "200", "4"), 30, NOW, utc_day)
    plain, scaled = draw_chart(view), draw_chart(view, scale=1.5)

    def extent(image: Image.Image, colour: tuple[int, int, int]) -> tuple[int, int, int, int]:
        """The bounding box of the pixels of exactly `colour`."""
        solid = Image.new("RGB", image.size, colour)
        bands = ImageChops.difference(image, solid).split()
        exact = [band.point(lambda v: 255 if v == 0 else 0) for band in bands]
        box = ImageChops.multiply(ImageChops.multiply(exact[0], exact[1]), exact[2]).getbbox()
        assert box is not None
        return box

    assert scaled.size == (round(CHART_SIZE[0] * 1.5), round(CHART_SIZE[1] * 1.5))
    for colour in (BALANCE_COLOUR, SPEND_COLOUR):
        box, bigger = extent(plain, colour), extent(scaled, colour)
        for length, scaled_length in zip(box, bigger, strict=True):
            assert scaled_length == pytest.approx(length * 1.5, abs=3)


@pytest.mark.parametrize(
    ("value", "top"),
    [("-3", "1"), ("10", "10"), ("2.5", "2.5"), ("5.01", "10"), ("99", "100"), ("0.07", "0.1")],
)
def test_axis_tops_at_the_steps_and_below_zero(value: str, top: str) -> None:
    assert nice_ceiling(Decimal(value)) == Decimal(top)


def summary_of(*points: tuple[timedelta, str]) -> str:
    """The summary line of a history with a sample `ago` before NOW at each total."""
    samples = [Sample(NOW - ago, Decimal(total)) for ago, total in points]
    return summary_text(history_view(samples, 30, NOW, utc_day))


class TestSummarySpans:
    def test_one_sample_gives_the_balance_alone(self) -> None:
        assert summary_of((timedelta(hours=1), "50")) == "Balance $50.00"

    def test_under_a_day_there_is_no_daily_average(self) -> None:
        """Two minutes of samples say nothing about a day: no "$0.00 a day" beside the menu's
        rate from Deepgram's billing, and the basis named."""
        said = summary_of((timedelta(hours=1), "52"), (timedelta(0), "50"))
        assert said == (
            "Balance $50.00 · spent $2.00 in 1 hour from the balances the tray recorded "
            "(a daily average needs a day of them)"
        )
        minutes = summary_of((timedelta(minutes=2), "50"), (timedelta(0), "50"))
        assert "a day on average" not in minutes

    def test_minutes_are_minutes(self) -> None:
        assert "in 2 minutes from" in summary_of((timedelta(minutes=2), "52"), (timedelta(0), "50"))
        assert "in 1 minute from" in summary_of((timedelta(seconds=5), "52"), (timedelta(0), "50"))

    def test_hours_below_a_day(self) -> None:
        said = summary_of((timedelta(hours=23, minutes=59), "52"), (timedelta(0), "50"))
        assert "in 24 hours from" in said and "a day on average" not in said

    def test_a_day_and_more(self) -> None:
        one = summary_of((timedelta(hours=24), "52"), (timedelta(0), "50"))
        assert "spent $2.00 in 1 day, $2.00 a day on average, from the balances" in one
        two = summary_of((timedelta(hours=36), "53"), (timedelta(0), "50"))
        assert "spent $3.00 in 2 days, $2.00 a day on average" in two  # 36 hours: 1.5 days


class TestDateTicks:
    """More dates than the ends under the chart: the finest even step that fits."""

    def test_a_month_is_labelled_on_mondays(self) -> None:
        first, last = date(2026, 11, 2), date(2026, 12, 2)  # 2 Nov 2026 is a Monday
        assert date_ticks(first, last, 9) == [date(2026, 11, d) for d in (9, 16, 23)]
        # 30 Nov is a Monday too, but too close to the end label.

    def test_three_months_every_other_monday(self) -> None:
        ticks = date_ticks(date(2026, 9, 3), date(2026, 12, 2), 9)
        assert ticks == [
            date(2026, 9, 21), date(2026, 10, 5), date(2026, 10, 19), date(2026, 11, 2),
            date(2026, 11, 16),
        ]  # fmt: skip
        assert all(day.weekday() == 0 for day in ticks)

    def test_a_week_is_labelled_every_day(self) -> None:
        ticks = date_ticks(date(2026, 11, 25), date(2026, 12, 2), 9)
        assert ticks == [date(2026, 11, 25) + timedelta(days=n) for n in range(1, 7)]

    def test_a_narrow_chart_takes_a_coarser_step(self) -> None:
        assert date_ticks(date(2026, 11, 25), date(2026, 12, 2), 5) == [
            date(2026, 11, 27), date(2026, 11, 29), date(2026, 12, 1)
        ]  # fmt: skip
        assert date_ticks(date(2026, 11, 2), date(2026, 12, 2), 2) == []

    def test_a_year_is_labelled_on_firsts_of_months(self) -> None:
        ticks = date_ticks(date(2026, 1, 1), date(2026, 12, 31), 9)
        assert ticks == [date(2026, m, 1) for m in (3, 5, 7, 9, 11)]
        assert date_ticks(date(2026, 1, 1), date(2026, 12, 31), 14) == [
            date(2026, m, 1) for m in range(2, 13)
        ]

    def test_ticks_cross_a_new_year(self) -> None:
        ticks = date_ticks(date(2026, 10, 15), date(2027, 3, 20), 9)
        assert ticks == [date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1),
                         date(2027, 3, 1)]  # fmt: skip

    def test_a_tick_keeps_half_a_step_from_each_end(self) -> None:
        # Friday 6 Nov to Thursday 3 Dec: the Mondays 9 and 30 Nov are 3 days from an end,
        # under the half week (3.5 days) a weekly tick keeps away.
        assert date_ticks(date(2026, 11, 6), date(2026, 12, 3), 9) == [
            date(2026, 11, 16), date(2026, 11, 23)
        ]  # fmt: skip
        # Starting on a Monday, the next Monday is exactly half a fortnight away: it stays.
        ticks = date_ticks(date(2026, 9, 7), date(2026, 12, 6), 9)
        assert ticks[0] == date(2026, 9, 14) and (ticks[1] - ticks[0]).days == 14
        # Half a month is 15.2 days: the 1st 15 days after the start is too close, 16 is not.
        assert date_ticks(date(2026, 10, 17), date(2027, 3, 20), 9)[0] == date(2026, 12, 1)
        assert date_ticks(date(2026, 10, 16), date(2027, 3, 20), 9)[0] == date(2026, 11, 1)

    def test_weekly_ticks_run_to_the_end(self) -> None:
        ticks = date_ticks(date(2026, 11, 2), date(2027, 1, 1), 12)
        assert ticks == [date(2026, 11, 9) + timedelta(weeks=n) for n in range(8)]  # to 28 Dec

    def test_years_are_labelled_by_quarter_and_half_year(self) -> None:
        quarters = date_ticks(date(2026, 1, 1), date(2027, 12, 31), 9)
        assert quarters == [
            date(2026, 4, 1), date(2026, 7, 1), date(2026, 10, 1), date(2027, 1, 1),
            date(2027, 4, 1), date(2027, 7, 1), date(2027, 10, 1),
        ]  # fmt: skip
        halves = date_ticks(date(2026, 1, 1), date(2030, 12, 31), 11)
        assert halves == [date(y, m, 1) for y in range(2026, 2031) for m in (1, 7)][1:]

    @pytest.mark.parametrize("days", [1, 2, 7, 30, 90, 365, 800])
    @pytest.mark.parametrize("most", [2, 5, 9, 30])
    def test_never_more_than_asked_and_always_inside(self, days: int, most: int) -> None:
        first = date(2026, 11, 25)
        last = first + timedelta(days=days)
        ticks = date_ticks(first, last, most)
        assert len(ticks) + 2 <= most or ticks == []
        assert all(first < day < last for day in ticks)
        assert ticks == sorted(set(ticks))
        gaps = {(b - a).days for a, b in pairwise(ticks)}
        assert len(gaps) <= 1 or max(gaps) - min(gaps) <= 3  # even (months differ a little)

    def test_short_labels_have_no_year(self) -> None:
        assert short_date(date(2027, 1, 9)) == "9 Jan"


class TestPanelHeights:
    PANEL = Panel(left=0, top=100, right=10, bottom=300)

    def test_values_between_the_bottom_and_the_top(self) -> None:
        assert self.PANEL.y_for(Decimal(0), Decimal(10)) == 300
        assert self.PANEL.y_for(Decimal(5), Decimal(10)) == 200
        assert self.PANEL.y_for(Decimal(10), Decimal(10)) == 100

    def test_outside_the_axis_values_stay_on_the_panel(self) -> None:
        assert self.PANEL.y_for(Decimal(25), Decimal(10)) == 100
        assert self.PANEL.y_for(Decimal(-4), Decimal(10)) == 300

    def test_an_axis_of_zero_puts_everything_at_the_bottom(self) -> None:
        assert self.PANEL.y_for(Decimal(3), Decimal(0)) == 300


def test_the_window_gets_the_chart_as_png_at_its_scale() -> None:
    view = history_view(hourly(30, "200", "4"), 30, NOW, utc_day)
    data = chart_png(view, scale=1.25)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (round(CHART_SIZE[0] * 1.25), round(CHART_SIZE[1] * 1.25))


class TestWhatTheChartShows:
    """Pixels of each part's own colour where that part belongs."""

    VIEW = history_view(hourly(30, "200", "4"), 30, NOW, utc_day)

    @staticmethod
    def pixels(image: Image.Image, box: tuple[int, int, int, int], colour: object) -> int:
        region = image.crop(box)
        return sum(1 for x in range(region.width) for y in range(region.height)
                   if region.getpixel((x, y)) == colour)  # fmt: skip

    def test_grid_lines_four_bands_of_balance_and_two_of_spend(self) -> None:
        image = draw_chart(self.VIEW)
        rows = [
            y
            for y in range(image.height)
            if sum(1 for x in range(image.width) if image.getpixel((x, y)) == GRID)
            > image.width / 3
        ]
        # The balance panel's five lines, and the top of the spend panel's three: its others
        # are behind a month of bars.
        assert len(rows) == 5 + 1
        gaps = {b - a for a, b in pairwise(rows[:5])}
        assert len(gaps) == 1  # evenly spaced

    def test_axis_labels_left_of_the_panels_and_dates_below(self) -> None:
        image = draw_chart(self.VIEW)
        width, height = CHART_SIZE
        assert self.pixels(image, (0, 0, MARGIN_LEFT - 2, height - 40), AXIS_TEXT) > 100
        assert self.pixels(image, (MARGIN_LEFT, height - 28, 200, height), AXIS_TEXT) > 10
        assert self.pixels(image, (width - 150, height - 28, width, height), AXIS_TEXT) > 10

    def test_dates_between_the_ends_each_under_a_tick(self) -> None:
        image = draw_chart(self.VIEW)
        width, height = CHART_SIZE
        # 26 Oct to 25 Nov: 2, 9 and 16 Nov (Mondays) between the end labels.
        between = (MARGIN_LEFT + 120, height - 28, width - 130, height)
        assert self.pixels(image, between, AXIS_TEXT) > 40  # antialiased text: its cores
        marks = [
            x
            for x in range(MARGIN_LEFT, width)
            if image.getpixel((x, height - MARGIN_BOTTOM + 2)) == AXIS_TEXT
        ]
        assert len(marks) == 3

    def test_each_panel_has_its_title_in_its_colour(self) -> None:
        image = draw_chart(self.VIEW)
        assert self.pixels(image, (0, 0, 200, MARGIN_TOP - 4), BALANCE_COLOUR) > 30
        # Between the balance panel's bottom line and the spend panel's top one.
        assert self.pixels(image, (MARGIN_LEFT, 212, 260, 256), SPEND_COLOUR) > 30

    def test_no_history_says_so_in_the_middle(self) -> None:
        image = draw_chart(history_view([], 30, NOW, utc_day))
        width, height = CHART_SIZE
        middle = (width // 4, height // 8, width * 3 // 4, height // 2)
        assert self.pixels(image, middle, AXIS_TEXT) > 200

    def test_a_single_sample_is_a_dot_and_two_are_a_line(self) -> None:
        one = draw_chart(history_view([Sample(NOW, Decimal(100))], 30, NOW, utc_day))
        two = draw_chart(
            history_view(
                [Sample(NOW - timedelta(days=20), Decimal(150)), Sample(NOW, Decimal(100))],
                30,
                NOW,
                utc_day,
            )
        )
        plot = (MARGIN_LEFT, MARGIN_TOP, CHART_SIZE[0], CHART_SIZE[1] // 2)
        dot = self.pixels(one, plot, BALANCE_COLOUR)
        assert 10 < dot < 100
        assert self.pixels(two, plot, BALANCE_COLOUR) > dot + 300
