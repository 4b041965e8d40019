"""The simulated broker: the QuickFIX acceptor application in front of the book.

Checks logon credentials (a wrong pair gets a Logout with Text), turns client requests
into book operations, sends every report back, records orders and fills in the ledger
(PossDup/PossResend flags included) and applies the armed faults.

Lock order: QuickFIX holds its session lock while it calls us, and we then take `lock`;
so nothing here calls into QuickFIX while holding `lock`. Messages are queued on the
outbox (outbox.py), whose thread sends them, in order, holding none of our locks.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from decimal import Decimal

import quickfix as fix

from execution_engine.adapters.fix.application import LoggingApplication, msg_type
from execution_engine.adapters.fix.codes import ExecType, MsgType
from execution_engine.adapters.fix.fixlog import FixLog
from execution_engine.adapters.fix.messages import OrderRequest
from execution_engine.adapters.fix.sim import encode
from execution_engine.adapters.fix.sim.book import Book, CancelRejected, Execution, Report
from execution_engine.adapters.fix.sim.decode import order_terms
from execution_engine.adapters.fix.sim.faults import Faults
from execution_engine.adapters.fix.sim.ledger import Ledger, LedgerEntry
from execution_engine.adapters.fix.sim.outbox import Outbox, Outgoing
from execution_engine.adapters.fix.sim.quotes import Quote
from execution_engine.adapters.fix.wire import Fields, FixMessageError, first_values, split_fields

_LEDGER_KINDS = {
    ExecType.TRADE: "fill",
    ExecType.CANCELED: "cancel",
    ExecType.REPLACED: "replace",
    ExecType.REJECTED: "reject",
    ExecType.EXPIRED: "expire",
}
_UNSUPPORTED_MESSAGE = 3  # BusinessRejectReason: unsupported message type
_MISSING_FIELD = 5  # BusinessRejectReason: conditionally required field missing


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class BrokerApplication(LoggingApplication):
    def __init__(
        self,
        log: FixLog,
        book: Book,
        ledger: Ledger,
        faults: Faults,
        credentials: tuple[str, str],
        account: str,
        session_id: fix.SessionID,
    ) -> None:
        super().__init__(log)
        self.book = book
        self.ledger = ledger
        self.faults = faults
        self.account = account
        self._credentials = credentials
        self.lock = threading.RLock()  # the book, and the order reports leave in
        self.logged_on = threading.Event()
        self.rejected_logons = 0
        # Accepted logons and ResendRequests received: how a test (or the conformance kit)
        # sees that a dropped session came back and that a sequence gap was asked for.
        self.logons = 0
        self.resend_requests = 0
        self._refusing = False  # the Logon being answered had wrong credentials
        self._subscriptions: dict[str, tuple[str, ...]] = {}  # MDReqID → symbols
        self._handlers: dict[str, Callable[[Fields, list[tuple[int, str]]], None]] = {
            MsgType.NEW_ORDER_SINGLE: self._new_order,
            MsgType.ORDER_CANCEL_REQUEST: self._cancel,
            MsgType.ORDER_CANCEL_REPLACE_REQUEST: self._replace,
            MsgType.ORDER_STATUS_REQUEST: self._status,
            MsgType.ORDER_MASS_STATUS_REQUEST: self._mass_status,
            MsgType.REQUEST_FOR_POSITIONS: self._positions,
            MsgType.MARKET_DATA_REQUEST: self._market_data,
        }
        self.session_id = session_id
        self._pending_dups: set[str] = set()  # ExecIDs whose next send is the PossDup copy
        self._dup_lock = threading.Lock()
        self.outbox = Outbox(self._send_now)

    # --- session ----------------------------------------------------------------------------
    def on_logon(self, session_id: fix.SessionID) -> None:
        if not self._refusing:
            self.logons += 1
            self.logged_on.set()

    def on_logout(self, session_id: fix.SessionID) -> None:
        self.logged_on.clear()
        self._refusing = False
        with self.lock:
            self._subscriptions.clear()

    def on_admin_in(self, message: fix.Message, session_id: fix.SessionID) -> None:
        if msg_type(message) == MsgType.RESEND_REQUEST:
            self.resend_requests += 1
        if msg_type(message) != MsgType.LOGON:
            return
        username = message.getField(553) if message.isSetField(553) else ""
        password = message.getField(554) if message.isSetField(554) else ""
        if (username, password) != self._credentials:
            # Raising fix.RejectLogon here would be QuickFIX's way, but in the pinned wheel
            # the C++ exception it becomes is never caught (std::terminate ends the
            # process). So the Logon reply is turned into a Logout in on_admin_out instead.
            self.rejected_logons += 1
            self._refusing = True

    def on_admin_out(self, message: fix.Message, session_id: fix.SessionID) -> None:
        if not self._refusing or msg_type(message) != MsgType.LOGON:
            return
        message.getHeader().setField(35, MsgType.LOGOUT.value)
        for tag in (98, 108, 141):  # Logon-only fields
            if message.isSetField(tag):
                message.removeField(tag)
        message.setField(58, "invalid username or password")
        # After the Logout is on the wire: disconnect takes the session lock the send holds.
        threading.Thread(target=self.disconnect, daemon=True).start()

    # --- requests ---------------------------------------------------------------------------
    def on_app_in(self, raw: str, session_id: fix.SessionID) -> None:
        pairs = split_fields(raw)
        fields = Fields(first_values(pairs), "?")
        fields.msg_type = fields.text(35)
        handler = self._handlers.get(fields.msg_type)
        seq = fields.integer(34) or 0
        if handler is None:
            text = f"message type {fields.msg_type} is not supported"
            self._send(encode.business_reject(fields.msg_type, seq, _UNSUPPORTED_MESSAGE, text))
            return
        try:
            handler(fields, pairs)
        except FixMessageError as exc:
            self._send(encode.business_reject(fields.msg_type, seq, _MISSING_FIELD, str(exc)))

    def _new_order(self, fields: Fields, pairs: list[tuple[int, str]]) -> None:
        terms = order_terms(fields)
        with self.lock:
            known = self.book.knows_cl_ord_id(terms.cl_ord_id)
        self.ledger.record(
            LedgerEntry(
                "duplicate_order" if known else "order",
                terms.cl_ord_id,
                symbol=terms.symbol,
                side=terms.side.name,
                quantity=str(terms.quantity),
                price=None if terms.price is None else str(terms.price),
                poss_dup=fields.flag(43),
                poss_resend=fields.flag(97),
            )
        )
        if self.faults.take_drop():
            # The order reached the broker, then the line went: its reports are stored and
            # sent under their sequence numbers, so the client gets them by ResendRequest.
            threading.Thread(target=self._drop_then_execute, args=(terms,), daemon=True).start()
            return
        with self.lock:
            self._report(self.book.new_order(terms, self.faults.take_reject()))

    def _drop_then_execute(self, terms: OrderRequest) -> None:
        self.disconnect()
        with self.lock:
            self._report(self.book.new_order(terms, self.faults.take_reject()))

    def _cancel(self, fields: Fields, pairs: list[tuple[int, str]]) -> None:
        with self.lock:
            self._report(self.book.cancel(fields.text(11), fields.text(41)))

    def _replace(self, fields: Fields, pairs: list[tuple[int, str]]) -> None:
        terms = order_terms(fields)
        with self.lock:
            self._report(self.book.replace(terms, fields.text(41)))

    def _status(self, fields: Fields, pairs: list[tuple[int, str]]) -> None:
        with self.lock:
            self._report([self.book.status(fields.text(11))])

    def _mass_status(self, fields: Fields, pairs: list[tuple[int, str]]) -> None:
        with self.lock:
            self._report(list(self.book.mass_status(fields.text(584))))

    def _positions(self, fields: Fields, pairs: list[tuple[int, str]]) -> None:
        request_id = fields.text(710)
        with self.lock:
            positions = self.book.positions()
            self._send(encode.positions_ack(request_id, self.account, len(positions)))
            for symbol, net in positions.items():
                quote = self.book.quote(symbol)
                settle = (quote.bid + quote.ask) / 2 if quote else Decimal(0)
                self._send(
                    encode.position_report(
                        request_id, self.account, symbol, net, settle, _now().date()
                    )
                )

    def _market_data(self, fields: Fields, pairs: list[tuple[int, str]]) -> None:
        request_id = fields.text(262)
        symbols = tuple(encode.symbols_of(pairs))
        with self.lock:
            if fields.text(263) == "2":  # unsubscribe
                self._subscriptions.pop(request_id, None)
                return
            unknown = [s for s in symbols if not self.book.knows_symbol(s)]
            if unknown or not symbols:
                self._send(encode.md_reject(request_id, f"unknown symbol(s): {', '.join(unknown)}"))
                return
            for symbol in symbols:
                quote = self.book.quote(symbol)
                if quote is not None:
                    self._send(encode.md_snapshot(request_id, quote))
            if fields.text(263) == "1":
                self._subscriptions[request_id] = symbols

    # --- market and time --------------------------------------------------------------------
    def on_quote(self, quote: Quote) -> None:
        with self.lock:
            self._report(self.book.on_quote(quote))
            for request_id, symbols in self._subscriptions.items():
                if quote.symbol in symbols:
                    self._send(encode.md_incremental(request_id, quote))

    def on_time(self, now: dt.datetime) -> None:
        with self.lock:
            self._report(self.book.on_time(now))

    def unsolicited_cancel(self, cl_ord_id: str, text: str) -> None:
        with self.lock:
            self._report(self.book.unsolicited_cancel(cl_ord_id, text))

    # --- sending ----------------------------------------------------------------------------
    def _report(self, reports: list[Report]) -> None:
        for report in reports:
            if isinstance(report, CancelRejected):
                self._send(encode.cancel_reject(report))
                continue
            self._record(report, poss_dup=False)
            message = encode.execution_report(report, _now())
            self._send(message)
            if report.exec_type is ExecType.TRADE and self.faults.take_duplicate():
                self._send_duplicate(report, message)

    def _send_duplicate(self, report: Execution, original: fix.Message) -> None:
        # Session::send strips PossDupFlag from what it is given, so the copy is marked in
        # toApp (on_app_out), after QuickFIX has filled in its header.
        self._record(report, poss_dup=True)

        def mark_next_as_copy() -> None:  # the original is on the wire by now
            with self._dup_lock:
                self._pending_dups.add(report.exec_id)

        self.outbox.put(Outgoing(fix.Message(original), mark_next_as_copy))

    def on_app_out(self, message: fix.Message, session_id: fix.SessionID) -> None:
        if not message.isSetField(17):
            return
        with self._dup_lock:
            if message.getField(17) not in self._pending_dups:
                return
            self._pending_dups.discard(message.getField(17))
        header = message.getHeader()
        header.setField(43, "Y")
        header.setField(122, header.getField(52))  # OrigSendingTime: required with PossDupFlag

    def _record(self, report: Execution, *, poss_dup: bool) -> None:
        kind = _LEDGER_KINDS.get(report.exec_type)
        if kind is None:
            return
        order = report.order
        price = report.last_px if report.last_px is not None else order.terms.price
        quantity = report.last_qty if report.last_qty is not None else order.terms.quantity
        self.ledger.record(
            LedgerEntry(
                kind,
                order.cl_ord_id,
                order.order_id,
                report.exec_id,
                order.terms.symbol,
                order.terms.side.name,
                str(quantity),
                None if price is None else str(price),
                poss_dup=poss_dup,
                text=report.text,
            )
        )

    def _send(self, message: fix.Message) -> None:
        """Queue `message` (callers may hold `lock`: the outbox's thread sends it)."""
        delay = self.faults.delay_reports_seconds
        if delay > 0:
            threading.Timer(delay, self.outbox.put, args=(Outgoing(message),)).start()
        else:
            self.outbox.put(Outgoing(message))

    def _send_now(self, message: fix.Message) -> None:
        # Sent while the line is down, a message is stored under its sequence number and goes
        # out on the client's ResendRequest (PersistMessages=Y on the broker side).
        try:
            fix.Session.sendToTarget(message, self.session_id)
        except fix.SessionNotFound:  # a delayed report whose simulator has stopped
            self.log.event(f"not sent, the session is gone: {message.toString()}")

    def disconnect(self) -> None:
        session = fix.Session.lookupSession(self.session_id)
        if session is not None:
            session.disconnect()
