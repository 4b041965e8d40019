"""The QuickFIX `Application` both ends share: every message logged (redacted), callbacks
guarded, and typed hooks for what each end adds.

QuickFIX calls these methods from its socket threads through SWIG directors. A Python
exception escaping a callback would reach C++; except for QuickFIX's own control exceptions
(RejectLogon, DoNotSend, ...), which are how an application answers, each is logged as an
event and swallowed, so one bad message cannot take the session down.
"""

# ruff: noqa: N802  # the callbacks override QuickFIX's camelCase names (onLogon, toAdmin, ...)

from __future__ import annotations

import traceback
from collections.abc import Callable

import quickfix as fix

from execution_engine.adapters.fix.fixlog import FixLog


def msg_type(message: fix.Message) -> str:
    return str(message.getHeader().getField(35))


class LoggingApplication(fix.Application):  # type: ignore[misc]  # quickfix has no type stubs
    def __init__(self, log: FixLog) -> None:
        super().__init__()
        self.log = log

    # --- QuickFIX callbacks -------------------------------------------------------------
    def onCreate(self, session_id: fix.SessionID) -> None:
        self.log.event(f"created {session_id.toString()}")

    def onLogon(self, session_id: fix.SessionID) -> None:
        self.log.event(f"logon {session_id.toString()}")
        self._guarded(self.on_logon, session_id)

    def onLogout(self, session_id: fix.SessionID) -> None:
        self.log.event(f"logout {session_id.toString()}")
        self._guarded(self.on_logout, session_id)

    def toAdmin(self, message: fix.Message, session_id: fix.SessionID) -> None:
        self._guarded(self.on_admin_out, message, session_id)
        self.log.outgoing(message.toString())  # after the hook: credentials are in, then masked

    def fromAdmin(self, message: fix.Message, session_id: fix.SessionID) -> None:
        self.log.incoming(message.toString())
        self._guarded(self.on_admin_in, message, session_id)

    def toApp(self, message: fix.Message, session_id: fix.SessionID) -> None:
        self._guarded(self.on_app_out, message, session_id)
        self.log.outgoing(message.toString())

    def fromApp(self, message: fix.Message, session_id: fix.SessionID) -> None:
        raw = message.toString()
        self.log.incoming(raw)
        self._guarded(self.on_app_in, raw, session_id)

    # --- hooks ----------------------------------------------------------------------------
    def on_logon(self, session_id: fix.SessionID) -> None:
        """The session is logged on."""

    def on_logout(self, session_id: fix.SessionID) -> None:
        """The session logged out or the connection ended (after a Logon was sent)."""

    def on_admin_out(self, message: fix.Message, session_id: fix.SessionID) -> None:
        """An admin message is about to be sent (add Logon credentials here)."""

    def on_admin_in(self, message: fix.Message, session_id: fix.SessionID) -> None:
        """An admin message arrived (raise fix.RejectLogon to refuse a Logon)."""

    def on_app_out(self, message: fix.Message, session_id: fix.SessionID) -> None:
        """An application message is about to be sent, its header filled in."""

    def on_app_in(self, raw: str, session_id: fix.SessionID) -> None:
        """An application message arrived, as raw tag=value text."""

    def _guarded(self, hook: Callable[..., None], *args: object) -> None:
        try:
            hook(*args)
        except fix.FIXException:
            raise  # QuickFIX's answers (RejectLogon, DoNotSend): the engine acts on them
        except Exception as exc:  # a bug in a hook must not reach the C++ session thread
            self.log.event(f"callback error {type(exc).__name__}: {exc}")
            self.log.event(traceback.format_exc().replace("\n", " | "))
