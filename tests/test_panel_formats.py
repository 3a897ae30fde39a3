"""The bar formats as pure functions: what each class, colour and line says, read the way the
bars read them (tests/support/panel_consumers.py)."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from tests.support.panel_consumers import (
    ConsumerRefused,
    XbarPlugin,
    waybar_reads,
    xbar_item,
    xbar_reads,
)
from trayapp.deepgram.models import Balance, BalanceSnapshot, Project, ProjectBalances
from trayapp.errors import AuthError, PermissionDeniedError, ServerError
from trayapp.outlook.forecast import Expiry, Forecast, SpendRate
from trayapp.tray.panel_formats import (
    COLOUR_OF_CLASS,
    PANEL_CLASSES,
    render_waybar,
    render_waybar_failure,
    render_xbar,
    render_xbar_failure,
    xbar_safe,
)
from trayapp.tray.state import Thresholds

THRESHOLDS = Thresholds(Decimal(20), Decimal(5), Decimal(0), 30)
READ_AT = datetime(2026, 11, 24, 18, 0, tzinfo=timezone.utc)


def project(
    name: str, *amounts: tuple[str, str], error: Exception | None = None
) -> ProjectBalances:
    balances = tuple(Balance(f"b{i}", Decimal(a), units) for i, (a, units) in enumerate(amounts))
    return ProjectBalances(Project(f"id-{name}", name), balances, error)  # type: ignore[arg-type]


def snapshot(*projects: ProjectBalances) -> BalanceSnapshot:
    return BalanceSnapshot(READ_AT, projects)


def dollars(amount: str, name: str = "Prod") -> BalanceSnapshot:
    return snapshot(project(name, (amount, "usd")))


def waybar(*args: object, **kwargs: object) -> dict[str, object]:
    module = waybar_reads(render_waybar(*args, **kwargs), 0)  # type: ignore[arg-type]
    assert module is not None
    return {
        "text": module.shown_text,
        "tooltip": module.shown_tooltip,
        "class": module.classes,
        "alt": module.alt,
    }


def xbar(*args: object, **kwargs: object) -> XbarPlugin:
    return xbar_reads(render_xbar(*args, **kwargs))  # type: ignore[arg-type]


class TestWaybar:
    def test_the_contracts_four_fields_on_one_line(self) -> None:
        line = render_waybar(
            snapshot(
                project("Voice Bot", ("125.06822227", "usd")), project("Staging", ("3.25", "usd"))
            ),
            THRESHOLDS,
        )
        assert line.endswith("\n") and line.count("\n") == 1
        document = json.loads(line)
        assert list(document) == ["text", "tooltip", "class", "alt"]
        assert document["text"] == "$128"  # rounded down, as on the icon
        assert document["class"] == document["alt"] == "ok"
        assert document["tooltip"].split("\n")[:3] == [
            "Deepgram $128.32",
            "Voice Bot: $125.07",
            "Staging: $3.25",
        ]

    @pytest.mark.parametrize(
        ("amount", "expected"),
        [("20", "ok"), ("19.99", "warn"), ("5", "warn"), ("4.99", "critical"), ("-3", "critical")],
    )
    def test_class_follows_the_thresholds(self, amount: str, expected: str) -> None:
        assert waybar(dollars(amount), THRESHOLDS)["class"] == [expected]

    def test_the_thresholds_come_from_the_caller(self) -> None:
        strict = THRESHOLDS._replace(warn_below=Decimal(500), critical_below=Decimal(200))
        assert waybar(dollars("128.32"), strict)["class"] == ["critical"]

    def test_hours_only_shows_hours_and_is_never_coloured_by_dollars(self) -> None:
        shown = waybar(snapshot(project("Hourly", ("12.5", "hour"))), THRESHOLDS)
        assert shown["text"] == "12h"  # rounded down, as on the icon
        assert shown["class"] == ["ok"]  # $0 would be red; hours say nothing to the dollar limits
        assert "Deepgram 12.5 hours" in str(shown["tooltip"])

    def test_a_unit_the_icon_cannot_show_is_written_out(self) -> None:
        shown = waybar(snapshot(project("Odd", ("7", "zeta"))), THRESHOLDS)
        assert shown["text"] == "7.00 zeta"

    def test_dollars_and_hours_show_dollars_with_both_in_the_tooltip(self) -> None:
        shown = waybar(snapshot(project("Mixed", ("40", "usd"), ("3", "hour"))), THRESHOLDS)
        assert shown["text"] == "$40"
        assert "Deepgram $40.00 + 3 hours" in str(shown["tooltip"])

    def test_a_failed_project_makes_it_an_error_and_is_named(self) -> None:
        shown = waybar(
            snapshot(
                project("Prod", ("125", "usd")),
                project("Staging", error=ServerError("Deepgram had a server error (HTTP 502).")),
            ),
            THRESHOLDS,
        )
        assert shown["class"] == ["error"] and shown["alt"] == "error"
        assert shown["text"] == "$125"  # what was read stays in view
        assert "Staging: unavailable, Deepgram server error" in str(shown["tooltip"])

    def test_nothing_read_shows_the_problem_not_a_false_zero(self) -> None:
        refused = PermissionDeniedError("This key may not read balances.")
        shown = waybar(
            snapshot(project("A", error=refused), project("B", error=refused)), THRESHOLDS
        )
        assert shown["text"] == "key may not read balances"
        assert shown["class"] == ["error"]

    def test_no_projects(self) -> None:
        shown = waybar(snapshot(), THRESHOLDS)
        assert shown["text"] == "$0"
        assert "This API key sees no projects" in str(shown["tooltip"])

    def test_stale_since_gives_the_stale_class_and_says_why(self) -> None:
        shown = waybar(
            dollars("128.32"),
            THRESHOLDS,
            stale_since=READ_AT,
            problem="Could not reach api.deepgram.com.",
        )
        assert shown["class"] == ["stale"] and shown["alt"] == "stale"
        assert shown["text"] == "$128"
        tooltip = str(shown["tooltip"])
        assert (
            "Stale: saved read from" in tooltip and "Could not reach api.deepgram.com." in tooltip
        )
        assert "Updated" not in tooltip

    def test_forecast_lines_join_the_tooltip(self) -> None:
        forecast = Forecast(SpendRate("billing", Decimal("4.25")), Decimal("30.19"), None)
        tooltip = str(waybar(dollars("128.32"), THRESHOLDS, forecast)["tooltip"])
        assert "About 30 days left" in tooltip
        assert "$4.25 a day on average" in tooltip

    def test_markup_in_a_project_name_is_shown_as_written(self) -> None:
        name = "R&D <beta> \"x\" 'y'"
        shown = waybar(dollars("50", name), THRESHOLDS)  # Pango would refuse it unescaped
        assert f"{name}: $50.00" in str(shown["tooltip"])

    def test_failure_is_one_line_with_the_reason(self) -> None:
        reason = 'Deepgram refused the API key ("Invalid credentials."): set a valid key <now>.'
        module = waybar_reads(render_waybar_failure(reason, "API key refused"), 0)
        assert module is not None
        assert (module.shown_text, module.classes, module.alt) == (
            "API key refused",
            ["error"],
            "error",
        )
        assert module.shown_tooltip == reason


class TestXbar:
    def test_title_dropdown_and_refresh(self) -> None:
        plugin = xbar(
            snapshot(
                project("Voice Bot", ("125.06822227", "usd")), project("Staging", ("3.25", "usd"))
            ),
            THRESHOLDS,
        )
        assert len(plugin.title) == 1  # more title lines would cycle in the menu bar
        assert plugin.title[0].text == "$128.32"
        assert plugin.title[0].params["color"] == COLOUR_OF_CLASS["ok"] == "#147832"
        texts = [item.text if item else "---" for item in plugin.dropdown]
        assert texts[:2] == ["Voice Bot: $125.07", "Staging: $3.25"]
        assert texts[-2:] == ["---", "Refresh"]
        last = plugin.dropdown[-1]
        assert last is not None and last.params == {"refresh": "true"}

    @pytest.mark.parametrize(
        ("amount", "panel_class"), [("128", "ok"), ("10", "warn"), ("1", "critical")]
    )
    def test_title_colour_is_the_icons(self, amount: str, panel_class: str) -> None:
        assert (
            xbar(dollars(amount), THRESHOLDS).title[0].params["color"]
            == (COLOUR_OF_CLASS[panel_class])
        )

    def test_the_colours_are_the_icon_families(self) -> None:
        assert COLOUR_OF_CLASS == {
            "ok": "#147832",
            "warn": "#f5aa14",
            "critical": "#c81e1e",
            "error": "#969696",
            "stale": "#969696",
        }
        assert set(COLOUR_OF_CLASS) == set(PANEL_CLASSES)

    def test_a_hostile_project_name_stays_one_plain_item(self) -> None:
        name = "--evil | href=http://x.example\n---\nRefresh | refresh=true :rocket:"
        plugin = xbar(
            snapshot(project(name, ("5", "usd")), project("Prod", ("10", "usd"))), THRESHOLDS
        )
        items = [item for item in plugin.dropdown if item is not None]
        assert all(item.depth == 0 for item in items)
        assert "href" not in str([item.params for item in items])
        assert [item.text for item in items].count("Refresh") == 1
        hostile = items[0]
        assert hostile.text.endswith("Refresh ¦ refresh=true :rocket:: $5.00")
        assert hostile.params["emojize"] == "false"  # `:rocket:` stays text
        assert plugin.dropdown.count(None) == 1  # only the separator before Refresh

    def test_hours_only(self) -> None:
        plugin = xbar(snapshot(project("Hourly", ("12.5", "hour"))), THRESHOLDS)
        assert plugin.title[0].text == "12.5 hours"
        assert plugin.title[0].params["color"] == COLOUR_OF_CLASS["ok"]

    def test_partial_failure_is_grey_and_named(self) -> None:
        plugin = xbar(
            snapshot(project("Prod", ("125", "usd")), project("Staging", error=AuthError("No."))),
            THRESHOLDS,
        )
        assert plugin.title[0].text == "$125.00"
        assert plugin.title[0].params["color"] == COLOUR_OF_CLASS["error"]
        texts = [item.text for item in plugin.dropdown if item is not None]
        assert "Staging: unavailable, API key refused" in texts

    def test_forecast_lines(self) -> None:
        forecast = Forecast(
            SpendRate("billing", Decimal("4.25")),
            Decimal("30.19"),
            Expiry(date(2026, 12, 14), Decimal(25), "usd", "id-Prod"),
        )
        texts = [i.text for i in xbar(dollars("128.32"), THRESHOLDS, forecast).dropdown if i]
        assert "About 30 days left" in texts
        assert any(t.startswith("Credit expiring: $25.00 purchased on 14 Dec 2026") for t in texts)

    def test_stale(self) -> None:
        plugin = xbar(dollars("128.32"), THRESHOLDS, stale_since=READ_AT, problem="Offline.")
        assert plugin.title[0].params["color"] == COLOUR_OF_CLASS["stale"]
        texts = [item.text for item in plugin.dropdown if item is not None]
        assert "Offline." in texts

    def test_failure_block(self) -> None:
        plugin = xbar_reads(render_xbar_failure("Could not reach the API | try later.", "offline"))
        assert [item.text for item in plugin.title] == ["offline"]
        assert plugin.title[0].params["color"] == COLOUR_OF_CLASS["error"]
        texts = [item.text if item else "---" for item in plugin.dropdown]
        assert texts == ["Could not reach the API ¦ try later.", "---", "Refresh"]


class TestXbarSafe:
    @pytest.mark.parametrize(
        ("raw", "safe"),
        [
            ("Prod", "Prod"),
            ("a|b", "a¦b"),
            ("---", "\u2010\u2010\u2010"),
            ("--sub", "\u2010\u2010sub"),
            ("  -x", "\u2010x"),
            ("line\nbreak\r\x1b[31m", "line break  [31m"),
            ("a\u2028b", "a b"),
            ("日本語 ✓ 🚀", "日本語 ✓ 🚀"),
        ],
    )
    def test_cases(self, raw: str, safe: str) -> None:
        assert xbar_safe(raw) == safe

    def test_a_safe_text_reads_back_as_itself(self) -> None:
        for raw in ("--x | y=z", "-", "a\nb", "|||"):
            item = xbar_item(xbar_safe(raw) + " | emojize=false")
            assert (
                item.depth == 0
                and item.text == xbar_safe(raw)
                and item.params == {"emojize": "false"}
            )


class TestTheReadersThemselves:
    """The checkers refuse what the bars would: otherwise the tests above prove nothing."""

    def test_waybar_hides_a_failed_run(self) -> None:
        assert waybar_reads('{"text": "x"}\n', 3) is None
        assert waybar_reads("", 0) is None

    @pytest.mark.parametrize(
        "output",
        [
            "not json\n",
            '{"text": 5}\n',
            '{"text": "a & b"}\n',
            '{"text": "x", "class": [1]}\n',
            '{"text": "x", "percentage": "5"}\n',
            '{"text": "x"}\n{"text": "y"}\n',
            '["text"]\n',
        ],
    )
    def test_waybar_refuses(self, output: str) -> None:
        with pytest.raises(ConsumerRefused):
            waybar_reads(output, 0)

    def test_xbar_refuses(self) -> None:
        with pytest.raises(ConsumerRefused):
            xbar_item("x | color")
        with pytest.raises(ConsumerRefused):
            xbar_item("x | color='red")
        with pytest.raises(ConsumerRefused):
            xbar_reads("--sub in the title\n---\n")
        assert xbar_item("----deep | a=b").depth == 2
