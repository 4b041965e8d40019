"""What a live node's status.json says about trading, refreshed on every heartbeat, and how a
reader tells a running node from one that died without saying so.

The snapshot is read from the node's own cache and portfolio (what NautilusTrader holds
after reconciliation with the venue), and from QuickFIX's session registry for the FIX
session (logged on, next sender and target MsgSeqNum). Quantities and money are written as
the decimal strings NautilusTrader prints them as, never as floats.
"""

from __future__ import annotations

import time
from typing import Any

import quickfix as fix
from nautilus_trader.live.node import TradingNode

from execution_engine.adapters.fix.config import FixVenueConfig
from execution_engine.adapters.fix.settings import session_id
from execution_engine.paper.identity import NodeIdentity, is_running

# A running node refreshes its heartbeat every second: fifteen missed beats is a
# node that hangs or died with status.json still saying "running" (or "halted").
STALE_SECONDS = 15.0


def trading_snapshot(node: TradingNode) -> dict[str, Any]:
    """Positions, open orders and P&L per instrument, as the node's cache holds them."""
    cache, portfolio = node.cache, node.portfolio
    positions = [
        {
            "instrument": p.instrument_id.value,
            "strategy": p.strategy_id.value,
            "side": p.side.name,
            "quantity": str(p.quantity),
            "avg_px_open": repr(p.avg_px_open),
        }
        for p in cache.positions_open()
    ]
    orders = [
        {
            "client_order_id": o.client_order_id.value,
            "instrument": o.instrument_id.value,
            "side": o.side_string(),
            "type": o.type_string(),
            "quantity": str(o.quantity),
            "filled": str(o.filled_qty),
            "status": o.status_string(),
        }
        for o in cache.orders_open()
    ]
    pnl: dict[str, dict[str, str | None]] = {}
    for instrument in cache.instruments():
        iid = instrument.id
        realized, unrealized = portfolio.realized_pnl(iid), portfolio.unrealized_pnl(iid)
        pnl[iid.value] = {
            "realized": None if realized is None else str(realized),
            "unrealized": None if unrealized is None else str(unrealized),
            "net_position": str(portfolio.net_position(iid)),
        }
    return {"positions": positions, "open_orders": orders, "pnl": pnl}


def fix_snapshot(venue: FixVenueConfig) -> dict[str, Any]:
    """The FIX session's state from QuickFIX's registry (one session per CompID pair)."""
    sid = session_id(venue.sender_comp_id, venue.target_comp_id)
    session = fix.Session.lookupSession(sid)
    if session is None:
        return {"session": sid.toString(), "logged_on": False}
    return {
        "session": sid.toString(),
        "logged_on": bool(session.isLoggedOn()),
        "next_sender_seq": int(session.getExpectedSenderNum()),
        "next_target_seq": int(session.getExpectedTargetNum()),
    }


def shown_state(status: dict[str, Any], now: float | None = None) -> tuple[str, str | None]:
    """(state to show, why it differs from status.json's, if it does): a running (or halted)
    node whose process is gone or whose heartbeat is stale is shown as crashed."""
    state = str(status.get("state", "unknown"))
    if state not in ("running", "halted"):
        return state, None
    node = NodeIdentity.from_dict(status.get("node"))
    if node is not None and (reason := is_running(node)) is not None:
        return "crashed", reason
    beat = status.get("heartbeat")
    age = (now or time.time()) - beat if isinstance(beat, int | float) else None
    if age is None or age > STALE_SECONDS:
        last = "never" if age is None else f"{age:.0f} s ago"
        return "crashed", f"no heartbeat for over {STALE_SECONDS:g} s (last {last})"
    return state, None
