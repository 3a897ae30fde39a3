"""Two Deepgram accounts on the test server: the seed's key and projects as one account, and
client-a with its own key and project. A key of one account cannot see the other's."""

from __future__ import annotations

from tests.conftest import OWNER_KEY, PROJECT_A, PROJECT_B
from tests.support.deepgram_server import FakeDeepgram

CLIENT_A_KEY = "5b1d0e0c9a8f7e6d5c4b3a29181706f5e4d3c2b1"
PROJECT_C = "c1c1c1c1-0000-4000-8000-00000000000c"


def two_accounts(deepgram: FakeDeepgram, client_a_amount: str = "40") -> FakeDeepgram:
    """The seed server's key and projects become the default account's ($128.31822227); client-a
    has its own key and one project ("Client A Prod") with `client_a_amount` dollars."""
    deepgram.add_key(OWNER_KEY, account="acme")
    deepgram.project_accounts.update({PROJECT_A: "acme", PROJECT_B: "acme"})
    deepgram.add_key(CLIENT_A_KEY, account="client-a")
    deepgram.add_project(
        PROJECT_C,
        "Client A Prod",
        [
            {
                "balance_id": "bal-c",
                "amount": client_a_amount,
                "units": "usd",
                "purchase_order_id": "po-c",
            }
        ],
        account="client-a",
    )
    return deepgram


def client_a_has(deepgram: FakeDeepgram, amount: str) -> None:
    deepgram.set_balances(PROJECT_C, [{"balance_id": "bal-c", "amount": amount, "units": "usd"}])


def accept_client_b(deepgram: FakeDeepgram, key: str) -> None:
    """`key`, refused so far, becomes client-b's, with a project of $500."""
    deepgram.add_key(key, account="client-b")
    deepgram.add_project(
        "b2b2b2b2-0000-4000-8000-00000000000b",
        "Client B Prod",
        [{"balance_id": "bal-b", "amount": "500", "units": "usd", "purchase_order_id": None}],
        account="client-b",
    )
