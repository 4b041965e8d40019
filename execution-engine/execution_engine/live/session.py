"""A live session: the hosted strategy on a TradingNode trading a live venue (FIX, or a
MetaTrader terminal through its bridge: execution_engine.live.venues), in the
foreground, until its duration runs out or SIGTERM/SIGINT stops it.

Lifecycle (the paper session's, on a real venue):

1. Checks before anything connects (`LiveSetupError`, one line): the instrument, the bar
   spec, and the venue's own (`LiveVenue.preflight`): on FIX the certificate and a logon
   with the configured credentials (a refused logon gives up after the venue config's
   bounded attempts; a wrong password never turns into a retry storm inside a running
   node); on MetaTrader the terminal's token (its terminal, its expiry) and the bridge's
   port (the EA dials in once the node listens).
2. The node (`LiveVenue.build_node`: execution_engine.live.node): the venue's data and
   execution clients,
   the risk engine with the policy's limits, NautilusTrader's Redis cache database when
   given (keys `trader-<trader id>:...`; a restarted node loads its orders, positions and
   account from there before reconciling them with the venue; without it the positions
   come back from the venue's reports alone and earlier sessions' orders are gone), the hosted
   strategy on bars NautilusTrader aggregates itself from the venue's quotes
   (`<instrument>-<bar>-INTERNAL`, e.g. 4-TICK-MID: the simulator's four quotes per bar).
3. The state folder is fixed per spec, so a restart finds the same FIX store (sequence
   numbers) or MetaTrader intent journal, control file and status.json. The trading state in the control file is
   applied BEFORE the node starts: a node killed to HALTED stays HALTED after a restart
   until a person resumes it (`gauntlet kill --state ACTIVE`, `gauntlet live resume`).
   Once connected, reconciled and trading, status.json gets `ready_at`.
4. While running, the heartbeat (execution_engine.paper.heartbeat) polls the kill switch
   five times a second and rewrites status.json every second: identity, trading state,
   positions, open orders, P&L and the venue's session under its kind (`fix`: logged on,
   sequence numbers; `mt5`/`mt4`: the terminal on the bridge, orders in doubt). `gauntlet kill --flatten` closes every position
   through the risk engine (execution_engine.live.flatten).
5. SIGTERM/SIGINT: the strategy stops, the venue session ends, the summary is written
   and status.json says "stopped"; an exception leaves "crashed", never "running".
   While up, status.json's state is "running", or "halted" while the trading state is
   HALTED (`gauntlet kill` and `live stop` accept both).

`recorder`, when given, is the node's quote tap (implemented by
live.marketdata.SessionRecorder): every quote the venue's data client publishes is recorded
and sent through the tick path; the session opens it (its manifest: instrument, bar type,
strategy, run) before the node starts, seals it as the strategy stops (later quotes never
reach the strategy), and closes it after the node stopped with the bars the node had
aggregated and the orders the host had submitted by then, so `gauntlet live replay` can
check a backtest of the same quotes against them (execution_engine.backtest.replay).

`event_sinks` are subscribed on the node's message bus to every order, position and
account event (`events.order.*`, `events.position.*`, `events.account.*`): the PostgreSQL
mirror plugs in there. A sink that raises never breaks the node: the failure is journaled
(events.jsonl `sink_error`) and counted in status.json's `sink_errors`.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import msgspec
from nautilus_trader.config import CacheConfig, DatabaseConfig
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.data import BarType
from nautilus_trader.model.identifiers import InstrumentId
from pydantic import BaseModel, ConfigDict, Field

from execution_engine.adapters.fix.config import FixVenueConfig
from execution_engine.adapters.mt5.config import Mt5VenueConfig
from execution_engine.adapters.oanda.config import OandaVenueConfig
from execution_engine.adapters.secrets import SecretResolver
from execution_engine.host import GauntletHostConfig, GauntletStrategyHost
from execution_engine.host.config import bind_instruments
from execution_engine.host.strategy import HostSetupError, check_account
from execution_engine.live.flatten import Flattener, FlattenReport
from execution_engine.live.status import trading_snapshot
from execution_engine.live.venues import LiveSetupError as LiveSetupError  # the CLI's import
from execution_engine.live.venues import LiveVenue, live_venue
from execution_engine.paper.heartbeat import heartbeat
from execution_engine.paper.identity import LIVE_RUN_KIND, this_node
from execution_engine.paper.journal import RunJournal, write_json
from execution_engine.paper.lifecycle import run_to_end
from execution_engine.paper.signals import StopSignals
from execution_engine.risk import STATES, KillSwitch, RiskLimits

LIVE_WINDOW = 1_000  # bars the host keeps: bounded cost per bar in a session of months
EVENT_TOPICS = ("events.order.*", "events.position.*", "events.account.*")
RUN_COUNTER = "runs"  # file in the state folder: how many sessions started there
TRADER_ID_FILE = "trader_id"  # file in the state folder: its node's trader id
_TRADER_ID = re.compile(r"^[A-Z][A-Z0-9]*-[A-Z0-9]+$")
_BAR_SPEC = re.compile(r"^\d+-[A-Z]+-(MID|BID|ASK|LAST)$")

EventSink = Callable[[Any], None]
MIRROR_FLUSH_SECONDS = 10.0  # at stop, how long the mirror may take to write what is queued


class MirrorPort(Protocol):
    """A durable copy of the node's events (implemented by live.mirror.PostgresMirror; the
    live layer sits above this one, so the session knows it by this shape only)."""

    def __call__(self, event: Any) -> None: ...
    def bind(self, cache: Any) -> None: ...
    def start(self) -> None: ...
    def resync(self, cache: Any) -> int: ...
    def catch_up(self) -> int: ...
    def status(self) -> dict[str, Any]: ...
    def stop(self, timeout: float = MIRROR_FLUSH_SECONDS) -> Any: ...


class RecorderPort(Protocol):
    """The session's quote recorder (live.marketdata.SessionRecorder), a QuoteTap that is
    opened on the node's loop before it starts and closed after it stopped."""

    def on_quote(self, tick: Any) -> None: ...
    async def open(self, manifest: dict[str, Any]) -> None: ...
    def seal(self) -> None: ...
    async def close(self, live: dict[str, Any] | None = None) -> None: ...
    def status(self) -> dict[str, Any]: ...


class LiveConfig(BaseModel):
    """One live session of one hosted strategy on one instrument of a live venue."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    host: GauntletHostConfig  # unbound (no instruments yet): bind_instruments does that
    instrument: str  # marketdata name, e.g. "EUR/USD"
    venue: FixVenueConfig | Mt5VenueConfig | OandaVenueConfig
    state_dir: Path
    bar: str = "4-TICK-MID"  # aggregated by NautilusTrader from the venue's quotes
    duration: float | None = Field(None, gt=0)  # seconds; None = until a stop signal
    risk: RiskLimits = Field(default_factory=RiskLimits)
    redis: tuple[str, int] | None = None  # (host, port) of NautilusTrader's cache database
    mode: str = "live"  # "live" | "paper": what the registry allowed; recorded in status
    spec: str = ""  # the spec's name (and hash) this session trades, for status.json
    spec_hash: str = ""
    # The Redis cache's key prefix: fixed per state folder (None: the folder's own, made on
    # its first start), so a restart reloads its orders and nobody else's.
    trader_id: str | None = None
    starting_balance: str = "100000 USD"
    log_level: str = "ERROR"


@dataclass
class LiveResult:
    state_dir: Path
    orders: int
    fills: int
    denied: int
    rejected: int
    trading_state: str
    positions: list[dict[str, Any]]  # per (instrument, strategy): NETTING per strategy
    net_positions: dict[str, str]  # instrument → signed net units of every strategy
    stopped_by: str | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "orders": self.orders,
            "fills": self.fills,
            "denied": self.denied,
            "rejected": self.rejected,
            "trading_state": self.trading_state,
            "positions": self.positions,
            "net_positions": self.net_positions,
            "stopped_by": self.stopped_by,
        }


def run_live(
    config: LiveConfig,
    resolve_secret: SecretResolver,
    echo: Callable[[dict[str, Any]], None] | None = None,
    event_sinks: Sequence[EventSink] = (),
    mirror: MirrorPort | None = None,
    recorder: RecorderPort | None = None,
) -> LiveResult:
    """Run one session until its duration ends or a stop signal comes; everything is also
    written to `config.state_dir` (events.jsonl, status.json, summary.json), and the quotes
    to `recorder` when given."""
    venue = live_venue(config.venue, resolve_secret)
    instrument_id = venue.instrument_id(config.instrument)
    bar_type = live_bar_type(instrument_id, config.bar)
    venue.preflight(config.state_dir)
    run_no = _next_run(config.state_dir)
    trader_id = config.trader_id or folder_trader_id(config.state_dir)
    host_config = _host_config(config, instrument_id, bar_type, run_no)
    journal = RunJournal(config.state_dir, echo)
    stop = StopSignals()  # before the kernel replaces the caller's SIGINT handler
    host = GauntletStrategyHost(host_config)
    host.records.listeners.append(journal)
    node = venue.build_node(
        config.state_dir, [host], instruments=[config.instrument], trader_id=trader_id,
        cache=_cache(config.redis), risk_engine=config.risk.nautilus_config([instrument_id.value]),
        tap=recorder,
    )  # fmt: skip
    session = _Session(config, venue, node, host, journal, run_no, mirror, recorder)
    if mirror is not None:
        mirror.bind(node.kernel.cache)
        mirror.start()
    sinks: list[EventSink] = [*event_sinks, *([] if mirror is None else [mirror])]
    for sink in sinks:
        guarded = session.guarded(sink)
        for topic in EVENT_TOPICS:
            node.kernel.msgbus.subscribe(topic=topic, handler=guarded)
    done = asyncio.Event()
    loop = node.get_event_loop()
    assert loop is not None  # assemble_node gives every node its loop
    stop.install(loop, done.set)
    try:
        run_to_end(node, session.drive(done), journal, stop)
        result = session.result(stop.received.name if stop.received is not None else None)
        session.finish(result)
    finally:
        stop.restore()
    return result


def live_bar_type(instrument_id: InstrumentId, bar: str) -> BarType:
    """`<instrument>-<bar>-INTERNAL`: bars NautilusTrader aggregates from the quotes."""
    spec = bar.strip().upper()
    if not _BAR_SPEC.match(spec):
        raise LiveSetupError(
            f"bar {bar!r} is not a bar spec: write STEP-AGGREGATION-PRICE, e.g. 4-TICK-MID "
            "(4 quotes per bar, the simulator's) or 1-MINUTE-MID"
        )
    try:
        return BarType.from_str(f"{instrument_id}-{spec}-INTERNAL")
    except ValueError as exc:
        raise LiveSetupError(f"bar {bar!r} is not a bar spec NautilusTrader knows: {exc}") from None


def bar_row(bar: Any) -> dict[str, Any]:
    """A bar as the recording keeps it: exact prices as decimal strings."""
    return {
        "ts_event": bar.ts_event, "open": str(bar.open), "high": str(bar.high),
        "low": str(bar.low), "close": str(bar.close), "volume": str(bar.volume),
    }  # fmt: skip


def order_row(order: dict[str, Any]) -> dict[str, Any]:
    """An order the host submitted, as a replay compares it: at which bar, which side, how
    much, for which target (ids and times differ between a live node and a backtest)."""
    return {key: order[key] for key in ("bar", "side", "quantity", "target")}


def _next_run(state_dir: Path) -> int:
    """The number of this session in the state folder (1, 2, ...), kept in a file."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / RUN_COUNTER
    try:
        previous = int(path.read_text().strip() or 0)
    except (OSError, ValueError):
        previous = 0
    path.write_text(f"{previous + 1}\n")
    return previous + 1


def folder_trader_id(state_dir: Path) -> str:
    """The state folder's trader id (`GAUNTLET-<6 hex>`), kept in a file: two folders on one
    Redis never read each other's orders."""
    path = state_dir / TRADER_ID_FILE
    with contextlib.suppress(OSError):
        if _TRADER_ID.match(found := path.read_text().strip()):
            return found
    made = f"GAUNTLET-{secrets.token_hex(3).upper()}"
    path.write_text(made + "\n")
    return made


def _host_config(
    config: LiveConfig, instrument_id: InstrumentId, bar_type: BarType, run_no: int
) -> GauntletHostConfig:
    """The host on the live bars. Its order ids carry the session's number
    (`<strategy id>-S<session>-<bar index>-<symbol>`): the bar index starts at 0 in every
    session, and a restarted node must not reuse an id the venue has seen. The strategy id
    stays the same across sessions, so the host owns its earlier orders and positions."""
    named = msgspec.structs.replace(config.host, session=run_no)
    bound = bind_instruments(
        named, [instrument_id.value], [str(bar_type)], None,
        max_notional_per_order=config.risk.max_notional_per_order,
        execute_at="bar_close", window=config.host.window or LIVE_WINDOW,
    )  # fmt: skip
    try:
        check_account(bound)
    except HostSetupError as exc:
        raise LiveSetupError(str(exc)) from None
    return bound


def _cache(redis: tuple[str, int] | None) -> CacheConfig | None:
    if redis is None:
        return None
    host, port = redis
    return CacheConfig(
        database=DatabaseConfig(type="redis", host=host, port=port),
        persist_account_events=True,
    )


class _Session:
    """The running session's wiring: kill switch, flattener, heartbeat, status.json."""

    def __init__(
        self,
        config: LiveConfig,
        venue: LiveVenue,
        node: TradingNode,
        host: GauntletStrategyHost,
        journal: RunJournal,
        run_no: int,
        mirror: MirrorPort | None = None,
        recorder: RecorderPort | None = None,
    ) -> None:
        self.config, self.node, self.host, self.journal = config, node, host, journal
        self.venue = venue
        self.mirror = mirror
        self.recorder = recorder
        self.switch = KillSwitch(config.state_dir, node.kernel.risk_engine, self._state_changed)
        self.flattener = Flattener(host, self.switch, self._flattened)
        self.switch.flattener = self.flattener
        host.halt_check = self.switch
        self._run_no = run_no
        self._last_session: dict[str, Any] = {}  # the venue's, as the session ended
        self._sink_errors = 0
        self._final: dict[str, Any] = {"positions": [], "open_orders": [], "pnl": {}}

    async def drive(self, done: asyncio.Event) -> None:
        """Start the kernel (reconciliation, strategy), run until `done` or the duration,
        stop the kernel. A failing heartbeat ends the session with its error."""
        # Before the kernel starts: no order passes before the persisted state is applied.
        # A pending flatten is REDUCING until the positions are reconciled (after start).
        self.switch.resume_persisted(flatten=False)
        self._write_start()
        if self.recorder is not None:  # before the data client publishes its first quote
            await self.recorder.open(self._manifest())
        beating = asyncio.ensure_future(heartbeat(self.switch, self._beat))
        ending = asyncio.ensure_future(done.wait())
        try:
            await self.node.kernel.start_async()
            self.switch.resume_persisted()  # a flatten pending from before a restart: now
            # Connected, reconciled with the venue, the strategy started: what a supervisor
            # (or the demo) waits for after a restart.
            self.journal.status(ready_at=time.time(), **trading_snapshot(self.node))
            if self.mirror is not None:  # what a killed predecessor queued and never wrote
                self.mirror.resync(self.node.kernel.cache)
            await asyncio.wait(
                {beating, ending},
                timeout=self.config.duration,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            ending.cancel()
            beating.cancel()
            await asyncio.gather(beating, return_exceptions=True)
        self._last_session = self.venue.snapshot(self.node)  # gone with the clients
        outcome = None
        if self.recorder is not None:
            # stop_async stops the strategy first, in this same step of the loop: a quote
            # after this one reaches the node's bars but never the strategy, so the
            # recording ends here, with the bars and orders the strategy had.
            self.recorder.seal()
            outcome = self._live_outcome()
        await self.node.kernel.stop_async()  # the strategy stops, the venue session ends
        self._final = trading_snapshot(self.node)
        if self.recorder is not None:
            await self.recorder.close(outcome)
            self._final["recording"] = self.recorder.status()
        if self.mirror is not None:  # after the node: its last events are queued by now
            self.mirror.stop(MIRROR_FLUSH_SECONDS)
            self._final["mirror"] = self.mirror.status()
        failure = None if beating.cancelled() else beating.exception()
        if failure is not None:
            raise failure

    def _manifest(self) -> dict[str, Any]:
        """What the recording is of: enough for a replay to rebuild the same bars."""
        config = self.config
        return {
            "kind": "gauntlet.quotes", "spec": config.spec, "spec_hash": config.spec_hash,
            "instrument": config.instrument, "instrument_id": self.host.config.instrument_ids[0],
            "bar": config.bar, "bar_type": self.host.config.bar_types[0],
            "strategy": config.host.strategy_name, "params": config.host.strategy_params,
            "run": self._run_no, "venue_kind": self.venue.kind, "started_at": time.time(),
            "max_notional_per_order": config.risk.max_notional_per_order,
        }  # fmt: skip

    def _live_outcome(self) -> dict[str, Any]:
        """The bars the node aggregated (its cache keeps the last 10,000) and the orders the
        host submitted, oldest first: what a replay of the recording must reproduce."""
        bar_type = BarType.from_str(self.host.config.bar_types[0])
        bars = reversed(self.node.kernel.cache.bars(bar_type))  # the cache's are newest first
        return {
            "bars": [bar_row(bar) for bar in bars],
            "orders": [order_row(o) for o in self.host.records.of_kind("order")],
        }

    def guarded(self, sink: EventSink) -> EventSink:
        """`sink` as a message-bus handler that cannot break the node: NautilusTrader calls
        handlers inside the publisher (an order event inside the execution client), so an
        exception there would stop what published it (seen: a clean stop left the FIX
        session running). A failure is journaled and counted in status.json instead."""

        def handler(event: Any) -> None:
            try:
                sink(event)
            except Exception as exc:  # any sink failure: journaled, not raised
                self._sink_errors += 1
                self.journal({"kind": "sink_error", "message": f"{type(exc).__name__}: {exc}",
                              "event": type(event).__name__, "ts": time.time_ns()})  # fmt: skip
                self.journal.status(sink_errors=self._sink_errors)

        return handler

    def _write_start(self) -> None:
        config, node = self.config, self.node
        identity = this_node(str(node.trader_id), str(node.kernel.instance_id))
        self.journal.status(
            kind=LIVE_RUN_KIND, state=self._node_state(), mode=config.mode, node=identity.to_dict(),
            started_at=time.time(), heartbeat=time.time(), run=self._run_no, ready_at=None,
            trading_state=self.switch.state, control=None, spec=config.spec,
            spec_hash=config.spec_hash, strategy=config.host.strategy_name,
            params=config.host.strategy_params, instrument=config.instrument,
            bar_type=self.host.config.bar_types[0], strategy_id=self.host.id.value,
            venue=self.venue.endpoint, venue_kind=self.venue.kind,
            redis=None if config.redis is None else f"{config.redis[0]}:{config.redis[1]}",
        )  # fmt: skip

    def _beat(self, now: float) -> None:
        mirrored: dict[str, Any] = {}
        if self.recorder is not None:
            mirrored["recording"] = self.recorder.status()
        if self.mirror is not None:
            self.mirror.catch_up()  # after an overflow, once PostgreSQL has taken the queue
            mirrored["mirror"] = self.mirror.status()
        self.journal.status(
            heartbeat=now, trading_state=self.switch.state,
            **{self.venue.kind: self.venue.snapshot(self.node)},
            **trading_snapshot(self.node), **mirrored,
        )  # fmt: skip

    def _state_changed(self, state: str) -> None:
        self.journal({"kind": "trading_state", "state": state, "ts": time.time_ns()})
        if state in STATES:  # applied, not an ignored control file: acknowledge the request
            control = {"state": state, "token": self.switch.token}
            self.journal.status(
                state=self._node_state(), trading_state=state, control=control,
                heartbeat=time.time(),
            )  # fmt: skip

    def _node_state(self) -> str:
        return "halted" if self.switch.state == "HALTED" else "running"

    def _flattened(self, report: FlattenReport) -> None:
        flatten = report.to_dict()
        self.journal.status(flatten=flatten)  # before the acknowledgement (HALTED)
        self.journal(
            {"kind": "flatten", **flatten, "message": report.message(), "ts": time.time_ns()}
        )

    def result(self, stopped_by: str | None) -> LiveResult:
        records = self.host.records
        return LiveResult(
            state_dir=self.config.state_dir,
            orders=len(records.of_kind("order")),
            fills=len(records.of_kind("fill")),
            denied=len(records.of_kind("denied")),
            rejected=len(records.of_kind("rejected")),
            trading_state=self.switch.state,
            positions=self._final["positions"],
            net_positions={i: str(p["net_position"]) for i, p in self._final["pnl"].items()},
            stopped_by=stopped_by,
        )

    def finish(self, result: LiveResult) -> None:
        write_json(self.config.state_dir / "summary.json", result.summary())
        self.journal.status(
            state="stopped", trading_state=result.trading_state, heartbeat=time.time(),
            **{self.venue.kind: self.venue.closed(self._last_session)}, **self._final,
        )  # fmt: skip
        self.journal.close()
