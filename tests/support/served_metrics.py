"""The metric names a query may read: what `deepgram-tray serve` exports, plus Prometheus's own
`up` for the scrape of it."""

from __future__ import annotations

import pytest

PROMETHEUS_OWN = frozenset({"up"})


def served_metric_names() -> frozenset[str]:
    try:
        from trayapp.exporter.families import METRIC_NAMES
    except ModuleNotFoundError as missing:
        if not (missing.name or "").startswith("trayapp.exporter"):
            raise
        pytest.skip("trayapp.exporter.families (METRIC_NAMES) is not there yet")
    return frozenset(METRIC_NAMES) | PROMETHEUS_OWN
