"""The FIX message and event log, written by us with credentials redacted.

QuickFIX's own logs (FileLog, ScreenLog) write raw messages, Logon passwords included, and
the Python binding cannot subclass its `Log`/`LogFactory` (no SWIG directors). So our
sessions run QuickFIX with NO log factory and log every message from the Application
callbacks (toAdmin/toApp/fromAdmin/fromApp see every message sent and received, resends
included), after `redact`. ADR 0006 says why.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from pathlib import Path
from typing import TextIO

SOH = "\x01"
# Username 553, Password 554, NewPassword 925, RawData 96 (and its length 95: a length is
# harmless but a redacted RawData must not keep a length that no longer matches).
REDACTED_TAGS: frozenset[int] = frozenset({95, 96, 553, 554, 925})
MASK = "***"
_FIELD = re.compile(r"(?:(?<=\x01)|^)(\d+)=([^\x01]*)")
# How a redacted field can begin: the regex pass runs only on a message that has one (a Logon,
# a RawData), not on every quote and order (a few substring scans instead of a regex
# callback per field, on QuickFIX's thread, inside the quote-to-order path).
_REDACTED_STARTS: tuple[str, ...] = tuple(f"{SOH}{tag}=" for tag in sorted(REDACTED_TAGS))
_REDACTED_FIRST: tuple[str, ...] = tuple(f"{tag}=" for tag in sorted(REDACTED_TAGS))


def redact(raw: str) -> str:
    """`raw` (SOH-separated tag=value) with credential values replaced by ***."""
    if not raw.startswith(_REDACTED_FIRST) and not any(s in raw for s in _REDACTED_STARTS):
        return raw
    return _FIELD.sub(_mask_field, raw)


def _mask_field(match: re.Match[str]) -> str:
    tag = int(match.group(1))
    return f"{tag}={MASK}" if tag in REDACTED_TAGS else match.group(0)


def printable(raw: str) -> str:
    """A redacted message with | for SOH, for logs and error lines."""
    return redact(raw).replace(SOH, "|")


class FixLog:
    """messages.log (IN/OUT lines) and events.log in one folder; safe across threads."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self._lock = threading.Lock()
        self._messages: TextIO = (folder / "messages.log").open("a", encoding="utf-8")
        self._events: TextIO = (folder / "events.log").open("a", encoding="utf-8")

    def incoming(self, raw: str) -> None:
        self._write(self._messages, f"IN  {printable(raw)}")

    def outgoing(self, raw: str) -> None:
        self._write(self._messages, f"OUT {printable(raw)}")

    def event(self, text: str) -> None:
        self._write(self._events, printable(text))

    def close(self) -> None:
        with self._lock:
            self._messages.close()
            self._events.close()

    def _write(self, stream: TextIO, line: str) -> None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H:%M:%S.%f")
        with self._lock:
            if not stream.closed:
                stream.write(f"{stamp} {line}\n")
                stream.flush()  # a crash must not lose the record of what was on the wire
