"""The order-sizing and cash kernel of the vectorized engine (numba, cached on disk).

Why our own loop instead of letting vectorbt size the orders: vectorbt 1.0 caps every buy at
the cash on hand (no leverage, so a 100 % target plus fees, a flip from short to long after a
loss, or a vol-targeted 2× position would be silently cut), charges fixed fees per order
rather than per unit, has no additive half-spread, no financing and no margin. ADR 0002 needs
all of these, and the sizes depend on the equity path (EQUITY sizing values equity at the
execution price, after financing), so they are computed here in one pass; vectorbt then books
exactly these orders (see `research.engine.vectorized`).

Per bar t (ADR 0002 §4-§9, §12-§14; the sweep kernel calls the shared helpers below, so both
size, cut, round and stop out identically):
1. Execution. NEXT_OPEN: the orders decided at bar t-1's close execute at open[t]; CLOSE: the
   orders decided at bar t's close execute at close[t]. Instruments execute in column order,
   each sized by `desired_units` against the equity at that bar's execution prices (§5),
   cut by the cash reserve (cash account) or the initial margin (margin account) (§12) and
   rounded toward zero to the instrument's size step (§14).
2. Fill and fees (§6-§7); financing at the close on the notional held (§8).
3. The decision point (bar t's close; with CLOSE fills, before that close's own fills): the
   margin level L = 100 · equity / Σ |position| · close · margin_maintenance is recorded; a
   level below margin_call counts a margin call, one below stop_out liquidates every position
   at the next execution point instead of the orders due there, and resets the held targets
   to 0 (§12). Otherwise an order is due per `due_reason` (§13: off, every_bar, drift).
4. equity = cash + Σ position · close (§9).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import numpy.typing as npt
from numba import njit

if TYPE_CHECKING:
    from marketdata.instruments import Instrument
    from research.engine.config import BacktestConfig

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Int8Array = npt.NDArray[np.int8]

# Why an order was placed (SimOutput.reason; the orders frame names them, REASONS).
REASON_NONE = 0
REASON_TARGET = 1  # the processed target changed
REASON_REBALANCE = 2  # every_bar, or the weight drifted past the threshold (§13)
REASON_STOP_OUT = 3  # the liquidation of a stop-out (§12)
REASONS: tuple[str, ...] = ("", "target", "rebalance", "stop_out")

# Rebalance modes as the kernels read them (research.engine.config.Rebalance).
REBALANCE_OFF = 0
REBALANCE_EVERY_BAR = 1
REBALANCE_DRIFT = 2

# A size within this relative distance of the limit fits it: panel weights summing to exactly
# one must not be cut by the last bit of a float product.
_FIT_TOLERANCE = 1e-12
# An order smaller than this fraction of the position it leads to is none: rebalancing to the
# weight already held leaves orders of 1e-11 units (the last bits of equity / price), which
# vectorbt (and any venue) refuses.
_NEGLIGIBLE = 1e-9
# Desired units within this many steps below a whole step count as that step (0.3 / 0.0001 is
# 2999.9999999999995 in floats, 3000 steps in the decimal the venue counts in).
_STEP_TOLERANCE = 1e-9


class CostParams(NamedTuple):
    commission: float
    commission_per_unit: float
    spread: float
    slippage: float
    financing_long: float
    financing_short: float


class AccountParams(NamedTuple):
    """ADR 0002 §12-§14 as the kernels read them; the arrays have one entry per instrument."""

    cash_account: bool
    step: FloatArray  # size step, 0 = fractional
    margin_initial: FloatArray
    margin_maintenance: FloatArray
    margin_call: float  # percent
    stop_out: float  # percent
    rebalance: int  # REBALANCE_*
    threshold: float  # drift threshold, fraction of equity


class SimOutput(NamedTuple):
    order_size: FloatArray  # (bars, instruments) signed units, NaN where no order
    fill_price: FloatArray  # NaN where no order
    fees: FloatArray  # 0 where no order
    position: FloatArray  # units held at each bar close
    cash: FloatArray  # (bars,) after the bar's fills and financing
    financing: FloatArray  # (bars,) financing charged at the bar's close (negative = credit)
    equity: FloatArray  # (bars,)
    reason: Int8Array  # (bars, instruments) REASON_* of each order, 0 where none
    limited: BoolArray  # (bars, instruments) the order was cut by cash or margin (§12)
    margin_level: FloatArray  # (bars,) L at each decision point, NaN while nothing is held
    margin_call: BoolArray  # (bars,) L < margin_call at that bar's decision point
    stop_out: BoolArray  # (bars,) a stop-out liquidation executed on that bar


@njit(cache=True)
def round_to_step(units: float, step: float) -> float:
    """`units` rounded toward zero to a whole number of `step`s (§14); step 0 = fractional."""
    if step <= 0.0:
        return units
    steps = units / step
    if steps >= 0.0:
        return float(np.trunc(steps + _STEP_TOLERANCE)) * step
    return float(np.trunc(steps - _STEP_TOLERANCE)) * step


@njit(cache=True)
def _cash_cut(
    old: float, p: float, cash: float, step: float, costs: tuple[float, float, float, float]
) -> float:
    """The position after the largest buy the cash on hand pays for, costs included (§12
    cash): size · (P_buy · (1 + commission) + commission_per_unit) ≤ cash, rounded down to
    the step."""
    commission, per_unit, spread, slippage = costs
    buy = p * (1.0 + slippage) + spread / 2.0
    size = max(cash, 0.0) / (buy * (1.0 + commission) + per_unit)
    if step > 0.0:
        size = float(np.trunc(size / step)) * step  # down, never up: cash must stay >= 0
    # The division can land an ulp above the cash; the kernels book size · buy + fee.
    while size > 0.0 and size * buy + (commission * size * buy + per_unit * size) > cash:
        size = np.nextafter(size, 0.0)
    return old + size


@njit(cache=True)
def _margin_cut(
    desired: float, old: float, p: float, equity: float, others: float, rate: float, step: float
) -> float:
    """`desired`, or the largest position in its direction whose initial margin (at `rate`),
    with the other positions' (`others`), fits the equity at execution (§12 margin)."""
    if desired == 0.0 or rate == 0.0 or (old * desired > 0.0 and abs(desired) <= abs(old)):
        return desired  # a reduction, or no margin asked: never cut
    allowed = max(equity - others, 0.0) / (p * rate)
    if abs(desired) <= allowed * (1.0 + _FIT_TOLERANCE):
        return desired
    if old * desired > 0.0 and abs(old) >= allowed:
        return old  # already at or past the limit: nothing more may be added
    cut = allowed if desired > 0.0 else -allowed
    if step > 0.0:
        cut = float(np.trunc(cut / step)) * step
    return cut


@njit(cache=True)
def desired_units(
    f: float,
    p: float,
    old: float,
    cash: float,
    equity: float,
    others: float,
    units_mode: bool,
    units: float,
    cash_account: bool,
    step: float,
    rate: float,
    costs: tuple[float, float, float, float],
) -> tuple[float, bool]:
    """An instrument's position after an order to target f at price p (§5, §12, §14), and
    whether cash or margin cut it. `old` is its position, `equity` the account's at the
    execution prices, `others` the initial margin of the other positions, `rate` its initial
    margin rate, costs = (commission, per unit, spread, slippage). Scalars only: array
    arguments cost a reference count each per call, more than the sizing itself."""
    desired = f * units if units_mode else f * equity / p
    desired = round_to_step(desired, step)
    if abs(desired - old) <= _NEGLIGIBLE * abs(desired):
        return old, False  # float noise of a rebalance to the same weight: no order (§13)
    if cash_account:
        if desired > old:
            cut = _cash_cut(old, p, cash, step, costs)
            if cut < desired:
                return cut, True
        return desired, False
    cut = _margin_cut(desired, old, p, equity, others, rate, step)
    return cut, cut != desired


@njit(cache=True, inline="always")  # hot: called per bar
def due_reason(
    f: float, held: float, position: float, price: float, equity: float, mode: int, threshold: float
) -> int:
    """Whether an order to f is due at a decision point, and why (§13): REASON_TARGET when f
    differs from the held target, REASON_REBALANCE for every_bar or a weight drift past the
    threshold, else REASON_NONE."""
    if f != held:
        return REASON_TARGET
    if mode == REBALANCE_EVERY_BAR:
        return REASON_REBALANCE
    drifted = mode == REBALANCE_DRIFT and equity > 0.0
    if drifted and abs(position * price / equity - f) > threshold:
        return REASON_REBALANCE
    return REASON_NONE


@njit(cache=True)
def stop_out_all(pos: FloatArray, held: FloatArray, pending: FloatArray, why: Int8Array) -> None:
    """§12 stop-out: every open position is ordered to 0 (the orders due are dropped), and
    every held target counts as 0."""
    for j in range(pos.shape[0]):
        held[j] = 0.0
        if pos[j] != 0.0:
            pending[j] = 0.0
            why[j] = REASON_STOP_OUT
        else:
            pending[j] = np.nan
            why[j] = REASON_NONE


@njit(cache=True)
def refused_first_order(
    f: float, margin_initial: float, margin_maintenance: float, stop_out: float
) -> bool:
    """§12: an order to |f| whose initial margin exceeds the equity, or which would open at or
    below the stop-out level."""
    size = abs(f)
    if size == 0.0:
        return False
    return size * margin_initial > 1.0 or 100.0 / (size * margin_maintenance) <= stop_out


@njit(cache=True)
def _execute_pending(
    t: int,
    prices: FloatArray,
    pending: FloatArray,
    why: Int8Array,
    pos: FloatArray,
    cash: float,
    units_mode: bool,
    units: float,
    costs: FloatArray,
    cash_account: bool,
    step: FloatArray,
    margin_initial: FloatArray,
    out: tuple[FloatArray, FloatArray, FloatArray, Int8Array, BoolArray, BoolArray],
) -> float:
    """Execute, at prices[t] in column order, the pending orders; returns the cash after
    them. Whole arrays and a row number are passed, not row views: a view per bar cost more
    than the rest of the loop."""
    order_size, fill_price, fees, reason, limited, stopped = out
    commission, per_unit, spread, slippage = costs[0], costs[1], costs[2], costs[3]
    m = pos.shape[0]
    for j in range(m):
        f = pending[j]
        if np.isnan(f):
            continue
        pending[j] = np.nan
        equity = cash
        others = 0.0
        for k in range(m):
            equity += pos[k] * prices[t, k]
            if k != j:
                others += abs(pos[k]) * prices[t, k] * margin_initial[k]
        desired, cut = desired_units(
            f, prices[t, j], pos[j], cash, equity, others, units_mode, units, cash_account,
            step[j], margin_initial[j], (commission, per_unit, spread, slippage),
        )  # fmt: skip
        size = desired - pos[j]
        if size == 0.0:
            continue
        p = prices[t, j]
        if size > 0:
            price = p * (1.0 + slippage) + spread / 2.0
        else:
            price = p * (1.0 - slippage) - spread / 2.0
        fee = commission * abs(size) * price + per_unit * abs(size)
        cash -= size * price + fee
        pos[j] = desired
        order_size[t, j] = size
        fill_price[t, j] = price
        fees[t, j] = fee
        reason[t, j] = why[j]
        limited[t, j] = cut
        if why[j] == REASON_STOP_OUT:
            stopped[t] = True
    return cash


@njit(cache=True)
def _decide(
    t: int,
    close: FloatArray,
    target: FloatArray,
    pos: FloatArray,
    equity: float,
    held: FloatArray,
    pending: FloatArray,
    why: Int8Array,
    mode: int,
    threshold: float,
) -> bool:
    """The orders due at bar t's decision point (§13) into `pending`; whether any is."""
    any_due = False
    for j in range(pos.shape[0]):
        f = target[t, j]
        reason = due_reason(f, held[j], pos[j], close[t, j], equity, mode, threshold)
        if reason != REASON_NONE:
            held[j] = f
            pending[j] = f
            why[j] = reason
            any_due = True
    return any_due


@njit(cache=True, inline="always")  # hot: called per bar
def below_level(equity: float, used_margin: float, level: float) -> bool:
    """The margin level L = 100 · equity / used_margin is below `level` (percent), tested
    without the division; never while nothing is held (used_margin 0)."""
    return used_margin > 0.0 and 100.0 * equity < level * used_margin


@njit(cache=True)
def simulate_account_nb(
    open_: FloatArray,
    close: FloatArray,
    target: FloatArray,
    fill_at_close: bool,
    units_mode: bool,
    units: float,
    costs: FloatArray,
    dt: float,
    cash0: float,
    cash_account: bool,
    step: FloatArray,
    margin_initial: FloatArray,
    account: FloatArray,
    mode: int,
    threshold: float,
) -> tuple[
    FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray,
    Int8Array, BoolArray, BoolArray,
]:  # fmt: skip
    """The loop; `account` = (margin maintenance per instrument..., margin_call, stop_out).
    The margin level series is derived afterwards from the positions and cash it returns
    (`margin_levels`): in the loop only the stop-out test is needed, without a division."""
    n, m = close.shape
    order_size = np.full((n, m), np.nan)
    fill_price = np.full((n, m), np.nan)
    fees = np.zeros((n, m))
    reason = np.zeros((n, m), dtype=np.int8)
    limited = np.zeros((n, m), dtype=np.bool_)
    stopped = np.zeros(n, dtype=np.bool_)
    out = (order_size, fill_price, fees, reason, limited, stopped)
    position = np.zeros((n, m))
    cash_out = np.empty(n)
    financing = np.zeros(n)
    equity = np.empty(n)
    fin_long, fin_short = costs[4], costs[5]
    stop_level = account[m + 1]
    pos = np.zeros(m)
    held = np.zeros(m)
    pending = np.full(m, np.nan)
    why = np.zeros(m, dtype=np.int8)
    margin = not cash_account
    any_pending = False
    cash = cash0
    for t in range(n):
        if any_pending:  # decided at t-1's close: NEXT_OPEN only
            cash = _execute_pending(
                t, open_, pending, why, pos, cash, units_mode, units, costs, cash_account,
                step, margin_initial, out,
            )  # fmt: skip
            any_pending = False
        if fill_at_close:  # the decision point comes before the close's own fills
            marked = cash
            used = 0.0
            for j in range(m):
                marked += pos[j] * close[t, j]
                used += abs(pos[j]) * close[t, j] * account[j]
            if margin and below_level(marked, used, stop_level):
                stop_out_all(pos, held, pending, why)
                due = True
            else:
                due = _decide(t, close, target, pos, marked, held, pending, why, mode, threshold)
            if due:
                cash = _execute_pending(
                    t, close, pending, why, pos, cash, units_mode, units, costs, cash_account,
                    step, margin_initial, out,
                )  # fmt: skip
        charge = 0.0
        value = 0.0
        used = 0.0
        for j in range(m):
            notional = pos[j] * close[t, j]
            value += notional
            used += abs(notional) * account[j]
            if pos[j] > 0:
                charge += notional * fin_long * dt
            elif pos[j] < 0:
                charge -= notional * fin_short * dt  # |notional|: the short rate is paid
            position[t, j] = pos[j]
        cash -= charge
        financing[t] = charge
        cash_out[t] = cash
        marked = cash + value
        equity[t] = marked
        if not fill_at_close and t + 1 < n:  # a decision on the last bar never executes
            if margin and below_level(marked, used, stop_level):
                stop_out_all(pos, held, pending, why)
                any_pending = True
            elif mode == REBALANCE_OFF:  # inline: a call with array arguments per bar
                for j in range(m):  # costs more than the rest of the bar (reference counts)
                    f = target[t, j]
                    if f != held[j]:
                        held[j] = f
                        pending[j] = f
                        why[j] = REASON_TARGET
                        any_pending = True
            else:
                any_pending = _decide(
                    t, close, target, pos, marked, held, pending, why, mode, threshold
                )
    return (
        order_size, fill_price, fees, position, cash_out, financing, equity, reason, limited,
        stopped,
    )  # fmt: skip


@njit(cache=True)
def margin_levels(
    close: FloatArray,
    position: FloatArray,
    cash: FloatArray,
    equity: FloatArray,
    account: FloatArray,
    fill_at_close: bool,
) -> tuple[FloatArray, BoolArray]:
    """L_t = 100 · equity / Σ |position| · close · margin_maintenance at each bar's decision
    point (§12), NaN while nothing is held, and the margin calls (L_t < margin_call, tested
    as the sweep kernel tests it, without the division). NEXT_OPEN decides on the bar's final
    state; CLOSE before the close's fills, on the previous bar's positions and cash marked at
    this close. Derived after the loop, which only needs the stop-out test (`below_level`).
    `account` = (margin maintenance per instrument..., margin_call, stop_out)."""
    n, m = close.shape
    level = np.full(n, np.nan)
    calls = np.zeros(n, dtype=np.bool_)
    for t in range(n):
        row = t - 1 if fill_at_close else t
        if row < 0:
            continue
        marked = cash[row] if fill_at_close else equity[t]
        used = 0.0
        for j in range(m):
            notional = position[row, j] * close[t, j]
            if fill_at_close:
                marked += notional  # the kernel's own order of the sum
            used += abs(notional) * account[j]
        if used > 0.0:
            level[t] = 100.0 * marked / used
            calls[t] = below_level(marked, used, float(account[m]))
    return level, calls


def simulate_account(
    open_: FloatArray,
    close: FloatArray,
    target: FloatArray,
    *,
    fill_at_close: bool,
    units_mode: bool,
    units: float,
    costs: CostParams,
    dt: float,
    cash: float,
    account: AccountParams,
) -> SimOutput:
    """The account bar by bar (orders sized and filled, positions, cash, financing, equity,
    margin) from processed targets, on (bars, instruments) float64 arrays; see the module
    docstring."""
    fill_at_close = bool(fill_at_close)
    close = np.ascontiguousarray(close, dtype=np.float64)
    maintenance = np.asarray(account.margin_maintenance, dtype=np.float64)
    rates = np.concatenate([maintenance, [float(account.margin_call), float(account.stop_out)]])
    out = simulate_account_nb(
        np.ascontiguousarray(open_, dtype=np.float64),
        close,
        np.ascontiguousarray(target, dtype=np.float64),
        fill_at_close,
        units_mode,
        float(units),
        np.array([float(c) for c in costs], dtype=np.float64),
        float(dt),
        float(cash),
        bool(account.cash_account),
        np.ascontiguousarray(account.step, dtype=np.float64),
        np.ascontiguousarray(account.margin_initial, dtype=np.float64),
        rates,
        int(account.rebalance),
        float(account.threshold),
    )
    order_size, fill_price, fees, position, cash_out, financing, equity, reason, limited = out[:9]
    if account.cash_account:  # no margin: no level, no call
        level, calls = np.full(len(equity), np.nan), np.zeros(len(equity), dtype=np.bool_)
    else:
        level, calls = margin_levels(close, position, cash_out, equity, rates, fill_at_close)
    return SimOutput(
        order_size, fill_price, fees, position, cash_out, financing, equity, reason, limited,
        level, calls, out[9],
    )  # fmt: skip


# (initial, maintenance) of an instrument nothing defines (the synthetic `asset`): a US
# margin account's (Regulation T 50 %, FINRA 4210 25 %), as the built-in equities have. At
# 100 %/100 % a fully invested position sat at the margin call on every bar.
UNDEFINED_MARGINS = (0.5, 0.25)

_REBALANCE_CODES = {
    "off": REBALANCE_OFF,
    "every_bar": REBALANCE_EVERY_BAR,
    "drift": REBALANCE_DRIFT,
}


def account_params(
    config: BacktestConfig, definitions: Sequence[Instrument | None]
) -> AccountParams:
    """ADR 0002 §12-§14 for the instruments traded, in column order: each one's size step
    (round_units forces 1; an undefined instrument has none) and margin rates (the config's
    override, else the definition's, else `UNDEFINED_MARGINS`)."""

    def rate(override: float | None, defined: Decimal | None, undefined: float) -> float:
        if override is not None:
            return float(override)
        return undefined if defined is None else float(defined)

    def step(definition: Instrument | None) -> float:
        if config.round_units:
            return 1.0
        return 0.0 if definition is None else float(definition.lot_size)

    return AccountParams(
        cash_account=config.account == "cash",
        step=np.array([step(d) for d in definitions], dtype=np.float64),
        margin_initial=np.array(
            [
                rate(config.margin_initial, d.margin_initial if d else None, UNDEFINED_MARGINS[0])
                for d in definitions
            ]
        ),
        margin_maintenance=np.array(
            [
                rate(
                    config.margin_maintenance,
                    d.margin_maintenance if d else None,
                    UNDEFINED_MARGINS[1],
                )
                for d in definitions
            ]
        ),
        margin_call=config.margin_call,
        stop_out=config.stop_out,
        rebalance=_REBALANCE_CODES[str(config.rebalance)],
        threshold=config.rebalance_threshold,
    )
