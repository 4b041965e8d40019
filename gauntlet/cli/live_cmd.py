"""`gauntlet live start | status | stop | resume | replay`: a promoted strategy on a live venue
(issue 12), its quotes recorded and replayed as a backtest (issue 14).

`start` runs the node in the foreground (execution_engine.live.session.run_live) after every
check that can fail without a venue or a node: the venue, its config and the secrets it
names, the spec and the registry (stage `live` for this exact spec hash; `--mode paper`
also accepts `paper`), the policy's risk limits, the bar spec. Each failure is one line,
exit 2. The state folder is one per spec (default `.gauntlet/live/<spec name>/`), so a
restart finds the same FIX store, control file and status.json. Every quote the node receives
is recorded (`--no-record`: not) into the catalog, `<catalog>/_quotes/<spec name>/run-<n>/`
(catalog: `--catalog`, else $GAUNTLET_CATALOG, else ~/.gauntlet/catalog; n: the session's
number in its state folder, or the next free one if that run is recorded already), and aggregated by the tick path into 1-minute bars on the bus
(JetStream when GAUNTLET_NATS__URL names a server, else in memory).

`replay` runs the strategy of SPEC over a recording (the last run of SPEC by default) as a
NautilusTrader backtest with the same bar type, and says whether it gives the same bars and
the same decisions (each order's bar, side, target) as the live session did, and how many
quantities differ (execution_engine.backtest.replay); exit 1 when the decisions differ.

`status` reads status.json (a running node whose process is gone or whose heartbeat is
stale shows as crashed); `stop` is a verified SIGTERM (execution_engine.paper.control);
`resume` moves a halted node back to ACTIVE, as `gauntlet kill --state ACTIVE` does.
NautilusTrader and QuickFIX are imported inside the commands so `gauntlet --help` stays fast.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

import typer

from gauntlet.cli.app import app, fail, reclaim_stop_signals
from gauntlet.cli.event_cmd import STOP_EXIT_CODES, live_root
from gauntlet.cli.options import CatalogOption, JsonOption, TrackingUriOption, choice
from gauntlet.cli.venues import VENUES, load_venue, venue_resolver

if TYPE_CHECKING:
    from execution_engine.adapters.secrets import SecretResolver
    from execution_engine.host import GauntletHostConfig
    from execution_engine.live.venues import LiveVenue
    from execution_engine.risk import RiskLimits

    from research.promotion import StrategySpec

live_app = typer.Typer(
    help="Live trading: start, status, stop, resume, replay.", no_args_is_help=True
)
app.add_typer(live_app, name="live")

MODES = ("live", "paper")
ALLOWED_STAGES = {"live": ("live",), "paper": ("paper", "live")}
StateOption = Annotated[
    Path | None,
    typer.Option("--state", help="The node's state folder (default .gauntlet/live/<spec>)."),
]
TargetArgument = Annotated[
    str | None,
    typer.Argument(metavar="[SPEC]", help="Spec file or name (or give --state)."),
]


# -- start ----------------------------------------------------------------------------------


@live_app.command("start")
def start_command(
    spec_path: Annotated[Path, typer.Argument(metavar="SPEC", help="Strategy spec (YAML).")],
    venue: Annotated[str, typer.Option("--venue", help="Venue adapter: fix, mt5, mt4 or oanda.")],
    config: Annotated[Path, typer.Option("--config", help="Venue config (TOML).")],
    state: StateOption = None,
    duration: Annotated[
        float | None, typer.Option(help="Stop after this many seconds (default: until stopped).")
    ] = None,
    mode: Annotated[str, typer.Option(help="live, or paper (a spec at stage paper).")] = "live",
    bar: Annotated[
        str, typer.Option(help="Bars aggregated from the quotes: 4-TICK-MID, 1-MINUTE-MID, ...")
    ] = "4-TICK-MID",
    redis: Annotated[
        str | None, typer.Option(help="redis://HOST:PORT: NautilusTrader's cache database.")
    ] = None,
    policy: Annotated[
        Path | None, typer.Option(help="Promotion policy with the risk limits (default: repo's).")
    ] = None,
    dsn: Annotated[str | None, typer.Option("--dsn", help="PostgreSQL of the registry.")] = None,
    schema: Annotated[str, typer.Option("--schema", help="Registry schema.")] = "gauntlet",
    tracking_uri: TrackingUriOption = None,
    mirror: Annotated[
        bool,
        typer.Option(
            "--mirror/--no-mirror",
            help="Copy orders, fills, positions, account snapshots and the audit log to the "
            "registry's PostgreSQL.",
        ),
    ] = True,
    record: Annotated[
        bool,
        typer.Option(
            "--record/--no-record",
            help="Record every quote into the catalog (_quotes/<spec>/run-<n>/) for replay.",
        ),
    ] = True,
    catalog: CatalogOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print only the summary.")] = False,
) -> None:
    """Trade SPEC on the venue until Ctrl-C, SIGTERM or --duration.

    Refused unless the registry holds SPEC at stage live (paper with --mode paper) for
    this exact spec hash."""
    choice(venue, VENUES, "--venue")
    choice(mode, MODES, "--mode")
    if duration is not None and not (math.isfinite(duration) and duration > 0):
        fail(f"--duration must be a positive number of seconds, got {duration}")
    venue_config = load_venue(venue, config)
    cache = _redis(redis)
    spec = _spec(spec_path)
    risk = _risk(policy)
    spec_hash = _registered_hash(spec, spec_path, mode, (dsn, schema, tracking_uri))
    resolve = venue_resolver(venue_config)
    state_dir = state or live_root() / spec.name
    _check_state_dir(state_dir)
    live = _live_config(
        spec, live_venue_of(venue_config, resolve), state_dir, risk, cache, bar, duration, mode,
        spec_hash,
    )  # fmt: skip
    recorder = _recorder(catalog, spec.name) if record else None
    _run(live, resolve, spec, quiet, _mirror(dsn, schema) if mirror else None, recorder)


def _recorder(catalog: Path | None, name: str) -> Any:
    """The session's quote recorder under the catalog, its tick path on the settings' bus."""
    from pydantic import ValidationError

    from live.marketdata.session_tap import SessionRecorder, session_bus
    from live.settings import GauntletSettings
    from marketdata.catalog import Catalog
    from marketdata.errors import DataError

    try:
        settings = GauntletSettings()
    except ValidationError as exc:
        fail(f"settings: {exc.errors()[0]['msg']}")
    root = Catalog(catalog).root
    if root.exists() and not root.is_dir():
        fail(f"--catalog {root} is a file, not a folder")
    try:
        return SessionRecorder(root, name, bus=lambda: session_bus(settings))
    except DataError as exc:
        fail(str(exc))


def _mirror(dsn: str | None, schema: str) -> Any:
    """The PostgreSQL mirror on the registry's database and schema (migrated by the registry
    check), its audit rows signed by the OS user who started the node."""
    import getpass

    from gauntlet.cli.db_cmd import stack_dsn
    from live.mirror import PostgresMirror

    return PostgresMirror(stack_dsn(dsn), schema, actor=getpass.getuser())


def _run(
    live: Any, resolve: SecretResolver, spec: StrategySpec, quiet: bool, mirror: Any = None,
    recorder: Any = None,
) -> None:  # fmt: skip
    from execution_engine.live.session import LiveSetupError, run_live
    from rich.console import Console

    from gauntlet.cli.event_cmd import EventPrinter
    from gauntlet.cli.native_output import native_output_to

    # QuickFIX prints certificate checks and TLS read errors on the process's own stdout and
    # stderr: those go to a file, the console writes to a copy of the terminal's stdout.
    console = Console(file=os.fdopen(os.dup(1), "w", buffering=1), soft_wrap=True)
    console.print(
        f"live ({live.mode}): {spec.name} ({spec.strategy}) on {live.instrument} "
        f"{live.bar} bars via {live_venue_of(live.venue, resolve).endpoint} → {live.state_dir}"
    )
    console.print(f"stop it with: gauntlet live stop --state {live.state_dir}")
    if recorder is not None:
        console.print(
            f"recording every quote under {recorder.root / '_quotes' / recorder.name} "
            "(gauntlet live replay SPEC replays the last run)"
        )
    live.state_dir.mkdir(parents=True, exist_ok=True)
    reclaim_stop_signals()  # importing QuickFIX and NautilusTrader replaced SIGINT's handler
    try:
        with native_output_to(live.state_dir / "native-output.log"):
            result = run_live(
                live, resolve, echo=None if quiet else EventPrinter(console), mirror=mirror,
                recorder=recorder,
            )  # fmt: skip
    except LiveSetupError as exc:
        fail(str(exc))
    console.print(
        f"stopped: {result.orders} orders, {result.fills} fills, {result.denied} denied, "
        f"{result.rejected} rejected by the venue, trading state {result.trading_state}, "
        f"net position {_net_line(result.net_positions)}"
    )
    if mirror is not None:
        stats = mirror.status()
        console.print(
            f"PostgreSQL mirror: {stats['written']} rows written, {stats['pending']} pending, "
            f"{stats['failed']} refused"
            + (" (behind: resync at the next start)" if stats["behind"] else "")
        )
    if recorder is not None:
        stats = recorder.status()
        console.print(
            f"recorded: {stats['quotes']} quotes in {stats['folder']}; "
            f"{stats['bars_published']} bars on the bus"
            + "".join(f"; {error}" for error in stats["errors"])
        )
    if result.stopped_by is not None:
        typer.echo("gauntlet: interrupted", err=True)
        raise typer.Exit(STOP_EXIT_CODES.get(result.stopped_by, 1))


def _redis(url: str | None) -> tuple[str, int] | None:
    """redis://HOST[:PORT][/DB] → (host, port); NautilusTrader's cache uses database 0."""
    if url is None:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port or 6379
    except ValueError:
        fail(f"--redis {url!r} is not a redis://HOST:PORT URL (bad port)")
    if parts.scheme != "redis" or not parts.hostname:
        fail(f"--redis {url!r} is not a redis://HOST:PORT URL")
    if parts.path not in ("", "/", "/0"):
        fail(f"--redis: NautilusTrader's cache uses database 0, got {parts.path.lstrip('/')}")
    return parts.hostname, port


def _spec(path: Path) -> StrategySpec:
    from research.promotion import load_spec
    from research.promotion.errors import PromotionInputError

    try:
        return load_spec(path)
    except PromotionInputError as exc:
        fail(str(exc))


def _risk(policy: Path | None) -> RiskLimits:
    from execution_engine.risk import RiskLimits, RiskLimitsError

    from research.promotion import load_policy
    from research.promotion.errors import PromotionInputError

    try:
        limits = load_policy(policy).risk
        return RiskLimits(
            max_order_submit_rate=limits.max_order_submit_rate,
            max_notional_per_order=limits.max_notional_per_order,
        )
    except (PromotionInputError, RiskLimitsError) as exc:
        fail(f"policy risk: {exc}")


def spec_hash_now(spec: StrategySpec) -> str:
    """The spec's hash as promotion computes it (research.promotion.evidence.gather): the
    spec's identity, its data's fingerprint and the code version."""
    from research.engine.vectorized import data_fingerprint
    from research.tracking import code_version

    return spec.spec_hash(data_fingerprint(spec.load_bars()), code_version())


def _registered_hash(
    spec: StrategySpec, path: Path, mode: str, registry: tuple[str | None, str, str | None]
) -> str:
    """This spec's hash, once the registry (dsn, schema, tracking URI) says it may trade in
    `mode`; exit 2 otherwise, saying what the registry holds and the command that fixes it."""
    from gauntlet.cli.promote_cmd import registry_for

    spec_hash = spec_hash_now(spec)
    record = asyncio.run(registry_for(*registry).current(spec.name))
    allowed = ALLOWED_STAGES[mode]
    promote = f"gauntlet promote {path} --to {allowed[0]}"
    if record is None:
        fail(f"{spec.name} is not in the registry: {mode} needs stage {allowed[0]}; run {promote}")
    if record.stage not in allowed:
        fail(
            f"{spec.name} is at stage {record.stage}, {mode} needs "
            f"{' or '.join(allowed)}; run {promote}"
        )
    if record.spec_hash != spec_hash:
        fail(
            f"{spec.name} is at stage {record.stage} for spec hash {str(record.spec_hash)[:12]}, "
            f"but this spec (its parameters, data or code) hashes to {spec_hash[:12]}: "
            f"promote this version ({promote})"
        )
    return spec_hash


def _check_state_dir(state_dir: Path) -> None:
    """A folder (made when missing), and no node running there already (two nodes on one
    FIX store would both claim its sequence numbers)."""
    from execution_engine.paper.control import KillError, running_node

    if state_dir.exists() and not state_dir.is_dir():
        fail(f"--state {state_dir} is a file, not a folder")
    if (state_dir / "status.json").exists():
        try:
            node = running_node(state_dir)
        except KillError:
            return
        fail(f"a node (pid {node.pid}) is already running on {state_dir}: stop it first")


def live_venue_of(config: Any, resolve: SecretResolver) -> LiveVenue:
    from execution_engine.live.venues import live_venue

    return live_venue(config, resolve)


def _live_config(
    spec: StrategySpec, venue: LiveVenue, state_dir: Path, risk: RiskLimits,
    redis: tuple[str, int] | None, bar: str, duration: float | None, mode: str, spec_hash: str,
) -> Any:  # fmt: skip
    from execution_engine.live.session import LiveConfig, LiveSetupError, live_bar_type

    try:
        instrument_id = venue.instrument_id(spec.instruments[0])
    except LiveSetupError as exc:
        fail(f"spec {spec.name}: {exc}")
    try:
        live_bar_type(instrument_id, bar)  # checked before anything connects
    except LiveSetupError as exc:
        fail(f"--bar: {exc}")
    return LiveConfig(
        host=host_config(spec), instrument=spec.instruments[0], venue=venue.config,
        state_dir=state_dir, bar=bar, duration=duration, risk=risk, redis=redis, mode=mode,
        spec=spec.name, spec_hash=spec_hash,
    )  # fmt: skip


def host_config(spec: StrategySpec) -> GauntletHostConfig:
    """The hosted strategy of `spec`: its parameters, account and rebalancing, as the
    backtest that earned the promotion ran them."""
    import pandas as pd
    from execution_engine.host import GauntletHostConfig
    from execution_engine.live.session import LIVE_WINDOW

    from research.metrics import calendar_of, periods_per_year
    from research.promotion.spec import ACCOUNT_SETTINGS

    bars = spec.load_bars()
    settings = spec.backtest_config()
    account = {name: getattr(settings, name) for name in ACCOUNT_SETTINGS}
    return GauntletHostConfig(
        strategy_name=spec.strategy, strategy_params=spec.full_params, window=LIVE_WINDOW,
        execute_at="bar_close",
        periods_per_year=periods_per_year(pd.DatetimeIndex(bars.index), calendar_of(bars)),
        **{**account, "account": str(account["account"]), "rebalance": str(account["rebalance"])},
    )  # fmt: skip


def _net_line(net: dict[str, str]) -> str:
    held = {iid: units for iid, units in net.items() if units.strip("-0.") != ""}
    return ", ".join(f"{units} {iid}" for iid, units in held.items()) or "flat"


def _positions_line(positions: list[dict[str, Any]]) -> str:
    if not positions:
        return "flat"
    return ", ".join(f"{p['side']} {p['quantity']} {p['instrument']}" for p in positions)


# -- status / stop / resume ----------------------------------------------------------------


def state_folder(target: str | None, state: Path | None) -> Path:
    """--state, or the state folder of SPEC (a spec file or a spec name)."""
    if state is not None:
        return state
    if target is None:
        fail("give SPEC (a spec file or name) or --state DIR")
    if target.endswith((".yaml", ".yml")):
        return live_root() / _spec(Path(target)).name
    from live.registry.errors import RegistryInputError
    from live.registry.stages import check_name

    try:
        return live_root() / check_name(target)  # a name, never a path out of the root
    except RegistryInputError as exc:
        fail(f"SPEC {exc}")


def read_status(folder: Path) -> dict[str, Any]:
    path = folder / "status.json"
    try:
        status = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        fail(f"no live node has run in {folder}: {path} does not exist")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        fail(f"{path} is unreadable: {exc}")
    if not isinstance(status, dict) or status.get("kind") != "gauntlet.live":
        fail(f"{path} was not written by a live node")
    return status


@live_app.command("status")
def status_command(
    target: TargetArgument = None, state: StateOption = None, as_json: JsonOption = False
) -> None:
    """The node's state, positions, open orders, P&L and venue session from status.json."""
    from execution_engine.live.status import shown_state

    folder = state_folder(target, state)
    status = read_status(folder)
    shown, why = shown_state(status)
    if as_json:
        typer.echo(json.dumps({**status, "shown_state": shown, "shown_reason": why}))
        return
    from rich.console import Console

    Console().print(status_table(folder, status, shown, why))


def status_table(folder: Path, status: dict[str, Any], shown: str, why: str | None) -> Any:
    from rich.table import Table

    table = Table(title=f"live node: {status.get('spec') or folder.name}", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    node = status.get("node") or {}
    beat = status.get("heartbeat")
    age = f"{time.time() - beat:.1f} s ago" if isinstance(beat, int | float) else "never"
    pnl = status.get("pnl") or {}
    rows = [
        ("state", shown + (f" ({why})" if why else "")),
        ("trading state", str(status.get("trading_state"))),
        ("mode", str(status.get("mode"))),
        ("node", f"{node.get('trader_id')} pid {node.get('pid')} run {status.get('run')}"),
        ("heartbeat", age),
        ("strategy", f"{status.get('strategy')} {status.get('params')} on {status.get('bar_type')}"),
        *_venue_rows(status),
        ("positions", _positions_line(status.get("positions") or [])),
        ("net position", _net_line({i: str(p.get("net_position")) for i, p in pnl.items()})),
        *_recording_rows(status.get("recording")),
    ]  # fmt: skip
    for order in status.get("open_orders") or []:
        rows.append(("open order", " ".join(str(order[k]) for k in ("client_order_id", "side",
                     "quantity", "instrument", "status"))))  # fmt: skip
    for instrument, money in pnl.items():
        rows.append((f"P&L {instrument}", f"realized {money.get('realized')}, "
                     f"unrealized {money.get('unrealized')}"))  # fmt: skip
    for field, value in rows:
        table.add_row(field, value)
    table.caption = str(folder)
    return table


def _recording_rows(recording: Any) -> list[tuple[str, str]]:
    """Where the quotes go and how many are on disk (none when the node records nothing)."""
    if not isinstance(recording, dict):
        return []
    line = f"{recording.get('quotes')} quotes in {recording.get('folder')}"
    errors = recording.get("errors") or []
    return [("recording", line + "".join(f"; {error}" for error in errors))]


def _venue_rows(status: dict[str, Any]) -> list[tuple[str, str]]:
    """The venue session's rows: FIX's logon and sequence numbers, the terminal on the
    MetaTrader bridge and the orders in doubt, or the OANDA account and its transactions."""
    kind = str(status.get("venue_kind") or "fix")
    session = status.get(kind) or {}
    if kind == "oanda":
        up = "streaming" if session.get("connected") else "not connected"
        return [
            ("OANDA account", f"{session.get('account')} {up}"),
            ("transactions", f"last applied {session.get('last_transaction_id')}, "
             f"{session.get('sinceid_fetches')} fetched by sinceid"),
        ]  # fmt: skip
    if kind == "fix":
        up = "logged on" if session.get("logged_on") else "down"
        return [
            ("FIX session", f"{session.get('session')} {up}"),
            ("next MsgSeqNum", f"sender {session.get('next_sender_seq')}, "
             f"target {session.get('next_target_seq')}"),
        ]  # fmt: skip
    up = "connected" if session.get("connected") else "not connected"
    return [
        (f"{kind.upper()} terminal", f"{session.get('terminal')} ({session.get('broker')}, "
         f"login {session.get('login')}) {up}"),
        ("bridge", f"{session.get('sessions')} session(s), {session.get('requests')} requests, "
         f"{session.get('in_doubt')} order(s) in doubt"),
    ]  # fmt: skip


@live_app.command("stop")
def stop_command(
    target: TargetArgument = None,
    state: StateOption = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the clean stop.")] = 20.0,
) -> None:
    """Stop the node cleanly: a verified SIGTERM.

    Checks the node is the one that wrote status.json; exit 0 once status.json says
    stopped and the process is gone, 2 with what was found otherwise."""
    from execution_engine.paper.control import KillError, request_stop

    if not (math.isfinite(timeout) and timeout > 0):
        fail(f"--timeout must be a positive number of seconds, got {timeout}")
    folder = state_folder(target, state)
    try:
        node = request_stop(folder, timeout)
    except KillError as exc:
        fail(str(exc))
    typer.echo(f"stopped: node {node.trader_id} (pid {node.pid}) in {folder}")


@live_app.command("resume")
def resume_command(
    target: TargetArgument = None,
    state: StateOption = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the acknowledgement.")] = 5.0,
) -> None:
    """Move a halted (or reducing) node back to ACTIVE.

    The same as `gauntlet kill --state ACTIVE --run DIR`."""
    from execution_engine.paper.control import KillError, request_state

    if not (math.isfinite(timeout) and timeout > 0):
        fail(f"--timeout must be a positive number of seconds, got {timeout}")
    folder = state_folder(target, state)
    try:
        ack = request_state(folder, "ACTIVE", timeout)
    except KillError as exc:
        fail(str(exc))
    typer.echo(f"resumed: {folder} → {ack.state}, acknowledged in {ack.waited:.2f} s")


# -- replay --------------------------------------------------------------------------------


@live_app.command("replay")
def replay_command(
    spec_path: Annotated[Path, typer.Argument(metavar="SPEC", help="Strategy spec (YAML).")],
    run: Annotated[
        int | None, typer.Option("--run", help="The session's run to replay (default: the last).")
    ] = None,
    recording: Annotated[
        Path | None,
        typer.Option("--recording", help="A recording folder (default: SPEC's in the catalog)."),
    ] = None,
    catalog: CatalogOption = None,
    as_json: JsonOption = False,
) -> None:
    """Replay a recorded live session of SPEC as a backtest and compare it with the live one.

    Exit 0 when the replay gives the live session's bars and decisions (each order's bar,
    side and target; quantities sized on equity may differ, and are counted), 1 when it
    differs (the first difference is printed)."""
    from execution_engine.backtest.replay import ReplayError, replay_recording

    from marketdata.quotes_store import read_recording

    spec = _spec(spec_path)
    folder = recording or _recording_folder(catalog, spec.name, run)
    loaded = _read_recording(folder, read_recording)
    for problem in [*loaded.problems, *_other_strategy(loaded.manifest, spec)]:
        typer.echo(f"gauntlet: warning: {folder}: {problem}", err=True)
    try:
        result = replay_recording(loaded, host_config(spec), spec.instruments[0])
    except ReplayError as exc:
        fail(str(exc))
    difference = result.difference
    if as_json:
        typer.echo(json.dumps({
            "recording": str(folder), "quotes": result.quotes, "bars": len(result.bars),
            "orders": result.orders, "live_orders": result.live_orders,
            "same": difference is None and result.live_orders is not None,
            "difference": difference, "quantity_differences": result.quantity_differences,
            "problems": result.problems,
        }))  # fmt: skip
    else:
        typer.echo(
            f"replayed {folder}: {result.quotes} quotes, {len(result.bars)} bars, "
            f"{len(result.orders)} orders"
        )
        if result.live_orders is not None and difference is None:
            typer.echo(
                f"the same bars and decisions as the live session ({len(result.live_orders)} "
                "orders: bar, side, target)"
            )
            if result.quantity_differences:
                typer.echo(
                    f"{result.quantity_differences} order(s) of another quantity: the sizing "
                    "follows the equity, and the replay's fills are its own"
                )
        elif difference is not None:
            typer.echo(f"differs from the live session: {difference}")
    if difference is not None:
        raise typer.Exit(1)


def _other_strategy(manifest: dict[str, Any], spec: StrategySpec) -> list[str]:
    """A note when the recorded session traded another strategy than SPEC's: replaying
    today's quotes with another strategy is a fair question, but its orders differ."""
    recorded = (manifest.get("strategy"), manifest.get("params"))
    if recorded[0] is None or recorded == (spec.strategy, spec.full_params):
        return []
    return [
        f"recorded with {recorded[0]} {recorded[1]}, replayed with {spec.strategy} "
        f"{spec.full_params}: the orders are not the live session's"
    ]


def _recording_folder(catalog: Path | None, name: str, run: int | None) -> Path:
    from marketdata.catalog import Catalog
    from marketdata.quotes_store import RecordingError, latest_run, recording_dir

    root = Catalog(catalog).root
    try:
        if run is None:
            return latest_run(root, name)
        if run < 1:
            fail(f"--run must be a session number (1, 2, ...), got {run}")
        return recording_dir(root, name, run)
    except RecordingError as exc:
        fail(str(exc))


def _read_recording(folder: Path, read: Any) -> Any:
    from marketdata.quotes_store import RecordingError

    try:
        return read(folder)
    except RecordingError as exc:
        fail(str(exc))
