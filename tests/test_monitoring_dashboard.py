"""The Grafana dashboard in packaging/monitoring: it has the shape Grafana's import expects, every
panel queries the Prometheus data source the import asks for, every query is valid PromQL, and
every metric a query reads is one `deepgram-tray serve` exports."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.promql import metric_names
from tests.support.required import require_tools
from tests.support.served_metrics import served_metric_names

DASHBOARD = (
    Path(__file__).resolve().parent.parent / "packaging" / "monitoring" / "grafana-dashboard.json"
)
DATASOURCE = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
# Grafana 10.4 writes schemaVersion 39; older numbers would be migrated on import, newer ones
# would not load in the Grafana versions people run today.
SUPPORTED_SCHEMA_VERSIONS = range(36, 42)


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return loaded


def panels() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for panel in dashboard()["panels"]:
        found.append(panel)
        found += panel.get("panels", [])  # panels inside a collapsed row
    return [panel for panel in found if panel["type"] != "row"]


def expressions() -> list[str]:
    return [target["expr"] for panel in panels() for target in panel["targets"]]


def test_the_dashboard_has_the_shape_grafana_imports() -> None:
    board = dashboard()
    assert board["uid"] == "deepgram-balance"
    assert board["title"]
    assert board["schemaVersion"] in SUPPORTED_SCHEMA_VERSIONS
    # Importing asks for a Prometheus data source and puts it where ${DS_PROMETHEUS} stands...
    assert board["__inputs"] == [
        {
            "name": "DS_PROMETHEUS",
            "label": "Prometheus",
            "description": "The Prometheus that scrapes deepgram-tray serve",
            "type": "datasource",
            "pluginId": "prometheus",
            "pluginName": "Prometheus",
        }
    ]
    # ...and a provisioned copy (no import step) resolves it through the variable of that name.
    variables = {variable["name"]: variable for variable in board["templating"]["list"]}
    assert variables["DS_PROMETHEUS"]["type"] == "datasource"
    assert variables["DS_PROMETHEUS"]["query"] == "prometheus"
    for variable in variables.values():
        if variable["type"] == "query":
            assert variable["datasource"] == DATASOURCE, variable["name"]
    ids = [panel["id"] for panel in panels()]
    assert len(ids) == len(set(ids)), "panel ids must be unique"


def test_every_panel_queries_the_prometheus_data_source() -> None:
    assert panels()
    for panel in panels():
        assert panel["datasource"] == DATASOURCE, panel["title"]
        assert panel["targets"], f"{panel['title']} has no queries"
        for target in panel["targets"]:
            assert target["datasource"] == DATASOURCE, panel["title"]
            assert target["expr"].strip(), panel["title"]
        refs = [target["refId"] for target in panel["targets"]]
        assert len(refs) == len(set(refs)), f"{panel['title']} repeats a refId"


def test_the_dashboard_has_the_promised_panels() -> None:
    """The README describes these panels; each is there, as the kind of panel it says."""
    kinds = {panel["title"]: panel["type"] for panel in panels()}
    assert kinds == {
        "Total balance": "stat",
        "Days left": "stat",
        "Spend per day": kinds["Spend per day"],
        "Nearest credit expiry": "stat",
        "Exporter health": "stat",
        "Balance per project": "timeseries",
        "Days left per project": "bargauge",
        "Reads of Deepgram": "timeseries",
    }
    assert kinds["Spend per day"] == "timeseries"


def test_every_query_reads_only_metrics_the_exporter_serves() -> None:
    served = served_metric_names()
    for expr in expressions():
        read = metric_names(expr)
        assert read, f"no metric found in {expr!r}: the tokeniser is broken"
        assert read - served == set(), expr
    # The dashboard shows every deepgram_* metric the exporter has: a new metric gets a panel.
    shown = set().union(*(metric_names(expr) for expr in expressions()))
    assert {name for name in served if name.startswith("deepgram_")} - shown == set()


def test_every_query_is_valid_promql(tmp_path: Path) -> None:
    """promtool parses each query as a recording rule (with Grafana's variables filled in)."""
    promtool = shutil.which("promtool")
    if promtool is None:
        require_tools(["promtool (Debian package prometheus)"])
    assert promtool is not None
    rules = [
        {"record": f"dashboard:query_{index}", "expr": _with_variables_filled(expr)}
        for index, expr in enumerate(expressions())
    ]
    rule_file = tmp_path / "dashboard-queries.yml"
    # JSON is YAML, which is what promtool reads.
    rule_file.write_text(json.dumps({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = subprocess.run(
        [promtool, "check", "rules", str(rule_file)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _with_variables_filled(expr: str) -> str:
    return re.sub(r"\$\{?\w+\}?", ".*", expr)


# The tokeniser the metric check relies on: what it must find, and what it must not mistake for
# a metric (functions, keywords, label names, strings, durations, Grafana variables).
@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ('deepgram_up{instance=~"$instance"}', {"deepgram_up"}),
        (
            'sum by (project_id, units) (deepgram_balance_amount{units="usd"})'
            " / on (instance) group_left (project_name) deepgram_balance_total",
            {"deepgram_balance_amount", "deepgram_balance_total"},
        ),
        (
            "increase(deepgram_reads_total[$__rate_interval] offset 1h) > bool 3e2",
            {"deepgram_reads_total"},
        ),
        (
            'label_replace(deepgram_up, "to", "$1", "from", "(.*)") unless ignoring(job) up',
            {"deepgram_up", "up"},
        ),
        (
            "(time() - deepgram_last_success_timestamp_seconds) / 86400 < Inf",
            {"deepgram_last_success_timestamp_seconds"},
        ),
        ("topk(3, deepgram_project_days_left) without (instance)", {"deepgram_project_days_left"}),
        ('count_values without(job) ("value", deepgram_up)', {"deepgram_up"}),
        ("vector(1) + scalar(sum(rate(x_total[5m:1m])))", {"x_total"}),
    ],
)
def test_the_tokeniser_finds_metric_names_only(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


def test_the_metric_check_catches_a_misspelt_metric() -> None:
    """The negative case: a query reading a metric the exporter does not serve is caught, even
    when it hides among functions, label names and keywords."""
    served = served_metric_names()
    expr = 'sum by (project_name) (deepgram_balance_ammount{units="usd"}) and on() deepgram_up'
    assert metric_names(expr) - served == {"deepgram_balance_ammount"}
