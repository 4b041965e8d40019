"""The rollover: each open position is charged (or paid) its symbol's swap for the night,
in points: points × point × contract size × volume, in the profit currency, converted to the
account currency; on Wednesday three nights (the weekend's), as MetaTrader's default
triple-swap day. MT5 books the swap on the position; its closing deal carries it."""

from __future__ import annotations

from execution_engine.adapters.mt5.sim.formats import cents
from execution_engine.adapters.mt5.sim.server import TradeServer

WEDNESDAY = 2  # datetime.weekday()


def rollover(server: TradeServer, weekday: int) -> None:
    nights = 3 if weekday == WEDNESDAY else 1
    for position in server.account.positions.values():
        spec = server.spec(position.symbol)
        points = spec.swap_long if position.is_buy else spec.swap_short
        amount = points * spec.point * spec.contract_size * position.volume * nights
        position.swap += cents(
            server.market.convert(amount, spec.currency_profit, server.config.currency)
        )
