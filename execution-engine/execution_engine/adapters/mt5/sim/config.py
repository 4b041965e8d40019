"""What a simulated terminal is: its account (platform, margin mode, currency, balance,
leverage, stop-out levels) and the symbols in its Market Watch, as their specs.

The defaults are a plain retail FX account: EURUSD (profit in the account's USD) and USDJPY
(profit in JPY, so every conversion path is exercised).
"""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from execution_engine.adapters.mt5.codes import ExecutionMode, MarginMode, TradeMode

ALL_FILLING = 1 | 2  # SYMBOL_FILLING_FOK | SYMBOL_FILLING_IOC
ALL_ORDER_MODES = 1 | 2 | 4 | 8 | 16 | 32
ALL_EXPIRATIONS = 1 | 2 | 4 | 8


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SymbolSpec(_Frozen):
    """One symbol as `SymbolInfo*` describes it (the `symbols` op's row)."""

    name: str = Field(min_length=1)
    description: str = ""
    currency_base: str = Field(min_length=3, max_length=3)
    currency_profit: str = Field(min_length=3, max_length=3)
    currency_margin: str = Field(min_length=3, max_length=3)
    digits: int = Field(ge=0, le=10)
    contract_size: Decimal = Field(gt=0)
    volume_min: Decimal = Field(gt=0)
    volume_max: Decimal = Field(gt=0)
    volume_step: Decimal = Field(gt=0)
    stops_level: int = Field(default=0, ge=0)
    freeze_level: int = Field(default=0, ge=0)
    filling_mode: int = Field(default=ALL_FILLING, ge=0, le=3)
    execution_mode: ExecutionMode = ExecutionMode.INSTANT
    trade_mode: TradeMode = TradeMode.FULL
    order_mode: int = Field(default=ALL_ORDER_MODES, ge=0, le=63)
    expiration_mode: int = Field(default=ALL_EXPIRATIONS, ge=0, le=15)
    margin_initial: Decimal = Field(default=Decimal(0), ge=0)  # 0: the Forex formula
    swap_long: Decimal = Decimal(0)  # points per lot per night
    swap_short: Decimal = Decimal(0)

    @cached_property
    def point(self) -> Decimal:
        return Decimal(1).scaleb(-self.digits)

    @cached_property
    def volume_digits(self) -> int:
        exponent = self.volume_step.normalize().as_tuple().exponent
        return max(0, -exponent) if isinstance(exponent, int) else 0


def _fx(name: str, digits: int, description: str) -> SymbolSpec:
    return SymbolSpec(
        name=name,
        description=description,
        currency_base=name[:3],
        currency_profit=name[3:],
        currency_margin=name[:3],
        digits=digits,
        contract_size=Decimal(100_000),
        volume_min=Decimal("0.01"),
        volume_max=Decimal(100),
        volume_step=Decimal("0.01"),
        swap_long=Decimal("-0.5"),
        swap_short=Decimal("0.2"),
    )


DEFAULT_SYMBOLS = (
    _fx("EURUSD", 5, "Euro vs US Dollar"),
    _fx("USDJPY", 3, "US Dollar vs Japanese Yen"),
)


class EngineConfig(_Frozen):
    """The account and Market Watch of one simulated terminal."""

    platform: Literal["mt5", "mt4"] = "mt5"
    margin_mode: MarginMode = MarginMode.NETTING  # MT4: always hedging (set when omitted)
    currency: str = Field(default="USD", min_length=3, max_length=3)
    balance: Decimal = Field(default=Decimal(100_000), ge=0)
    leverage: int = Field(default=100, ge=1)
    margin_so_call: Decimal = Field(default=Decimal(100), gt=0)  # percent
    margin_so_so: Decimal = Field(default=Decimal(50), gt=0)  # percent
    login: int = 1_000_001
    broker: str = "Gauntlet-Sim"
    company: str = "Gauntlet simulated broker"
    symbols: tuple[SymbolSpec, ...] = DEFAULT_SYMBOLS
    trade_allowed: bool = True  # the terminal's AutoTrading button at start

    @model_validator(mode="before")
    @classmethod
    def _mt4_hedges(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("platform") == "mt4":
            data = {"margin_mode": MarginMode.HEDGING, **data}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> EngineConfig:
        if self.platform == "mt4" and self.margin_mode != MarginMode.HEDGING:
            raise ValueError("an MT4 account is always hedging: margin_mode must be HEDGING")
        if self.margin_mode == MarginMode.EXCHANGE:
            raise ValueError("the simulator has netting and hedging accounts, not EXCHANGE")
        names = [spec.name for spec in self.symbols]
        if len(set(names)) != len(names):
            raise ValueError(f"a symbol is listed twice in {names}")
        return self

    @property
    def hedging(self) -> bool:
        return self.margin_mode == MarginMode.HEDGING
