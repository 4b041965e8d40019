"""Bars and configuration in the flat numeric form the kernel reads, built once per sweep."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from research.engine.common import (
    field_matrix,
    instrument_names,
    instruments_of,
    run_periods_per_year,
    traded_definitions,
)
from research.engine.config import AccountKind, BacktestConfig, FillAt, SizeMode
from research.engine.kernel import AccountParams, account_params
from research.engine.targets import realized_vol
from research.engine.vectorized import data_fingerprint
from research.errors import ResearchInputError
from research.metrics import years_elapsed
from research.sweep import kernel as kn
from strategies.bars import is_panel, validate_bars


@dataclass(frozen=True)
class SweepData:
    """Everything a worker needs besides the parameter sets; shipped once per worker."""

    bars: pd.DataFrame
    instruments: list[str]  # column order of every (n, k) array (research.engine.common)
    open_: np.ndarray  # (n, k)
    close: np.ndarray  # (n, k)
    sigma: np.ndarray  # (n, k), zeros unless SizeMode.VOL_TARGET
    cfg: np.ndarray  # kernel configuration vector
    periods_per_year: float
    years: float  # calendar time spanned, for CAGR and turnover
    cash: float

    @cached_property
    def fingerprint(self) -> str:
        """The bars' content hash, computed when first asked for: a walk-forward fold's
        out-of-sample data never is (cached_property writes past the frozen __setattr__)."""
        return data_fingerprint(self.bars)

    @property
    def n_bars(self) -> int:
        return int(self.close.shape[0])

    @property
    def panel(self) -> bool:
        return bool(self.close.shape[1] > 1 or is_panel(self.bars))


def config_vector(
    config: BacktestConfig, ppy: float, account: AccountParams | None = None
) -> np.ndarray:
    """The kernel's configuration vector (research.sweep.kernel C_*), then each instrument's
    size step and margin rates; `account` defaults to one undefined instrument's."""
    if account is None:
        account = account_params(config, [None])
    c = config.costs
    mode = {
        SizeMode.EQUITY: kn.MODE_EQUITY,
        SizeMode.UNITS: kn.MODE_UNITS,
        SizeMode.VOL_TARGET: kn.MODE_VOL,
    }
    k = len(account.step)
    cfg = np.zeros(kn.N_CFG + 3 * k)
    cfg[kn.C_CASH] = config.cash
    cfg[kn.C_NEXT_OPEN] = float(config.fill == FillAt.NEXT_OPEN)
    cfg[kn.C_COMMISSION] = c.commission
    cfg[kn.C_PER_UNIT] = c.commission_per_unit
    cfg[kn.C_SPREAD] = c.spread
    cfg[kn.C_SLIPPAGE] = c.slippage
    cfg[kn.C_FIN_LONG] = c.financing_long
    cfg[kn.C_FIN_SHORT] = c.financing_short
    cfg[kn.C_SIZE_MODE] = mode[config.size_mode]
    cfg[kn.C_UNITS] = config.units
    cfg[kn.C_ROUND] = float(config.round_units)
    cfg[kn.C_VOL_TARGET] = config.vol_target
    cfg[kn.C_MAX_LEV] = config.max_leverage
    cfg[kn.C_LONG_ONLY] = float(config.direction == "long_only")
    cfg[kn.C_DT] = 1.0 / ppy
    cfg[kn.C_CASH_ACCOUNT] = float(config.account is AccountKind.CASH)
    cfg[kn.C_MARGIN_CALL] = config.margin_call
    cfg[kn.C_STOP_OUT] = config.stop_out
    cfg[kn.C_REBALANCE] = float(account.rebalance)
    cfg[kn.C_THRESHOLD] = config.rebalance_threshold
    cfg[kn.N_CFG : kn.N_CFG + k] = account.step
    cfg[kn.N_CFG + k : kn.N_CFG + 2 * k] = account.margin_initial
    cfg[kn.N_CFG + 2 * k :] = account.margin_maintenance
    return cfg


def prepare(bars: pd.DataFrame, config: BacktestConfig | None = None) -> SweepData:
    config = config or BacktestConfig()
    validate_bars(bars)
    if len(bars) < 2:
        raise ResearchInputError(f"a sweep needs at least 2 bars, got {len(bars)}")
    index = pd.DatetimeIndex(bars.index)
    # The instruments as the engines trade them: size steps, margins and calendar (§11-§14).
    definitions = traded_definitions(bars, instrument_names(bars))
    ppy = run_periods_per_year(bars, config.periods_per_year, definitions)
    instruments = instruments_of(bars)
    close = np.ascontiguousarray(field_matrix(bars, instruments, "close"))
    if config.size_mode == SizeMode.VOL_TARGET:
        # The engine's own σ_t (ADR 0002 §2), so vol-scaled targets are bit-identical.
        sigma = np.ascontiguousarray(realized_vol(close, config.vol_window, ppy))
    else:
        sigma = np.zeros_like(close)
    years = years_elapsed(index)
    return SweepData(
        bars,
        instruments,
        np.ascontiguousarray(field_matrix(bars, instruments, "open")),
        close,
        sigma,
        config_vector(config, ppy, account_params(config, definitions)),
        ppy,
        float(years),
        config.cash,
    )
