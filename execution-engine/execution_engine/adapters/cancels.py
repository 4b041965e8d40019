"""NautilusTrader's three cancel commands (one order, every open order of a strategy, a batch)
as one cancel request per order, for the venues that cancel one order per request: FIX (4.4's
OrderMassCancelRequest is optional and many venues do not take it), MetaTrader and OANDA."""

from __future__ import annotations

from nautilus_trader.execution.messages import BatchCancelOrders, CancelAllOrders, CancelOrder
from nautilus_trader.live.execution_client import LiveExecutionClient
from nautilus_trader.model.orders import Order


class OneCancelPerOrder(LiveExecutionClient):
    """An execution client whose venue cancels one order per request: it says how (`_cancel`)."""

    async def _cancel(self, order: Order) -> None:
        """Ask the venue to cancel `order` (its answer arrives as the venue's events)."""
        raise NotImplementedError

    async def _cancel_order(self, command: CancelOrder) -> None:
        order = self._cache.order(command.client_order_id)
        if order is None:
            self._log.error(f"cancel of unknown order {command.client_order_id}")
            return
        await self._cancel(order)

    async def _cancel_all_orders(self, command: CancelAllOrders) -> None:
        for order in self._cache.orders_open(
            venue=self.venue,
            instrument_id=command.instrument_id,
            strategy_id=command.strategy_id,
            side=command.order_side,  # NO_ORDER_SIDE: both sides
        ):
            await self._cancel(order)

    async def _batch_cancel_orders(self, command: BatchCancelOrders) -> None:
        for cancel in command.cancels:
            await self._cancel_order(cancel)
