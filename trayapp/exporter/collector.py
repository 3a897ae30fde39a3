"""The bridge from our metric families to prometheus_client, which writes the exposition text."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from trayapp.exporter.families import Family


class FamiliesCollector(Collector):
    """Asks for the current families at each scrape; registered without describe(), so the
    registry does not call collect() at registration (there is nothing read yet)."""

    def __init__(self, current: Callable[[], list[Family]]) -> None:
        self._current = current

    def collect(self) -> Iterator[Metric]:
        for family in self._current():
            yield to_metric(family)


def to_metric(family: Family) -> Metric:
    label_names = [name for name, _ in family.samples[0][0]] if family.samples else []
    # prometheus_client adds the `_total` suffix of a counter itself.
    make = CounterMetricFamily if family.kind == "counter" else GaugeMetricFamily
    metric = make(family.name, family.help, labels=label_names)
    for labels, value in family.samples:
        metric.add_metric([value_ for _, value_ in labels], value)
    return metric
