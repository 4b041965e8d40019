"""The fused sweep kernel: target positions → simulation (ADR 0002) → metric accumulators.

One call simulates one parameter combination bar by bar and keeps only O(instruments) state
plus a fixed row of running sums (Σr, Σr², drawdown peak, trade statistics), so a
sweep never materializes a bars × combinations matrix. Targets come either from a precomputed
target matrix (any strategy) or, for moving-average crossovers, from two columns of a shared
moving-average matrix (so each window is computed once per chunk, not once per combination).

Accounts, stop-outs, rebalancing and size steps (ADR 0002 §12-§14) go through the helpers of
`research.engine.kernel` (desired_units, due_reason, below_level, stop_out_all,
refused_first_order), in the engine kernel's order of a bar, so both compute the same floats.
A combination the engine would refuse (a cash account's short, a first order that cannot
stand) is flagged in A_REFUSED and refused by `research.sweep.metrics.check_refused`.

Written by hand in numba because no library simulates "trade when the processed target
changes, size on equity at the execution price, pro-rata trade accounting" without first
materializing per-combination order and position matrices (vectorbt's from_orders does).
"""

from __future__ import annotations

import numpy as np
from execution_engine.jit_cache import expire_stale_kernels
from execution_engine.targets import process_target
from numba import njit

from research.engine.kernel import (
    REASON_NONE,
    REASON_STOP_OUT,
    REASON_TARGET,
    REBALANCE_OFF,
    below_level,
    desired_units,
    due_reason,
    refused_first_order,
    stop_out_all,
)

# Indices into the accumulator row written by `accumulate_metrics`.
A_FINAL_EQUITY = 0
A_RET_SUM = 1  # Σ r over all bars, r_0 = E_0 / cash - 1 included
A_RET_SQ = 2  # Σ r²
A_DOWN_SQ = 3  # Σ min(r, 0)²
A_MAX_DD = 4  # most negative equity / running peak − 1 (the peak starts at the cash)
A_EXPOSED = 5  # bars with a non-zero position (any instrument) at the close
A_NOTIONAL = 6  # Σ |order| · fill price
A_EQUITY_SUM = 7  # Σ equity at the close
A_CLOSED = 8  # closed trades
A_WINS = 9  # closed trades with pnl > 0
A_GROSS_WIN = 10  # Σ positive closed-trade pnl
A_GROSS_LOSS = 11  # Σ |negative closed-trade pnl|
A_PNL_SUM = 12  # Σ closed-trade pnl
A_OPEN = 13  # trades still open at the end
A_OPEN_WINS = 14
A_OPEN_GROSS_WIN = 15
A_OPEN_GROSS_LOSS = 16
A_OPEN_PNL_SUM = 17
A_BARS = 18
A_CASH = 19  # starting cash: returns, growth and drawdown are measured from it (ADR 0002 §9)
A_MARGIN_CALLS = 20  # decision points with a margin level below margin_call (§12)
A_STOP_OUTS = 21  # bars on which a stop-out liquidation executed (§12)
A_REFUSED = 22  # REFUSED_*: the run is refused before any order, as the engine refuses it
N_ACC = 23

# Why a combination cannot run (A_REFUSED), as research.engine.targets refuses it.
REFUSED_NONE = 0.0
REFUSED_CASH_SHORT = 1.0  # a cash account given a negative processed target
REFUSED_FIRST_ORDER = 2.0  # an order that cannot stand on its margin

# Indices into the float configuration vector (built by `config_vector`).
C_CASH = 0
C_NEXT_OPEN = 1
C_COMMISSION = 2
C_PER_UNIT = 3
C_SPREAD = 4
C_SLIPPAGE = 5
C_FIN_LONG = 6
C_FIN_SHORT = 7
C_SIZE_MODE = 8  # 0 equity, 1 units, 2 vol target
C_UNITS = 9
C_ROUND = 10
C_VOL_TARGET = 11
C_MAX_LEV = 12
C_LONG_ONLY = 13
C_DT = 14  # 1 / periods_per_year
C_CASH_ACCOUNT = 15  # 1 for AccountKind.CASH (ADR 0002 §12)
C_MARGIN_CALL = 16  # percent
C_STOP_OUT = 17  # percent
C_REBALANCE = 18  # research.engine.kernel.REBALANCE_*
C_THRESHOLD = 19  # drift threshold, fraction of equity
N_CFG = 20
# Then per instrument j of k: cfg[N_CFG + j] its size step (0 = fractional), cfg[N_CFG + k + j]
# its initial margin rate, cfg[N_CFG + 2k + j] its maintenance margin rate.

MODE_EQUITY = 0.0
MODE_UNITS = 1.0
MODE_VOL = 2.0


@njit(cache=True)
def _close_trade(acc: np.ndarray, pnl: float, at_end: bool) -> None:
    base = A_OPEN if at_end else A_CLOSED
    acc[base] += 1.0
    acc[base + 4] += pnl
    if pnl > 0.0:
        acc[base + 1] += 1.0
        acc[base + 2] += pnl
    elif pnl < 0.0:
        acc[base + 3] -= pnl


@njit(cache=True)
def _book_fill(
    j: int, old: float, new: float, fill: float, fee: float, trade: np.ndarray, acc: np.ndarray
) -> None:
    """Trade accounting for one fill on instrument j. trade[j] = (avg entry, realized pnl,
    fees so far) of its open trade; a flip closes one trade and opens the opposite one, the
    order's fee being split pro rata between the two legs."""
    if old != 0.0 and (new == 0.0 or (old > 0.0) != (new > 0.0)):
        close_share = abs(old) / abs(new - old)
        pnl = trade[j, 1] + (fill - trade[j, 0]) * old - trade[j, 2] - fee * close_share
        _close_trade(acc, pnl, False)
        trade[j, 0] = fill
        trade[j, 1] = 0.0
        trade[j, 2] = fee * (1.0 - close_share)
    elif old == 0.0:
        trade[j, 0] = fill
        trade[j, 1] = 0.0
        trade[j, 2] = fee
    elif abs(new) > abs(old):  # scale in: size-weighted average entry
        trade[j, 0] = (trade[j, 0] * abs(old) + fill * abs(new - old)) / abs(new)
        trade[j, 2] += fee
    else:  # scale out: realize the exited part at this fill
        trade[j, 1] += (fill - trade[j, 0]) * (old - new)
        trade[j, 2] += fee


@njit(cache=True)
def _execute(
    j: int,
    f: float,
    prices: np.ndarray,
    t: int,
    cash: float,
    pos: np.ndarray,
    cfg: np.ndarray,
    trade: np.ndarray,
    acc: np.ndarray,
) -> float:
    """ADR 0002 §5-7, §12, §14: trade instrument j to fraction f at prices[t]; returns cash.
    Sized by research.engine.kernel.desired_units, as the engine's kernel sizes it."""
    k = pos.shape[0]
    equity = cash
    others = 0.0
    for i in range(k):
        equity += pos[i] * prices[t, i]
        if i != j:
            others += abs(pos[i]) * prices[t, i] * cfg[N_CFG + k + i]
    p = prices[t, j]
    desired, _ = desired_units(
        f, p, pos[j], cash, equity, others, cfg[C_SIZE_MODE] == MODE_UNITS, cfg[C_UNITS],
        cfg[C_CASH_ACCOUNT] > 0.5, cfg[N_CFG + j], cfg[N_CFG + k + j],
        (cfg[C_COMMISSION], cfg[C_PER_UNIT], cfg[C_SPREAD], cfg[C_SLIPPAGE]),
    )  # fmt: skip
    order = desired - pos[j]
    if order == 0.0:
        return cash
    half = cfg[C_SPREAD] / 2.0
    fill = p * (1.0 + cfg[C_SLIPPAGE]) + half if order > 0 else p * (1.0 - cfg[C_SLIPPAGE]) - half
    fee = cfg[C_COMMISSION] * abs(order) * fill + cfg[C_PER_UNIT] * abs(order)
    _book_fill(j, pos[j], desired, fill, fee, trade, acc)
    acc[A_NOTIONAL] += abs(order) * fill
    pos[j] = desired
    return float(cash - (order * fill + fee))  # same association as research.engine.kernel


@njit(cache=True)
def _execute_pending(
    prices: np.ndarray,
    t: int,
    cash: float,
    pending: np.ndarray,
    why: np.ndarray,
    pos: np.ndarray,
    cfg: np.ndarray,
    trade: np.ndarray,
    acc: np.ndarray,
) -> float:
    """The pending orders at prices[t] in column order; a stop-out among them is counted."""
    stopped = False
    for j in range(pos.shape[0]):
        if not np.isnan(pending[j]):
            before = pos[j]
            cash = _execute(j, pending[j], prices, t, cash, pos, cfg, trade, acc)
            if why[j] == REASON_STOP_OUT and pos[j] != before:
                stopped = True
            pending[j] = np.nan
    if stopped:
        acc[A_STOP_OUTS] += 1.0
    return cash


@njit(cache=True)
def _due_orders(
    t: int,
    f_now: np.ndarray,
    close: np.ndarray,
    pos: np.ndarray,
    equity: float,
    held: np.ndarray,
    pending: np.ndarray,
    why: np.ndarray,
    cfg: np.ndarray,
) -> bool:
    """The orders due at bar t's decision point under every_bar or drift (§13), as the
    engine's kernel decides them (research.engine.kernel.due_reason); whether any is."""
    mode = int(cfg[C_REBALANCE])
    any_due = False
    for j in range(pos.shape[0]):
        f = f_now[j]
        reason = due_reason(f, held[j], pos[j], close[t, j], equity, mode, cfg[C_THRESHOLD])
        if reason != REASON_NONE:
            held[j] = f
            pending[j] = f
            why[j] = reason
            any_due = True
    return any_due


@njit(cache=True)
def _due_on_target(
    f_now: np.ndarray, held: np.ndarray, pending: np.ndarray, why: np.ndarray
) -> bool:
    """Rebalancing off (§3, §13): an order is due where the target differs from the held one."""
    any_due = False
    for j in range(held.shape[0]):
        if f_now[j] != held[j]:
            held[j] = f_now[j]
            pending[j] = f_now[j]
            why[j] = REASON_TARGET
            any_due = True
    return any_due


@njit(cache=True)
def _account_target(f: float, j: int, k: int, cfg: np.ndarray, acc: np.ndarray) -> float:
    """§12 on a processed target: a cash account refuses a short and caps at 1; a margin
    account refuses an order that cannot stand (the run is then discarded, A_REFUSED)."""
    if cfg[C_CASH_ACCOUNT] > 0.5:
        if f < 0.0:
            acc[A_REFUSED] = REFUSED_CASH_SHORT
            return 0.0
        return min(f, 1.0)
    if refused_first_order(f, cfg[N_CFG + k + j], cfg[N_CFG + 2 * k + j], cfg[C_STOP_OUT]):
        acc[A_REFUSED] = REFUSED_FIRST_ORDER
    return f


@njit(cache=True, inline="always")  # hot: called per bar
def _target_at(
    t: int, j: int, target: np.ndarray, ma: np.ndarray, fast: int, slow: int, short: float
) -> float:
    """The strategy's raw target: from the target matrix, or a crossover of two MA columns
    (the exact rule of strategies.builtin.crossover: +1 if fast > slow else `short`)."""
    if fast < 0:
        return float(target[t, j])
    a = ma[t, fast]
    b = ma[t, slow]
    if np.isnan(a) or np.isnan(b):
        return np.nan
    return 1.0 if a > b else short


@njit(cache=True)
def accumulate_metrics(
    open_: np.ndarray,
    close: np.ndarray,
    sigma: np.ndarray,
    target: np.ndarray,
    ma: np.ndarray,
    fast: int,
    slow: int,
    short: float,
    cfg: np.ndarray,
    acc: np.ndarray,
    equity_out: np.ndarray,
    pos_out: np.ndarray,
    write: bool,
) -> None:
    """Simulate one combination over all bars into its metric accumulator row `acc` (and
    write its equity and positions per bar if `write`)."""
    n, k = close.shape
    pos = np.zeros(k)
    held = np.zeros(k)  # the processed target of each instrument's last due order
    f_now = np.zeros(k)
    pending = np.full(k, np.nan)
    why = np.zeros(k, dtype=np.int8)
    trade = np.zeros((k, 3))
    cash = cfg[C_CASH]
    next_open = cfg[C_NEXT_OPEN] > 0.5
    long_only = cfg[C_LONG_ONLY] > 0.5
    vol_mode = cfg[C_SIZE_MODE] == MODE_VOL
    vol_target = cfg[C_VOL_TARGET]
    max_lev = cfg[C_MAX_LEV]
    financed = cfg[C_FIN_LONG] != 0.0 or cfg[C_FIN_SHORT] != 0.0
    acc[:] = 0.0
    # Per-bar statistics live in local scalars (registers), not in `acc`, which numba
    # must assume may alias the other arrays; they are stored once at the end.
    # Everything is measured from the starting cash (ADR 0002 §9, research.metrics): the
    # first return is E_0 / cash - 1 and the drawdown peak starts at the cash.
    peak = cash
    prev_eq = cash
    sum_r = 0.0
    sum_r2 = 0.0
    down_sq = 0.0
    max_dd = 0.0
    exposed_bars = 0.0
    equity_sum = 0.0
    margin_calls = 0.0
    margin = cfg[C_CASH_ACCOUNT] < 0.5
    rebalance_off = int(cfg[C_REBALANCE]) == REBALANCE_OFF
    maintenance = N_CFG + 2 * k  # cfg index of the first maintenance margin rate
    any_pending = False
    for t in range(n):
        if any_pending:  # NEXT_OPEN: decided at t-1's close
            cash = _execute_pending(open_, t, cash, pending, why, pos, cfg, trade, acc)
            any_pending = False
        if not next_open:  # CLOSE: the decision point comes before the close's own fills
            for j in range(k):
                raw = _target_at(t, j, target, ma, fast, slow, short)
                # ADR 0002 §1-2, the rule every engine shares (inlined: hot per bar).
                f = process_target(raw, sigma[t, j], long_only, vol_mode, vol_target, max_lev)
                if f != held[j]:  # §12 checks each new target once (held holds checked ones)
                    f = _account_target(f, j, k, cfg, acc)
                f_now[j] = f
            marked = cash
            used = 0.0
            for j in range(k):
                marked += pos[j] * close[t, j]
                used += abs(pos[j] * close[t, j]) * cfg[maintenance + j]
            if margin and below_level(marked, used, cfg[C_MARGIN_CALL]):
                margin_calls += 1.0
            if margin and below_level(marked, used, cfg[C_STOP_OUT]):
                stop_out_all(pos, held, pending, why)
                due = True
            elif rebalance_off:
                due = _due_on_target(f_now, held, pending, why)
            else:
                due = _due_orders(t, f_now, close, pos, marked, held, pending, why, cfg)
            if due:
                cash = _execute_pending(close, t, cash, pending, why, pos, cfg, trade, acc)
        exposed = False
        charge = 0.0
        value = 0.0
        used = 0.0
        for j in range(k):
            notional = pos[j] * close[t, j]
            value += notional
            used += abs(notional) * cfg[maintenance + j]
            if pos[j] != 0.0:  # ADR 0002 §8: financing on the notional held at the close
                exposed = True
                if financed:
                    rate = cfg[C_FIN_LONG] if pos[j] > 0 else cfg[C_FIN_SHORT]
                    charge += abs(notional) * rate * cfg[C_DT]
        cash -= charge
        equity = cash + value
        if next_open:  # the decision point at the close (§12-§13), inlined: hot per bar
            # The last bar's decision never executes; a stop-out drops the orders due.
            deciding = t + 1 < n
            if margin and below_level(equity, used, cfg[C_MARGIN_CALL]):
                margin_calls += 1.0  # stop_out < margin_call: only a margin call can stop out
                if deciding and below_level(equity, used, cfg[C_STOP_OUT]):
                    stop_out_all(pos, held, pending, why)
                    any_pending = True
                    deciding = False
            on_target = deciding and rebalance_off
            for j in range(k):
                raw = _target_at(t, j, target, ma, fast, slow, short)
                # ADR 0002 §1-2, the rule every engine shares (inlined: hot per bar).
                f = process_target(raw, sigma[t, j], long_only, vol_mode, vol_target, max_lev)
                if f != held[j]:  # §12 checks each new target once (held holds checked ones)
                    f = _account_target(f, j, k, cfg, acc)
                    if on_target and f != held[j]:  # a cash account's cap may make it equal
                        held[j] = f
                        pending[j] = f
                        why[j] = REASON_TARGET
                        any_pending = True
                if not rebalance_off:
                    f_now[j] = f
            if deciding and not rebalance_off:
                any_pending = _due_orders(t, f_now, close, pos, equity, held, pending, why, cfg)
        r = equity / prev_eq - 1.0
        prev_eq = equity
        # Plain sums, not Welford: Welford's division sits on the loop-carried path and
        # halves the speed; for bar returns mean² ≪ variance, so S2 − S1²/n loses nothing.
        sum_r += r
        sum_r2 += r * r
        # min(r, 0) without a branch (exact: r − |r| = 2r or 0): the sign of r is a coin
        # flip, and the mispredicted branch used to cost half of the kernel's time.
        neg = 0.5 * (r - abs(r))
        down_sq += neg * neg
        peak = max(peak, equity)
        max_dd = min(max_dd, equity / peak - 1.0)
        if exposed:
            exposed_bars += 1.0
        equity_sum += equity
        if write:
            equity_out[t] = equity
            for j in range(k):
                pos_out[t, j] = pos[j]
    for j in range(k):
        if pos[j] != 0.0:
            last = close[n - 1, j]
            pnl = trade[j, 1] + (last - trade[j, 0]) * pos[j] - trade[j, 2]
            _close_trade(acc, pnl, True)
    acc[A_MARGIN_CALLS] += margin_calls
    acc[A_CASH] = cfg[C_CASH]
    acc[A_FINAL_EQUITY] = prev_eq
    acc[A_RET_SUM] = sum_r
    acc[A_RET_SQ] = sum_r2
    acc[A_DOWN_SQ] = down_sq
    acc[A_MAX_DD] = max_dd
    acc[A_EXPOSED] = exposed_bars
    acc[A_EQUITY_SUM] = equity_sum
    acc[A_BARS] = n


@njit(cache=True)
def sweep_targets(
    open_: np.ndarray, close: np.ndarray, sigma: np.ndarray, targets: np.ndarray, cfg: np.ndarray
) -> np.ndarray:
    """Accumulators for several precomputed targets: targets[c] is an (n, k) matrix."""
    out = np.zeros((targets.shape[0], N_ACC))
    dummy_ma = np.zeros((1, 1))
    eq = np.zeros(0)
    ps = np.zeros((0, 0))
    for c in range(targets.shape[0]):
        accumulate_metrics(
            open_, close, sigma, targets[c], dummy_ma, -1, -1, 0.0, cfg, out[c], eq, ps, False
        )
    return out


@njit(cache=True)
def sweep_crossover(
    open_: np.ndarray,
    close: np.ndarray,
    sigma: np.ndarray,
    ma: np.ndarray,
    fast_col: np.ndarray,
    slow_col: np.ndarray,
    short: np.ndarray,
    cfg: np.ndarray,
) -> np.ndarray:
    """Accumulators for moving-average crossovers: combination c compares ma[:, fast_col[c]]
    with ma[:, slow_col[c]]; targets are never materialized. Single instrument (k = 1)."""
    out = np.zeros((fast_col.shape[0], N_ACC))
    dummy_t = np.zeros((1, 1))
    eq = np.zeros(0)
    ps = np.zeros((0, 0))
    for c in range(fast_col.shape[0]):
        accumulate_metrics(
            open_,
            close,
            sigma,
            dummy_t,
            ma,
            fast_col[c],
            slow_col[c],
            short[c],
            cfg,
            out[c],
            eq,
            ps,
            False,
        )
    return out


# numba's disk cache keys these kernels on this file only, but they inline the target rules
# from execution_engine/targets.py and the sizing and account rules of research/engine/kernel.py:
# a change there must expire them too.
DEPENDS_ON = (process_target, desired_units)
expire_stale_kernels(globals(), depends_on=DEPENDS_ON)
