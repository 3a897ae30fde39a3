"""Read what a forecast needs from Deepgram: each watched project's billing breakdown for the last
week and its purchases. Opt-in on the CLI (`balance --forecast`): two more calls per project."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from trayapp.api import DeepgramClient
from trayapp.errors import ApiError
from trayapp.forecast import (
    NO_DATA,
    WINDOW_DAYS,
    Forecast,
    Sample,
    build_forecast,
    nearest_expiry,
    spend_from_billing,
    spend_from_history,
)
from trayapp.models import Order

log = logging.getLogger(__name__)


def read_forecast(
    client: DeepgramClient,
    project_ids: Sequence[str],
    total: Decimal | None,
    now: datetime,
    history: Sequence[Sample] = (),
) -> Forecast:
    """Deepgram's billing figures where the key may read them, else the app's own history."""
    today = now.date()
    daily: list[tuple[date, Decimal]] = []
    billing_readable = bool(project_ids)
    orders: dict[str, list[Order]] = {}
    for project_id in project_ids:
        try:
            daily += client.billing_breakdown(
                project_id, today - timedelta(days=WINDOW_DAYS), today
            )
        except ApiError as exc:
            # One project's spend missing would understate the rate: say "too little data".
            log.info("Billing breakdown of %s unavailable: %s", project_id, exc.message)
            billing_readable = False
        try:
            orders[project_id] = client.purchases(project_id)
        except ApiError as exc:
            log.info("Purchases of %s unavailable: %s", project_id, exc.message)
    if billing_readable:
        rate = spend_from_billing(daily, today)
    else:
        rate = spend_from_history(history, now) if history else NO_DATA
    log.debug("Spend rate from %s (%d history samples): %s", rate.basis, len(history), rate)
    return build_forecast(total, rate, nearest_expiry(orders, today))
