"""Strategy stages: PostgreSQL holds the current stage (strategy_stages, migration 0004) and the
history (promotion_records, append-only); MLflow's model registry holds the model versions and
the stage aliases.

Every change is one PostgreSQL transaction: read the row (no lock) and check the ladder, then
lock it with SELECT ... FOR UPDATE and compare (stage, revision) with what was read — a
compare-and-set, so of two concurrent changes exactly one wins and the other gets
StageConflictError. A first-time promotion inserts the row with ON CONFLICT DO NOTHING before
locking it: the second of two first-time promotions waits on the unique index and then sees the
winner's row. The MLflow writes (model version, aliases) happen while the lock is held and before
COMMIT; if MLflow fails the transaction rolls back, so no stage changes anywhere.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import asyncpg

from live.db.connection import DbConfigError, check_schema, connect
from live.registry import stages
from live.registry.errors import (
    RegistryError,
    RegistryInputError,
    RegistryUnavailableError,
    StageConflictError,
    StageOrderError,
)
from live.registry.mlflow_store import ModelStore, model_name
from live.registry.records import (
    StageRecord,
    canonical_json,
    check_hash,
    check_text,
    history_entry,
    spec_hash_of,
    stage_record,
)
from research.promotion.stages import Stage

if TYPE_CHECKING:
    from research.promotion.ports import EvidenceLedger, StageRegistry

_COLUMNS = (
    "strategy, stage, revision, model_name, model_version, spec_hash, evidence_hash, spec::text "
    "AS spec, reason, updated_by, updated_at"
)
_READ = f"SELECT {_COLUMNS} FROM strategy_stages WHERE strategy = $1"
_LOCK = _READ + " FOR UPDATE"
_CLAIM = """INSERT INTO strategy_stages (strategy, stage, updated_by) VALUES ($1, 'research', $2)
ON CONFLICT (strategy) DO NOTHING"""
_UPDATE = f"""UPDATE strategy_stages SET stage = $2, revision = revision + 1, model_name = $3,
    model_version = $4, spec_hash = $5, evidence_hash = $6, spec = $7::jsonb, reason = $8,
    updated_by = $9, updated_at = now()
WHERE strategy = $1 RETURNING {_COLUMNS}"""
_RECORD = """INSERT INTO promotion_records (strategy, from_stage, to_stage, decided_by, evidence)
VALUES ($1, $2, $3, $4, $5::jsonb)"""
_HISTORY = """SELECT id, strategy, from_stage, to_stage, decided_at, decided_by, evidence::text
AS evidence FROM promotion_records WHERE strategy = $1 ORDER BY id"""
_WITH_EVIDENCE = """SELECT id, strategy, from_stage, to_stage, decided_at, decided_by, evidence::text
AS evidence FROM promotion_records
WHERE evidence->>'evidence_hash' = $1 AND evidence->>'action' = 'promote' ORDER BY id"""


@dataclass(frozen=True)
class _Change:
    """One requested transition, everything but the model version (known once MLflow answers)."""

    action: str  # promote | demote | retire
    target: str
    decided_by: str
    reason: str
    spec: dict[str, Any] | None = None  # promotions only: the spec that earns the stage
    spec_hash: str | None = None
    evidence_hash: str | None = None


def _redacted(dsn: str) -> str:
    """host:port/db of a DSN, for messages (never the password)."""
    parts = urlsplit(dsn)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path}"


class Registry:
    """Stage changes and reads for strategies; one short-lived connection per call, so one
    Registry may run several calls concurrently. `role` (e.g. live.db.app_role(schema)) is taken
    with SET ROLE after connecting, to run with the application's grants only."""

    def __init__(
        self, dsn: str, schema: str, tracking_uri: str | None, *, role: str | None = None
    ) -> None:
        try:
            self.schema = check_schema(schema)
        except DbConfigError as exc:
            raise RegistryInputError(str(exc)) from None
        self.dsn = dsn
        self.tracking_uri = tracking_uri
        self.role = role
        self._store: ModelStore | None = None
        self._store_lock = asyncio.Lock()

    # -- stage changes ---------------------------------------------------------------------

    async def promote(
        self,
        name: str,
        to_stage: str,
        *,
        spec: dict[str, Any],
        evidence_hash: str,
        decided_by: str,
        reason: str = "",
    ) -> StageRecord:
        """Move `name` one rung up the ladder to `to_stage`, registering `spec` as a model version."""
        stages.check_name(name)
        spec_hash = spec_hash_of(spec)  # validates the spec first
        change = _Change(
            "promote", stages.parse_stage(to_stage), check_text("decided_by", decided_by),
            str(reason or "").strip(), spec=json.loads(canonical_json(spec)), spec_hash=spec_hash,
            evidence_hash=check_hash("evidence_hash", evidence_hash),
        )  # fmt: skip
        return await self._change(name, change)

    async def demote(
        self, name: str, to_stage: str, *, reason: str, decided_by: str
    ) -> StageRecord:
        """Move `name` down to a lower rung (research, candidate or paper); the reason is required."""
        stages.check_name(name)
        change = _Change(
            "demote", stages.parse_stage(to_stage), check_text("decided_by", decided_by),
            check_text("reason", reason),
        )  # fmt: skip
        return await self._change(name, change)

    async def retire(self, name: str, *, reason: str, decided_by: str) -> StageRecord:
        """Retire `name` for good (it drops every alias; it can never be promoted again)."""
        stages.check_name(name)
        change = _Change(
            "retire", str(Stage.RETIRED), check_text("decided_by", decided_by),
            check_text("reason", reason),
        )  # fmt: skip
        return await self._change(name, change)

    async def _change(self, name: str, change: _Change) -> StageRecord:
        # MLflow first: an unreachable registry must fail before PostgreSQL is touched.
        store = await self._model_store()
        async with self._connection() as conn:
            before = await conn.fetchrow(_READ, name)
            _check(name, before, change)
            return await self._transaction(conn, store, name, before, change)

    async def _transaction(
        self,
        conn: asyncpg.Connection,
        store: ModelStore,
        name: str,
        before: asyncpg.Record | None,
        change: _Change,
    ) -> StageRecord:
        tx = conn.transaction()
        await tx.start()
        try:
            current = await _lock(conn, name, before, change)
            version = await self._version(store, name, current, change)
            record = stage_record(
                await conn.fetchrow(*_update_args(name, current, change, version))
            )
            await conn.execute(*_record_args(name, current, change, version))
            aliases_before = await asyncio.to_thread(
                store.sync_aliases, name, change.target, version
            )
        except BaseException:
            # A dead connection has rolled back already; the original error is the news.
            with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                await tx.rollback()
            raise
        try:
            await tx.commit()
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
            await self._failed_commit(store, name, record, aliases_before, exc)
        return record

    async def _version(
        self, store: ModelStore, name: str, current: asyncpg.Record, change: _Change
    ) -> str | None:
        if change.spec is None:  # demotion / retirement keep the version that holds the stage
            return str(current["model_version"]) if current["model_version"] else None
        assert change.spec_hash is not None
        assert change.evidence_hash is not None
        return await asyncio.to_thread(
            store.ensure_version, name, change.spec, change.spec_hash, change.evidence_hash,
            change.target,
        )  # fmt: skip

    async def _failed_commit(
        self,
        store: ModelStore,
        name: str,
        record: StageRecord,
        aliases_before: dict[str, str],
        exc: BaseException,
    ) -> None:
        """COMMIT failed after the aliases moved. A server that answered with an error did not
        commit, but a connection lost during COMMIT leaves the outcome unknown, so ask
        PostgreSQL on a fresh connection: committed → keep the new aliases and return normally;
        not committed → put the old aliases back (best effort: MLflow may fail too, and then
        the aliases disagree with PostgreSQL, which stays the source of truth); no answer →
        leave the aliases and say the outcome is unknown."""
        landed = await self._revision_landed(name, record.revision)
        if landed:
            return
        failure = f"commit of {name} → {record.stage} failed ({type(exc).__name__}: {exc})"
        if landed is None:
            raise RegistryUnavailableError(
                f"{failure}; outcome unknown, MLflow aliases left at {record.stage}: "
                f"check with `gauntlet registry show {name}`"
            ) from None
        problem = await asyncio.to_thread(store.restore_aliases, name, aliases_before)
        restored = (
            "MLflow aliases restored" if problem is None else f"restoring aliases failed: {problem}"
        )
        raise RegistryError(f"{failure}; nothing changed in PostgreSQL, {restored}") from None

    async def _revision_landed(self, name: str, revision: int) -> bool | None:
        try:
            async with self._connection() as conn:
                row = await conn.fetchrow(_READ, name)
        except RegistryError:
            return None
        return row is not None and row["revision"] >= revision

    async def check_available(self) -> None:
        """Raise RegistryUnavailableError unless MLflow and PostgreSQL (with migration 0004)
        answer: lets a caller fail in seconds before minutes of evidence gathering."""
        await self._model_store()
        async with self._connection() as conn:
            await conn.fetchval("SELECT count(*) FROM strategy_stages WHERE false")

    # -- reads -----------------------------------------------------------------------------

    async def current(self, name: str) -> StageRecord | None:
        """The strategy's current stage; None when it was never promoted."""
        stages.check_name(name)
        async with self._connection() as conn:
            row = await conn.fetchrow(_READ, name)
        return None if row is None else stage_record(row)

    async def history(self, name: str) -> builtins.list[dict[str, Any]]:
        """Every stage change of the strategy, oldest first (from promotion_records)."""
        stages.check_name(name)
        async with self._connection() as conn:
            rows = await conn.fetch(_HISTORY, name)
        return [history_entry(row) for row in rows]

    async def promotions_with_evidence(self, evidence_hash: str) -> builtins.list[dict[str, Any]]:
        """Every promotion whose record carries `evidence_hash` (demotions and retirements copy
        the hash of the stage they leave, so they are not evidence of anything), oldest first."""
        digest = check_hash("evidence_hash", evidence_hash)
        async with self._connection() as conn:
            rows = await conn.fetch(_WITH_EVIDENCE, digest)
        return [history_entry(row) for row in rows]

    async def list(self) -> builtins.list[StageRecord]:
        """Every registered strategy, by name."""
        async with self._connection() as conn:
            rows = await conn.fetch(f"SELECT {_COLUMNS} FROM strategy_stages ORDER BY strategy")
        return [stage_record(row) for row in rows]

    # -- plumbing --------------------------------------------------------------------------

    async def _model_store(self) -> ModelStore:
        async with self._store_lock:  # concurrent calls share one client
            if self._store is None:
                self._store = await asyncio.to_thread(ModelStore, self.tracking_uri)
            return self._store

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        where = f"PostgreSQL at {_redacted(self.dsn)}"
        try:
            conn = await connect(
                self.dsn, schema=self.schema, application_name="gauntlet-registry", timeout=5
            )
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise RegistryUnavailableError(
                f"{where} is unreachable: {type(exc).__name__}: {exc}"
            ) from None
        try:
            if self.role is not None:
                await conn.execute(f'SET ROLE "{self.role}"')
            yield conn
        except asyncpg.UndefinedTableError:
            raise RegistryUnavailableError(
                f"{where}: schema {self.schema} has no strategy_stages table; "
                "run `gauntlet db migrate` first"
            ) from None
        except asyncpg.InsufficientPrivilegeError as exc:
            raise RegistryUnavailableError(f"{where}: {exc}") from None
        except (
            OSError,
            TimeoutError,
            asyncpg.PostgresConnectionError,
            asyncpg.InterfaceError,
        ) as exc:
            # Lost before COMMIT was sent: the transaction died with the connection.
            raise RegistryUnavailableError(
                f"{where} connection lost: {exc}; nothing changed"
            ) from None
        finally:
            await conn.close()


def _check(name: str, row: asyncpg.Record | None, change: _Change) -> None:
    """The ladder rules against the stage as read (before locking)."""
    if row is None and change.action != "promote":
        raise StageOrderError(f"{name} is not in the registry: it was never promoted")
    current = str(Stage.RESEARCH) if row is None else str(row["stage"])
    if change.action == "promote":
        stages.check_promotion(name, current, change.target)
    elif change.action == "demote":
        stages.check_demotion(name, current, change.target)
    else:
        stages.check_retirement(name, current)


async def _lock(
    conn: asyncpg.Connection, name: str, before: asyncpg.Record | None, change: _Change
) -> asyncpg.Record:
    """Lock the row and check nobody changed it since it was read."""
    if before is None:
        await conn.execute(_CLAIM, name, change.decided_by)
    row = await conn.fetchrow(_LOCK, name)
    assert row is not None  # inserted above or read before; rows are never deleted
    seen = (str(Stage.RESEARCH), 0) if before is None else (before["stage"], before["revision"])
    if (row["stage"], row["revision"]) != seen:
        raise StageConflictError(
            f"{name} changed underneath this {change.action}: it was {seen[0]}, now it is "
            f"{row['stage']} (changed by {row['updated_by']}); nothing was changed, re-check and retry"
        )
    return row


def _update_args(
    name: str, current: asyncpg.Record, change: _Change, version: str | None
) -> tuple[Any, ...]:
    promoting = change.spec is not None
    return (
        _UPDATE, name, change.target,
        model_name(name) if version is not None else current["model_name"], version,
        change.spec_hash if promoting else current["spec_hash"],
        change.evidence_hash if promoting else current["evidence_hash"],
        json.dumps(change.spec) if promoting else current["spec"],
        change.reason, change.decided_by,
    )  # fmt: skip


def _record_args(
    name: str, current: asyncpg.Record, change: _Change, version: str | None
) -> tuple[Any, ...]:
    promoting = change.spec is not None
    evidence = {
        "action": change.action,
        "reason": change.reason,
        "evidence_hash": change.evidence_hash if promoting else current["evidence_hash"],
        "spec_hash": change.spec_hash if promoting else current["spec_hash"],
        "model_name": model_name(name) if version is not None else None,
        "model_version": version,
        "previous_model_version": current["model_version"],
        "spec": change.spec if promoting else json.loads(current["spec"]),
    }
    return (_RECORD, name, current["stage"], change.target, change.decided_by, json.dumps(evidence))


if TYPE_CHECKING:
    # The promotion workflow's registry ports (research.promotion.ports): mypy proves them here.
    _PORT: type[StageRegistry] = Registry
    _LEDGER: type[EvidenceLedger] = Registry
