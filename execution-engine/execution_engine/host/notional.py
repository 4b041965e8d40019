"""The host's pre-trade notional cap.

NautilusTrader 1.221's RiskEngine returns early for margin accounts before its notional
check (risk/engine.pyx, `_check_orders_risk`: "TODO: Determine risk controls for margin"),
so for FX on margin the cap is enforced here, pre-trade, and reported exactly like a
risk-engine denial.
"""

from __future__ import annotations

from decimal import Decimal


class NotionalCap:
    """At most `cap` (quote currency) of notional per order; None = no cap."""

    def __init__(self, cap: float | None) -> None:
        self._cap = None if cap is None else Decimal(repr(cap))

    def denial(self, order: Decimal, price: Decimal) -> str | None:
        """The risk-engine style reason an order is denied, or None when it may go."""
        cap = self._cap
        notional = abs(order) * price
        if cap is None or notional <= cap:
            return None
        return (
            f"NOTIONAL_EXCEEDS_MAX_PER_ORDER: max_notional={cap:,.2f}, "
            f"notional={notional:,.2f} (pre-trade check)"
        )
