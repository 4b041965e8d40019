"""The simulator's settings and the instruments it lists (OANDA's Instrument fields)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr

DEFAULT_ACCOUNT_ID = "101-001-0000001-001"
SAMPLE_BARS = Path(__file__).resolve().parents[5] / "data" / "sample" / "EURUSD_H1_synthetic.csv"


@dataclass(frozen=True)
class InstrumentSpec:
    """One tradeable instrument: OANDA's Instrument fields plus how the sim prices it.

    `scale` multiplies the replayed EUR/USD closes to synthesise this instrument's mids,
    so one bars file feeds several instruments with plausible levels.
    """

    name: str
    type: str
    display_name: str
    pip_location: int
    display_precision: int
    trade_units_precision: int
    minimum_trade_size: Decimal
    maximum_order_units: Decimal
    margin_rate: Decimal
    spread: Decimal
    scale: Decimal

    @property
    def base(self) -> str:
        return self.name.split("_")[0]

    @property
    def quote(self) -> str:
        return self.name.split("_")[1]

    @property
    def tick(self) -> Decimal:
        return Decimal(1).scaleb(-self.display_precision)


def _fx(
    name: str, display: str, pip: int, digits: int, margin: str, spread: str, scale: str
) -> InstrumentSpec:
    return InstrumentSpec(
        name=name, type="CURRENCY", display_name=display, pip_location=pip,
        display_precision=digits, trade_units_precision=0, minimum_trade_size=Decimal(1),
        maximum_order_units=Decimal(100_000_000), margin_rate=Decimal(margin),
        spread=Decimal(spread), scale=Decimal(scale),
    )  # fmt: skip


INSTRUMENTS: dict[str, InstrumentSpec] = {
    spec.name: spec
    for spec in (
        _fx("EUR_USD", "EUR/USD", -4, 5, "0.0333", "0.00014", "1"),
        _fx("GBP_USD", "GBP/USD", -4, 5, "0.05", "0.00018", "1.15"),
        _fx("AUD_USD", "AUD/USD", -4, 5, "0.05", "0.00016", "0.62"),
        _fx("USD_JPY", "USD/JPY", -2, 3, "0.04", "0.014", "100"),
        InstrumentSpec(
            name="XAU_USD",
            type="METAL",
            display_name="Gold",
            pip_location=-2,
            display_precision=3,
            trade_units_precision=0,
            minimum_trade_size=Decimal(1),
            maximum_order_units=Decimal(100_000),
            margin_rate=Decimal("0.05"),
            spread=Decimal("0.35"),
            scale=Decimal(1700),
        ),
    )
}


class SimConfig(BaseModel):
    """How one simulator runs: where it listens, the account it creates, the prices it replays.

    `stream_rate`: None streams prices as the market moves (one replayed quote every
    `interval` seconds, plus `push_quote`); a number makes every pricing stream replay the
    whole series by itself at that many PRICE lines per second (0: as fast as the socket
    takes them), the benchmark mode.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65_535)
    token: SecretStr = SecretStr("sim-token")
    account_id: str = DEFAULT_ACCOUNT_ID
    currency: str = "USD"
    balance: Decimal = Decimal(100_000)
    hedging: bool = False
    data: Path | None = None
    interval: float = Field(default=1.0, gt=0)
    replay: bool = True
    stream_rate: float | None = Field(default=None, ge=0)
    heartbeat_interval: float = Field(default=5.0, gt=0)
    rate_limit: int = Field(default=120, ge=1)
    tls_dir: Path | None = None
    max_bars: int | None = Field(default=None, ge=1)
