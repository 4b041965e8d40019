"""Backtest configuration: fills, costs, sizing. Shared by the vectorized and event engines."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


class FillAt(StrEnum):
    NEXT_OPEN = "next_open"  # decide at bar t's close, fill at bar t+1's open (default)
    CLOSE = "close"  # fill at the signal bar's own close (optimistic; no latency)


class SizeMode(StrEnum):
    EQUITY = "equity"  # target × equity / price units (optionally rounded to whole units)
    UNITS = "units"  # target × `units` units, whatever the equity
    VOL_TARGET = "vol_target"  # target scaled by vol_target / realized vol, then as EQUITY


class Direction(StrEnum):
    BOTH = "both"
    LONG_ONLY = "long_only"  # negative targets are treated as flat


class AccountKind(StrEnum):
    """ADR 0002 §12: what the account lets the strategy do."""

    MARGIN = "margin"  # shorts and leverage within margin; margin calls and stop-outs
    CASH = "cash"  # no shorts, no leverage; buys reserve their costs, cash never < 0


class Rebalance(StrEnum):
    """ADR 0002 §13: when an order is due besides a change of the target."""

    OFF = "off"  # only when the processed target changes (the position in units is held)
    EVERY_BAR = "every_bar"  # back to the target weight at every bar
    DRIFT = "drift"  # when the weight drifts more than rebalance_threshold from the target


# Every number must be finite (inf and nan are refused: they broke the engines mid-run), and
# amounts have a ceiling far past any real account or price, below where float arithmetic in
# the engines overflows (cash 1e308 did).
FINITE = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
MAX_AMOUNT = 1e15  # currency or price units


class Costs(BaseModel):
    """Trading costs. Fractions are of traded notional (0.0001 = 1 bp)."""

    model_config = FINITE

    commission: float = Field(0.0, ge=0, lt=0.1, description="fraction of traded notional")
    commission_per_unit: float = Field(
        0.0, ge=0, le=MAX_AMOUNT, description="currency per unit traded"
    )
    spread: float = Field(
        0.0,
        ge=0,
        le=MAX_AMOUNT,
        description="full bid/ask spread in price units; half paid per fill",
    )
    slippage: float = Field(
        0.0, ge=0, lt=0.1, description="adverse fill-price move, fraction of price"
    )
    financing_long: float = Field(0.0, ge=-1, le=1, description="annual rate paid on long notional")
    financing_short: float = Field(
        0.0, ge=-1, le=1, description="annual rate paid on short notional"
    )

    @property
    def free(self) -> bool:
        """No cost of any kind: a frictionless (and flattering) simulation."""
        return not any(getattr(self, name) for name in type(self).model_fields)

    def describe(self) -> str:
        """The costs in one line, for every table and report that shows a simulated result:
        `commission 0.50 bps, spread 0.00012, slippage 1.00 bps` (zero ones left out), or
        `costs: none (all zero)`."""
        if self.free:
            return "costs: none (all zero)"
        parts = [
            f"commission {_bps(self.commission)}" if self.commission else "",
            f"commission {self.commission_per_unit:g}/unit" if self.commission_per_unit else "",
            f"spread {self.spread:g}" if self.spread else "",
            f"slippage {_bps(self.slippage)}" if self.slippage else "",
            f"financing long {_bps(self.financing_long)}/yr" if self.financing_long else "",
            f"financing short {_bps(self.financing_short)}/yr" if self.financing_short else "",
        ]
        return "costs: " + ", ".join(part for part in parts if part)


def _bps(fraction: float) -> str:
    """A fraction in basis points (1e-4 → '1.00 bps'), the unit quants read costs in."""
    return f"{fraction * 1e4:.2f} bps"


class BacktestConfig(BaseModel):
    """Everything besides the strategy and the bars that determines a backtest's result.

    The one validation of run settings: every command that takes --cash, costs or sizing
    (backtest, sweep, check parity, paper) builds one through `research.engine.run.resolve_config`.
    """

    model_config = FINITE

    # At least a cent: below that, orders are so small that vectorbt drops them (1e-300 did).
    cash: float = Field(
        100_000.0, ge=0.01, le=MAX_AMOUNT, description="starting cash (account currency)"
    )
    fill: FillAt = FillAt.NEXT_OPEN
    costs: Costs = Costs()
    size_mode: SizeMode = SizeMode.EQUITY
    units: float = Field(
        1.0, gt=0, le=MAX_AMOUNT, description="position size at |target| = 1 in UNITS mode"
    )
    round_units: bool = Field(False, description="round order sizes to whole units")
    vol_target: float = Field(0.10, gt=0, le=5, description="annualized vol target (VOL_TARGET)")
    vol_window: int = Field(20, ge=2, description="bars of returns for realized vol (VOL_TARGET)")
    max_leverage: float = Field(
        1.0, gt=0, le=100, description="cap on |scaled target| (VOL_TARGET)"
    )
    direction: Direction = Direction.BOTH
    periods_per_year: float | None = Field(
        None, gt=0, description="bars per year for annualization; inferred from the index if None"
    )
    # ADR 0002 §12-§13: the account and rebalancing.
    account: AccountKind = AccountKind.MARGIN
    margin_initial: float | None = Field(
        None, gt=0, le=1, description="initial margin, fraction of notional (None: instrument's)"
    )
    margin_maintenance: float | None = Field(
        None,
        gt=0,
        le=1,
        description="maintenance margin, fraction of notional (None: instrument's)",
    )
    margin_call: float = Field(100.0, gt=0, le=1e6, description="margin level (%) of a margin call")
    stop_out: float = Field(50.0, gt=0, le=1e6, description="margin level (%) that liquidates")
    rebalance: Rebalance = Rebalance.OFF
    rebalance_threshold: float = Field(
        0.05, gt=0, le=1, description="weight drift (fraction of equity) that rebalances (DRIFT)"
    )

    def describe_account(self) -> str:
        """The account and rebalancing in one line, for every table and report beside
        `Costs.describe()`: `account: margin (call 100%, stop-out 50%), rebalance: off`,
        `account: cash, rebalance: drift (threshold 5.00%)`; margins only when set here."""
        if self.account is AccountKind.CASH:
            account = "account: cash"
        else:
            margins = [
                f"initial {self.margin_initial:g}" if self.margin_initial is not None else "",
                f"maintenance {self.margin_maintenance:g}"
                if self.margin_maintenance is not None
                else "",
                f"call {self.margin_call:g}%",
                f"stop-out {self.stop_out:g}%",
            ]
            account = f"account: margin ({', '.join(m for m in margins if m)})"
        rebalance = f"rebalance: {self.rebalance.value}"
        if self.rebalance is Rebalance.DRIFT:
            rebalance += f" (threshold {self.rebalance_threshold:.2%})"
        return f"{account}, {rebalance}"

    @model_validator(mode="after")
    def _stop_out_below_margin_call(self) -> BacktestConfig:
        if self.stop_out >= self.margin_call:
            raise ValueError(
                f"stop_out ({self.stop_out:g}%) must be below margin_call ({self.margin_call:g}%)"
            )
        return self
