"""OANDA's own Python library (`v20`, sync, on requests) against the simulator: the
evidence that code written for the real v20 API works unchanged when pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
import v20
from execution_engine.adapters.oanda.sim.config import SimConfig
from execution_engine.adapters.oanda.sim.simulator import OandaSimulator
from pydantic import SecretStr

TOKEN = "official-token"


@pytest.fixture(scope="module")
def sim() -> Iterator[OandaSimulator]:
    simulator = OandaSimulator(SimConfig(token=SecretStr(TOKEN), interval=0.05, max_bars=300))
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture(scope="module")
def ctx(sim: OandaSimulator) -> v20.Context:
    return v20.Context(hostname="127.0.0.1", port=sim.port, ssl=False, token=TOKEN)


def test_accounts_and_instruments(sim: OandaSimulator, ctx: v20.Context) -> None:
    listed = ctx.account.list()
    assert listed.status == 200
    assert [a.id for a in listed.get("accounts")] == [sim.account_id]
    instruments = ctx.account.instruments(sim.account_id).get("instruments")
    assert {"EUR_USD", "USD_JPY", "XAU_USD"} <= {i.name for i in instruments}
    summary = ctx.account.summary(sim.account_id).get("account")
    assert summary.currency == "USD"
    assert summary.balance == 100_000


def test_candles_in_three_prices(ctx: v20.Context) -> None:
    answer = ctx.instrument.candles("EUR_USD", granularity="H1", count=3, price="MBA")
    assert answer.status == 200
    candles = answer.get("candles")
    assert len(candles) == 3
    assert candles[0].bid.c < candles[0].mid.c < candles[0].ask.c


def test_market_order_trade_position_and_transactions(
    sim: OandaSimulator, ctx: v20.Context
) -> None:
    account = sim.account_id
    since = ctx.account.summary(account).get("lastTransactionID")
    created = ctx.order.market(
        account, instrument="EUR_USD", units=1000, clientExtensions={"id": "official-1", "tag": "t"}
    )
    assert created.status == 201
    fill = created.get("orderFillTransaction")
    assert fill.clientOrderID == "official-1"
    trade_id = fill.tradeOpened.tradeID
    assert trade_id in [t.id for t in ctx.trade.list_open(account).get("trades")]
    long_units = {
        p.instrument: p.long.units for p in ctx.position.list_open(account).get("positions")
    }
    assert long_units["EUR_USD"] == 1000
    kinds = [t.type for t in ctx.transaction.since(account, id=since).get("transactions")]
    assert kinds == ["MARKET_ORDER", "ORDER_FILL"]
    closed = ctx.trade.close(account, trade_id)
    assert closed.status == 200
    assert closed.get("orderFillTransaction").tradesClosed[0].tradeID == trade_id
    assert sim.net_position("EUR_USD") == Decimal(0)


def test_a_reject_parses_as_the_library_expects(sim: OandaSimulator, ctx: v20.Context) -> None:
    answer = ctx.order.market(sim.account_id, instrument="EUR_XYZ", units=1)
    assert answer.status == 400
    assert answer.get("orderRejectTransaction", 400).rejectReason == "INSTRUMENT_UNKNOWN"
    assert answer.get("errorCode", 400) == "INSTRUMENT_UNKNOWN"


def test_pending_order_listed_and_cancelled(sim: OandaSimulator, ctx: v20.Context) -> None:
    created = ctx.order.limit(sim.account_id, instrument="EUR_USD", units=10, price="0.50000")
    assert created.status == 201
    order_id = created.get("orderCreateTransaction").id
    assert order_id in [o.id for o in ctx.order.list_pending(sim.account_id).get("orders")]
    cancelled = ctx.order.cancel(sim.account_id, order_id)
    assert cancelled.status == 200
    assert cancelled.get("orderCancelTransaction").reason == "CLIENT_REQUEST"


def test_pricing_snapshot_and_stream(sim: OandaSimulator, ctx: v20.Context) -> None:
    price = ctx.pricing.get(sim.account_id, instruments="EUR_USD").get("prices")[0]
    assert price.bids[0].price < price.asks[0].price
    stream = ctx.pricing.stream(sim.account_id, instruments="EUR_USD,USD_JPY", snapshot=True)
    seen = []
    for kind, message in stream.parts():
        if kind == "pricing.ClientPrice":
            seen.append(message.instrument)
        if len(seen) == 4:
            break
    assert {"EUR_USD", "USD_JPY"} == set(seen)


def test_wrong_token_is_401(sim: OandaSimulator) -> None:
    wrong = v20.Context(hostname="127.0.0.1", port=sim.port, ssl=False, token="nope")
    answer = wrong.account.list()
    assert answer.status == 401
    assert answer.body["errorMessage"] == "Insufficient authorization to perform request."
