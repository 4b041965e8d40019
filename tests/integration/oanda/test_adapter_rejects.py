"""Bad input on OANDA through a node on the v20 simulator: every reason OANDA rejects an order
with reaches the strategy as OrderRejected naming it, the order sent once and nothing
filled; a wrong token and an instrument the account does not list are one line before any
node is built (NautilusTrader itself never hands a client an order on an instrument it has no
definition of)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from execution_engine.adapters.oanda.preflight import OandaPreflightError, check_account
from execution_engine.adapters.oanda.v20.models import TransactionRejectReason
from execution_engine.conformance.context import CardContext
from nautilus_trader.model.enums import OrderSide, OrderStatus
from pydantic import SecretStr

from tests.integration.oanda.nodes import node_on_a_new_venue, sim_of

pytestmark = pytest.mark.slow

REASONS = [reason.value for reason in TransactionRejectReason]


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CardContext]:
    with node_on_a_new_venue(tmp_path_factory.mktemp("oanda-rejects")) as context:
        yield context


def test_every_reject_reason_is_an_order_rejected_naming_it(ctx: CardContext) -> None:
    faults = sim_of(ctx).faults
    before = ctx.desk.net_position()
    for reason in REASONS:
        ctx.begin()
        sim_of(ctx).sim.faults.reject_next_order(reason)
        order = ctx.desk.market(OrderSide.BUY, ctx.qty)
        ctx.expect_status(order, OrderStatus.REJECTED)
        said = ctx.desk.rejected[order.client_order_id]
        assert said.startswith(f"{reason}: "), said
        assert "\n" not in said
        assert faults.orders_received(order.client_order_id.value) == 1
        assert faults.fills_sent(order.client_order_id.value) == []
    rejected = [o for o in ctx.node.cache.orders() if o.status == OrderStatus.REJECTED]
    assert len(rejected) == len(REASONS)  # one OrderRejected each: none applied twice
    assert ctx.desk.net_position() == before == faults.net_position()


def test_an_order_still_trades_after_the_rejects(ctx: CardContext) -> None:
    ctx.begin()
    order = ctx.desk.market(OrderSide.BUY, ctx.qty)
    assert len(ctx.expect_status(order, OrderStatus.FILLED).trade_ids) == 1


def test_a_wrong_token_is_one_line_before_the_node(ctx: CardContext) -> None:
    venue = sim_of(ctx)
    config = venue.venue_config()
    with pytest.raises(OandaPreflightError) as caught:
        check_account(config, lambda name: SecretStr("not-the-token"), ["EUR_USD"])
    said = str(caught.value)
    assert "refused the token (HTTP 401)" in said
    assert "\n" not in said
    assert "not-the-token" not in said


def test_an_instrument_the_account_does_not_list_is_one_line(ctx: CardContext) -> None:
    venue = sim_of(ctx)
    with pytest.raises(OandaPreflightError, match=r"does not list ZZZ_USD \(it lists .*EUR_USD"):
        check_account(venue.venue_config(), venue.resolve, ["EUR_USD", "ZZZ_USD"])
    assert check_account(venue.venue_config(), venue.resolve, ["EUR_USD"]) == venue.sim.account_id
