"""Where chunks run: in-process, local worker processes, or an existing Dask cluster.

Results are identical whichever is used: the same `evaluate_chunk` runs on the same data.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

import numpy as np

from research.errors import ResearchInputError
from research.sweep.data import SweepData
from research.sweep.evaluate import SharedAverages, evaluate_chunk

SCHEDULER_ENV = "GAUNTLET_DASK_SCHEDULER"

Chunk = Sequence[dict[str, Any]]
Done = tuple[int, np.ndarray]


class SchedulerUnreachableError(ResearchInputError):
    """The Dask scheduler address given could not be connected to."""


# Per-process state of a local worker: the bars (and shared averages) arrive once, at fork.
_WORKER: dict[str, Any] = {}


def _init_worker(data: SweepData, shared: SharedAverages | None, parent: int) -> None:
    # Ctrl-C and SIGTERM are the parent's to handle (a terminal or `kill -- -pgid` sends them to
    # the workers too): it keeps the finished chunks and stops the pool, killing its workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _die_with(parent)
    _WORKER["data"] = data
    _WORKER["shared"] = shared


def _die_with(parent: int) -> None:
    """A parent that cannot stop its workers (SIGKILL, the OOM killer) still leaves none: on
    Linux the kernel kills this worker when the parent dies (PR_SET_PDEATHSIG)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGKILL))
    if os.getppid() != parent:  # the parent died before the request was in place
        os._exit(1)


def _run_in_worker(strategy: str, chunk: Chunk) -> np.ndarray:
    return evaluate_chunk(strategy, chunk, _WORKER["data"], _WORKER["shared"])


# What distributed can connect to: [scheme://]host:port (inproc:// has no port).
_ADDRESS = re.compile(
    r"(?:(?P<scheme>[a-z][a-z0-9+]*)://)?(?P<host>[^\s/:]+|\[[0-9a-f:]+\]):(?P<port>\d+)"
)
_SCHEMES = ("tcp", "tls", "ucx", "ws", "wss")


def scheduler_address(explicit: str | None) -> str | None:
    """The Dask scheduler to use (`explicit`, else GAUNTLET_DASK_SCHEDULER), checked to be an
    address before anything is computed; None: run locally."""
    address = explicit or os.environ.get(SCHEDULER_ENV) or None
    if address is not None:
        check_address(address, "--scheduler" if explicit else SCHEDULER_ENV)
    return address


def check_address(address: str, source: str) -> None:
    match = _ADDRESS.fullmatch(address.strip())
    scheme = match and (match["scheme"] or "tcp")
    if match is None or scheme not in _SCHEMES or not 0 < int(match["port"]) < 65536:
        raise ResearchInputError(
            f"{source}: {address!r} is not a Dask scheduler address (tcp://host:port, or "
            f"host:port; schemes {', '.join(_SCHEMES)})"
        )


def run_local(
    strategy: str,
    chunks: Sequence[Chunk],
    data: SweepData,
    workers: int,
    shared: SharedAverages | None,
) -> Iterator[Done]:
    if workers <= 1 or len(chunks) <= 1:
        for i, chunk in enumerate(chunks):
            yield i, evaluate_chunk(strategy, chunk, data, shared)
        return
    # fork: workers inherit the bars copy-on-write instead of unpickling them.
    ctx = multiprocessing.get_context("fork")
    init = (data, shared, os.getpid())
    pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=init)
    finished = False
    try:
        futures = {pool.submit(_run_in_worker, strategy, c): i for i, c in enumerate(chunks)}
        for fut in as_completed(futures):
            yield futures[fut], fut.result()
        finished = True
    finally:
        if not finished:
            # Ctrl-C, SIGTERM or an error: queued chunks are dropped and running ones killed
            # (their results could no longer be reported), so no worker outlives the sweep.
            _kill_workers(pool)
        pool.shutdown(wait=True, cancel_futures=True)


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    # ProcessPoolExecutor has no public way to stop running tasks before Python 3.14
    # (terminate_workers); its `_processes` map (pid → Process) is what that method uses.
    processes = dict(getattr(pool, "_processes", None) or {})
    for process in processes.values():
        process.kill()
    for process in processes.values():
        process.join(timeout=10)


def connect(address: str, timeout: float = 5.0) -> Any:
    """A distributed.Client for `address`; an unreachable scheduler is a one-line error."""
    from distributed import Client

    try:
        return Client(address, timeout=timeout, set_as_default=False)  # type: ignore[no-untyped-call]  # distributed is untyped
    except (OSError, TimeoutError) as exc:
        raise SchedulerUnreachableError(
            f"cannot reach Dask scheduler at {address}: {exc}"
        ) from None


def run_dask(
    strategy: str, chunks: Sequence[Chunk], data: SweepData, client: Any
) -> Iterator[Done]:
    """Chunks as tasks on the cluster; the bars are scattered to every worker once."""
    from distributed import as_completed as dask_completed

    try:
        shared = client.scatter(data, broadcast=True)
        futures: dict[Any, int] = {}
        for i, chunk in enumerate(chunks):
            fut = client.submit(evaluate_chunk, strategy, list(chunk), shared, pure=False)
            futures[fut] = i
        try:
            done = dask_completed(list(futures), loop=client.loop)  # type: ignore[no-untyped-call]  # distributed is untyped
            for fut in done:
                yield futures[fut], fut.result()
        finally:
            client.cancel(list(futures))
    finally:
        client.close()
