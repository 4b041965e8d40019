"""The FIX venue's instruments: definitions from marketdata (as for SIM), listed on venue
FIX, and the mapping between NautilusTrader ids and FIX Symbol (55) values.

Brokers' FIX symbols drop the separator ("EUR/USD" trades as "EURUSD"); `fix_symbol` and
`FixInstrumentProvider.by_fix_symbol` are the one place that mapping lives. Instruments come
from configuration; SecurityListRequest discovery is for venues that support it (not the
simulator) and is not built yet.
"""

from __future__ import annotations

from collections.abc import Sequence

from nautilus_trader.common.providers import InstrumentProvider
from nautilus_trader.config import InstrumentProviderConfig
from nautilus_trader.model.identifiers import InstrumentId, Venue
from nautilus_trader.model.instruments import Instrument

from execution_engine.adapters.sandbox.providers import UnknownInstrumentError, sim_instrument

FIX_VENUE = Venue("FIX")


def fix_symbol(instrument_id: InstrumentId) -> str:
    """The FIX Symbol of an instrument: its NautilusTrader symbol without "/"."""
    return str(instrument_id.symbol.value).replace("/", "")


def fix_instrument(name: str, venue: Venue = FIX_VENUE) -> Instrument:
    """The instrument `name` (a marketdata definition or a currency pair) listed on `venue`."""
    on_sim = sim_instrument(name)
    kind = type(on_sim)
    fields = kind.to_dict(on_sim)
    fields["id"] = InstrumentId(on_sim.id.symbol, venue).value
    moved: Instrument = kind.from_dict(fields)
    return moved


class FixInstrumentProvider(InstrumentProvider):
    """The configured instruments of one FIX venue."""

    def __init__(
        self,
        names: Sequence[str],
        venue: Venue = FIX_VENUE,
        config: InstrumentProviderConfig | None = None,
    ) -> None:
        super().__init__(config or InstrumentProviderConfig(load_all=True))
        self.venue = venue
        self._listed = {fix_symbol(i.id): i for i in (fix_instrument(n, venue) for n in names)}

    def by_fix_symbol(self, symbol: str) -> Instrument:
        """The instrument a FIX Symbol names; UnknownInstrumentError when none is configured."""
        try:
            return self._listed[symbol]
        except KeyError:
            raise UnknownInstrumentError(
                f"FIX symbol {symbol!r} is not a configured instrument of {self.venue}"
            ) from None

    async def load_all_async(self, filters: dict[str, object] | None = None) -> None:
        self.add_bulk(list(self._listed.values()))

    async def load_ids_async(
        self, instrument_ids: list[InstrumentId], filters: dict[str, object] | None = None
    ) -> None:
        for instrument_id in instrument_ids:
            await self.load_async(instrument_id, filters)

    async def load_async(
        self, instrument_id: InstrumentId, filters: dict[str, object] | None = None
    ) -> None:
        if instrument_id.venue != self.venue:
            raise UnknownInstrumentError(f"instrument {instrument_id} is not on venue {self.venue}")
        self.add(self.by_fix_symbol(fix_symbol(instrument_id)))
