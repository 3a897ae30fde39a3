"""Which desktop notifications a new state deserves: each threshold crossing once, not every poll.

Pure: the tray keeps an AlertMemory between states and shows what `alerts_for` returns. Things that
become true together (the balance critical, a few days left, credit expiring) are said in one
notification, a line each: desktops show one notification at a time from an app, and several sent
at once mostly hide each other.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from trayapp.deepgram.models import MAIN_UNIT
from trayapp.errors import DeepgramTrayError, PermissionDeniedError
from trayapp.formats import display_amount, display_date, expiring_credit
from trayapp.outlook.forecast import describe_days, describe_when, worth_announcing
from trayapp.tray.state import TrayState
from trayapp.updates.release import Release

TITLE_LIMIT = 64  # Windows balloon titles
MESSAGE_LIMIT = 256  # Windows balloon texts


@dataclass(frozen=True)
class Alert:
    title: str
    message: str


@dataclass(frozen=True)
class Point:
    """One thing worth saying: a notification of its own when it comes alone (`title` and
    `message`), one `line` of a shared notification when others come with it."""

    title: str
    message: str
    line: str


@dataclass(frozen=True)
class AlertMemory:
    """Which alerts have fired and not yet been re-armed."""

    warned: bool = False
    critical: bool = False
    key_failed: bool = False
    key_worked: bool = False
    """A read succeeded since the tray started: a refusal after it means the key stopped working."""
    few_days_left: bool = False
    expiry_warned: date | None = None
    """The expiry date already announced: a later, different expiry is announced again."""


def alerts_for(memory: AlertMemory, state: TrayState) -> tuple[AlertMemory, list[Alert]]:
    """What to notify for `state` (one notification at most) given what has already been said;
    a rise back above a threshold re-arms its alert."""
    blocking = state.blocking_error
    if blocking is not None:
        if memory.key_failed:
            return memory, []
        title = key_alert_title(blocking, worked=memory.key_worked)
        return replace(memory, key_failed=True), [_alert(title, blocking.message)]
    if state.error is None and state.snapshot is not None:
        memory = replace(memory, key_failed=False, key_worked=True)

    total = state.total
    if total is None or state.stale or state.error is not None:
        return memory, []  # nothing new is known about the amount
    points: list[Point] = []
    memory = _threshold_alerts(memory, state, total, points)
    memory = _days_left_alert(memory, state, total, points)
    memory = _expiry_alert(memory, state, points)
    return memory, together(points)


def naming_the_account(alert: Alert, label: str) -> Alert:
    """`alert` about one of several accounts: its title says which, first, so that a title cut
    short by the desktop still does."""
    return _alert(f"{label}: {alert.title}", alert.message)


def no_browser_alert(url: str, page: str = "The Deepgram Console") -> Alert:
    """What a click on a menu item that opens `page` says when no web browser could be opened."""
    return _alert("No web browser could be opened", f"{page} is at {url}")


def update_alert(release: Release, running: str) -> Alert:
    """The one notification about a newer release (the menu line stays until it is installed)."""
    return _alert(
        f"Deepgram Balance {release.version} is out",
        f'You have {running}. Choose "Version {release.version} available" in the tray\'s '
        "menu to see what is new and download it.",
    )


def key_alert_title(error: DeepgramTrayError, *, worked: bool) -> str:
    """What is wrong with the key, in the title: a key that never worked did not stop working."""
    if isinstance(error, PermissionDeniedError):
        return (
            "Deepgram key can no longer read balances"
            if worked
            else "Deepgram key cannot read balances"
        )
    return "Deepgram key stopped working" if worked else "Deepgram refused the API key"


def together(points: list[Point]) -> list[Alert]:
    """One notification for all `points`: the first (the most urgent) gives the title, and each
    says its line in the body."""
    if not points:
        return []
    if len(points) == 1:
        return [_alert(points[0].title, points[0].message)]
    return [_alert(points[0].title, "\n".join(point.line for point in points))]


def _threshold_alerts(
    memory: AlertMemory, state: TrayState, total: Decimal, points: list[Point]
) -> AlertMemory:
    amount = display_amount(total, MAIN_UNIT)
    thresholds = state.thresholds
    if total < thresholds.critical_below:
        if not memory.critical:
            limit = display_amount(thresholds.critical_below, MAIN_UNIT)
            points.append(
                Point(
                    f"Deepgram balance critical: {amount}",
                    f"Your Deepgram credit is {amount}, below {limit}: top up in the Deepgram "
                    "Console before requests start failing.",
                    f"Credit is {amount}, below {limit}: top up before requests start failing.",
                )
            )
        return replace(memory, warned=True, critical=True)
    memory = replace(memory, critical=False)
    if total < thresholds.warn_below:
        if not memory.warned:
            limit = display_amount(thresholds.warn_below, MAIN_UNIT)
            points.append(
                Point(
                    f"Deepgram balance low: {amount}",
                    f"Your Deepgram credit is {amount}, below {limit}: consider topping up soon.",
                    f"Credit is {amount}, below {limit}: consider topping up soon.",
                )
            )
        return replace(memory, warned=True)
    return replace(memory, warned=False)


def _days_left_alert(
    memory: AlertMemory, state: TrayState, total: Decimal, points: list[Point]
) -> AlertMemory:
    """Once as the projection drops below warn_days_left; re-armed when it is back above."""
    forecast, limit = state.forecast, state.thresholds.warn_days_left
    if forecast is None or forecast.days_left is None or limit <= 0:
        return memory  # unknown is not "plenty": keep what was said until there is a figure
    if forecast.days_left >= limit:
        return replace(memory, few_days_left=False)
    if not memory.few_days_left and forecast.rate.per_day is not None:
        rate = display_amount(forecast.rate.per_day, MAIN_UNIT)
        lasts = describe_days(forecast.days_left)
        points.append(
            Point(
                f"Deepgram credit: {lasts} left",
                f"At {rate} a day (the average of the last 7 days), your "
                f"{display_amount(total, MAIN_UNIT)} of Deepgram credit lasts {lasts}: top up in "
                "the Deepgram Console.",
                f"At {rate} a day, it lasts {lasts}.",
            )
        )
    return replace(memory, few_days_left=True)


def _expiry_alert(memory: AlertMemory, state: TrayState, points: list[Point]) -> AlertMemory:
    """Once per expiry date, warn_expiry_days before it."""
    forecast, limit, days = state.forecast, state.thresholds.warn_expiry_days, state.days_to_expiry
    if forecast is None or forecast.nearest_expiry is None or days is None or limit <= 0:
        return memory
    expiry = forecast.nearest_expiry
    if days > limit or not worth_announcing(days) or memory.expiry_warned == expiry.day:
        return memory
    on = display_date(expiry.day)
    points.append(
        Point(
            f"Deepgram credit expires {describe_when(days)}",
            f"Deepgram credit expires on {on}: {expiring_credit(expiry)}. Whatever is left of it "
            "then is lost, so plan your usage or top-ups around it.",
            f"Credit expires on {on}: {expiring_credit(expiry)}.",
        )
    )
    return replace(memory, expiry_warned=expiry.day)


def _alert(title: str, message: str) -> Alert:
    return Alert(title=fit_words(title, TITLE_LIMIT), message=fit_words(message, MESSAGE_LIMIT))


def fit_words(text: str, limit: int) -> str:
    """`text` within `limit` characters, never cut inside a word: whole sentences when they
    keep at least half of it, else whole words and `…`. A single word longer than the limit
    is all there is to cut, so it is cut."""
    if len(text) <= limit:
        return text
    window = text[: limit + 1]  # a sentence may end at the limit, its space just past it
    sentence_end = max(window.rfind(". "), window.rfind(".\n"))
    if sentence_end + 1 >= limit / 2:  # what is kept is at least half the room
        return text[: sentence_end + 1]
    room = text[: limit - 1]  # one left for the "…"
    if text[limit - 1].isspace():  # the cut falls between two words
        return room.rstrip() + "…"
    space = max(room.rfind(" "), room.rfind("\n"))
    return (room[:space] if space > 0 else room).rstrip() + "…"
