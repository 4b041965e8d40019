"""Durable consumer-side de-duplication: the bus message ids a consumer has applied, in PostgreSQL.

The bus subscriptions ask an `AppliedLedger` synchronously, per delivery, whether an id was
applied (`seen`) and tell it when a delivery is acknowledged (`record`). `PostgresLedger` keeps
that protocol and makes it survive the consumer process:

* the durable write is `record_in(conn, id)`: an INSERT into `applied_messages` inside the
  caller's own transaction, the one that makes the state change. Commit makes both durable,
  rollback neither; there is no moment at which one is true without the other.
* `seen` answers from memory: the ids loaded by `open()` plus those applied since. It is a fast
  path that settles a redelivery before the application sees it, not the guarantee.
* the guarantee is the primary key (consumer, message_id). A delivery that memory does not know
  (applied by another instance of the same durable, or longer ago than the loaded horizon) reaches
  the application, whose `record_in` finds the committed id, or waits on the row lock of a
  concurrent transaction holding it and finds it once that commits, and raises
  `AlreadyAppliedError`, rolling the duplicate back. The application then acknowledges.
* `record` (called by the subscription's ack callback) only updates memory: by the time a
  delivery is acked its id must already be committed by `record_in` or `apply`.

So the horizon and capacity bound memory and start-up time only; what bounds correctness is how
long rows are kept (`prune_applied_messages`), which must exceed the longest time a message can
still be delivered to the consumer: pending redeliveries (the consumer's downtime plus ack_wait,
unbounded while max_deliver is unlimited), and re-publishes of an old id outside the stream's
duplicate window, up to the stream's retention.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from bus import Delivery, MemoryLedger
from live.db.connection import DEFAULT_SCHEMA, connect

# A pool or connection pinned to the schema (`live.db.create_pool` / `connect`, or one acquired
# from such a pool), or a DSN.
Db: TypeAlias = asyncpg.Pool | asyncpg.Connection | PoolConnectionProxy | str
Apply: TypeAlias = Callable[[asyncpg.Connection], Awaitable[None]]

DEFAULT_HORIZON = timedelta(days=1)
DEFAULT_CAPACITY = 100_000

_CLAIM = """INSERT INTO applied_messages (consumer, message_id) VALUES ($1, $2)
            ON CONFLICT (consumer, message_id) DO NOTHING RETURNING true"""


class AlreadyAppliedError(Exception):
    """The message id is recorded for this consumer: the delivery is a duplicate; ack it."""

    def __init__(self, consumer: str, message_id: str) -> None:
        super().__init__(f"consumer {consumer}: message {message_id} was applied already")
        self.consumer = consumer
        self.message_id = message_id


class NotInTransactionError(RuntimeError):
    """`record_in` outside a transaction would commit the id apart from the state change."""


@asynccontextmanager
async def _connection(db: Db, schema: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection whose search_path names the ledger's schema: `db` itself, one from the pool
    (pools from `live.db.create_pool` are pinned already) or a new one to the DSN."""
    if isinstance(db, str):
        conn = await connect(db, schema=schema)
        try:
            yield conn
        finally:
            await conn.close()
    elif isinstance(db, asyncpg.Pool):
        async with db.acquire() as conn:
            yield conn
    else:
        yield db


class PostgresLedger:
    """The applied ids of one durable consumer: PostgreSQL for durability, memory for `seen`."""

    def __init__(self, consumer: str, capacity: int = DEFAULT_CAPACITY) -> None:
        if not consumer:
            raise ValueError("consumer name must be non-empty")
        self.consumer = consumer
        self._memory = MemoryLedger(capacity)

    @classmethod
    async def open(
        cls,
        db: Db,
        consumer: str,
        *,
        schema: str = DEFAULT_SCHEMA,
        horizon: timedelta = DEFAULT_HORIZON,
        capacity: int = DEFAULT_CAPACITY,
    ) -> PostgresLedger:
        """Load the ids `consumer` applied within `horizon` (the newest `capacity` of them).

        `db` is a pool or connection from `live.db` (pinned to its schema) or a DSN, connected to
        `schema` and closed again. Ids older than the horizon are still caught by `record_in`."""
        ledger = cls(consumer, capacity)
        async with _connection(db, schema) as conn:
            rows = await conn.fetch(
                """SELECT message_id FROM applied_messages
                   WHERE consumer = $1 AND applied_at >= now() - $2::interval
                   ORDER BY applied_at DESC LIMIT $3""",
                consumer, horizon, capacity,
            )  # fmt: skip
        for row in reversed(rows):  # oldest first, so the newest are the last forgotten
            ledger._memory.record(row["message_id"])
        return ledger

    def seen(self, message_id: str) -> bool:
        """Whether the id is known applied, from memory alone (the subscriptions call this
        synchronously). False is not proof: `record_in` has the final word."""
        return self._memory.seen(message_id)

    def record(self, message_id: str) -> None:
        """Memory only, no I/O: the ack callback's half. Call it (or let `Delivery.ack` call it)
        only after the transaction holding `record_in` for this id has committed."""
        self._memory.record(message_id)

    async def record_in(self, conn: asyncpg.Connection, message_id: str) -> None:
        """Record the id in the caller's open transaction on `conn`.

        Raises `AlreadyAppliedError` when the id is recorded already, including by a concurrent
        transaction: the INSERT waits for it and sees its row once it commits (and inserts if it
        rolls back). Let the error roll the caller's transaction back, then ack the delivery.
        Memory is not touched here: it learns the id when the delivery is acked (after commit).
        At REPEATABLE READ or SERIALIZABLE a concurrent duplicate surfaces as a serialization
        failure instead; retry the transaction and the retry raises `AlreadyAppliedError`."""
        if not conn.is_in_transaction():
            raise NotInTransactionError(
                f"consumer {self.consumer}: record_in({message_id!r}) needs the transaction "
                "that applies the message"
            )
        if await conn.fetchval(_CLAIM, self.consumer, message_id) is None:
            raise AlreadyAppliedError(self.consumer, message_id)

    async def apply(
        self, db: Db, message_id: str, fn: Apply, *, schema: str = DEFAULT_SCHEMA
    ) -> bool:
        """Run `fn(conn)` and record the id in one transaction; True if this call applied it,
        False if it was applied before (nothing of `fn` is committed then).

        The id is claimed first, so a concurrent duplicate waits on the row lock instead of doing
        the work. Memory learns the id only after commit. The caller acks afterwards either way."""
        if self.seen(message_id):
            return False
        async with _connection(db, schema) as conn:
            try:
                async with conn.transaction():
                    await self.record_in(conn, message_id)
                    await fn(conn)
            except AlreadyAppliedError:
                self.record(message_id)
                return False
        self.record(message_id)
        return True

    async def handle(
        self, delivery: Delivery, db: Db, fn: Apply, *, schema: str = DEFAULT_SCHEMA
    ) -> bool:
        """`apply` the delivery's message, then ack it (applied now or before: settled either way).

        If `fn` raises, the transaction rolls back, nothing is recorded and the delivery is left
        unacknowledged, so it is redelivered after ack_wait and applied then."""
        applied = await self.apply(db, delivery.envelope.id, fn, schema=schema)
        await delivery.ack()
        return applied

    def __len__(self) -> int:
        return len(self._memory)


async def prune_applied_messages(
    db: Db, *, older_than: timedelta, consumer: str | None = None, schema: str = DEFAULT_SCHEMA
) -> int:
    """Delete ids applied more than `older_than` ago (of one consumer, or all); returns how many.

    Safe only past the last moment such a message can still reach the consumer (see the module
    docstring): a pruned id that is delivered again is applied again. There is no default."""
    async with _connection(db, schema) as conn:
        status = await conn.execute(
            """DELETE FROM applied_messages
               WHERE applied_at < now() - $1::interval AND ($2::text IS NULL OR consumer = $2)""",
            older_than, consumer,
        )  # fmt: skip
    return int(status.split()[-1])
