"""Read what a forecast needs from Deepgram: each watched project's billing breakdown for the last
week and its purchases. Two more calls per project: opt-in on the CLI (`balance --forecast`), at
most hourly in the tray."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from trayapp.deepgram.client import DeepgramClient
from trayapp.deepgram.models import BalanceSnapshot, Order
from trayapp.errors import ApiError, AuthError, NotFoundError, PermissionDeniedError
from trayapp.outlook.forecast import (
    WINDOW_DAYS,
    Forecast,
    ForecastInputs,
    Sample,
    SpendRate,
    combine,
    nearest_expiry,
    spend_from_billing,
    spend_from_history,
    with_what_is_left,
)

log = logging.getLogger(__name__)

REFUSALS = (AuthError, PermissionDeniedError, NotFoundError)
"""What a key that may not read billing gets; anything else is a failure worth retrying."""


def read_forecast(
    client: DeepgramClient,
    project_ids: Sequence[str],
    total: Decimal | None,
    now: datetime,
    history: Sequence[Sample] = (),
    *,
    snapshot: BalanceSnapshot | None = None,
) -> Forecast:
    """Deepgram's billing figures where the key may read them, else the app's own history.

    `snapshot`, the balances read in the same run, tells what is left of the expiring order.
    """
    try:
        reading = read_forecast_inputs(client, project_ids, now.date())
    except ApiError as exc:
        # The balance was read: a failed extra call leaves the forecast to the history.
        log.info("Spend and expiry unavailable: %s", exc.message)
        reading = ForecastInputs(billing=None, expiry=None, expiry_read=False)
    history_rate = spend_from_history(history, now)
    log.debug("Spend rate: billing %s, history %s", reading.billing, history_rate)
    expiry = reading.expiry if snapshot is None else with_what_is_left(reading.expiry, snapshot)
    return combine(total, reading.billing, history_rate, expiry)


def read_forecast_inputs(
    client: DeepgramClient, project_ids: Sequence[str], today: date
) -> ForecastInputs:
    """Each project's spend over the last WINDOW_DAYS and its orders.

    A key that may not read them (a Member key: 403) gives billing None, so the history is used;
    network and server failures are raised, so the caller keeps what it knew and tries later.
    The calls share one refresh deadline: two a project must not add up, however many there are.
    """
    with client.refresh():
        return _read_forecast_inputs(client, project_ids, today)


def _read_forecast_inputs(
    client: DeepgramClient, project_ids: Sequence[str], today: date
) -> ForecastInputs:
    daily: list[tuple[date, Decimal]] = []
    by_project: dict[str, SpendRate] = {}
    billing_readable = bool(project_ids)
    orders: dict[str, list[Order]] = {}
    for project_id in project_ids:
        try:
            project_daily = client.billing_breakdown(
                project_id, today - timedelta(days=WINDOW_DAYS), today
            )
            daily += project_daily
            by_project[project_id] = spend_from_billing(project_daily, today)
        except REFUSALS as exc:
            # One project's spend missing would understate the rate: use the history instead.
            log.info("Billing breakdown of %s unavailable: %s", project_id, exc.message)
            billing_readable = False
        try:
            orders[project_id] = client.purchases(project_id)
        except REFUSALS as exc:
            log.info("Purchases of %s unavailable: %s", project_id, exc.message)
    if not billing_readable:
        return ForecastInputs(None, nearest_expiry(orders, today), expiry_read=bool(orders))
    return ForecastInputs(
        spend_from_billing(daily, today),
        nearest_expiry(orders, today),
        expiry_read=bool(orders),
        billing_by_project=by_project,
    )
