"""`gauntlet promote`, `gauntlet registry ...`, `gauntlet evidence verify`.

Promotion itself is research.promotion.promote (the workflow); this module parses the
arguments, loads the policy and the spec (bad files fail before the registry is opened),
injects live's registry (stages in PostgreSQL, model versions and aliases in MLflow) as the
workflow's registry port, renders the outcome and maps it to an exit code.
"""

from __future__ import annotations

import asyncio
import getpass
import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from gauntlet.cli.app import app, fail
from gauntlet.cli.options import JsonOption, TrackingUriOption, choice, load_plugins
from gauntlet.cli.render import cell

if TYPE_CHECKING:
    from live.registry import Registry
    from live.registry.evidence_key import SigningKey
    from research.promotion import (
        GateResult,
        Policy,
        PromotionOutcome,
        Stage,
        StrategySpec,
        VerifiedBundle,
    )

registry_app = typer.Typer(
    help="Strategy stages: list, history, demote, retire.", no_args_is_help=True
)
evidence_app = typer.Typer(
    help="Evidence bundles written by `gauntlet promote`.", no_args_is_help=True
)
app.add_typer(registry_app, name="registry")
app.add_typer(evidence_app, name="evidence")

DEFAULT_BUNDLES = Path("runs") / "promotion"
DEFAULT_CACHE = Path(".gauntlet") / "evidence"
SchemaOption = Annotated[
    str, typer.Option("--schema", help="PostgreSQL schema of the registry's tables.")
]

DsnOption = Annotated[
    str | None,
    typer.Option("--dsn", help="PostgreSQL of the registry (default: settings or `gauntlet up`)."),
]
ByOption = Annotated[str | None, typer.Option("--by", help="Who decides (default: the OS user).")]
SpecArgument = Annotated[str, typer.Argument(metavar="SPEC", help="Spec file or registered name.")]
ReasonOption = Annotated[str, typer.Option(help="Why (required, stored in the history).")]


# -- promote -------------------------------------------------------------------------------


@app.command("promote")
def promote_command(
    spec_path: Annotated[Path, typer.Argument(metavar="SPEC", help="Strategy spec (YAML).")],
    to: Annotated[str, typer.Option("--to", help="candidate | paper | live")],
    paper_run: Annotated[
        Path | None, typer.Option(help="Paper run folder (`gauntlet paper --out`): for --to live.")
    ] = None,
    policy: Annotated[
        Path | None, typer.Option(help="Promotion policy (default policy/promotion.yaml).")
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Evaluate the gates only; leave the registry alone.")
    ] = False,
    out: Annotated[Path, typer.Option(help="Folder for evidence bundles.")] = DEFAULT_BUNDLES,
    cache: Annotated[Path, typer.Option(help="Evidence cache (reused when unchanged).")] = (
        DEFAULT_CACHE
    ),
    reason: Annotated[str, typer.Option(help="Note stored with the stage change.")] = "",
    by: ByOption = None,
    dsn: DsnOption = None,
    schema: SchemaOption = "gauntlet",
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """Gather the evidence for SPEC, evaluate every gate of the stage, write a content-hashed
    evidence bundle and, when every gate passes, move SPEC to the stage. Exit 1 when a gate
    fails, 2 on bad input (unknown stage, skipped stage, missing evidence, invalid files)."""
    from research.promotion import load_policy, load_spec

    target = _stage(to, promotable=True)
    check_dsn(dsn)
    decided_by = _decider(by)
    _check_folders(out=out, cache=cache)
    load_plugins(None)  # GAUNTLET_STRATEGY_MODULES: spec and policy may name their strategies
    rules = load_policy(policy)  # an invalid policy fails before anything runs
    spec = load_spec(spec_path)
    registry = None if check else registry_for(dsn, schema, tracking_uri)
    key = signing_key()
    outcome = _promote_with_progress(
        spec, target, rules, registry=registry, paper_run=paper_run, bundles=out, cache=cache,
        decided_by=decided_by, reason=reason, quiet=as_json, key=key.value,
    )  # fmt: skip
    _report(outcome, as_json)
    if not outcome.passed:
        raise typer.Exit(1)  # a gate said no: a verdict, not bad input


def _stage(text: str, *, promotable: bool) -> Stage:
    """The Stage named by --to (promotions go up to live; demotions down to research)."""
    from research.promotion import Stage

    allowed = ("candidate", "paper", "live") if promotable else ("research", "candidate", "paper")
    choice(text, allowed, "--to")
    return Stage(text)


def check_dsn(dsn: str | None) -> None:
    """--dsn is a PostgreSQL URL, checked before anything runs (the value is never echoed: it
    may hold a password); live.db.check_dsn then checks what asyncpg would trip on."""
    if dsn is None:
        return
    from urllib.parse import urlsplit

    from live.db import DbConfigError
    from live.db import check_dsn as check_url

    try:
        scheme = urlsplit(dsn.strip()).scheme if "://" in dsn else ""
    except ValueError:  # an unbalanced [ of an IPv6 host
        fail("--dsn is not a URL (a bracket of its host is not closed)")
    if scheme not in ("postgresql", "postgres"):
        given = f"a {scheme}:// URL" if scheme else "no URL scheme"
        fail(f"--dsn must be a postgresql:// URL (got {given})")
    try:
        check_url(dsn)
    except DbConfigError as exc:
        fail(f"--dsn: {exc}")


def _decider(by: str | None) -> str:
    """Who decides: --by (not blank), else the OS user."""
    if by is None:
        return getpass.getuser()
    if not by.strip():
        fail("--by must not be empty")
    return by.strip()


def _required_reason(reason: str) -> str:
    if not reason.strip():
        fail("--reason must not be empty (it is stored in the stage history)")
    return reason.strip()


def _check_folders(**folders: Path) -> None:
    """--out and --cache are folders (made when missing); a file there would fail only after
    minutes of evidence gathering."""
    for option, folder in folders.items():
        if folder.exists() and not folder.is_dir():
            fail(f"--{option} {folder} is a file, not a folder")


def signing_key() -> SigningKey:
    """The evidence signing key from the secrets provider (none: bundles are unsigned)."""
    from live.registry.evidence_key import evidence_signing_key
    from live.settings import SettingsError

    try:
        return evidence_signing_key()
    except SettingsError as exc:
        fail(str(exc))


def _promote_with_progress(
    spec: StrategySpec,
    stage: Stage,
    rules: Policy,
    *,
    registry: Registry | None,
    paper_run: Path | None,
    bundles: Path,
    cache: Path,
    decided_by: str,
    reason: str,
    quiet: bool,
    key: bytes | None,
) -> PromotionOutcome:
    """research.promotion.promote, with a spinner and a line per evidence group on stderr when
    it is a terminal (progress is for the person watching; a pipe or a log gets only the error
    line when one comes, which is the exit-code contract: bad input is exactly one line)."""
    from research.promotion import promote

    status = Console(stderr=True)
    status.quiet = quiet or not status.is_terminal
    with status.status(f"gathering evidence for {spec.name} → {stage}") as shown:

        def progress(group: str, reused: bool) -> None:
            status.print(f"{group}: {'reused from the cache' if reused else 'computed'}")
            shown.update(f"gathering evidence for {spec.name} → {stage}")

        return promote(
            spec, stage, rules, registry=registry, bundles=bundles, cache=cache,
            decided_by=decided_by, reason=reason, paper_run=paper_run, on_group=progress,
            signing_key=key,
        )  # fmt: skip


def _report(outcome: PromotionOutcome, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(outcome.to_dict(), default=str))
        return
    console = Console()
    console.print(gates_table(outcome.results, f"{outcome.spec_name} → {outcome.stage}"))
    signed = "signed" if outcome.signed else "unsigned: no evidence signing key"
    console.print(
        f"evidence bundle: {outcome.bundle} (sha256 {outcome.bundle_hash[:16]}…, {signed})"
    )
    if outcome.record is not None:
        record = outcome.record.to_dict()
        console.print(
            f"[green]promoted[/]: {record['name']} is now {record['stage']} "
            f"(model {record['model_name']} version {record['model_version']})"
        )
    elif outcome.passed:
        console.print("[green]every gate passed[/] (--check: the registry was not changed)")
    else:
        failed = [r.gate for r in outcome.failed()]
        console.print(f"[red]not promoted[/]: {', '.join(failed)} failed")


def gates_table(results: Iterable[GateResult], title: str) -> Table:
    table = Table(title=title)
    for column in ("gate", "threshold", "value", "pass", "detail"):
        table.add_column(column, justify="left" if column in ("gate", "detail") else "right")
    styles = {"pass": "[green]pass[/]", "FAIL": "[red]FAIL[/]", "off": "[dim]off[/]"}
    for result in results:
        table.add_row(
            str(result.gate), cell(result.threshold), cell(result.value),
            styles[result.status], result.detail,
        )  # fmt: skip
    return table


# -- registry ------------------------------------------------------------------------------


def registry_for(dsn: str | None, schema: str, tracking_uri: str | None) -> Registry:
    """The registry on the settings' (or `gauntlet up`'s) PostgreSQL, its schema migrated
    (idempotent), and the MLflow store; either one unusable fails here, in one line."""
    import asyncpg

    from gauntlet.cli.db_cmd import one_line_errors, stack_dsn
    from live.db import apply_migrations
    from live.registry import Registry
    from research.tracking import resolve_uri

    check_dsn(dsn)
    resolve_uri(tracking_uri)  # an unwritable store / unreachable server fails here
    url = stack_dsn(dsn)
    with one_line_errors(asyncpg.ClientConfigurationError):  # e.g. ?sslmode=bogus
        asyncio.run(apply_migrations(url, schema=schema))
    return Registry(url, schema, tracking_uri)


def _name(spec_or_name: str) -> str:
    """A registered name, or the name inside a spec file; checked before the registry opens."""
    from live.registry.stages import check_name

    if spec_or_name.endswith((".yaml", ".yml")):
        from research.promotion import load_spec

        return load_spec(Path(spec_or_name)).name
    return check_name(spec_or_name)


@registry_app.command("list")
def registry_list(
    dsn: DsnOption = None,
    schema: SchemaOption = "gauntlet",
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every registered strategy and its current stage."""
    records = asyncio.run(registry_for(dsn, schema, tracking_uri).list())
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in records], default=str))
        return
    Console().print(registry_table(records))


def registry_table(records: list[Any]) -> Table:
    """One row per registered strategy (live.registry.StageRecord)."""
    table = Table(title="Gauntlet registry")
    table.add_column("name", no_wrap=True)
    for column in ("stage", "model version", "changes", "updated", "by"):
        table.add_column(column)
    for r in records:
        table.add_row(
            r.name, r.stage, str(r.model_version or "-"), str(r.revision),
            f"{r.updated_at:%Y-%m-%d %H:%M}", r.updated_by,
        )  # fmt: skip
    return table


@registry_app.command("show")
def registry_show(
    spec: SpecArgument,
    dsn: DsnOption = None,
    schema: SchemaOption = "gauntlet",
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """The full stage history of one strategy, oldest first."""
    name = _name(spec)
    registry = registry_for(dsn, schema, tracking_uri)
    history = asyncio.run(registry.history(name))
    if not history:
        fail(f"{name} is not in the registry (promote it first)")
    if as_json:
        typer.echo(json.dumps({"name": name, "history": history}, default=str))
        return
    table = Table(title=f"{name}: stage history")
    for column in ("when", "from", "to", "by", "reason / evidence"):
        table.add_column(column)
    for entry in history:  # live.registry.records.history_entry: flat fields
        digest = entry["evidence_hash"]
        table.add_row(
            entry["decided_at"], entry["from_stage"], entry["to_stage"], entry["decided_by"],
            entry["reason"] + (f" evidence {digest[:12]}…" if digest else ""),
        )  # fmt: skip
    Console().print(table)


@registry_app.command("demote")
def registry_demote(
    spec: SpecArgument,
    to: Annotated[str, typer.Option("--to", help="research | candidate | paper")],
    reason: ReasonOption,
    by: ByOption = None,
    dsn: DsnOption = None,
    schema: SchemaOption = "gauntlet",
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Move a strategy down the ladder, with the reason."""
    target = _stage(to, promotable=False)
    name, why, decided_by = _name(spec), _required_reason(reason), _decider(by)
    record = asyncio.run(
        registry_for(dsn, schema, tracking_uri).demote(
            name, str(target), reason=why, decided_by=decided_by
        )
    )
    typer.echo(f"demoted: {record.name} is now {record.stage}")


@registry_app.command("retire")
def registry_retire(
    spec: SpecArgument,
    reason: ReasonOption,
    by: ByOption = None,
    dsn: DsnOption = None,
    schema: SchemaOption = "gauntlet",
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Retire a strategy for good (every alias is removed)."""
    name, why, decided_by = _name(spec), _required_reason(reason), _decider(by)
    record = asyncio.run(
        registry_for(dsn, schema, tracking_uri).retire(name, reason=why, decided_by=decided_by)
    )
    typer.echo(f"retired: {record.name}")


# -- evidence ------------------------------------------------------------------------------


@evidence_app.command("verify")
def evidence_verify(
    bundle: Annotated[Path, typer.Argument(help="Bundle folder written by `gauntlet promote`.")],
    dsn: DsnOption = None,
    schema: SchemaOption = "gauntlet",
) -> None:
    """Check the bundle is the one a promotion was decided on: its layout, every file's hash,
    the manifest's seal and verdict, its signature (when a signing key is configured) and the
    registry's record of its hash (when a registry is configured, running or given by --dsn).
    Exit 1 naming every problem when it was tampered with."""
    from research.promotion import TamperedBundleError, check_bundle

    check_dsn(dsn)
    if bundle.is_file():
        fail(f"{bundle} is a file, not an evidence bundle folder")
    if not bundle.is_dir():
        fail(f"evidence bundle not found: {bundle}")
    key = signing_key()
    try:
        verified = check_bundle(bundle, key.value)
        registry = _registry_check(verified, dsn, schema)
    except TamperedBundleError as exc:
        typer.echo(f"gauntlet: tampered: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"ok: {bundle} sha256 {verified.bundle_hash}")
    note = "" if key.value is not None else f" ({key.note})"
    typer.echo(f"signature: {verified.signature}{note}")
    typer.echo(f"registry: {registry}")


def _registry_check(verified: VerifiedBundle, dsn: str | None, schema: str) -> str:
    """What the registry says of the bundle's hash: TamperedBundleError when no promotion
    recorded it, else the line to print. An explicit --dsn must answer; the settings' or
    `gauntlet up`'s PostgreSQL is asked when there is one, and skipped (said so) when not."""
    from live.registry import Registry, RegistryUnavailableError
    from research.promotion import recorded_promotion

    url = dsn or _configured_postgres()
    if url is None:
        return "not checked (no PostgreSQL configured or running; pass --dsn to check)"
    try:
        record = asyncio.run(recorded_promotion(Registry(url, schema, None), verified))
    except RegistryUnavailableError as exc:
        if dsn is not None:
            raise
        return f"not checked ({exc})"
    return (
        f"checked: recorded for {record['strategy']} → {record['to_stage']} "
        f"by {record['decided_by']} at {record['decided_at']}"
    )


def _configured_postgres() -> str | None:
    from live.db import DbConfigError, check_dsn
    from live.settings import SettingsError, load_settings
    from live.stack.stack import Stack

    try:
        url = Stack(load_settings()).endpoint("postgres")
        return None if url is None else check_dsn(url)
    except SettingsError as exc:
        fail(str(exc))
    except DbConfigError as exc:
        fail(f"postgres.dsn: {exc}")
