"""One promotion in its own OS process, for the two-process race (multiprocessing spawn)."""

from __future__ import annotations

import asyncio
import time
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

from live.registry import Registry, StageConflictError


def race(
    dsn: str,
    schema: str,
    store: str,
    name: str,
    spec: dict[str, Any],
    barrier: Barrier,
    out: Queue[Any],
) -> None:
    async def run() -> str:
        registry = Registry(dsn, schema, store)
        await registry.check_available()  # MLflow client and PG warm: the race is the promotion
        barrier.wait(timeout=60)
        try:
            record = await registry.promote(
                name,
                "candidate",
                spec=spec,
                evidence_hash="ev",
                decided_by=f"proc-{time.time_ns()}",
            )
        except StageConflictError as exc:
            return f"conflict: {exc}"
        return f"won: revision {record.revision}"

    try:
        out.put(asyncio.run(run()))
    except Exception as exc:  # reported to the test, which fails with it
        out.put(f"error: {type(exc).__name__}: {exc}")
