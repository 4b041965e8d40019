"""FX carry as a simulation module: the account pays (or earns) financing at every bar close.

ADR 0002 §8: cash -= |position| · close · rate · dt, rate = financing_long for a long
position and financing_short otherwise, dt = 1 / periods_per_year. NautilusTrader's
`FXRolloverInterestModule` charges once a day from interest-rate tables; the contract's
per-bar flat rate needs its own module.

The bar is noted when the exchange sees it and charged in `process`, which the exchange runs
after that time's orders are filled, so a bar-close fill is financed from its own bar as
the contract does.
"""

from __future__ import annotations

from nautilus_trader.backtest.modules import SimulationModule
from nautilus_trader.common.component import Logger
from nautilus_trader.config import SimulationModuleConfig
from nautilus_trader.core.data import Data
from nautilus_trader.model.data import Bar
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import Currency, Money


class FinancingModule(SimulationModule):  # type: ignore[misc]  # Cython base, untyped
    def __init__(self, long_rate: float, short_rate: float, dt: float, currency: Currency) -> None:
        super().__init__(SimulationModuleConfig())
        self._long_rate = long_rate
        self._short_rate = short_rate
        self._dt = dt
        self._currency = currency
        self._due: dict[InstrumentId, float] = {}  # instrument → close of a bar not yet charged
        self.total = 0.0

    def pre_process(self, data: Data) -> None:
        if isinstance(data, Bar):
            self._due[data.bar_type.instrument_id] = data.close.as_double()

    def process(self, ts_now: int) -> None:
        if not self._due:
            return
        charge = 0.0
        for instrument_id, close in self._due.items():
            qty = sum(
                p.signed_qty
                for p in self.exchange.cache.positions_open(instrument_id=instrument_id)
            )
            rate = self._long_rate if qty > 0 else self._short_rate
            charge += abs(qty) * close * rate * self._dt
        self._due = {}
        if charge:
            self.total += charge
            self.exchange.adjust_account(Money(-charge, self._currency))

    def log_diagnostics(self, logger: Logger) -> None:
        logger.info(f"financing charged: {self.total:.2f} {self._currency}")

    def reset(self) -> None:
        self._due = {}
        self.total = 0.0
