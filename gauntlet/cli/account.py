"""Account and rebalancing options (ADR 0002 §12-§13), turned into BacktestConfig fields.

Every command that simulates takes the same options (defined once in gauntlet.cli.options).
Margin rates and the rebalance threshold are fractions, given plain (0.05) or in percent (5%),
read by the cost options' one parser; margin call and stop-out are margin levels in percent.
The values themselves (ranges, stop-out below margin call) are checked by BacktestConfig, through
research.engine.run.resolve_config: one validation for the CLI, specs and the Python API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gauntlet.cli.costs import CostField, cost_overrides, parse_cost, scaled
from gauntlet.cli.options import choice, config_overrides

# The fraction-valued options: a plain number or a percentage (no bps: not a cost).
FRACTION_FIELDS: dict[str, CostField] = {
    "margin_initial": CostField("margin_initial", "--margin-initial", ("%",), "a fraction"),
    "margin_maintenance": CostField(
        "margin_maintenance", "--margin-maintenance", ("%",), "a fraction"
    ),
    "rebalance_threshold": CostField(
        "rebalance_threshold", "--rebalance-threshold", ("%",), "a fraction of equity"
    ),
}


def account_overrides(
    *,
    account: str | None = None,
    margin_initial: str | None = None,
    margin_maintenance: str | None = None,
    margin_call: float | None = None,
    stop_out: float | None = None,
    rebalance: str | None = None,
    rebalance_threshold: str | None = None,
) -> dict[str, Any]:
    """The account/rebalance options the user gave, as BacktestConfig fields (the others are
    left out: the config's default applies)."""
    from research.engine.config import AccountKind, Rebalance

    fractions = {
        "margin_initial": margin_initial,
        "margin_maintenance": margin_maintenance,
        "rebalance_threshold": rebalance_threshold,
    }
    return config_overrides(
        account=choice(account, tuple(AccountKind), "--account"),
        rebalance=choice(rebalance, tuple(Rebalance), "--rebalance"),
        margin_call=margin_call,
        stop_out=stop_out,
        **{name: _fraction(text, FRACTION_FIELDS[name]) for name, text in fractions.items()},
    )


def _fraction(text: str | None, field: CostField) -> float | None:
    if text is None:
        return None
    return scaled(*parse_cost(text, field))


ACCOUNT_OPTIONS = (
    "account", "margin_initial", "margin_maintenance", "margin_call", "stop_out", "rebalance",
    "rebalance_threshold",
)  # fmt: skip


def simulation_overrides(
    data: Path | None,
    instrument: str | None,
    definitions: tuple[Path | None, str | None],
    **options: Any,
) -> dict[str, Any]:
    """The cost and account/rebalance options of a simulating command (backtest, sweep,
    walkforward, check parity, paper), as BacktestConfig fields: `cost_overrides` for the
    costs (over the instrument's defaults) and `account_overrides` for the rest."""
    account = {name: options.pop(name, None) for name in ACCOUNT_OPTIONS}
    return cost_overrides(data, instrument, definitions, **options) | account_overrides(**account)
