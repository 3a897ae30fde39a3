"""Body parsing: every documented shape, the drift in the notes, and arbitrary JSON."""

from __future__ import annotations

import contextlib
import json
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trayapp.deepgram.models import Balance, Order, Project
from trayapp.deepgram.parsing import (
    decode_json,
    error_for_status,
    parse_amount,
    parse_balances,
    parse_billing_breakdown,
    parse_error_body,
    parse_projects,
    parse_purchases,
    parse_retry_after,
)
from trayapp.errors import (
    AuthError,
    MalformedResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
)
from trayapp.redaction import remember_secret

ECHOED_KEY = "0fb4ec58396ad58a4c339eb8760548b8dfbf9876"
"""A key the parsing tests pretend was loaded, so server text quoting it must come out scrubbed."""


def balances_from(text: str) -> list[Balance]:
    return parse_balances(decode_json(text.encode()))


class TestBalances:
    def test_documented_example(self) -> None:
        body = (
            '{"balances": [{"balance_id": "12345678910", "amount": 104.56822227, '
            '"units": "usd", "purchase_order_id": "12345678910"}]}'
        )
        assert balances_from(body) == [
            Balance("12345678910", Decimal("104.56822227"), "usd", "12345678910")
        ]

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("104", Decimal("104")),
            ("104.56822227", Decimal("104.56822227")),
            ('"104.56822227"', Decimal("104.56822227")),
            ('" 7.5 "', Decimal("7.5")),
            ("1e2", Decimal("100")),
            ("-3.5", Decimal("-3.5")),
            ("0.123456789012345678901234", Decimal("0.123456789012345678901234")),
        ],
    )
    def test_amount_as_int_float_or_string_keeps_full_precision(
        self, raw: str, expected: Decimal
    ) -> None:
        (balance,) = balances_from(f'{{"balances": [{{"amount": {raw}, "units": "usd"}}]}}')
        assert balance.amount == expected

    @pytest.mark.parametrize("units", ["usd", "USD", "Usd", " usd "])
    def test_units_compare_case_insensitively(self, units: str) -> None:
        (balance,) = balances_from(f'{{"balances": [{{"amount": 1, "units": "{units}"}}]}}')
        assert balance.units == "usd"

    def test_other_units_are_kept_not_converted(self) -> None:
        (balance,) = balances_from('{"balances": [{"amount": 12, "units": "Hours"}]}')
        assert (balance.amount, balance.units) == (Decimal(12), "hours")

    def test_extra_fields_are_ignored(self) -> None:
        body = '{"balances": [{"amount": 1, "units": "usd", "new_field": {"x": [1]}}], "meta": 1}'
        assert balances_from(body)[0].amount == Decimal(1)

    def test_several_balances_per_project(self) -> None:
        body = '{"balances": [{"amount": 1.5, "units": "usd"}, {"amount": "2.25", "units": "USD"}]}'
        assert [b.amount for b in balances_from(body)] == [Decimal("1.5"), Decimal("2.25")]

    @pytest.mark.parametrize("body", ['{"balances": []}', "{}", '{"balances": null}'])
    def test_no_balances_is_an_empty_list_not_an_error(self, body: str) -> None:
        assert balances_from(body) == []

    def test_missing_optional_fields(self) -> None:
        (balance,) = balances_from('{"balances": [{"amount": 3}]}')
        assert balance == Balance(balance_id="", amount=Decimal(3), units="usd")

    @pytest.mark.parametrize(
        "entry",
        [
            '{"amount": true, "units": "usd"}',
            '{"amount": null, "units": "usd"}',
            '{"units": "usd"}',
            '{"amount": "lots", "units": "usd"}',
            '{"amount": "", "units": "usd"}',
            '{"amount": "NaN", "units": "usd"}',
            '{"amount": "Infinity", "units": "usd"}',
            '{"amount": "1e999999", "units": "usd"}',
            '{"amount": [1], "units": "usd"}',
            '{"amount": 1, "units": 5}',
            '{"amount": 1, "units": ""}',
            '"not an object"',
        ],
    )
    def test_wrong_types_are_malformed(self, entry: str) -> None:
        with pytest.raises(MalformedResponseError):
            balances_from(f'{{"balances": [{entry}]}}')

    @pytest.mark.parametrize(
        "body",
        [
            '{"balances": {"a": 1}}',
            '{"balances": {}}',
            '{"balances": ""}',
            '[{"amount": 1}]',
            '"b"',
        ],
    )
    def test_wrong_container_is_malformed(self, body: str) -> None:
        with pytest.raises(MalformedResponseError):
            balances_from(body)


class TestProjects:
    def test_documented_shape(self) -> None:
        payload = decode_json(b'{"projects": [{"project_id": "p1", "name": "Prod", "x": 1}]}')
        assert parse_projects(payload) == [Project("p1", "Prod")]

    def test_missing_name_falls_back_to_the_id(self) -> None:
        assert parse_projects({"projects": [{"project_id": "p1"}]}) == [Project("p1", "p1")]

    @pytest.mark.parametrize(
        "entries", [[{"name": "no id"}], [{"project_id": 5}], [{"project_id": " "}], ["p1"]]
    )
    def test_entries_without_an_id_are_malformed(self, entries: list[object]) -> None:
        with pytest.raises(MalformedResponseError):
            parse_projects({"projects": entries})


class TestDecode:
    @pytest.mark.parametrize(
        ("body", "says"),
        [
            (b"<!DOCTYPE html><html><body>Sign in to the Wi-Fi</body></html>", "HTML page"),
            (b'{"balances": [{"amount": 1', "not JSON"),
            (b"\xff\xfe\x00", "not JSON"),
            (b"", "not JSON"),
            (b"NaN", "not JSON"),
            (b"[" * 100_000, "not JSON"),
        ],
    )
    def test_bodies_that_are_not_json(self, body: bytes, says: str) -> None:
        with pytest.raises(MalformedResponseError, match=says):
            decode_json(body)

    def test_the_error_carries_the_request_id_it_is_given(self) -> None:
        with pytest.raises(MalformedResponseError) as info:
            decode_json(b"<html>", request_id="r-9")
        assert info.value.request_id == "r-9"
        assert "request id r-9" in info.value.user_message()


class TestErrorBodies:
    def test_old_shape(self) -> None:
        info = parse_error_body(
            b'{"err_code": "INVALID_AUTH", "err_msg": "Invalid credentials.", "request_id": "r1"}'
        )
        assert (info.code, info.message, info.request_id) == (
            "INVALID_AUTH",
            "Invalid credentials.",
            "r1",
        )

    def test_new_shape(self) -> None:
        info = parse_error_body(
            b'{"category": "INSUFFICIENT_PERMISSIONS", "message": "No.", "details": "d", '
            b'"request_id": "r2"}'
        )
        assert (info.code, info.message, info.request_id) == (
            "INSUFFICIENT_PERMISSIONS",
            "No.",
            "r2",
        )

    def test_plain_text(self) -> None:
        info = parse_error_body(b"UUID parsing failed: invalid character\n")
        assert info.code is None
        assert info.message == "UUID parsing failed: invalid character"

    def test_html_error_page_says_nothing(self) -> None:
        assert parse_error_body(b"<html><body>502 Bad Gateway</body></html>").message is None

    def test_a_body_that_only_looks_like_json_is_plain_text(self) -> None:
        assert parse_error_body(b"{not json").message == "{not json"
        assert parse_error_body(b"{" * 100_000).message is not None

    def test_160_characters_are_kept_whole_and_longer_text_is_cut_to_160(self) -> None:
        assert parse_error_body(b"x" * 160).message == "x" * 160
        assert parse_error_body(b"y" * 161).message == "y" * 159 + "…"

    def test_a_key_the_server_echoes_is_scrubbed_from_message_and_request_id(self) -> None:
        remember_secret(ECHOED_KEY)
        info = parse_error_body(
            f'{{"err_msg": "Bad key {ECHOED_KEY}.", "request_id": "{ECHOED_KEY}"}}'.encode()
        )
        assert (info.message, info.request_id) == ("Bad key <key …9876>.", "<key …9876>")
        assert parse_error_body(f"plain {ECHOED_KEY}".encode()).message == "plain <key …9876>"

    def test_a_key_is_scrubbed_before_long_text_is_cut(self) -> None:
        remember_secret(ECHOED_KEY)
        # Cut first, the key would straddle the 160th character and half of it would stay.
        message = parse_error_body(("x" * 140 + ECHOED_KEY).encode()).message
        assert message == "x" * 140 + "<key …9876>"
        assert ECHOED_KEY[:19] not in (message or "")

    def test_long_or_multiline_text_becomes_one_short_line(self) -> None:
        info = parse_error_body(b"line one\nline two\x1b[31m" + b"x" * 1000)
        assert info.message is not None
        assert "\n" not in info.message and "\x1b" not in info.message
        assert len(info.message) <= 160


class TestErrorForStatus:
    def test_401_invalid_auth(self) -> None:
        error = error_for_status(
            401, b'{"err_code":"INVALID_AUTH","err_msg":"Invalid credentials."}', {}
        )
        assert isinstance(error, AuthError)
        assert "key set" in error.message and "Invalid credentials." in error.message
        assert error.exit_code == 3

    def test_401_insufficient_permissions_is_a_permission_problem(self) -> None:
        error = error_for_status(401, b'{"category":"INSUFFICIENT_PERMISSIONS","message":"x"}', {})
        assert isinstance(error, PermissionDeniedError)

    def test_403_names_the_member_key_problem(self) -> None:
        error = error_for_status(403, b'{"category":"FORBIDDEN","message":"Nope"}', {})
        assert isinstance(error, PermissionDeniedError)
        assert "Owner or Admin" in error.message and "may not read balances" in error.message
        assert error.exit_code == 3

    def test_404_for_a_project_names_it(self) -> None:
        error = error_for_status(404, b"UUID parsing failed", {}, project_id="p-42")
        assert isinstance(error, NotFoundError)
        assert "p-42" in error.message and "UUID parsing failed" in error.message

    def test_404_for_the_project_list_points_at_api_url(self) -> None:
        error = error_for_status(404, b"", {})
        assert isinstance(error, NotFoundError)
        assert error.message == (
            "The API has no projects endpoint at this address: check api_url "
            "(it should be https://api.deepgram.com)."
        )

    def test_429_with_retry_after(self) -> None:
        error = error_for_status(429, b"", {"Retry-After": "30"})
        assert isinstance(error, RateLimitedError)
        assert error.retry_after == 30.0
        assert "wait 30 s" in error.message
        assert error.exit_code == 4

    def test_429_without_retry_after(self) -> None:
        error = error_for_status(429, b'{"err_code":"TOO_MANY_REQUESTS"}', {})
        assert isinstance(error, RateLimitedError)
        assert error.retry_after is None

    @pytest.mark.parametrize("status", [500, 502, 503])
    def test_server_errors(self, status: int) -> None:
        error = error_for_status(status, b"<html>oops</html>", {})
        assert isinstance(error, ServerError)
        assert error.message == (
            f"Deepgram's API had a server error (HTTP {status}): try again in a few minutes."
        )

    @pytest.mark.parametrize("status", [400, 418, 499])
    def test_other_statuses_are_unexpected(self, status: int) -> None:
        error = error_for_status(status, b"", {})
        assert isinstance(error, ServerError)
        assert error.message.startswith(f"Deepgram's API answered with an unexpected HTTP {status}")

    def test_a_key_in_the_request_id_header_is_scrubbed(self) -> None:
        remember_secret(ECHOED_KEY)
        error = error_for_status(500, b"", {"dg-request-id": ECHOED_KEY})
        assert error.request_id == "<key …9876>"

    def test_request_id_from_body_else_header(self) -> None:
        assert error_for_status(500, b'{"request_id":"body-id"}', {}).request_id == "body-id"
        assert error_for_status(500, b"", {"dg-request-id": "hdr-id"}).request_id == "hdr-id"
        assert (
            "request id hdr-id"
            in error_for_status(500, b"", {"dg-request-id": "hdr-id"}).user_message()
        )


class TestRetryAfter:
    def test_seconds(self) -> None:
        assert parse_retry_after("120") == 120.0

    def test_http_date_in_the_past_is_zero(self) -> None:
        assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0

    @pytest.mark.parametrize("value", [None, "", "soon", "-5"])
    def test_unusable(self, value: str | None) -> None:
        assert parse_retry_after(value) is None

    def test_capped_at_a_day(self) -> None:
        assert parse_retry_after("999999999") == 86_400.0
        assert parse_retry_after("Fri, 31 Dec 2100 23:59:59 GMT") == 86_400.0

    def test_spaces_around_the_value(self) -> None:
        assert parse_retry_after(" 30 ") == 30.0

    def test_a_date_without_a_time_zone_is_utc(self) -> None:
        assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 -0000") == 0.0
        error = error_for_status(429, b"", {"Retry-After": "Fri, 31 Dec 2100 23:59:59 -0000"})
        assert isinstance(error, RateLimitedError) and error.retry_after == 86_400.0


class TestAmount:
    def test_float_input_keeps_its_shortest_decimal(self) -> None:
        assert parse_amount(0.1) == Decimal("0.1")

    def test_the_largest_credible_amount_is_just_under_a_quadrillion(self) -> None:
        assert parse_amount("999999999999999.99") == Decimal("999999999999999.99")
        assert parse_amount("-999999999999999") == Decimal("-999999999999999")
        for absurd in ("1000000000000000", "-1000000000000000", "1e15"):
            with pytest.raises(MalformedResponseError, match="out of range"):
                parse_amount(absurd)

    def test_thirty_decimal_places_at_most(self) -> None:
        assert parse_amount("1e-30") == Decimal("1e-30")
        with pytest.raises(MalformedResponseError, match="out of range"):
            parse_amount("1e-31")


class TestBillingBreakdown:
    def test_documented_shape(self) -> None:
        payload = decode_json(
            b'{"start": "2026-11-17", "end": "2026-11-24", "resolution": {"units": "day", '
            b'"amount": 1}, "results": [{"dollars": 0.25, "grouping": {"start": "2026-11-23", '
            b'"end": "2026-11-24", "accessor": null}}, {"dollars": "3", "grouping": '
            b'{"start": "2026-11-24T00:00:00Z"}}]}'
        )
        assert parse_billing_breakdown(payload) == [
            (date(2026, 11, 23), Decimal("0.25")),
            (date(2026, 11, 24), Decimal(3)),
        ]

    def test_a_day_without_dollars_spent_nothing(self) -> None:
        payload = {"results": [{"grouping": {"start": "2026-11-23"}}]}
        assert parse_billing_breakdown(payload) == [(date(2026, 11, 23), Decimal(0))]

    def test_no_results_is_no_spend(self) -> None:
        assert parse_billing_breakdown({"results": []}) == []
        assert parse_billing_breakdown({}) == []

    @pytest.mark.parametrize(
        "result",
        [
            "a day",
            {"dollars": 1},
            {"dollars": 1, "grouping": "2026-11-23"},
            {"dollars": 1, "grouping": {"start": "2026-13-45"}},
            {"dollars": 1, "grouping": {"start": "2026-11"}},
            {"dollars": 1, "grouping": {"start": 20261123}},
            {"dollars": "lots", "grouping": {"start": "2026-11-23"}},
        ],
    )
    def test_a_result_without_a_day_or_an_amount_is_malformed(self, result: object) -> None:
        with pytest.raises(MalformedResponseError):
            parse_billing_breakdown({"results": [result]})


class TestPurchases:
    def test_documented_shape(self) -> None:
        payload = decode_json(
            b'{"orders": [{"order_id": "o1", "expiration": "2027-01-09T00:00:00Z", '
            b'"created": "2026-01-09T10:00:00Z", "amount": 150, "units": "USD", '
            b'"order_type": "promotional"}, {"order_id": "o2", "expiration": null, '
            b'"amount": "20.5", "units": "usd"}]}'
        )
        assert parse_purchases(payload) == [
            Order("o1", Decimal(150), "usd", date(2027, 1, 9), order_type="promotional"),
            Order("o2", Decimal("20.5"), "usd", None),
        ]

    def test_missing_fields(self) -> None:
        assert parse_purchases({"orders": [{}]}) == [Order("", Decimal(0), "usd", None)]
        assert parse_purchases({}) == []

    def test_an_unreadable_expiry_is_no_expiry(self) -> None:
        orders = parse_purchases({"orders": [{"amount": 5, "expiration": "next year"}]})
        assert orders[0].expiration is None

    @pytest.mark.parametrize(
        "payload", [{"orders": ["o1"]}, {"orders": {}}, {"orders": [{"amount": True}]}]
    )
    def test_wrong_types_are_malformed(self, payload: object) -> None:
        with pytest.raises(MalformedResponseError):
            parse_purchases(payload)


# --- properties: whatever JSON arrives, the parser returns models or a typed error ---------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
balance_like = st.fixed_dictionaries(
    {},
    optional={
        "balance_id": json_values,
        "amount": json_values | st.from_regex(r"-?\d{1,6}(\.\d{1,10})?", fullmatch=True),
        "units": json_values | st.sampled_from(["usd", "USD", "hours"]),
        "purchase_order_id": json_values,
    },
)


@given(st.one_of(json_values, st.fixed_dictionaries({"balances": st.lists(balance_like)})))
def test_any_balances_json_gives_balances_or_malformed(payload: object) -> None:
    try:
        balances = parse_balances(decode_json(json.dumps(payload).encode()))
    except MalformedResponseError as exc:
        assert exc.message.endswith(".")
        return
    for balance in balances:
        assert isinstance(balance.amount, Decimal) and balance.amount.is_finite()
        assert balance.units == balance.units.lower().strip() and balance.units


@given(
    st.one_of(
        json_values,
        st.fixed_dictionaries(
            {"projects": st.lists(st.fixed_dictionaries({}, optional={"project_id": json_values}))}
        ),
    )
)
def test_any_projects_json_gives_projects_or_malformed(payload: object) -> None:
    try:
        projects = parse_projects(decode_json(json.dumps(payload).encode()))
    except MalformedResponseError:
        return
    assert all(p.project_id and p.name for p in projects)


@given(st.binary(max_size=200))
def test_any_bytes_decode_or_are_malformed(body: bytes) -> None:
    with contextlib.suppress(MalformedResponseError):
        decode_json(body)


@given(st.integers(min_value=100, max_value=599), st.binary(max_size=200))
def test_any_error_response_maps_to_a_sentence(status: int, body: bytes) -> None:
    if status < 400:
        return
    error = error_for_status(status, body, {})
    assert error.message.endswith(".") and "\n" not in error.message


# --- server text cleaned at the boundary ---------------------------------------------------------


def test_lone_surrogates_in_keys_values_and_lists_become_replacement_characters() -> None:
    """JSON's `\\ud800` escapes decode to text no encoding can write: replaced as it is read."""
    body = b'{"na\\ud800me": "a\\udfffb", "tags": ["x\\ud83d", 7, {"k": "\\udc00"}], "n": 5}'
    assert decode_json(body) == {
        "na\ufffdme": "a\ufffdb",
        "tags": ["x\ufffd", 7, {"k": "\ufffd"}],
        "n": Decimal(5),
    }


def test_ids_are_cleaned_but_never_cut() -> None:
    """Cut, an id would name another project; escapes and line breaks still go."""
    long_id = "p" * 300
    payload = {"projects": [{"project_id": f" \x1b[31m{long_id}\n", "name": "Prod"}]}
    assert parse_projects(payload) == [Project(f"[31m{long_id}", "Prod")]
    (balance,) = parse_balances({"balances": [{"balance_id": f"b\r\n{long_id}", "amount": 1}]})
    assert balance.balance_id == f"b {long_id}"


def test_names_and_units_are_kept_whole_up_to_200_characters() -> None:
    def name_of(name: str) -> str:
        return parse_projects({"projects": [{"project_id": "p1", "name": name}]})[0].name

    assert name_of("n" * 200) == "n" * 200
    assert name_of("n" * 201) == "n" * 199 + "…"
    (balance,) = parse_balances({"balances": [{"amount": 1, "units": "U" * 201}]})
    assert balance.units == "u" * 199 + "…"


def test_a_key_the_server_echoes_in_what_it_lists_is_scrubbed() -> None:
    remember_secret(ECHOED_KEY)
    listed = {"projects": [{"project_id": ECHOED_KEY, "name": f"Prod {ECHOED_KEY.upper()}"}]}
    assert parse_projects(listed) == [Project("<key …9876>", "Prod <key …9876>")]


# --- the edges of balances and the billing breakdown ---------------------------------------------


def test_the_older_purchase_field_names_the_order_unless_the_spec_name_is_there() -> None:
    (older,) = parse_balances({"balances": [{"amount": 1, "purchase": "po-9"}]})
    assert older.purchase_order_id == "po-9"
    entry = {"amount": 1, "purchase_order_id": "po-1", "purchase": "po-9"}
    assert parse_balances({"balances": [entry]})[0].purchase_order_id == "po-1"


def test_a_billing_answer_that_is_not_an_object_says_so() -> None:
    with pytest.raises(MalformedResponseError, match="the billing breakdown answer is not a JSON"):
        parse_billing_breakdown([{"dollars": 1, "grouping": {"start": "2026-11-02"}}])


def test_a_result_may_cover_up_to_366_days() -> None:
    """A leap year; one day more is not a billing result."""
    in_days = {
        "resolution": {"units": "day", "amount": 366},
        "results": [{"dollars": 366, "grouping": {"start": "2024-01-01"}}],
    }
    days = parse_billing_breakdown(in_days)
    assert len(days) == 366 and {dollars for _, dollars in days} == {Decimal(1)}
    in_months = {
        "resolution": {"units": "month", "amount": 12},
        "results": [{"dollars": 366, "grouping": {"start": "2024-01-01", "end": "2024-12-31"}}],
    }
    assert len(parse_billing_breakdown(in_months)) == 366
    in_days["resolution"] = {"units": "day", "amount": 367}
    with pytest.raises(MalformedResponseError, match="out of range"):
        parse_billing_breakdown(in_days)
    in_months["results"] = [
        {"dollars": 1, "grouping": {"start": "2024-01-01", "end": "2025-01-01"}}
    ]
    with pytest.raises(MalformedResponseError, match="more than a year"):
        parse_billing_breakdown(in_months)


def test_a_result_that_starts_on_the_breakdowns_last_day_stays_on_it() -> None:
    """A week begun today: everything spent so far was spent today."""
    payload = {
        "end": "2026-11-04",
        "resolution": {"units": "day", "amount": 7},
        "results": [{"dollars": 6, "grouping": {"start": "2026-11-04"}}],
    }
    assert parse_billing_breakdown(payload) == [(date(2026, 11, 4), Decimal(6))]


def test_a_one_day_result_keeps_every_decimal_place() -> None:
    """Spread over several days an amount is divided, to 28 digits; one day's is kept exact."""
    exact = "0.123456789012345678901234567891"
    payload = {"results": [{"dollars": exact, "grouping": {"start": "2026-11-02"}}]}
    assert parse_billing_breakdown(payload) == [(date(2026, 11, 2), Decimal(exact))]
