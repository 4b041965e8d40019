"""The demo's live chapter: the promoted strategy's decision, traded on the FIX broker
simulator over TLS by a NautilusTrader TradingNode, then reconciled by a restarted node.

The strategy decides on the demo's bars (its target on the latest bar, research side); a
small NautilusTrader strategy sends the market order that reaches that target. The strategy
host on FIX bars arrives with the live node (issue 12). Kept out of demo_cmd.py so the
CLI's import stays light: this module loads NautilusTrader and QuickFIX.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from execution_engine.adapters.fix.config import FIX_CLIENT, FixVenueConfig, TlsConfig
from execution_engine.adapters.fix.providers import fix_instrument, fix_symbol
from execution_engine.adapters.fix.sim.quotes import quotes_from_bars
from execution_engine.adapters.fix.sim.server import FixSimulator, SimulatorConfig
from execution_engine.live.node import build_fix_node, run_until, start_node, stop_node
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.enums import OrderSide, OrderStatus
from nautilus_trader.model.identifiers import ClientId, InstrumentId
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.orders import Order
from nautilus_trader.trading.strategy import Strategy
from pydantic import SecretStr
from rich.console import Console

from gauntlet.cli.app import reclaim_stop_signals
from gauntlet.cli.native_output import native_output_to
from gauntlet.cli.render import frame_table
from live.stack._process import free_port
from strategies import plugins

ORDER_UNITS = 10_000  # a target of 1.0 trades this many units
FILL_TIMEOUT_SECONDS = 10.0
# The simulator's development credentials, under the secret names its client config uses.
SIM_SECRETS = {"fix_sim_username": "gauntlet", "fix_sim_password": "sim-password"}


class TargetOrder(Strategy):  # type: ignore[misc]  # NautilusTrader is untyped (Cython)
    """Sends one market order for `quantity` (signed) on the first quote it sees."""

    def __init__(self, instrument: Instrument, quantity: Decimal) -> None:
        super().__init__()
        self.instrument = instrument
        self.quantity = quantity
        self.order: Order | None = None

    def on_start(self) -> None:
        self.subscribe_quote_ticks(self.instrument.id, client_id=ClientId(FIX_CLIENT))

    def on_quote_tick(self, tick: QuoteTick) -> None:
        if self.order is not None or self.quantity == 0:
            return
        side = OrderSide.BUY if self.quantity > 0 else OrderSide.SELL
        size = self.instrument.make_qty(abs(self.quantity))
        self.order = self.order_factory.market(self.instrument.id, side, size)
        self.submit_order(self.order)


@dataclass(frozen=True)
class Decision:
    strategy: str
    target: float
    bar: pd.Timestamp


def decide(bars: pd.DataFrame, name: str, params: dict[str, Any]) -> Decision:
    """The strategy's target on the latest bar (0 while it has no opinion yet)."""
    target = plugins.create(name, **params).target(bars)
    # The demo's bars are one instrument: a Series (a panel would give a DataFrame).
    series = target if isinstance(target, pd.Series) else target.iloc[:, 0]
    last = float(series.iloc[-1])
    label = f"{name}({', '.join(f'{k}={v}' for k, v in params.items())})"
    return Decision(label, 0.0 if pd.isna(last) else last, pd.Timestamp(bars.index[-1]))


def run_live_chapter(
    console: Console, bars: pd.DataFrame, strategy: tuple[str, dict[str, Any]], spread: float,
    folder: Path,
) -> None:  # fmt: skip
    """Simulator up on the latest bar's quotes, one node trades the decision, a second node on
    the same state folder reconciles, everything stopped; then the results are printed."""
    decision = decide(bars, *strategy)
    name = str(bars.attrs.get("instrument", "EURUSD"))
    instrument = fix_instrument(name)
    units = (Decimal(repr(decision.target)) * ORDER_UNITS).quantize(Decimal(1))
    console.print(
        f"{decision.strategy} on the bar of {decision.bar:%Y-%m-%d %H:%M}: target "
        f"{decision.target:+.2f} → a market order for {units:+,} units of {instrument.id}"
    )
    shutil.rmtree(folder, ignore_errors=True)  # every run starts from an empty venue and store
    folder.mkdir(parents=True)
    with native_output_to(folder / "quickfix-console.log"):
        row, reconciled = _trade_and_reconcile(bars, instrument, name, units, spread, folder)
    console.print(frame_table(pd.DataFrame([row]), "the node's order on the FIX venue"))
    console.print(
        f"a new node on the same state folder (empty cache) reconciled with the venue at start-up:"
        f" position {reconciled} {instrument.id}"
    )


def _trade_and_reconcile(
    bars: pd.DataFrame, instrument: Instrument, name: str, units: Decimal, spread: float,
    folder: Path,
) -> tuple[dict[str, str], str]:  # fmt: skip
    """(the order's table row, the position a restarted node reconciled)."""
    sim = _simulator(bars, instrument, spread, folder / "sim")
    try:
        venue = _venue(sim)
        trader = TargetOrder(instrument, units)
        node = build_fix_node(venue, folder / "node", _resolve, [trader], instruments=[name])
        try:
            start_node(node)
            run_until(node, lambda: _filled(node, trader), FILL_TIMEOUT_SECONDS)
            row = _order_row(node, trader)
        finally:
            stop_node(node)
        counts = sim.ledger.counts()
        row |= {"venue orders": str(counts["order"]), "venue fills": str(counts["fill"])}
        restarted = build_fix_node(venue, folder / "node", _resolve, instruments=[name])
        try:
            start_node(restarted)  # reconciliation runs here, from the venue's answers
            reconciled = _position(restarted, instrument.id)
        finally:
            stop_node(restarted)
        return row, reconciled
    finally:
        sim.stop()


def _simulator(
    bars: pd.DataFrame, instrument: Instrument, spread: float, state: Path
) -> FixSimulator:
    sim = FixSimulator(SimulatorConfig(port=free_port(), state_dir=state))
    sim.start()  # writes its development CA under `state`/ca
    reclaim_stop_signals()  # QuickFIX and NautilusTrader replaced the SIGINT handler
    symbol = fix_symbol(instrument.id)
    # The latest bar's open, high, low and close: the order fills at the close's ask or bid.
    for quote in quotes_from_bars(
        bars.iloc[-1:], symbol, Decimal(repr(spread)), instrument.price_precision
    ):
        sim.push_quote(quote)
    return sim


def _venue(sim: FixSimulator) -> FixVenueConfig:
    """The client side of the simulator's session (what `gauntlet sim fix` writes to
    fix-sim.toml), TLS verified against its CA."""
    assert sim.ca is not None  # set by start()
    config = sim.config
    return FixVenueConfig(
        host="127.0.0.1", port=config.port, sender_comp_id=config.target_comp_id,
        target_comp_id=config.sender_comp_id, username_secret="fix_sim_username",
        password_secret="fix_sim_password", tls=TlsConfig(ca_file=sim.ca.ca_file),
        account=config.account, max_logon_attempts=2, logon_backoff_seconds=0.2,
        logon_timeout_seconds=3.0,
    )  # fmt: skip


def _resolve(name: str) -> SecretStr:
    return SecretStr(SIM_SECRETS[name])


def _filled(node: TradingNode, trader: TargetOrder) -> bool:
    if trader.quantity == 0:
        return True  # nothing to send
    if trader.order is None:
        return False
    cached = node.cache.order(trader.order.client_order_id)
    return cached is not None and cached.status is OrderStatus.FILLED


def _order_row(node: TradingNode, trader: TargetOrder) -> dict[str, str]:
    order = None if trader.order is None else node.cache.order(trader.order.client_order_id)
    if order is None:
        return {
            "market order": "none (the target is flat)",
            "position": _position(node, trader.instrument.id),
        }
    return {
        "market order": f"{order.side_string()} {order.quantity.as_decimal():,}",
        "status": order.status_string(),
        "fill price": str(order.avg_px),
        "position": _position(node, trader.instrument.id),
    }


def _position(node: TradingNode, instrument_id: InstrumentId) -> str:
    net = sum(
        (p.signed_decimal_qty() for p in node.cache.positions_open(instrument_id=instrument_id)),
        Decimal(0),
    )
    return f"{net:+,}" if net else "flat"
