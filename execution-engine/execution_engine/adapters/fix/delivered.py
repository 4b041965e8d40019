"""The highest incoming MsgSeqNum the node has applied, kept beside the session's store.

QuickFIX counts a message as received (its store's next target MsgSeqNum moves on) when
`fromApp` returns, but fromApp only queues the message for the node's event loop (hub.py).
A node killed between the two would lose the message for good: at the next logon the venue
resends only what QuickFIX says is missing. So the hub records here each message's MsgSeqNum
once every client has handled it, and the next start rewinds QuickFIX's expected number to
the one after it (session.py): the venue resends the tail with PossDupFlag and the execution
client's duplicate check (ExecID / trade id) drops what was applied after all.

"Handled by every client" is not yet "in NautilusTrader's Redis cache": the clients put
order events on the execution engine's queue, applied on a later turn of the loop, and the
cache is written behind by NautilusTrader's own writer. So the mark trails delivery by
`SETTLE_SECONDS`: a message counts as applied once it has been delivered that long. Counting
too few costs only a longer resend (dropped as duplicates); counting too many loses a fill.

A plain write, no fsync: what `pwrite` put in the page cache outlives a killed
process (SIGKILL, a crash), which is what this guards against; a power loss or a kernel
crash is out of scope (the file may then lag, which only makes the venue resend more).
The number is written fixed-width at offset 0 in one syscall, so no reader ever sees a
half-written or shorter-than-before value.
"""

from __future__ import annotations

import os
import re
from collections import deque
from pathlib import Path

from execution_engine.adapters.fix.reports import UnreadableMessage
from execution_engine.adapters.fix.sinks import Inbound

DELIVERED_FILE = "delivered"  # in the session's folder, beside QuickFIX's store
_WIDTH = 20  # digits: any MsgSeqNum fits
# How long after its delivery a message counts as applied: the event queue's turn plus the
# Redis writer's, with room for a loaded machine (the soak kills mid-burst on 2 cores).
SETTLE_SECONDS = 0.1
_SEQ_NUM = re.compile(r"\x0134=(\d+)\x01")


def seq_num_of(message: Inbound) -> tuple[int, bool] | None:
    """(MsgSeqNum, PossDupFlag) of the message; None for an unreadable one without a
    readable 34 (the next readable message moves the mark past it)."""
    if isinstance(message, UnreadableMessage):
        found = _SEQ_NUM.search(message.raw)
        return None if found is None else (int(found[1]), "\x0143=Y\x01" in message.raw)
    return (message.header.seq_num, message.header.poss_dup) if message.header.seq_num else None


class DeliveredMark:
    """`<session folder>/delivered`: one number, the highest delivered MsgSeqNum."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._highest = 0
        self._settling: deque[tuple[float, int, bool]] = deque()  # (delivered at, seq, dup)

    def read(self) -> int | None:
        """The recorded number; None when nothing was ever delivered (or the file is bad)."""
        try:
            text = self.path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return int(text) if text.isdigit() else None

    def record(self, seq_num: int, *, poss_dup: bool, now: float) -> None:
        """Note that `seq_num` was delivered at `now` (monotonic seconds); it reaches the
        file once settled (`settle`)."""
        self._settling.append((now, seq_num, poss_dup))
        self.settle(now)

    def settle(self, now: float) -> None:
        """Write the mark of the messages delivered at least SETTLE_SECONDS before `now`.
        A PossDup resend of a lower number changes nothing; a fresh message with a lower
        number means the sequence was reset (a new FIX session day): the new mark."""
        moved = False
        while self._settling and self._settling[0][0] <= now - SETTLE_SECONDS:
            _, seq_num, poss_dup = self._settling.popleft()
            if not (poss_dup and seq_num <= self._highest):
                self._highest, moved = seq_num, True
        if moved:
            self._write(self._highest)

    def _write(self, seq_num: int) -> None:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
        os.pwrite(self._fd, f"{seq_num:0{_WIDTH}d}\n".encode("ascii"), 0)

    def start_from(self, seq_num: int) -> None:
        """The mark as the session starts (what was read, or the store's count when there
        was none to read), written at once: a node killed before anything settles must
        still find a mark at its next start (none would mean: nothing to rewind)."""
        self._highest = seq_num
        self._write(seq_num)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
