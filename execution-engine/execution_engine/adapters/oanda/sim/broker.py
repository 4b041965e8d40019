"""The simulated account: accepts, triggers and fills orders on the replayed quotes, keeps
trades and the transaction log, and closes the account out when its margin runs out.

Every public method runs under `lock` (routes on the server's loop, `push_quote` from a test
thread). Fills that cannot happen (market halted, price bound, insufficient margin, a take
profit or stop loss on the wrong side of the fill) cancel the order as OANDA does: the order
is created, then an ORDER_CANCEL says why, in a 201. Checks on the request itself reject it:
a `<TYPE>_ORDER_REJECT` transaction in a 400 (or 404).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from execution_engine.adapters.oanda.sim import account as accounting
from execution_engine.adapters.oanda.sim.config import SimConfig
from execution_engine.adapters.oanda.sim.errors import ApiError, OrderRejectError
from execution_engine.adapters.oanda.sim.faults import Faults
from execution_engine.adapters.oanda.sim.market import Market
from execution_engine.adapters.oanda.sim.orders import (
    DEPENDENT_TYPES,
    ENTRY_TYPES,
    POSITION_FILLS,
    TRIGGER_CONDITIONS,
    Order,
    check_on_fill,
    dependent_triggered,
    entry_triggered,
    on_fill_loses,
    parse_client_extensions,
    parse_price,
    parse_time_in_force,
    parse_units,
    trail,
)  # fmt: skip
from execution_engine.adapters.oanda.sim.trades import Trade, TradeBook
from execution_engine.adapters.oanda.sim.transactions import Transaction, TransactionLog
from execution_engine.adapters.oanda.sim.wire import dec, money, now, now_ns

Body = dict[str, Any]
_FILL_REASONS = {
    "MARKET": "MARKET_ORDER", "LIMIT": "LIMIT_ORDER", "STOP": "STOP_ORDER",
    "MARKET_IF_TOUCHED": "MARKET_IF_TOUCHED_ORDER", "TAKE_PROFIT": "TAKE_PROFIT_ORDER",
    "STOP_LOSS": "STOP_LOSS_ORDER", "TRAILING_STOP_LOSS": "TRAILING_STOP_LOSS_ORDER",
}  # fmt: skip
_ON_FILL = (
    ("take_profit_on_fill", "TAKE_PROFIT"), ("stop_loss_on_fill", "STOP_LOSS"),
    ("trailing_stop_loss_on_fill", "TRAILING_STOP_LOSS"),
)  # fmt: skip


class UnfillableError(Exception):
    """An accepted order that cannot fill: the ORDER_CANCEL reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Broker:
    """One OANDA account on the simulated market."""

    def __init__(self, config: SimConfig, market: Market, faults: Faults) -> None:
        self.config = config
        self.market = market
        self.faults = faults
        self.lock = threading.RLock()
        self.home = config.currency
        self.balance = config.balance
        self.user_id = int(config.account_id.split("-")[2])
        self.created = now()
        self.log = TransactionLog(config.account_id, self.user_id)
        self.book = TradeBook()
        self.orders: dict[str, Order] = {}
        self.position_pl: dict[str, dict[str, Decimal]] = {}
        self.received: list[Body] = []
        self._open_account()

    # -- the account ---------------------------------------------------------------------

    def _open_account(self) -> None:
        site, division, _, number = self.config.account_id.split("-")
        self.log.begin_batch()
        self.log.append(
            "CREATE", divisionID=int(division), siteID=int(site), accountUserID=self.user_id,
            accountNumber=int(number), homeCurrency=self.home,
        )  # fmt: skip
        self.log.append(
            "TRANSFER_FUNDS", amount=money(self.balance), fundingReason="ACCOUNT_TRANSFER",
            accountBalance=money(self.balance),
        )  # fmt: skip
        self.log.end_batch()

    @property
    def hedging(self) -> bool:
        return self.config.hedging

    def valuation(self) -> accounting.Valuation:
        return accounting.value(self.book, self.balance, self.home, self.market)

    def pending_orders(self, instrument: str | None = None) -> list[Order]:
        return [
            order for order in self.orders.values()
            if order.state == "PENDING" and (instrument is None or order.instrument == instrument)
        ]  # fmt: skip

    def find_order(self, specifier: str) -> Order | None:
        if specifier.startswith("@"):
            wanted = specifier[1:]
            matches = [o for o in self.orders.values() if o.client_id == wanted]
            pending = [o for o in matches if o.state == "PENDING"]
            chosen = pending or matches
            return chosen[-1] if chosen else None
        return self.orders.get(specifier)

    # -- order requests ------------------------------------------------------------------

    def create_order(self, body: object) -> tuple[int, Body]:
        request = body.get("order") if isinstance(body, dict) else None
        if not isinstance(request, dict):
            raise ApiError(400, "Invalid value specified for 'order'")
        kind = request.get("type", "MARKET")
        if kind not in ENTRY_TYPES + DEPENDENT_TYPES:
            raise ApiError(400, "Invalid value specified for 'order.type'")
        self.received.append(request)
        self.log.begin_batch()
        try:
            try:
                order = self._build(request, kind, replacing=None)
            except OrderRejectError as reject:
                return self._rejected(kind, request, reject)
            return 201, self._accept(order, "CLIENT_ORDER")
        finally:
            self.log.end_batch()

    def replace_order(self, specifier: str, body: object) -> tuple[int, Body]:
        old = self.find_order(specifier)
        if old is None or old.state != "PENDING":
            return self._cancel_rejected(specifier)
        request = body.get("order") if isinstance(body, dict) else None
        if not isinstance(request, dict):
            raise ApiError(400, "Invalid value specified for 'order'")
        kind = request.get("type", old.type)
        self.received.append(request)
        self.log.begin_batch()
        try:
            try:
                order = self._build(request, kind, replacing=old)
            except OrderRejectError as reject:
                return self._rejected(kind, request, reject)
            cancel = self._cancel(
                old, "CLIENT_REQUEST_REPLACED", replacedByOrderID=self.log.next_id()
            )
            order.replaces = old.id
            result: Body = {"orderCancelTransaction": cancel} | self._accept(order, "REPLACEMENT")
            result["relatedTransactionIDs"].insert(0, cancel["id"])
            return 201, result
        finally:
            self.log.end_batch()

    def cancel_order(self, specifier: str) -> tuple[int, Body]:
        order = self.find_order(specifier)
        if order is None or order.state != "PENDING":
            return self._cancel_rejected(specifier)
        self.log.begin_batch()
        try:
            cancel = self._cancel(order, "CLIENT_REQUEST")
        finally:
            self.log.end_batch()
        return 200, {
            "orderCancelTransaction": cancel, "relatedTransactionIDs": [cancel["id"]],
            "lastTransactionID": self.log.last_id,
        }  # fmt: skip

    def modify_client_extensions(self, specifier: str, body: object) -> tuple[int, Body]:
        order = self.find_order(specifier)
        if order is None or not isinstance(body, dict):
            return self._cancel_rejected(specifier, "ORDER_CLIENT_EXTENSIONS_MODIFY_REJECT")
        try:
            extensions = parse_client_extensions(body.get("clientExtensions"))
            trade_extensions = parse_client_extensions(body.get("tradeClientExtensions"))
        except OrderRejectError as reject:
            raise ApiError(400, reject.message, reject.reason) from None
        self.log.begin_batch()
        try:
            transaction = self.log.append(
                "ORDER_CLIENT_EXTENSIONS_MODIFY", orderID=order.id, clientOrderID=order.client_id,
                clientExtensionsModify=extensions, tradeClientExtensionsModify=trade_extensions,
            )  # fmt: skip
        finally:
            self.log.end_batch()
        if extensions is not None:
            order.client_extensions = {**(order.client_extensions or {}), **extensions}
        if trade_extensions is not None:
            order.trade_client_extensions = {
                **(order.trade_client_extensions or {}),
                **trade_extensions,
            }
        return 200, {
            "orderClientExtensionsModifyTransaction": transaction,
            "relatedTransactionIDs": [transaction["id"]], "lastTransactionID": self.log.last_id,
        }  # fmt: skip

    def close_trade(self, specifier: str, body: object) -> tuple[int, Body]:
        trade = self.book.find(specifier)
        raw_units = body.get("units", "ALL") if isinstance(body, dict) else "ALL"
        close = {"tradeID": specifier, "units": str(raw_units)}
        self.log.begin_batch()
        try:
            if trade is None or not trade.is_open:
                return self._rejected(
                    "MARKET", {"tradeClose": close}, OrderRejectError("TRADE_DOESNT_EXIST", 404)
                )
            close["tradeID"] = trade.id
            if trade.client_id is not None:
                close["clientTradeID"] = trade.client_id
            try:
                units = self._close_units(trade, raw_units)
                if not self.hedging and self.book.open_trades(trade.instrument)[0] is not trade:
                    raise OrderRejectError("FIFO_VIOLATION")
            except OrderRejectError as reject:
                return self._rejected("MARKET", {"tradeClose": close}, reject)
            order = self._closing_order(trade.instrument, units, {"tradeClose": close})
            return 200, self._accept(order, "TRADE_CLOSE", targets=[trade])
        finally:
            self.log.end_batch()

    def close_position(self, instrument: str, body: object) -> tuple[int, Body]:
        if instrument not in self.market.specs:
            raise ApiError(400, "Invalid value specified for 'instrument'")
        request = body if isinstance(body, dict) else {}
        wanted = {side: str(request.get(f"{side}Units", "NONE")) for side in ("long", "short")}
        if all(units == "NONE" for units in wanted.values()):
            raise ApiError(400, "Invalid value specified for 'longUnits' and 'shortUnits'")
        result: Body = {}
        related: list[str] = []
        self.log.begin_batch()
        try:
            for side, units in wanted.items():
                if units == "NONE":
                    continue
                status, part = self._close_side(instrument, side, units)
                if status != 200:
                    return status, part
                related.extend(part.pop("relatedTransactionIDs"))
                result |= {f"{side}{key[0].upper()}{key[1:]}": value for key, value in part.items()}
        finally:
            self.log.end_batch()
        result.pop("longLastTransactionID", None)
        result.pop("shortLastTransactionID", None)
        return 200, result | {
            "relatedTransactionIDs": related,
            "lastTransactionID": self.log.last_id,
        }

    def _close_side(self, instrument: str, side: str, raw_units: str) -> tuple[int, Body]:
        trades = [
            t
            for t in self.book.open_trades(instrument)
            if (t.current_units > 0) == (side == "long")
        ]
        closeout = {"instrument": instrument, "units": raw_units}
        key = f"{side}PositionCloseout"
        if not trades:
            status, body = self._rejected(
                "MARKET", {key: closeout}, OrderRejectError("CLOSEOUT_POSITION_DOESNT_EXIST")
            )
            return status, {
                f"{side}OrderRejectTransaction": body.pop("orderRejectTransaction")
            } | body
        held = sum((abs(t.current_units) for t in trades), Decimal(0))
        try:
            units = held if raw_units == "ALL" else Decimal(raw_units)
        except ArithmeticError:
            raise ApiError(400, f"Invalid value specified for '{side}Units'") from None
        if not 0 < units <= held:
            raise ApiError(400, f"Invalid value specified for '{side}Units'")
        signed = -units if side == "long" else units
        order = self._closing_order(instrument, signed, {key: closeout})
        return 200, self._accept(order, "POSITION_CLOSEOUT", targets=trades)

    # -- building and accepting orders ---------------------------------------------------

    def _build(self, request: Body, kind: str, replacing: Order | None) -> Order:
        forced = self.faults.take_reject()
        if forced is not None:
            raise OrderRejectError(forced)
        if kind in DEPENDENT_TYPES:
            return self._build_dependent(request, kind)
        name = request.get("instrument")
        if not name:
            raise OrderRejectError("INSTRUMENT_MISSING")
        spec = self.market.specs.get(str(name))
        if spec is None:
            raise OrderRejectError("INSTRUMENT_UNKNOWN")
        units = parse_units(request.get("units"), spec)
        tif, gtd, gtd_ns = parse_time_in_force(request, kind)
        price = None if kind == "MARKET" else parse_price(request.get("price"), spec)
        bound = request.get("priceBound")
        price_bound = None if bound is None else parse_price(bound, spec, "PRICE_BOUND")
        fill = request.get("positionFill", "DEFAULT")
        if fill not in POSITION_FILLS:
            raise OrderRejectError("ORDER_FILL_POSITION_ACTION_INVALID")
        trigger = request.get("triggerCondition", "DEFAULT")
        if trigger not in TRIGGER_CONDITIONS:
            raise OrderRejectError("TRIGGER_CONDITION_INVALID")
        extensions = parse_client_extensions(request.get("clientExtensions"))
        self._check_client_id(extensions, replacing)
        order = Order(
            id="", type=kind, create_time="", instrument=spec.name, units=units, price=price,
            price_bound=price_bound, time_in_force=tif, gtd_time=gtd, gtd_ns=gtd_ns,
            position_fill=fill, trigger_condition=trigger, client_extensions=extensions,
            trade_client_extensions=parse_client_extensions(request.get("tradeClientExtensions")),
            take_profit_on_fill=_dict(request.get("takeProfitOnFill")),
            stop_loss_on_fill=_dict(request.get("stopLossOnFill")),
            trailing_stop_loss_on_fill=_dict(request.get("trailingStopLossOnFill")),
        )  # fmt: skip
        check_on_fill(order, spec, price)
        return order

    def _build_dependent(self, request: Body, kind: str) -> Order:
        raw_trade = request.get("tradeID")
        if raw_trade is None and request.get("clientTradeID") is not None:
            raw_trade = f"@{request['clientTradeID']}"
        if raw_trade is None:
            raise OrderRejectError("TRADE_ID_UNSPECIFIED")
        trade = self.book.find(str(raw_trade))
        if trade is None or not trade.is_open:
            raise OrderRejectError("TRADE_DOESNT_EXIST", 404)
        spec = self.market.specs[trade.instrument]
        tif, gtd, gtd_ns = parse_time_in_force(request, kind)
        extensions = parse_client_extensions(request.get("clientExtensions"))
        self._check_client_id(extensions, None)
        order = Order(
            id="", type=kind, create_time="", instrument=trade.instrument,
            time_in_force=tif, gtd_time=gtd, gtd_ns=gtd_ns, client_extensions=extensions,
            trade_id=trade.id, client_trade_id=trade.client_id,
        )  # fmt: skip
        if kind == "TRAILING_STOP_LOSS":
            order.distance = parse_price(request.get("distance"), spec, "PRICE_DISTANCE")
        else:
            order.price = parse_price(request.get("price"), spec)
        return order

    def _check_client_id(self, extensions: dict[str, str] | None, replacing: Order | None) -> None:
        if extensions is None or "id" not in extensions:
            return
        for order in self.pending_orders():
            if order.client_id == extensions["id"] and order is not replacing:
                raise OrderRejectError("CLIENT_ORDER_ID_ALREADY_EXISTS")

    def _rejected(self, kind: str, request: Body, reject: OrderRejectError) -> tuple[int, Body]:
        fields = {key: value for key, value in request.items() if key != "type"}
        transaction = self.log.append(
            f"{kind}_ORDER_REJECT", **fields, reason="CLIENT_ORDER", rejectReason=reject.reason
        )
        return reject.status, {
            "orderRejectTransaction": transaction, "relatedTransactionIDs": [transaction["id"]],
            "lastTransactionID": self.log.last_id, "errorCode": reject.reason,
            "errorMessage": reject.message,
        }  # fmt: skip

    def _cancel_rejected(
        self, specifier: str, kind: str = "ORDER_CANCEL_REJECT"
    ) -> tuple[int, Body]:
        self.log.begin_batch()
        try:
            fields: Body = (
                {"orderID": specifier}
                if not specifier.startswith("@")
                else {"clientOrderID": specifier[1:]}
            )
            transaction = self.log.append(kind, **fields, rejectReason="ORDER_DOESNT_EXIST")
        finally:
            self.log.end_batch()
        key = (
            "orderCancelRejectTransaction"
            if kind == "ORDER_CANCEL_REJECT"
            else "orderClientExtensionsModifyRejectTransaction"
        )
        return 404, {
            key: transaction, "relatedTransactionIDs": [transaction["id"]],
            "lastTransactionID": self.log.last_id, "errorCode": "ORDER_DOESNT_EXIST",
            "errorMessage": "The Order specified does not exist",
        }  # fmt: skip

    def _closing_order(self, instrument: str, units: Decimal, extra: Body) -> Order:
        return Order(
            id="", type="MARKET", create_time="", instrument=instrument, units=units,
            time_in_force="FOK", position_fill="REDUCE_ONLY", extra=extra,
        )  # fmt: skip

    def _close_units(self, trade: Trade, raw: object) -> Decimal:
        if str(raw) == "ALL":
            return -trade.current_units
        spec = self.market.specs[trade.instrument]
        units = parse_units(raw, spec)
        if units < 0 or units > abs(trade.current_units):
            raise OrderRejectError("CLOSE_TRADE_UNITS_EXCEED_TRADE_SIZE")
        return -units if trade.current_units > 0 else units

    def _accept(self, order: Order, reason: str, targets: list[Trade] | None = None) -> Body:
        order.id = self.log.next_id()
        created = self.log.append(f"{order.type}_ORDER", **order.request_fields(), reason=reason)
        order.create_time = created["time"]
        self.orders[order.id] = order
        result: Body = {"orderCreateTransaction": created}
        related = [created["id"]]
        if order.type in DEPENDENT_TYPES:
            self._attach(order)
        elif order.type == "MARKET":
            result |= self._execute(
                order,
                "MARKET_ORDER" if reason == "CLIENT_ORDER" else f"MARKET_ORDER_{reason}",
                targets,
            )
        else:
            result |= self._try_pending(order)
        for key in ("orderFillTransaction", "orderCancelTransaction"):
            if key in result:
                related.append(result[key]["id"])
        related.extend(result.pop("_more", []))
        result["relatedTransactionIDs"] = related
        result["lastTransactionID"] = self.log.last_id
        return result

    def _attach(self, order: Order) -> None:
        trade = self.book.trades[str(order.trade_id)]
        quote = self.market.quotes[trade.instrument]
        if order.type == "TRAILING_STOP_LOSS":
            assert order.distance is not None  # parsed for every trailing stop
            start = (
                quote.bid - order.distance
                if trade.current_units > 0
                else quote.ask + order.distance
            )
            order.trailing_stop_value = start.quantize(self.market.specs[trade.instrument].tick)
        attribute = {
            "TAKE_PROFIT": "take_profit_id",
            "STOP_LOSS": "stop_loss_id",
            "TRAILING_STOP_LOSS": "trailing_stop_id",
        }[order.type]
        previous = getattr(trade, attribute)
        if previous is not None and self.orders[previous].state == "PENDING":
            self._cancel(self.orders[previous], "CLIENT_REQUEST_REPLACED")
        setattr(trade, attribute, order.id)

    def _try_pending(self, order: Order) -> Body:
        quote = self.market.quotes[order.instrument]
        if entry_triggered(order, quote.bid, quote.ask):
            return self._execute(order, _FILL_REASONS[order.type], None)
        if order.time_in_force in ("FOK", "IOC"):
            return {"orderCancelTransaction": self._cancel(order, "TIME_IN_FORCE_EXPIRED")}
        return {}

    def _cancel(self, order: Order, reason: str, **extra: Any) -> Transaction:
        order.state = "CANCELLED"
        transaction = self.log.append(
            "ORDER_CANCEL", orderID=order.id, clientOrderID=order.client_id, reason=reason, **extra
        )
        order.outcome = {
            "cancellingTransactionID": transaction["id"],
            "cancelledTime": transaction["time"],
        }
        return transaction

    # -- fills ---------------------------------------------------------------------------

    def _execute(self, order: Order, fill_reason: str, targets: list[Trade] | None) -> Body:
        try:
            return self._fill(order, fill_reason, targets)
        except UnfillableError as cancel:
            return {"orderCancelTransaction": self._cancel(order, cancel.reason)}

    def _fill(self, order: Order, fill_reason: str, targets: list[Trade] | None) -> Body:
        instrument, units = order.instrument, order.units
        if not self.market.tradeable(instrument):
            raise UnfillableError("MARKET_HALTED")
        quote = self.market.quotes[instrument]
        price = quote.ask if units > 0 else quote.bid
        bound = order.price_bound
        if bound is not None and (price > bound if units > 0 else price < bound):
            raise UnfillableError("BOUNDS_VIOLATION")
        reduce = self._reducible(order, targets)
        closing, remaining = _plan(reduce, units)
        opened = (
            Decimal(0) if order.position_fill == "REDUCE_ONLY" or targets is not None else remaining
        )
        if order.position_fill == "REDUCE_ONLY" and not closing:
            raise UnfillableError(
                "REDUCE_ONLY_POSITION_DOESNT_EXIST" if not reduce else "FIFO_VIOLATION"
            )
        if opened != 0:
            self._check_opening(order, opened, price)
        return self._apply_fill(order, fill_reason, price, closing, opened)

    def _reducible(self, order: Order, targets: list[Trade] | None) -> list[Trade]:
        if targets is not None:
            return targets
        if self.hedging and order.position_fill in ("DEFAULT", "OPEN_ONLY"):
            return []
        if order.position_fill == "OPEN_ONLY":
            return []
        return self.book.reducible(order.instrument, order.units)

    def _check_opening(self, order: Order, opened: Decimal, price: Decimal) -> None:
        for key, kind in _ON_FILL[:2]:
            details = getattr(order, key)
            level = None if details is None else details.get("price")
            if level is not None and on_fill_loses(kind, opened, Decimal(str(level)), price):
                raise UnfillableError(f"{kind}_ON_FILL_LOSS")
        long, short = self.book.side_units(order.instrument)
        if opened > 0:
            long += opened
        else:
            short += opened
        before = accounting.instrument_margin(self.book, order.instrument, self.home, self.market)
        after = accounting.margin_for(order.instrument, max(long, -short), self.home, self.market)
        if after - before > self.valuation().margin_available:
            raise UnfillableError("INSUFFICIENT_MARGIN")

    def _apply_fill(
        self, order: Order, fill_reason: str, price: Decimal, closing: list[tuple[Trade, Decimal]],
        opened: Decimal,
    ) -> Body:  # fmt: skip
        fill_id = self.log.next_id()
        stamp = now()
        quote = self.market.quotes[order.instrument]
        half_spread = (quote.ask - quote.bid) / 2
        closed_rows, reduced_row, total_pl = [], None, Decimal(0)
        for trade, units in closing:
            pl = accounting.realized(
                units, trade.price, price, trade.instrument, self.home, self.market
            )
            trade.record_close(units, price, pl, fill_id, stamp)
            total_pl += pl
            side = "long" if units > 0 else "short"
            self.position_pl.setdefault(
                trade.instrument, {"long": Decimal(0), "short": Decimal(0)}
            )[side] += pl
            row = {
                "tradeID": trade.id, "units": dec(-units), "price": dec(price),
                "realizedPL": money(pl), "financing": "0.0000", "baseFinancing": "0",
                "guaranteedExecutionFee": "0.0000", "halfSpreadCost": money(abs(units) * half_spread),
            }  # fmt: skip
            if trade.client_id is not None:
                row["clientTradeID"] = trade.client_id
            if trade.is_open:
                reduced_row = row
            else:
                closed_rows.append(row)
        self.balance += total_pl
        self.position_pl.setdefault(order.instrument, {"long": Decimal(0), "short": Decimal(0)})
        opened_row: Body | None = None
        if opened != 0:
            margin = accounting.margin_for(order.instrument, opened, self.home, self.market)
            trade = Trade(
                id=fill_id, instrument=order.instrument, price=price, open_time=stamp,
                initial_units=opened, current_units=opened, initial_margin=margin,
                client_extensions=order.trade_client_extensions,
            )  # fmt: skip
            self.book.add(trade)
            opened_row = {
                "tradeID": trade.id, "units": dec(opened), "price": dec(price),
                "guaranteedExecutionFee": "0.0000", "halfSpreadCost": money(abs(opened) * half_spread),
                "initialMarginRequired": money(margin),
            }  # fmt: skip
            if order.trade_client_extensions:
                opened_row["clientExtensions"] = dict(order.trade_client_extensions)
        fill = self.log.append(
            "ORDER_FILL", orderID=order.id, clientOrderID=order.client_id,
            instrument=order.instrument, units=dec(order.units), price=dec(price),
            fullVWAP=dec(price), fullPrice=self._full_price(order.instrument),
            reason=fill_reason, pl=money(total_pl), quotePL=money(total_pl),
            financing="0.0000", baseFinancing="0", commission="0.0000",
            guaranteedExecutionFee="0.0000", quoteGuaranteedExecutionFee="0",
            accountBalance=money(self.balance), halfSpreadCost=money(abs(order.units) * half_spread),
            gainQuoteHomeConversionFactor="1", lossQuoteHomeConversionFactor="1",
            tradeOpened=opened_row, tradesClosed=closed_rows or None, tradeReduced=reduced_row,
        )  # fmt: skip
        order.state = "FILLED"
        order.outcome = {"fillingTransactionID": fill["id"], "filledTime": stamp}
        if opened_row is not None:
            order.outcome["tradeOpenedID"] = fill_id
        if reduced_row is not None:
            order.outcome["tradeReducedID"] = reduced_row["tradeID"]
        if closed_rows:
            order.outcome["tradeClosedIDs"] = [row["tradeID"] for row in closed_rows]
        more = [
            tid
            for ids in (
                self._cancel_dependents_ids(trade) for trade, _ in closing if not trade.is_open
            )
            for tid in ids
        ]
        if opened_row is not None:
            more.extend(self._on_fill_orders(order, self.book.trades[fill_id]))
        return {"orderFillTransaction": fill, "_more": more}

    def _cancel_dependents_ids(self, trade: Trade) -> list[str]:
        ids = []
        for order_id in (trade.take_profit_id, trade.stop_loss_id, trade.trailing_stop_id):
            if order_id is not None and self.orders[order_id].state == "PENDING":
                ids.append(
                    self._cancel(
                        self.orders[order_id], "LINKED_TRADE_CLOSED", closedTradeID=trade.id
                    )["id"]
                )
        return ids

    def _on_fill_orders(self, order: Order, trade: Trade) -> list[str]:
        ids = []
        for key, kind in _ON_FILL:
            details = getattr(order, key)
            if details is None:
                continue
            dependent = Order(
                id=self.log.next_id(), type=kind, create_time="", instrument=trade.instrument,
                price=None if details.get("price") is None else Decimal(str(details["price"])),
                distance=None if details.get("distance") is None else Decimal(str(details["distance"])),
                time_in_force=str(details.get("timeInForce", "GTC")),
                gtd_time=details.get("gtdTime"),
                client_extensions=_dict(details.get("clientExtensions")),
                trade_id=trade.id, client_trade_id=trade.client_id,
            )  # fmt: skip
            transaction = self.log.append(
                f"{kind}_ORDER",
                **dependent.request_fields(),
                reason="ON_FILL",
                orderFillTransactionID=trade.id,
            )
            dependent.create_time = transaction["time"]
            self.orders[dependent.id] = dependent
            self._attach(dependent)
            ids.append(transaction["id"])
        return ids

    def _full_price(self, instrument: str) -> Body:
        quote = self.market.quotes[instrument]
        return {
            "type": "PRICE", "timestamp": now(), "bids": [{"price": dec(quote.bid), "liquidity": 10_000_000}],
            "asks": [{"price": dec(quote.ask), "liquidity": 10_000_000}],
            "closeoutBid": dec(quote.bid), "closeoutAsk": dec(quote.ask),
        }  # fmt: skip

    # -- the market moves ----------------------------------------------------------------

    def on_quotes(self, instruments: Iterable[str]) -> None:
        """Trigger what the new quotes reach, expire what is due, close out if needed."""
        stamp = now_ns()
        for instrument in instruments:
            for order in self.pending_orders(instrument):
                if order.state == "PENDING":
                    self._evaluate(order, stamp)
        self._margin_check()

    def expire(self) -> None:
        stamp = now_ns()
        for order in self.pending_orders():
            if order.expired(stamp):
                self._batch(lambda o=order: self._cancel(o, "TIME_IN_FORCE_EXPIRED"))

    def _evaluate(self, order: Order, stamp: int) -> None:
        if order.expired(stamp):
            self._batch(lambda: self._cancel(order, "TIME_IN_FORCE_EXPIRED"))
            return
        quote = self.market.quotes[order.instrument]
        if order.trade_id is None:
            if self.market.tradeable(order.instrument) and entry_triggered(
                order, quote.bid, quote.ask
            ):
                self._batch(lambda: self._execute(order, _FILL_REASONS[order.type], None))
            return
        trade = self.book.trades[order.trade_id]
        if order.type == "TRAILING_STOP_LOSS":
            trail(
                order,
                trade.current_units,
                quote.bid,
                quote.ask,
                self.market.specs[order.instrument].tick,
            )
        if dependent_triggered(order, trade.current_units, quote.bid, quote.ask):
            order.units = -trade.current_units
            self._batch(lambda: self._execute(order, _FILL_REASONS[order.type], [trade]))

    def _margin_check(self) -> None:
        if not self.book.open_trades() or self.valuation().closeout_percent < 1:
            return
        self.log.begin_batch()
        try:
            for instrument in sorted({t.instrument for t in self.book.open_trades()}):
                for side in ("long", "short"):
                    trades = [
                        t
                        for t in self.book.open_trades(instrument)
                        if (t.current_units > 0) == (side == "long")
                    ]
                    if not trades:
                        continue
                    units = -sum((t.current_units for t in trades), Decimal(0))
                    order = self._closing_order(
                        instrument, units, {"marginCloseout": {"reason": "MARGIN_CHECK_VIOLATION"}}
                    )
                    self._accept(order, "MARGIN_CLOSEOUT", targets=trades)
        finally:
            self.log.end_batch()

    def _batch(self, action: Any) -> None:
        self.log.begin_batch()
        try:
            action()
        finally:
            self.log.end_batch()

    # -- the ledger tests read -----------------------------------------------------------

    def orders_received(self, client_id: str) -> list[Body]:
        return [
            r
            for r in self.received
            if _dict(r.get("clientExtensions")) and r["clientExtensions"].get("id") == client_id
        ]

    def fills_sent(self, client_id: str) -> list[Transaction]:
        return [
            t
            for t in self.log.since(0)
            if t["type"] == "ORDER_FILL" and t.get("clientOrderID") == client_id
        ]


def _plan(trades: list[Trade], units: Decimal) -> tuple[list[tuple[Trade, Decimal]], Decimal]:
    """Which trades a fill of `units` reduces and by how much (signed like each trade), and
    the units left to open."""
    remaining = units
    closing = []
    for trade in trades:
        if remaining == 0 or (trade.current_units > 0) == (remaining > 0):
            continue
        take = min(abs(remaining), abs(trade.current_units))
        signed = take if trade.current_units > 0 else -take
        closing.append((trade, signed))
        remaining += signed
    return closing, remaining


def _dict(value: object) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None
