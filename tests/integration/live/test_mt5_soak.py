"""Crash safety on MetaTrader: the SIGKILL soak (execution_engine.live.mt5_soak) with 10
kills against the terminal simulator over loopback TLS and NautilusTrader's Redis cache,
the bridge dropping the connection in the middle of a share of the order requests; the
verdict's own checks; and a dropped cancel on its own."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from execution_engine.adapters.mt5.codes import MarginMode
from execution_engine.adapters.mt5.intents import INTENTS_FILE, Intent, IntentJournal
from execution_engine.adapters.mt5.keys import comment_key
from execution_engine.live.mt5_churn import journaled_ids
from execution_engine.live.mt5_soak import (
    Mt5SoakConfig,
    Mt5SoakResult,
    Terminal,
    compare,
    run_mt5_soak,
    start_terminal,
    table,
)
from execution_engine.live.node import run_until, start_node
from execution_engine.live.soak_common import drop_redis_keys
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.enums import OrderSide, OrderStatus

from live.stack._process import free_port
from tests.integration.mt5 import conftest as mt5_fixtures
from tests.integration.mt5.conftest import TRADER, Desk, Sim, Venue, build_node, first_quote

pytestmark = pytest.mark.slow
# The MetaTrader tests' fixtures, by the names pytest looks up here.
venue = mt5_fixtures.venue
stop_later = mt5_fixtures.stop_later

KILLS = 10
# Enough for 10 kills in CI's time; a history longer than one bridge line (~150 orders) is
# read in pages (test_a_restarted_node_rebuilds_a_long_history_from_the_terminal).
DECISIONS = 110


@pytest.fixture(scope="module")
def soak(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Mt5SoakResult:
    """One soak for the module's checks: 10 kills, bridge drops at a fifth of the orders,
    then the last child runs to the end (NautilusTrader's Redis cache, the intent journal)."""
    folder = tmp_path_factory.mktemp("mt5soak")
    config = Mt5SoakConfig(
        kills=KILLS, seed=3, orders=DECISIONS, max_delay_s=0.4, drop_share=0.2,
        redis_url=redis_url,
    )  # fmt: skip
    try:
        result = run_mt5_soak(folder, free_port(), config, log=print)
    finally:
        drop_redis_keys(redis_url, config.trader_id)
    print("\n".join(table(result)))
    return result


def test_killed_nodes_never_duplicate_skip_or_resend_an_order(soak: Mt5SoakResult) -> None:
    verdict = soak.verdict
    assert sum(soak.kills.values()) == KILLS
    assert verdict.terminal_orders > KILLS  # it traded between the kills
    assert verdict.drops > 0  # and the bridge dropped mid-request
    assert (verdict.duplicate_decisions, verdict.skipped_decisions) == (0, 0)
    assert verdict.resent_keys == 0
    assert verdict.unknown_orders == 0


def test_every_terminal_deal_is_known_to_the_node_by_its_ticket(soak: Mt5SoakResult) -> None:
    verdict = soak.verdict
    assert verdict.compared, verdict.problems  # the last child finished and reported
    assert verdict.problems == []
    assert verdict.terminal_deals > KILLS
    assert verdict.deals_by_ticket == verdict.terminal_deals
    assert (verdict.lost_deals, verdict.misattributed_deals) == (0, 0)


def test_the_node_ends_with_the_terminals_orders_and_position(soak: Mt5SoakResult) -> None:
    verdict = soak.verdict
    assert verdict.status_mismatches == 0, verdict.details
    assert verdict.in_doubt_left == 0
    assert verdict.position_diff == 0
    assert verdict.terminal_position == 0  # it flattened


def test_every_restart_is_timed_from_spawn_to_ready(soak: Mt5SoakResult) -> None:
    """Timed, not judged (speed is the benchmark's: bench/soak_mt5_kill.py)."""
    assert len(soak.restarts_s) >= KILLS - 3  # a start-up kill may come before READY
    assert all(seconds > 0 for seconds in soak.restarts_s)
    assert "restart→READY" in "\n".join(table(soak))


# --- the verdict can fail ------------------------------------------------------------------
@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    started = start_terminal(tmp_path / "terminal", free_port(), Mt5SoakConfig(kills=1))
    yield started
    started.stop()


def test_the_verdict_sees_a_decision_sent_under_two_keys_and_a_lost_deal(
    terminal: Terminal,
) -> None:
    """Two attempts of decision 0 on the trade server, and deals the node's report lacks:
    duplicate, lost deals and a position difference, each counted."""
    config = Mt5SoakConfig(kills=1, orders=1, trader_id="SOAKV-1")
    trader = config.trader_id
    terminal.sim.push_tick("EURUSD", Decimal("1.10010"), Decimal("1.10012"))
    magic = terminal.venue.magic_for(trader)
    for attempt in (0, 1):
        cid = f"{trader}-D0-A{attempt}"
        answer = terminal.sim.engine.handle("order_send", {"request": _buy(cid, magic)})
        assert answer["retcode"] == 10009
    node = {"orders": [], "fills": [], "net_position": "0", "in_doubt": []}
    verdict = compare(terminal, node, [f"{trader}-D0-A0", f"{trader}-D0-A1"], config)
    assert verdict.duplicate_decisions == 1
    assert (verdict.terminal_deals, verdict.lost_deals) == (2, 2)
    assert verdict.position_diff == Decimal(2_000)
    assert verdict.violations >= 4


def _buy(client_order_id: str, magic: int) -> dict[str, object]:
    return {
        "action": "TRADE_ACTION_DEAL", "symbol": "EURUSD", "volume": "0.01",
        "type": "ORDER_TYPE_BUY", "type_filling": "ORDER_FILLING_FOK", "magic": magic,
        "comment": comment_key(client_order_id), "deviation": 10,
    }  # fmt: skip


def test_journaled_ids_skip_a_torn_last_line(tmp_path: Path) -> None:
    journal = tmp_path / "intents.jsonl"
    journal.write_text('{"client_order_id": "T-D0-A0"}\n{"client_order_id": "T-D1', "utf-8")
    assert journaled_ids(journal) == ["T-D0-A0"]
    assert journaled_ids(tmp_path / "none.jsonl") == []


# --- what the soak found, one at a time ------------------------------------------------------
def test_a_cancel_whose_answer_the_bridge_dropped_is_found_canceled(
    venue: Venue, tmp_path: Path, stop_later: Callable[[TradingNode | Sim], None]
) -> None:
    """A REMOVE executed whose answer and ORDER_DELETE went with the connection: once the
    terminal is back, the node reads its open orders back and finds it canceled."""
    sim = venue.terminal()
    stop_later(sim)
    desk = Desk()
    node = build_node(venue, tmp_path / "node", [desk])
    stop_later(node)
    start_node(node)
    first_quote(node, sim, desk)
    resting = desk.limit(OrderSide.BUY, 10_000, "1.09000")
    run_until(node, lambda: resting.status == OrderStatus.ACCEPTED)
    sim.link.faults.drop_after_next = "order_send"
    desk.cancel_order(resting)
    run_until(node, lambda: sim.link.connects >= 2, timeout=5)  # dropped, dialed in again
    assert sim.engine.handle("orders", {}) == {"orders": []}  # the terminal removed it
    run_until(node, lambda: resting.status == OrderStatus.CANCELED, timeout=5)


HISTORY_ORDERS = 201  # their rows are more than one bridge line (65,536 bytes) holds


def test_a_restarted_node_rebuilds_a_long_history_from_the_terminal(
    venue: Venue, tmp_path: Path, stop_later: Callable[[TradingNode | Sim], None]
) -> None:
    """A node restarted with an empty cache on a terminal holding 201 of its filled
    market orders (journaled, as a previous node sent them): every one comes back FILLED,
    with its deal ticket as its trade id, and no order is made up for the position."""
    sim = venue.terminal(margin_mode=MarginMode.NETTING)
    stop_later(sim)
    sim.push_tick()
    state = tmp_path / "node"
    config = venue.config(margin_mode="netting")
    magic = config.magic_for(TRADER)
    journal = IntentJournal(config.state_dir(state) / INTENTS_FILE)
    sent = {}
    for n in range(HISTORY_ORDERS):
        cid = f"{TRADER}-H{n}"
        side = "BUY" if n % 2 == 0 else "SELL"
        journal.record(
            Intent(comment_key(cid), cid, "Desk-000", "EUR/USD.MT5", side, "1000", time.time_ns())
        )
        request = _buy(cid, magic) | {"type": f"ORDER_TYPE_{side}"}
        answer = sim.engine.handle("order_send", {"request": request})
        assert answer["retcode"] == 10009
        sent[cid] = str(answer["deal"])
    journal.close()
    desk = Desk()
    node = build_node(venue, state, [desk], margin_mode="netting")
    stop_later(node)
    start_node(node)
    held = {o.client_order_id.value: o for o in node.cache.orders()}
    made_up = [cid for cid in held if cid not in sent]
    assert made_up == []  # no position-diff order
    for cid, deal in sent.items():
        order = held.get(cid)
        assert order is not None, cid
        assert order.status == OrderStatus.FILLED
        assert [t.value for t in order.trade_ids] == [deal]
