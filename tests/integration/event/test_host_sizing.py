"""The host's sizing seams: target fraction → Decimal order, and the notional cap."""

from decimal import Decimal

from execution_engine.host.notional import NotionalCap
from execution_engine.host.sizing import Sizer, SizeRules

UNIT = SizeRules(step=Decimal(1), min_quantity=Decimal(1), precision=0)
LOT = SizeRules(step=Decimal(1000), min_quantity=Decimal(1000), precision=0)


def test_equity_sizing_rounds_toward_zero_in_decimals() -> None:
    sizer = Sizer([UNIT, LOT], units_at_one=None)

    long = sizer.order(0, 0.5, Decimal("100000.00"), Decimal("1.10000"), held=Decimal(0))
    short = sizer.order(1, -0.5, Decimal("100000.00"), Decimal("1.10000"), held=Decimal(0))

    assert long.order == Decimal(45454)  # 45454.54… units, toward zero
    assert long.tradable
    assert short.order == Decimal(-45000)  # toward zero, to the lot
    assert sizer.order(0, 0.5, Decimal(100_000), Decimal("1.1"), held=Decimal(45454)).order == 0


def test_fixed_units_and_what_is_not_traded() -> None:
    sizer = Sizer([UNIT], units_at_one=2.5)

    assert sizer.order(0, -1.0, Decimal(0), Decimal(1), held=Decimal(0)).order == Decimal(-2)
    zero = sizer.order(0, 0.2, Decimal(0), Decimal(1), held=Decimal(0))
    assert not zero.tradable
    assert zero.problem == ("zero_quantity", "target 0.2 rounds to 0 units")
    small = Sizer([LOT], None).order(0, 0.02, Decimal(100_000), Decimal(1), held=Decimal(1500))
    assert small.order == Decimal(500)
    assert small.problem is not None
    assert small.problem[0] == "below_min_quantity"


def test_the_notional_cap_denies_like_the_risk_engine() -> None:
    cap = NotionalCap(100_000.0)

    assert cap.denial(Decimal(90_000), Decimal("1.1")) is None
    reason = cap.denial(Decimal(-100_000), Decimal("1.1"))
    assert reason == (
        "NOTIONAL_EXCEEDS_MAX_PER_ORDER: max_notional=100,000.00, "
        "notional=110,000.00 (pre-trade check)"
    )
    assert NotionalCap(None).denial(Decimal(10**9), Decimal(1)) is None
