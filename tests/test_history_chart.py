"""The history window's content, headless: daily spend from the balance's falls, the summary line,
and the chart's pixels."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from PIL import Image, ImageChops

from trayapp.outlook.forecast import Sample, daily_spend
from trayapp.tk.history_chart import (
    BACKGROUND,
    BALANCE_COLOUR,
    CHART_SIZE,
    NO_HISTORY,
    SPEND_COLOUR,
    draw_chart,
    history_view,
    nice_ceiling,
    summary_text,
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
    assert summary_text(view) == "Balance $220.00 · spent $90.00 in 30 days, $3.00 a day on average"
    longer = history_view(hourly(10, "400", "3"), 90, NOW, utc_day)
    assert "spent $30.00 in 10 days" in summary_text(longer)


def test_no_history_is_said_in_words_and_on_the_chart() -> None:
    view = history_view([], 30, NOW, utc_day)
    assert summary_text(view) == NO_HISTORY
    pixels = draw_chart(view).getcolors(CHART_SIZE[0] * CHART_SIZE[1]) or []
    assert count(pixels, BACKGROUND) > CHART_SIZE[0] * CHART_SIZE[1] * 0.8
    assert count(pixels, BALANCE_COLOUR) < 200  # the panel's title, no line


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
