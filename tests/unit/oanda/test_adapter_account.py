"""OANDA's 4-decimal balance and margin as NautilusTrader's account balance."""

from __future__ import annotations

from decimal import Decimal

import pytest
from execution_engine.adapters.oanda.execution import account_balance
from nautilus_trader.model.objects import Currency

USD = Currency.from_str("USD")


@pytest.mark.parametrize(
    ("balance", "margin", "total", "locked", "free"),
    [
        # Rounded apart, free (10.002 → 10.00) would be a cent short of total - locked.
        ("10.0060", "0.0040", "10.01", "0.00", "10.01"),
        ("100075.5150", "3449.7149", "100075.52", "3449.71", "96625.81"),
        ("1000.0000", None, "1000.00", "0.00", "1000.00"),
        # Margin above the balance (a closeout is due) locks the whole balance, never more.
        ("50.0000", "75.1234", "50.00", "50.00", "0.00"),
    ],
)
def test_total_minus_locked_is_free_to_the_cent(
    balance: str, margin: str | None, total: str, locked: str, free: str
) -> None:
    made = account_balance(Decimal(balance), None if margin is None else Decimal(margin), USD)
    amounts = (made.total.as_decimal(), made.locked.as_decimal(), made.free.as_decimal())
    assert amounts == (Decimal(total), Decimal(locked), Decimal(free))
    assert amounts[0] - amounts[1] == amounts[2]
