"""The order-sizing and cash kernel of the vectorized engine (numba, cached on disk).

Why our own loop instead of letting vectorbt size the orders: vectorbt 1.0 caps every buy at
the cash on hand (no leverage, so a 100 % target plus fees, a flip from short to long after a
loss, or a vol-targeted 2× position would be silently cut), charges fixed fees per order
rather than per unit, has no additive half-spread and no financing. ADR 0002 needs all
of these, and the sizes depend on the equity path (EQUITY sizing values equity at the
execution price, after financing), so they are computed here in one pass; vectorbt then books
exactly these orders (see `research.engine.vectorized`).

Per bar t (ADR 0002 §4-§9):
1. NEXT_OPEN: orders decided at t-1 execute at open[t]. CLOSE: orders decided at t execute
   at close[t]. Within a bar, instruments execute in column order, each valuing equity at
   that bar's execution prices (cash + Σ position · p_exec) just before its own order.
2. desired = f · equity_exec / p_exec (EQUITY) or f · units (UNITS), truncated toward zero if
   round_units; order = desired - position (none if 0).
3. fill = p_exec · (1 ± slippage) ± spread / 2 (+ for buys); fees = commission · |order| · fill
   + commission_per_unit · |order|; cash -= order · fill + fees.
4. After the bar's fills: cash -= Σ |position| · close · rate · dt, rate = financing_long for
   a long position, financing_short for a short one. Both are rates *paid* on the notional
   held (a negative rate is a credit, as carry often is on one side); the sweep kernel and
   the event engine use the same formula (ADR 0002 §8).
5. equity = cash + Σ position · close.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from numba import njit

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class CostParams(NamedTuple):
    commission: float
    commission_per_unit: float
    spread: float
    slippage: float
    financing_long: float
    financing_short: float


class SimOutput(NamedTuple):
    order_size: FloatArray  # (bars, instruments) signed units, NaN where no order
    fill_price: FloatArray  # NaN where no order
    fees: FloatArray  # 0 where no order
    position: FloatArray  # units held at each bar close
    cash: FloatArray  # (bars,) after the bar's fills and financing
    financing: FloatArray  # (bars,) financing charged at the bar's close (negative = credit)
    equity: FloatArray  # (bars,)


@njit(cache=True)
def _any_due(due: BoolArray, row: int) -> bool:
    """Whether any instrument has an order decided at bar `row` (a plain loop: numba
    compiles it to a few compares, and the kernel calls it on every bar)."""
    for j in range(due.shape[1]):  # noqa: SIM110  # any(generator) is slower under numba
        if due[row, j]:
            return True
    return False


@njit(cache=True)
def _execute_bar(
    t: int,
    row: int,
    prices: FloatArray,
    targets: FloatArray,
    due: BoolArray,
    pos: FloatArray,
    cash: float,
    units_mode: bool,
    units: float,
    round_units: bool,
    costs: tuple[float, float, float, float, float, float],
    order_size: FloatArray,
    fill_price: FloatArray,
    fees: FloatArray,
) -> float:
    """Execute, at prices[t], the orders decided at bar `row`; returns the cash after them.

    Whole arrays and row numbers are passed, not row views: a view per bar (and a call per
    bar) cost more than the rest of the loop; callers only call it on bars with an order."""
    commission, per_unit, spread, slippage = costs[0], costs[1], costs[2], costs[3]
    m = pos.shape[0]
    for j in range(m):
        if not due[row, j]:
            continue
        p = prices[t, j]
        if units_mode:
            desired = targets[row, j] * units
        else:
            equity_exec = cash
            for k in range(m):
                equity_exec += pos[k] * prices[t, k]
            desired = targets[row, j] * equity_exec / p
        if round_units:
            desired = np.trunc(desired)
        size = desired - pos[j]
        if size == 0.0:
            continue
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
    return cash


@njit(cache=True)
def simulate_account_nb(
    open_: FloatArray,
    close: FloatArray,
    target: FloatArray,
    due: BoolArray,
    fill_at_close: bool,
    units_mode: bool,
    units: float,
    round_units: bool,
    costs: tuple[float, float, float, float, float, float],
    dt: float,
    cash0: float,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    n, m = close.shape
    order_size = np.full((n, m), np.nan)
    fill_price = np.full((n, m), np.nan)
    fees = np.zeros((n, m))
    position = np.zeros((n, m))
    cash_out = np.empty(n)
    financing = np.zeros(n)
    equity = np.empty(n)
    fin_long, fin_short = costs[4], costs[5]
    pos = np.zeros(m)
    cash = cash0
    for t in range(n):
        if fill_at_close:
            if _any_due(due, t):
                cash = _execute_bar(
                    t, t, close, target, due, pos, cash, units_mode, units, round_units,
                    costs, order_size, fill_price, fees,
                )  # fmt: skip
        elif t > 0 and _any_due(due, t - 1):
            cash = _execute_bar(
                t, t - 1, open_, target, due, pos, cash, units_mode, units, round_units,
                costs, order_size, fill_price, fees,
            )  # fmt: skip
        charge = 0.0
        value = 0.0
        for j in range(m):
            notional = pos[j] * close[t, j]
            value += notional
            if pos[j] > 0:
                charge += notional * fin_long * dt
            elif pos[j] < 0:
                charge -= notional * fin_short * dt  # |notional|: the short rate is paid
            position[t, j] = pos[j]
        cash -= charge
        financing[t] = charge
        cash_out[t] = cash
        equity[t] = cash + value
    return order_size, fill_price, fees, position, cash_out, financing, equity


def simulate_account(
    open_: FloatArray,
    close: FloatArray,
    target: FloatArray,
    due: BoolArray,
    *,
    fill_at_close: bool,
    units_mode: bool,
    units: float,
    round_units: bool,
    costs: CostParams,
    dt: float,
    cash: float,
) -> SimOutput:
    """The account bar by bar (orders sized and filled, positions, cash, financing, equity)
    from processed targets, on (bars, instruments) float64 arrays; see the module docstring."""
    out = simulate_account_nb(
        np.ascontiguousarray(open_, dtype=np.float64),
        np.ascontiguousarray(close, dtype=np.float64),
        np.ascontiguousarray(target, dtype=np.float64),
        np.ascontiguousarray(due, dtype=np.bool_),
        fill_at_close,
        units_mode,
        float(units),
        round_units,
        (
            float(costs.commission),
            float(costs.commission_per_unit),
            float(costs.spread),
            float(costs.slippage),
            float(costs.financing_long),
            float(costs.financing_short),
        ),
        float(dt),
        float(cash),
    )
    return SimOutput(*out)
