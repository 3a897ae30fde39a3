"""The Prometheus alert rules in packaging/monitoring: promtool accepts them, their promtool unit
tests pass (every alert fires when it should and stays quiet when it should not), they follow the
conventions the README promises, and they read only metrics the exporter serves."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.promql import metric_names
from tests.support.required import require_tools
from tests.support.served_metrics import served_metric_names

MONITORING = Path(__file__).resolve().parent.parent / "packaging" / "monitoring"
RULES = MONITORING / "deepgram-alerts.rules.yml"
RULE_TESTS = MONITORING / "deepgram-alerts.test.yml"

# The metric an annotation template queries: {{ printf "name{...}" ... | query }}.
_TEMPLATE_QUERY = re.compile(r'printf\s+"([A-Za-z_:][A-Za-z0-9_:]*)\{')


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        require_tools(["promtool (Debian package prometheus)"])
    assert found is not None
    return found


def run_promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool(), *args],
        cwd=MONITORING,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_promtool_accepts_the_rules() -> None:
    result = run_promtool("check", "rules", RULES.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(alert_rules())} rules found" in result.stdout


def test_the_rules_pass_their_promtool_unit_tests() -> None:
    result = run_promtool("test", "rules", RULE_TESTS.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_is_tested_firing_and_quiet() -> None:
    """promtool passes a rule nobody tests: every alert needs a case where it fires and one where
    it must not."""
    tests = yaml.safe_load(RULE_TESTS.read_text(encoding="utf-8"))["tests"]
    checks = [check for test in tests for check in test.get("alert_rule_test", [])]
    firing = {check["alertname"] for check in checks if check["exp_alerts"]}
    quiet = {check["alertname"] for check in checks if not check["exp_alerts"]}
    alerts = {rule["alert"] for rule in alert_rules()}
    assert alerts - firing == set(), "never tested firing"
    assert alerts - quiet == set(), "never tested quiet"


def test_the_rules_follow_the_documented_conventions() -> None:
    document = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    assert [group["name"] for group in document["groups"]] == ["deepgram-balance"]
    for rule in alert_rules():
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert {"summary", "description"} <= set(rule["annotations"]), rule["alert"]
    by_name = {rule["alert"]: rule for rule in alert_rules()}
    # Balances do not flap: a critical balance alerts at the first evaluation that sees it.
    assert by_name["DeepgramBalanceCritical"].get("for", "0s") in {"0s", "0m", 0}
    assert by_name["DeepgramBalanceCritical"]["labels"]["severity"] == "critical"
    # The scrape job the README's prometheus.yml snippet names.
    assert 'up{job="deepgram"}' in by_name["DeepgramExporterDown"]["expr"]


def test_the_rules_read_only_metrics_the_exporter_serves() -> None:
    served = served_metric_names()
    read: set[str] = set()
    for rule in alert_rules():
        read |= metric_names(rule["expr"])
        for template in rule["annotations"].values():
            read |= set(_TEMPLATE_QUERY.findall(template))
    assert read, "found no metric names at all: the tokeniser is broken"
    assert read - served == set()


@pytest.mark.parametrize(
    ("template", "names"),
    [
        ('{{ with printf "deepgram_up{instance=%q}" $labels.instance | query }}', ["deepgram_up"]),
        ("{{ $value | humanizeDuration }}", []),
    ],
)
def test_template_queries_are_found(template: str, names: list[str]) -> None:
    assert _TEMPLATE_QUERY.findall(template) == names
