"""Real-time trading state in Redis, under one key prefix per deployment (or per test).

Keys (all under `<prefix>:`):
  quote:<instrument>              latest Quote, expires after `ttl.quote_s` (stale quotes vanish)
  heartbeat:<component>           last beat time, expires after `ttl.heartbeat_s` (absent = dead)
  position:<strategy>:<instrument> Position        durable: rebuilt from PostgreSQL
  status:<kind>:<name>            ComponentStatus  durable: rebuilt from PostgreSQL
Every write is also published as an `Update` on the `<prefix>:updates` channel for the dashboard.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import redis.asyncio as aioredis

from live.state.models import ComponentStatus, Position, Quote, Update

DURABLE_KINDS = ("position", "status")


@dataclass(frozen=True)
class StateTTL:
    quote_s: float = 30.0
    heartbeat_s: float = 15.0


class RealtimeState:
    def __init__(self, client: aioredis.Redis, prefix: str, ttl: StateTTL = StateTTL()) -> None:
        if not prefix or "*" in prefix:
            raise ValueError(f"redis key prefix {prefix!r}: must be non-empty and contain no '*'")
        self._redis = client
        self.prefix = prefix
        self.ttl = ttl

    @property
    def channel(self) -> str:
        return f"{self.prefix}:updates"

    def key(self, kind: str, *parts: str) -> str:
        return ":".join((self.prefix, kind, *parts))

    async def set_quote(self, quote: Quote) -> None:
        await self._write(
            "quote", self.key("quote", quote.instrument), quote.model_dump_json(), self.ttl.quote_s
        )

    async def quote(self, instrument: str) -> Quote | None:
        raw = await self._redis.get(self.key("quote", instrument))
        return None if raw is None else Quote.model_validate_json(raw)

    async def set_position(self, position: Position) -> None:
        key = self.key("position", position.strategy, position.instrument)
        await self._write("position", key, position.model_dump_json(), None)

    async def positions(self) -> list[Position]:
        return [Position.model_validate_json(raw) for raw in await self._values("position")]

    async def set_status(self, status: ComponentStatus) -> None:
        await self._write(
            "status", self.key("status", status.kind, status.name), status.model_dump_json(), None
        )

    async def statuses(self) -> list[ComponentStatus]:
        return [ComponentStatus.model_validate_json(raw) for raw in await self._values("status")]

    async def beat(self, component: str, at: datetime | None = None) -> None:
        beat = json.dumps({"at": (at or datetime.now(UTC)).isoformat()})
        await self._write("heartbeat", self.key("heartbeat", component), beat, self.ttl.heartbeat_s)

    async def alive(self, component: str) -> bool:
        return bool(await self._redis.exists(self.key("heartbeat", component)))

    async def durable_snapshot(self) -> dict[str, dict[str, object]]:
        """Every durable key and its (parsed) value: what a rebuild from PostgreSQL must reproduce.

        Values are compared parsed, not as text: JSON object key order is not meaningful (and
        PostgreSQL's jsonb does not keep it).
        """
        snapshot: dict[str, dict[str, object]] = {}
        for kind in DURABLE_KINDS:
            snapshot.update({_text(k): _json_object(v) for k, v in await self._items(kind)})
        return snapshot

    async def clear(self, kinds: tuple[str, ...] | None = None) -> int:
        """Delete this prefix's keys (all, or only `kinds`); other prefixes are never touched."""
        keys: list[bytes | str] = []
        for pattern in (
            [f"{self.prefix}:*"] if kinds is None else [f"{self.prefix}:{k}:*" for k in kinds]
        ):
            keys += [key async for key in self._redis.scan_iter(match=pattern, count=1000)]
        return int(await self._redis.unlink(*keys)) if keys else 0

    @asynccontextmanager
    async def updates(self) -> AsyncIterator[asyncio.Queue[Update]]:
        """Subscribe to the dashboard channel; yields a queue the updates arrive in."""
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(self.channel)
        queue: asyncio.Queue[Update] = asyncio.Queue()

        async def pump() -> None:
            async for message in pubsub.listen():
                if message["type"] == "message":
                    queue.put_nowait(Update.model_validate_json(message["data"]))

        task = asyncio.create_task(pump())
        try:
            yield queue
        finally:
            task.cancel()
            await pubsub.unsubscribe(self.channel)
            await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves aclose unannotated

    async def _write(self, kind: str, key: str, value: str, ttl_s: float | None) -> None:
        update = Update.model_validate({"kind": kind, "key": key, "data": _json_object(value)})
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(key, value, px=None if ttl_s is None else int(ttl_s * 1000))
            pipe.publish(self.channel, update.model_dump_json())
            await pipe.execute()

    async def _items(self, kind: str) -> list[tuple[bytes | str, bytes | str]]:
        """(key, value) of every `kind` key, by key; a key that expired meanwhile is left out."""
        pattern = f"{self.prefix}:{kind}:*"
        keys = sorted([key async for key in self._redis.scan_iter(match=pattern, count=1000)])
        values = await self._redis.mget(keys) if keys else []
        return [(k, v) for k, v in zip(keys, values, strict=True) if v is not None]

    async def _values(self, kind: str) -> list[bytes | str]:
        return [value for _, value in await self._items(kind)]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _json_object(value: bytes | str) -> dict[str, object]:
    parsed: dict[str, object] = json.loads(value)
    return parsed
