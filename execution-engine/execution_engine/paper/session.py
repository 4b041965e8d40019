"""A paper-trading session: the hosted strategy on a live `TradingNode`, a simulated venue
(the sandbox execution client) and the replaying live data client, until the data ends or
the duration runs out, or SIGTERM/SIGINT stops it (execution_engine.paper.signals).

status.json says who the node is (execution_engine.paper.identity) and, while it runs, its
heartbeat and the last kill request it applied: what `gauntlet kill` checks before and after
asking (execution_engine.paper.control).
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pandas as pd
from nautilus_trader.config import (
    LiveExecEngineConfig,
    LoggingConfig,
    TradingNodeConfig,
)
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.identifiers import TraderId
from pydantic import BaseModel, ConfigDict, Field

from execution_engine.adapters.sandbox.config import (
    REPLAY_CLIENT,
    SANDBOX_CLIENT,
    ReplayDataClientConfig,
    sandbox_exec_config,
)
from execution_engine.adapters.sandbox.data import ReplayFeed
from execution_engine.adapters.sandbox.execution import SubmitProbe
from execution_engine.adapters.sandbox.factories import (
    replay_data_client_factory,
    sandbox_exec_client_factory,
)
from execution_engine.adapters.sandbox.providers import DEFINITION_ATTR, sim_instrument
from execution_engine.bars import BarFeed, bar_interval_ns, cost_quotes, to_feed
from execution_engine.host import GauntletHostConfig, GauntletStrategyHost
from execution_engine.host.config import bind_instruments
from execution_engine.host.strategy import check_account
from execution_engine.live.flatten import Flattener
from execution_engine.paper.heartbeat import heartbeat
from execution_engine.paper.identity import PAPER_RUN_KIND, this_node
from execution_engine.paper.journal import RunJournal
from execution_engine.paper.lifecycle import run_to_end
from execution_engine.paper.signals import StopSignals
from execution_engine.risk import STATES, KillSwitch, RiskLimits
from execution_engine.venue_limits import check_cash, check_spread

# The host keeps this many bars in paper mode: bounded cost per bar in a long session.
PAPER_WINDOW = 1_000


class PaperConfig(BaseModel):
    """One paper session: the hosted strategy, the bars to replay and the account."""

    # DataFrames and the host's NautilusTrader config are taken as they are (isinstance).
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    host: GauntletHostConfig
    frames: dict[str, pd.DataFrame]  # column → bars
    instrument_names: dict[str, str]  # column → FX pair
    panel: bool
    run_dir: Path
    speed: float = 0.0  # 0 = as fast as possible, 1 = real time, 60 = a minute per second
    cash: float = 100_000.0
    # Costs as a backtest's (research Costs): a fraction of notional; the full spread in
    # price units, half paid per fill; slippage a fraction of price. Financing and a
    # per-unit commission are not modelled by the paper venue.
    commission: float = Field(0.0, ge=0, lt=0.1)
    spread: float = Field(0.0, ge=0)
    slippage: float = Field(0.0, ge=0, lt=0.1)
    # The account and rebalancing (ADR 0002 §12-§13), as GauntletHostConfig takes them.
    account: str = "margin"
    margin_initial: float | None = Field(None, gt=0, le=1)
    margin_maintenance: float | None = Field(None, gt=0, le=1)
    margin_call: float = Field(100.0, gt=0)
    stop_out: float = Field(50.0, gt=0)
    rebalance: str = "off"
    rebalance_threshold: float = Field(0.05, gt=0, le=1)
    duration: float | None = None  # seconds of wall time; None = until the data ends
    risk: RiskLimits = Field(default_factory=RiskLimits)
    log_level: str = "ERROR"  # the journal and the CLI report orders, fills and denials


@dataclass
class PaperResult:
    run_dir: Path
    orders: int
    fills: int
    denied: int  # refused by the risk engine before the venue
    rejected: int  # refused by the venue
    final_equity: float
    trading_state: str
    submitted: list[tuple[str, int]]  # (client order id, perf_counter_ns) at the venue client
    arrivals: list[int]  # perf_counter_ns of each bar leaving the data client
    host: GauntletStrategyHost
    stopped_by: str | None = None  # the signal that stopped the session (SIGTERM, SIGINT)

    def summary(self) -> dict[str, Any]:
        return {
            "orders": self.orders,
            "fills": self.fills,
            "denied": self.denied,
            "rejected": self.rejected,
            "final_equity": self.final_equity,
            "trading_state": self.trading_state,
        }


def run_paper(
    paper: PaperConfig, echo: Callable[[dict[str, Any]], None] | None = None
) -> PaperResult:
    """Run one session to completion; everything is also written to `paper.run_dir`."""
    instruments = [
        sim_instrument(
            paper.instrument_names[c], f.attrs.get(DEFINITION_ATTR), taker_fee=paper.commission
        )
        for c, f in paper.frames.items()
    ]
    check_cash(paper.cash, instruments[0].quote_currency)
    check_spread(paper.spread, paper.frames.values())
    host_config = _host_config(paper, instruments)  # a bad account setting fails here
    journal = RunJournal(paper.run_dir, echo)  # only once the inputs are known to be good
    interval = bar_interval_ns(next(iter(paper.frames.values())).index)
    feeds = [
        to_feed(f, i, interval, with_open_quotes=False)
        for f, i in zip(paper.frames.values(), instruments, strict=True)
    ]
    done = asyncio.Event()
    feed = ReplayFeed(instruments, {str(f.bar_type): f.bars for f in feeds}, paper.speed, done.set)
    if paper.spread or paper.slippage:
        feed.quotes = close_quotes(feeds, instruments, paper.spread, paper.slippage)
    probe = SubmitProbe()
    stop = StopSignals()  # before the kernel replaces the caller's SIGINT handler
    node = _build_node(paper, instruments, feed, probe)
    loop = node.get_event_loop()
    assert loop is not None  # None only before build(); _build_node built it
    stop.install(loop, done.set)
    feed.settled = lambda: _engines_idle(node)
    host = GauntletStrategyHost(
        msgspec.structs.replace(host_config, bar_types=[str(f.bar_type) for f in feeds])
    )
    host.records.listeners.append(journal)
    node.trader.add_strategy(host)

    def trading_state_changed(state: str) -> None:
        journal({"kind": "trading_state", "state": state, "ts": time.time_ns()})
        if state in STATES:  # applied, not an ignored control file: acknowledge the request
            journal.status(
                trading_state=state,
                control={"state": state, "token": switch.token},
                heartbeat=time.time(),
            )

    switch = KillSwitch(paper.run_dir, node.kernel.risk_engine, trading_state_changed)
    # `gauntlet kill --flatten`: close every position through the risk engine, then HALTED.
    switch.flattener = Flattener(host, switch, lambda done: journal.status(flatten=done.to_dict()))
    host.halt_check = switch
    _write_status(journal, paper, instruments, "running")
    _write_identity(journal, node, switch)
    beat = heartbeat(switch, lambda now: journal.status(heartbeat=now))
    try:
        # gc.unfreeze: the node is garbage once disposed; let the collector have it
        run_to_end(node, _drive(node, done, paper.duration, beat), journal, stop, gc.unfreeze)
        result = _result(paper, host, probe, feed, node)
        result.stopped_by = stop.received.name if stop.received is not None else None
        _finish(journal, result)
    finally:
        stop.restore()
    if result.stopped_by is None and stop.received is not None:  # came while finishing
        result.stopped_by = stop.received.name
    return result


def _host_config(paper: PaperConfig, instruments: list[Any]) -> GauntletHostConfig:
    """The session's host: its instruments, risk cap, account and rebalancing (bar types
    are bound once the feeds exist). Refuses settings the host cannot run with."""
    config = bind_instruments(
        paper.host,
        [i.id.value for i in instruments],
        ["" for _ in instruments],
        list(paper.frames) if paper.panel else None,
        max_notional_per_order=paper.risk.max_notional_per_order,
        account=str(paper.account),
        margin_initial=paper.margin_initial,
        margin_maintenance=paper.margin_maintenance,
        margin_call=paper.margin_call,
        stop_out=paper.stop_out,
        rebalance=str(paper.rebalance),
        rebalance_threshold=paper.rebalance_threshold,
    )
    check_account(config)
    return config


def close_quotes(
    feeds: list[BarFeed], instruments: list[Any], spread: float, slippage: float
) -> dict[tuple[str, int], QuoteTick]:
    """Per bar, the quote at its close that carries the costs (execution_engine.bars), sent
    just before the bar (adapters.sandbox.data): a bar-close order fills at its ask or bid."""
    out: dict[tuple[str, int], QuoteTick] = {}
    for feed, instrument in zip(feeds, instruments, strict=True):
        stamps = np.array([b.ts_event for b in feed.bars], dtype=np.int64)
        closes = np.array([b.close.as_double() for b in feed.bars], dtype=np.float64)
        quotes = cost_quotes(instrument, stamps, closes, spread, slippage)
        key = str(feed.bar_type)
        out.update({(key, q.ts_event): q for q in quotes})
    return out


def _write_identity(journal: RunJournal, node: TradingNode, switch: KillSwitch) -> None:
    """Who the node is, for `gauntlet kill` (execution_engine.paper.control)."""
    node_id = this_node(str(node.trader_id), str(node.kernel.instance_id))
    journal.status(
        kind=PAPER_RUN_KIND, node=node_id.to_dict(), started_at=time.time(),
        heartbeat=time.time(), trading_state=switch.state, control=None,
    )  # fmt: skip


def _finish(journal: RunJournal, result: PaperResult) -> None:
    journal.summary(result.summary())
    journal.status(
        state="stopped" if result.stopped_by else "finished",
        trading_state=result.trading_state,
        heartbeat=time.time(),
    )
    journal.close()


def _write_status(
    journal: RunJournal, paper: PaperConfig, instruments: list[Any], state: str
) -> None:
    """status.json: what is trading, exactly (the promotion gate matches it against a spec)."""
    journal.status(
        state=state,
        strategy=paper.host.strategy_name,
        params=paper.host.strategy_params,
        speed=paper.speed,
        instruments=[i.id.value for i in instruments],
        account=str(paper.account),
        rebalance=str(paper.rebalance),
    )


def _engines_idle(node: TradingNode) -> bool:
    """Nothing queued in the data, risk or execution engine (live engines queue everything)."""
    kernel = node.kernel
    data, risk, execution = kernel.data_engine, kernel.risk_engine, kernel.exec_engine
    return not (
        data.cmd_qsize() or data.data_qsize() or data.req_qsize() or data.res_qsize()
        or risk.cmd_qsize() or risk.evt_qsize()
        or execution.cmd_qsize() or execution.evt_qsize()
    )  # fmt: skip


async def _drive(
    node: TradingNode,
    done: asyncio.Event,
    duration: float | None,
    beat: Coroutine[Any, Any, None],
) -> None:
    """Start the kernel (engines, clients, strategy), run until the feed ends, time is up or
    a stop signal comes, with the heartbeat `beat` running alongside. A heartbeat that fails
    ends the session at once with its error: without it a kill waits for the next bar.

    `TradingNode.run_async` would also gather the engines' queue tasks and log their
    cancellation at shutdown as an error; starting the kernel directly avoids that noise.
    """
    beating = asyncio.ensure_future(beat)
    ending = asyncio.ensure_future(done.wait())
    try:
        await node.kernel.start_async()
        await asyncio.wait({beating, ending}, timeout=duration, return_when=asyncio.FIRST_COMPLETED)
    finally:
        ending.cancel()
        beating.cancel()
        await asyncio.gather(beating, return_exceptions=True)
    await node.kernel.stop_async()  # stopped before its error is raised: disposed cleanly
    failure = None if beating.cancelled() else beating.exception()
    if failure is not None:
        raise failure


def _build_node(
    paper: PaperConfig, instruments: list[Any], feed: ReplayFeed, probe: SubmitProbe
) -> TradingNode:
    currency = instruments[0].quote_currency.code
    config = TradingNodeConfig(
        trader_id=TraderId("PAPER-001"),
        logging=LoggingConfig(log_level=paper.log_level),
        exec_engine=LiveExecEngineConfig(reconciliation=False),
        risk_engine=paper.risk.nautilus_config(
            [i.id.value for i in instruments],
        ),
        data_clients={REPLAY_CLIENT: ReplayDataClientConfig()},
        exec_clients={SANDBOX_CLIENT: sandbox_exec_config(currency, paper.cash)},
        timeout_connection=10.0,
        timeout_reconciliation=1.0,
        timeout_portfolio=1.0,
        timeout_disconnection=2.0,
        timeout_post_stop=0.5,
    )
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    node = TradingNode(config=config, loop=loop)
    node.add_data_client_factory(REPLAY_CLIENT, replay_data_client_factory(feed))
    quoted = bool(feed.quotes)  # the venue trades on the cost-carrying quotes
    node.add_exec_client_factory(SANDBOX_CLIENT, sandbox_exec_client_factory(probe, quoted))
    node.build()
    # Everything built so far lives for the whole session; freezing it keeps the cyclic
    # collector from rescanning it mid-session, which otherwise shows up as latency spikes.
    gc.collect()
    gc.freeze()
    return node


def _result(
    paper: PaperConfig,
    host: GauntletStrategyHost,
    probe: SubmitProbe,
    feed: ReplayFeed,
    node: TradingNode,
) -> PaperResult:
    records = host.records
    equity = records.equity[-1] if records.equity else paper.cash
    return PaperResult(
        run_dir=paper.run_dir,
        orders=len(records.of_kind("order")),
        fills=len(records.of_kind("fill")),
        denied=len(records.of_kind("denied")),
        rejected=len(records.of_kind("rejected")),
        final_equity=equity,
        trading_state=node.kernel.risk_engine.trading_state.name,
        submitted=list(probe.submitted),
        arrivals=list(feed.arrivals),
        host=host,
    )
