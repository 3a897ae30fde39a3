"""What the history window shows: the balance over time above the spend per day, drawn with Pillow,
and a one-line summary. Pure: samples in, an image and words out (the window only displays them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from trayapp.deepgram.models import MAIN_UNIT
from trayapp.formats import MONTHS, display_amount, display_date
from trayapp.outlook.forecast import MIN_HISTORY, Sample, daily_spend
from trayapp.outlook.history import DEFAULT_ACCOUNT

if TYPE_CHECKING:
    from PIL import Image, ImageDraw, ImageFont

CHART_SIZE = (760, 420)
BACKGROUND = (255, 255, 255)
GRID = (222, 222, 222)
AXIS_TEXT = (60, 60, 60)
BALANCE_COLOUR = (37, 99, 235)
"""The balance line: blue, apart from the icon's green/amber/red, which mean levels."""
SPEND_COLOUR = (234, 88, 12)
"""The spend bars: orange."""
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 72, 16, 28, 30
PANEL_GAP = 52
BALANCE_SHARE = 0.58
"""Of the plotting height, the balance panel's share; the spend bars get the rest."""
WHEN_RECORDED = "the tray records the balance at each refresh while it runs."
NO_HISTORY = f"No history yet: {WHEN_RECORDED}"


class HistoryView(NamedTuple):
    samples: list[Sample]
    """Main-unit totals in the period, oldest first."""
    daily: list[tuple[date, Decimal]]
    """Spend per calendar day in the period (top-ups left out)."""
    start: datetime
    end: datetime
    to_day: Callable[[datetime], date]
    """A moment's calendar day in the user's time zone."""

    @property
    def calendar_days(self) -> list[date]:
        """Every day the period touches, the partial first and last included: a bar slot each."""
        first, last = self.to_day(self.start), self.to_day(self.end)
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def history_view(
    samples: Sequence[Sample], days: int, now: datetime, to_day: Callable[[datetime], date]
) -> HistoryView:
    start = now - timedelta(days=days)
    recent = sorted(s for s in samples if start <= s.at <= now)
    return HistoryView(recent, daily_spend(recent, to_day), start, now, to_day)


# --- which account ------------------------------------------------------------------------------


class AccountChoice(NamedTuple):
    """One entry of the window's account chooser."""

    name: str
    """The account's name: the history's `account`, and `--account NAME`."""
    shown_as: str
    """Its label as the chooser, title and summary show it: told apart from any other's."""

    @property
    def is_default(self) -> bool:
        return self.name == DEFAULT_ACCOUNT


DEFAULT_CHOICE = AccountChoice(DEFAULT_ACCOUNT, DEFAULT_ACCOUNT)


def account_choices(accounts: Iterable[tuple[str, str]]) -> list[AccountChoice]:
    """The chooser's entries for (name, label) pairs: the default account first (it is there even
    when the config could not be read), then the others in the config's order.

    The chooser goes by label, and two accounts may share one: those get their name after it
    ("Client (client-a)"), as `balance --all-accounts` heads them, so no entry is ambiguous."""
    pairs = dict(accounts)
    ordered = [(DEFAULT_ACCOUNT, pairs.pop(DEFAULT_ACCOUNT, DEFAULT_ACCOUNT)), *pairs.items()]
    labels = [label for _, label in ordered]
    return [
        AccountChoice(name, label if labels.count(label) == 1 else f"{label} ({name})")
        for name, label in ordered
    ]


def window_title(title: str, account: AccountChoice) -> str:
    """The window's title, naming a named account ("… — Client A") so that two windows, or the
    taskbar, tell accounts apart."""
    return title if account.is_default else f"{title} — {account.shown_as}"


# --- the summary --------------------------------------------------------------------------------


RECORDED = "from the balances the tray recorded"
"""Which basis the window's figures use: the app's own samples, not Deepgram's billing (which the
tray's menu uses for its daily rate where it can read it)."""
TOO_SHORT_FOR_A_RATE = "a daily average needs a day of them"


def summary_text(view: HistoryView, account: AccountChoice | None = None) -> str:
    """ "Balance $128.32 · spent $127.50 in 30 days, $4.25 a day on average, from the balances the
    tray recorded". Under a day of samples there is no daily average: a few minutes of them say
    little about a day (and the menu's rate, from Deepgram's billing, would seem contradicted).

    A named `account`'s summary starts with its label, as the tray's menu names it ("Client A:
    Balance …"); the default account's reads as it did before accounts."""
    if account is None or account.is_default:
        return _summary(view)
    if not view.samples:
        return f"No history of {account.shown_as} yet: {WHEN_RECORDED}"
    return f"{account.shown_as}: {_summary(view)}"


def _summary(view: HistoryView) -> str:
    if not view.samples:
        return NO_HISTORY
    spent = sum((dollars for _, dollars in view.daily), Decimal(0))
    words = [f"Balance {display_amount(view.samples[-1].total, MAIN_UNIT)}"]
    if len(view.samples) >= 2:
        covered = view.samples[-1].at - view.samples[0].at
        spent_in = f"spent {display_amount(spent, MAIN_UNIT)} in {span_words(covered)}"
        if covered < MIN_HISTORY:
            words.append(f"{spent_in} {RECORDED} ({TOO_SHORT_FOR_A_RATE})")
        else:
            per_day = spent / Decimal(covered / timedelta(days=1))
            average = f"{display_amount(per_day, MAIN_UNIT)} a day on average"
            words.append(f"{spent_in}, {average}, {RECORDED}")
    return " · ".join(words)


def span_words(span: timedelta) -> str:
    """ "2 minutes", "5 hours", "30 days": the span rounded to its largest whole unit."""
    for unit, length in (("day", timedelta(days=1)), ("hour", timedelta(hours=1))):
        if span >= length:
            count = round(span / length)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    minutes = max(1, round(span / timedelta(minutes=1)))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


# --- the chart ----------------------------------------------------------------------------------


class Panel(NamedTuple):
    left: int
    top: int
    right: int
    bottom: int

    def y_for(self, value: Decimal, top_value: Decimal) -> float:
        share = float(value / top_value) if top_value > 0 else 0.0
        return self.bottom - max(0.0, min(1.0, share)) * (self.bottom - self.top)


def draw_chart(
    view: HistoryView, size: tuple[int, int] = CHART_SIZE, *, scale: float = 1.0
) -> Image.Image:
    """The chart; `size` and every length in it are for a 96 DPI screen, times `scale` (1.5 on a
    144 DPI one), so that the chart keeps its proportions to the window's text, which Tk sizes
    in points."""
    from PIL import Image, ImageDraw

    def px(length: float) -> int:
        return round(length * scale)

    width, height = px(size[0]), px(size[1])
    image = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    font = _font(px(13))
    left, top, bottom = px(MARGIN_LEFT), px(MARGIN_TOP), height - px(MARGIN_BOTTOM)
    plot_height = bottom - top - px(PANEL_GAP)
    balance_bottom = top + round(plot_height * BALANCE_SHARE)
    balance = Panel(left, top, width - px(MARGIN_RIGHT), balance_bottom)
    spend = Panel(left, balance_bottom + px(PANEL_GAP), balance.right, bottom)

    draw.text((left, px(4)), "Balance", fill=BALANCE_COLOUR, font=_font(px(14)))
    draw.text(
        (left, balance.bottom + px(20)), "Spent per day", fill=SPEND_COLOUR, font=_font(px(14))
    )
    balance_top = nice_ceiling(max((s.total for s in view.samples), default=Decimal(0)))
    spend_top = nice_ceiling(max((d for _, d in view.daily), default=Decimal(0)))
    _grid(draw, balance, balance_top, font, lines=4, gap=px(8))
    _grid(draw, spend, spend_top, font, lines=2, gap=px(8))
    _date_labels(draw, view, spend, font, gap=px(8))
    if not view.samples:
        centre = ((balance.left + balance.right) / 2, (balance.top + balance.bottom) / 2)
        draw.text(centre, NO_HISTORY, fill=AXIS_TEXT, font=font, anchor="mm")
        return image
    _balance_line(draw, view, balance, balance_top, width=px(3))
    _spend_bars(draw, view, spend, spend_top)
    return image


def nice_ceiling(value: Decimal) -> Decimal:
    """The axis top: the next of 1, 2, 2.5, 5 times a power of ten at or above `value`."""
    # Zero and below (an empty or overdrawn history) get an axis of 1: their power of ten is 1.
    power = Decimal(10) ** (value.adjusted())
    for step in (1, 2, Decimal("2.5"), 5):
        if value <= power * step:
            return power * step
    return power * 10


def _grid(
    draw: ImageDraw.ImageDraw,
    panel: Panel,
    top_value: Decimal,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    *,
    lines: int,
    gap: int,
) -> None:
    for index in range(lines + 1):
        value = top_value * index / lines
        y = panel.y_for(value, top_value)
        draw.line((panel.left, y, panel.right, y), fill=GRID, width=1)
        label = display_amount(value, MAIN_UNIT).removesuffix(".00")
        draw.text((panel.left - gap, y), label, fill=AXIS_TEXT, font=font, anchor="rm")


def _balance_line(
    draw: ImageDraw.ImageDraw, view: HistoryView, panel: Panel, top_value: Decimal, *, width: int
) -> None:
    # Plain floats here: 90 days are 26,000 samples, and pixels need no exact decimals.
    start, span = view.start.timestamp(), (view.end - view.start).total_seconds()
    across, height, top = panel.right - panel.left, panel.bottom - panel.top, float(top_value)
    points = [
        (
            panel.left + _clamp((s.at.timestamp() - start) / span) * across,
            panel.bottom - _clamp(float(s.total) / top) * height,
        )
        for s in view.samples
    ]
    if len(points) >= 2:
        draw.line(points, fill=BALANCE_COLOUR, width=width, joint="curve")
    x, y = points[-1]
    dot = width * 4 / 3  # the last sample's dot, a little wider than the line
    draw.ellipse((x - dot, y - dot, x + dot, y + dot), fill=BALANCE_COLOUR)


def _clamp(share: float) -> float:
    return max(0.0, min(1.0, share))


def _spend_bars(
    draw: ImageDraw.ImageDraw, view: HistoryView, panel: Panel, top_value: Decimal
) -> None:
    days = view.calendar_days
    slot = (panel.right - panel.left) / len(days)
    for day, dollars in view.daily:
        if dollars <= 0 or not days[0] <= day <= days[-1]:
            continue
        index = (day - days[0]).days
        left = panel.left + index * slot + slot * 0.15
        right = min(panel.right, left + max(1.0, slot * 0.7))
        draw.rectangle(
            (left, panel.y_for(dollars, top_value), right, panel.bottom), fill=SPEND_COLOUR
        )


def date_ticks(first: date, last: date, most: int) -> list[date]:
    """The days to label between the first and the last day shown (which are labelled at the
    ends): the finest of every day, every other day, Mondays, every other Monday, and the firsts
    of every month, every other, third or sixth month, that makes at most `most` labels in all.
    A tick keeps half a step away from the ends, where the long end labels are."""
    for ticks, step in _tick_choices(first, last):
        inner = [
            day for day in ticks if (day - first).days >= step / 2 and (last - day).days >= step / 2
        ]
        if len(inner) + 2 <= most:
            return inner
    return []


def _tick_choices(first: date, last: date) -> Iterator[tuple[list[date], float]]:
    """Candidate ticks, finest first, each with its step in days."""
    for step in (1, 2):
        yield [first + timedelta(days=n) for n in range(step, (last - first).days, step)], step
    monday = first + timedelta(days=7 - first.weekday())  # the first Monday after `first`
    for weeks in (1, 2):
        count = (last - monday).days // (7 * weeks) + 1
        yield [monday + timedelta(weeks=weeks * n) for n in range(count)], 7 * weeks
    for months in (1, 2, 3, 6):
        yield _month_starts(first, last, months), 30.4 * months


def _month_starts(first: date, last: date, every: int) -> list[date]:
    """The firsts of months after `first` up to `last`, every `every` months from January."""
    starts: list[date] = []
    year, month = first.year, first.month
    while True:
        month += 1
        if month > 12:
            year, month = year + 1, 1
        day = date(year, month, 1)
        if day > last:
            return starts
        if (month - 1) % every == 0:
            starts.append(day)


def short_date(day: date) -> str:
    """ "9 Jan": a tick's label (the ends, with the year, say which year)."""
    return f"{day.day} {MONTHS[day.month - 1]}"


def _date_labels(
    draw: ImageDraw.ImageDraw,
    view: HistoryView,
    panel: Panel,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    *,
    gap: int,
) -> None:
    y = panel.bottom + gap
    days = view.calendar_days
    start, end = display_date(days[0]), display_date(days[-1])
    draw.text((panel.left, y), start, fill=AXIS_TEXT, font=font, anchor="la")
    draw.text((panel.right, y), end, fill=AXIS_TEXT, font=font, anchor="ra")
    # Labels of the short kind, each with room for itself and a gap as wide as the text's height.
    room = draw.textlength("30 Sep", font=font) + 2 * gap
    slot = (panel.right - panel.left) / len(days)
    taken = [
        (panel.left, panel.left + draw.textlength(start, font=font) + gap),
        (panel.right - draw.textlength(end, font=font) - gap, panel.right),
    ]
    for day in date_ticks(days[0], days[-1], int((panel.right - panel.left) // room)):
        x = panel.left + ((day - days[0]).days + 0.5) * slot  # under the day's bar
        label = short_date(day)
        half = draw.textlength(label, font=font) / 2
        if any(x + half > left and x - half < right for left, right in taken):
            continue  # would touch a label already there
        taken.append((x - half - gap, x + half + gap))
        draw.line((x, panel.bottom, x, panel.bottom + gap / 2), fill=AXIS_TEXT, width=1)
        draw.text((x, y), label, fill=AXIS_TEXT, font=font, anchor="ma")


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def chart_png(
    view: HistoryView, size: tuple[int, int] = CHART_SIZE, *, scale: float = 1.0
) -> bytes:
    """The chart as PNG bytes, which Tk 8.6 displays without ImageTk."""
    import io

    buffer = io.BytesIO()
    draw_chart(view, size, scale=scale).save(buffer, format="PNG")
    return buffer.getvalue()
