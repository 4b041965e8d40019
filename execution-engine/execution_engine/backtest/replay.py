"""A recorded live session replayed as a NautilusTrader backtest (issue 14).

The recording (marketdata.quotes_store, written by the live node's quote tap) holds every
quote the node's data client published, exactly (decimal strings at the instrument's
precision, both timestamps). The replay feeds those quotes, in order, to a BacktestEngine
whose venue has the live instrument's id (`EUR/USD.FIX`), hosts the same strategy with the
same bar type (`<instrument>-<bar>-INTERNAL`: NautilusTrader aggregates the bars from the
quotes, as the live node did), and compares what it produced with what the live node had
(the recording's `live.json`): the bars, and the sequence of orders.

What must match is the decision, not the fill: each order's bar, side and target. The
replay's venue fills a market order at the recorded top of book the moment it is sent; the
live venue filled it a round trip later, at its own price, so fill prices and P&L differ
and are not compared. Quantities are compared too, but apart (`quantity_differences`): they
match when the sizing does not depend on the fills (units sizing), and drift with the P&L
when it does (a fraction of equity: seen on the FIX simulator from the third order). The
replay starts flat:
a live session that started holding a reconciled position (a restart) differs until its
first order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import msgspec
from nautilus_trader.backtest.engine import BacktestEngine
from nautilus_trader.config import BacktestEngineConfig, LoggingConfig
from nautilus_trader.model.data import BarType, QuoteTick
from nautilus_trader.model.enums import AccountType, OmsType
from nautilus_trader.model.identifiers import InstrumentId, TraderId
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import FIXED_PRECISION, Money

from execution_engine.adapters.sandbox.providers import UnknownInstrumentError, sim_instrument
from execution_engine.host import GauntletHostConfig, GauntletStrategyHost
from execution_engine.host.config import bind_instruments
from execution_engine.live.session import LIVE_WINDOW, bar_row, order_row
from marketdata.quotes_store import Recording

STARTING_CASH = 100_000


class ReplayError(ValueError):
    """The recording cannot be replayed with this spec: one line saying why."""


@dataclass
class ReplayResult:
    """The replay's bars and orders (oldest first), the live session's when recorded, and
    the first difference between them (None: the same)."""

    quotes: int
    bars: list[dict[str, Any]]
    orders: list[dict[str, Any]]
    live_bars: list[dict[str, Any]] | None
    live_orders: list[dict[str, Any]] | None
    problems: list[str] = field(default_factory=list)

    @property
    def difference(self) -> str | None:
        """The first way the replay differs from the live session; None when it does not
        (or nothing live was recorded: see `problems`)."""
        last_bar = len(self.bars)
        if self.live_bars is not None:
            window, last_bar = _over_the_live_bars(self.bars, self.live_bars)
            found = _first_difference("bar", self.live_bars, window)
            if found is not None:
                return found
        if self.live_orders is not None:
            seen = [o for o in self.orders if o["bar"] <= last_bar]  # decided on a live bar
            return _first_difference(
                "order", [_decision(o) for o in self.live_orders], [_decision(o) for o in seen]
            )
        return None

    @property
    def quantity_differences(self) -> int:
        """How many of the orders both made differ in quantity only (sizing on equity)."""
        if self.live_orders is None:
            return 0
        pairs = zip(self.live_orders, self.orders, strict=False)
        return sum(was["quantity"] != now["quantity"] for was, now in pairs)


def replay_recording(
    recording: Recording,
    host: GauntletHostConfig,
    instrument: str,
) -> ReplayResult:
    """Replay `recording` with the strategy `host` (unbound, as `gauntlet live start` builds
    it from the spec) on `instrument`, the spec's marketdata name, under the live session's
    notional cap; ReplayError when the recording is of another instrument or holds no quote."""
    manifest = recording.manifest
    max_notional_per_order = manifest.get("max_notional_per_order")
    _check_instrument(recording, instrument)
    instrument_id, bar_type, run = _recorded_types(recording)
    quotes = recorded_quotes(recording, instrument_id)
    target = replay_instrument(instrument, instrument_id, quotes[0])
    bound = bind_instruments(
        msgspec.structs.replace(host, session=run),
        [instrument_id.value], [str(bar_type)], None,
        max_notional_per_order=max_notional_per_order,
        execute_at="bar_close", window=host.window or LIVE_WINDOW,
    )  # fmt: skip
    strategy = GauntletStrategyHost(bound)
    engine = _engine(target)
    engine.add_data(quotes)
    engine.add_strategy(strategy)
    try:
        engine.run()
        bars = [bar_row(bar) for bar in reversed(engine.cache.bars(bar_type))]
    finally:
        engine.dispose()
    live = recording.live
    return ReplayResult(
        quotes=len(quotes),
        bars=bars,
        orders=[order_row(o) for o in strategy.records.of_kind("order")],
        live_bars=None if live is None else list(live.get("bars", [])),
        live_orders=None if live is None else list(live.get("orders", [])),
        problems=list(recording.problems),
    )


def _recorded_types(recording: Recording) -> tuple[InstrumentId, BarType, int]:
    """The manifest's instrument id, bar type and session number (the host's order ids carry
    it); ReplayError naming what is missing or wrong."""
    manifest = recording.manifest
    try:
        return (
            InstrumentId.from_str(str(manifest["instrument_id"])),
            BarType.from_str(str(manifest["bar_type"])),
            int(manifest.get("run", 0)),
        )
    except KeyError as exc:
        raise ReplayError(f"{recording.folder}/manifest.json has no {exc}") from None
    except ValueError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ReplayError(f"{recording.folder}/manifest.json: {reason}") from None


def _check_instrument(recording: Recording, instrument: str) -> None:
    recorded = str(recording.manifest.get("instrument"))
    if recorded.replace("/", "").upper() != instrument.replace("/", "").upper():
        raise ReplayError(
            f"recording {recording.folder} is of {recorded}, the spec trades {instrument}: "
            "replay it with a spec of the same instrument"
        )
    if recording.quotes.is_empty():
        raise ReplayError(f"recording {recording.folder} holds no readable quote")


def recorded_quotes(recording: Recording, instrument_id: InstrumentId) -> list[QuoteTick]:
    """The recording's quotes of `instrument_id` as the QuoteTicks the live node published
    (the same prices, sizes, precisions and timestamps)."""
    others = recording.quotes.filter(recording.quotes["instrument_id"] != instrument_id.value)
    if not others.is_empty():
        raise ReplayError(
            f"recording {recording.folder} also holds quotes of "
            f"{others['instrument_id'][0]}: a replay is of one instrument, {instrument_id}"
        )
    return [_quote(instrument_id, row) for row in recording.quotes.iter_rows()]


def _quote(instrument_id: InstrumentId, row: tuple[Any, ...]) -> QuoteTick:
    """One recorded row (marketdata.quotes_store: integers at their precision) as the
    QuoteTick it was, raw value for raw value."""
    _, bid, ask, bid_size, ask_size, price_precision, size_precision, ts_event, ts_init = row
    price_unit = 10 ** (FIXED_PRECISION - price_precision)
    size_unit = 10 ** (FIXED_PRECISION - size_precision)
    return QuoteTick.from_raw(
        instrument_id, bid * price_unit, ask * price_unit, price_precision, price_precision,
        bid_size * size_unit, ask_size * size_unit, size_precision, size_precision,
        ts_event, ts_init,
    )  # fmt: skip


def replay_instrument(name: str, instrument_id: InstrumentId, first: QuoteTick) -> Instrument:
    """`name`'s instrument under the live id, at the precisions the venue quoted it (a
    MetaTrader broker's digits may differ from the marketdata definition's)."""
    try:
        on_sim = sim_instrument(name)
    except UnknownInstrumentError as exc:
        raise ReplayError(f"instrument {name!r}: {exc}") from None
    kind = type(on_sim)
    fields = kind.to_dict(on_sim)
    price_precision, size_precision = first.bid_price.precision, first.bid_size.precision
    fields.update(
        id=instrument_id.value,
        raw_symbol=instrument_id.symbol.value,
        price_precision=price_precision,
        price_increment=str(Decimal(1).scaleb(-price_precision)),
        size_precision=size_precision,
        size_increment=str(Decimal(1).scaleb(-size_precision)),
    )
    moved: Instrument = kind.from_dict(fields)
    return moved


def _engine(instrument: Instrument) -> BacktestEngine:
    config = BacktestEngineConfig(
        trader_id=TraderId("GAUNTLET-001"),
        logging=LoggingConfig(log_level="ERROR", bypass_logging=True),
        run_analysis=False,
    )
    engine = BacktestEngine(config=config)
    currency = instrument.quote_currency
    engine.add_venue(
        venue=instrument.id.venue,
        oms_type=OmsType.NETTING,
        account_type=AccountType.MARGIN,
        base_currency=currency,
        starting_balances=[Money(STARTING_CASH, currency)],
        bar_execution=False,  # the market moves with the recorded quotes only
    )
    engine.add_instrument(instrument)
    return engine


def _over_the_live_bars(
    replayed: list[dict[str, Any]], live: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], int]:
    """The replay's bars the live ones are compared with, and the number (from 1) of the last.

    They start at the replay's bar equal to the live session's first (the node's cache keeps
    the newest bars only) and are as many as the live ones: the recorder takes a quote when
    the data client publishes it, before NautilusTrader's data engine has aggregated it, so
    quotes still queued when the strategy stopped can close bars after the live session's
    last one, which no decision saw. No replayed bar alike: the tail, whose first
    difference is then shown."""
    if not live:
        return [], len(replayed)
    for start, bar in enumerate(replayed):
        if bar == live[0]:
            return replayed[start : start + len(live)], start + len(live)
    return replayed[-len(live) :], len(replayed)


def _first_difference(
    what: str, live: list[dict[str, Any]], replayed: list[dict[str, Any]]
) -> str | None:
    for index, (was, now) in enumerate(zip(live, replayed, strict=False)):
        if was != now:
            return f"{what} {index + 1}: live {_show(was)}, replay {_show(now)}"
    if len(live) != len(replayed):
        return f"the live session has {len(live)} {what}s, the replay {len(replayed)}"
    return None


def _decision(order: dict[str, Any]) -> dict[str, Any]:
    return {key: order[key] for key in ("bar", "side", "target")}


def _show(row: dict[str, Any]) -> str:
    return " ".join(f"{key}={value}" for key, value in row.items())
