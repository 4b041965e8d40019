"""One audit_log row per order action: who (actor), what (action), which order (subject), and
why with the numbers (details).

Who, first rule that applies:
  1. an order tagged `actor=<who>` is attributed to <who>: the person or tool that made the
     strategy send it (e.g. `actor=alice`); an order tagged `flatten` (the closing orders
     execution_engine.live.flatten sends for `gauntlet kill --flatten`) to `gauntlet kill`;
  2. a denial (OrderDenied) is the risk engine's: actor `risk_engine`;
  3. an order no strategy of this node sent (NautilusTrader's EXTERNAL orders found at the
     venue, and its INTERNAL-DIFF orders that align a reconciled position) is the node's: the
     mirror's `actor` (who runs the node), with `origin` saying which in the details;
  4. otherwise the strategy that owns the order (its StrategyId).
What: the event's name without "Order", in snake case (submitted, denied, rejected, accepted,
pending_cancel, canceled, updated, filled, expired, ...): every order event is audited.
Why: details hold the event as NautilusTrader serialises it (`to_dict`: prices, quantities and
money as their exact strings, the reason text of a denial or rejection) and the order's terms
after the event (side, type, quantity, price, status, tags).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from execution_engine.live.flatten import FLATTEN_TAG
from nautilus_trader.model.events import OrderDenied

ACTOR_TAG = "actor="
KILL = "gauntlet kill"
RISK_ENGINE = "risk_engine"
# NautilusTrader's strategy ids for orders it generates during reconciliation.
EXTERNAL = "EXTERNAL"
INTERNAL_DIFF = "INTERNAL-DIFF"
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


@dataclass(frozen=True)
class AuditRow:
    actor: str
    action: str
    subject: str  # the client order id
    details: dict[str, Any]
    event_id: str  # NautilusTrader's event UUID: a batch retried after a lost commit is a no-op


def action_of(event: object) -> str:
    """OrderPendingCancel -> pending_cancel."""
    name = type(event).__name__.removeprefix("Order")
    return _CAMEL.sub("_", name).lower()


def is_reconciliation_order(order: Any) -> bool:
    return bool(order.strategy_id.value == INTERNAL_DIFF)


def _tagged_actor(order: Any) -> str | None:
    tags = list(order.tags or ())
    for tag in tags:
        if tag.startswith(ACTOR_TAG) and len(tag) > len(ACTOR_TAG):
            return str(tag[len(ACTOR_TAG) :])
    return KILL if FLATTEN_TAG in tags else None


def actor_of(event: Any, order: Any, node_actor: str) -> str:
    """Who, by the rules of the module docstring."""
    tagged = None if order is None else _tagged_actor(order)
    if tagged is not None:
        return tagged
    if isinstance(event, OrderDenied):
        return RISK_ENGINE
    strategy = str(event.strategy_id.value)
    if strategy in (EXTERNAL, INTERNAL_DIFF):
        return node_actor
    return strategy


def _terms(order: Any) -> dict[str, Any]:
    price = getattr(order, "price", None)  # only priced order types have the attribute
    trigger = getattr(order, "trigger_price", None)
    return {
        "side": order.side.name.lower(),
        "order_type": order.order_type.name.lower(),
        "quantity": str(order.quantity),
        "filled_qty": str(order.filled_qty),
        "price": None if price is None else str(price),
        "trigger_price": None if trigger is None else str(trigger),
        "status": order.status.name.lower(),
        "tags": list(order.tags or ()),
    }


def audit_row(event: Any, order: Any, node_actor: str) -> AuditRow:
    details: dict[str, Any] = {"event": type(event).to_dict(event)}
    strategy = str(event.strategy_id.value)
    if strategy in (EXTERNAL, INTERNAL_DIFF):
        details["origin"] = "external" if strategy == EXTERNAL else "reconciliation"
    if order is not None:
        details["order"] = _terms(order)
    return AuditRow(
        actor=actor_of(event, order, node_actor),
        action=action_of(event),
        subject=event.client_order_id.value,
        details=details,
        event_id=event.id.value,
    )
