"""Cost options in the units quants quote them in, turned into BacktestConfig's units.

Every command that simulates (backtest, sweep, walkforward, check parity, paper) takes the
same cost options (defined once in gauntlet.cli.options). A value is a plain number in the
config's own unit (a fraction, price units, currency per unit), or carries a unit:
`0.5bps` (1e-4 of a fraction), `0.1%`, or, for the spread, `1.2pips`. A pip is a price step
of the instrument: for an FX pair 0.0001 (0.01 when quoted in JPY; its tick is a tenth of
that), for other instruments their tick size (marketdata.instruments' built-in definitions);
a name no definition resolves is taken as an FX pair by that same rule. A note on stderr
says which pip size was used and why.

Defaults: the costs the traded instrument's definition sets (`costs:` in instruments.yaml or
an --instruments file) apply to every cost no option gives; an option wins field by field
(`--spread 0` removes a default spread). The costs line then says where they came from
(`costs (from instrument EUR/USD): spread 0.0001`), and a note on stderr names them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from pathlib import Path

    from research.engine.config import Costs

# inf and nan are matched to be refused by name ("must be finite"), not as unreadable.
_NUMBER = r"[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)"
_VALUE = re.compile(rf"^\s*({_NUMBER})\s*(bps|bp|%|pips|pip)?\s*$", re.IGNORECASE)
_UNIT_NAMES = {"bp": "bps", "bps": "bps", "%": "%", "pip": "pips", "pips": "pips"}
_SCALE = {"bps": 1e-4, "%": 1e-2}
FX_PIP = 1e-4
JPY_PIP = 1e-2


@dataclass(frozen=True)
class CostField:
    """One cost option: its BacktestConfig field, its flag, and the units it accepts."""

    field: str
    option: str
    units: tuple[str, ...]  # of "bps", "%", "pips" (a plain number is always accepted)
    plain: str  # what a plain number means


# The order every command lists them in.
COST_FIELDS: tuple[CostField, ...] = (
    CostField("commission", "--commission", ("bps", "%"), "a fraction of notional"),
    CostField("commission_per_unit", "--commission-per-unit", (), "currency per unit"),
    CostField("spread", "--spread", ("pips",), "price units"),
    CostField("slippage", "--slippage", ("bps", "%"), "a fraction of price"),
    CostField("financing_long", "--financing-long", ("bps", "%"), "an annual rate"),
    CostField("financing_short", "--financing-short", ("bps", "%"), "an annual rate"),
)


def parse_cost(text: str, cost: CostField) -> tuple[float, str | None]:
    """(number, unit) of an option's text; a unit the option does not take is refused."""
    from gauntlet.cli.app import fail

    match = _VALUE.match(text)
    if match is None:
        units = "".join(f", or with {unit}" for unit in cost.units)
        fail(f"{cost.option} expects a number ({cost.plain}){units}, got {text!r}")
    number = float(match.group(1))
    unit = _UNIT_NAMES[match.group(2).lower()] if match.group(2) else None
    if not math.isfinite(number):
        fail(f"{cost.option} must be finite, got {text!r}")
    if unit is not None and unit not in cost.units:
        fail(_wrong_unit(cost, unit, text))
    return number, unit


def _wrong_unit(cost: CostField, unit: str, text: str) -> str:
    if cost.field == "spread" and unit in ("bps", "%"):
        return (f"--spread is a price difference, not a fraction: give price units or pips, "
                f"got {text!r}")  # fmt: skip
    takes = f"plain ({cost.plain}) or {' / '.join(cost.units)}" if cost.units else cost.plain
    return f"{cost.option} takes {takes}, not {unit}: got {text!r}"


def cost_overrides(
    data: Path | None,
    instrument: str | None,
    definitions: tuple[Path | None, str | None] = (None, None),
    **texts: str | None,
) -> dict[str, Any]:
    """The given cost options (`commission="0.5bps"`, ...) as BacktestConfig fields in its
    units, over the traded instrument's default costs (`definitions`: --instruments and
    --asset-class); costs neither sets are left out (the config's default applies)."""
    _pending_notes.clear()
    _from_instrument.clear()
    given = _given_costs(data, instrument, texts)
    symbol, defaults = instrument_costs(data, instrument, *definitions)
    taken = {name: value for name, value in defaults.items() if name not in given}
    if any(taken.values()):
        _from_instrument.append((symbol, tuple(taken)))
    return taken | given


def _given_costs(
    data: Path | None, instrument: str | None, texts: dict[str, str | None]
) -> dict[str, Any]:
    by_field = {cost.field: cost for cost in COST_FIELDS}
    out: dict[str, Any] = {}
    for name, text in texts.items():
        if text is None:
            continue
        cost = by_field[name]
        number, unit = parse_cost(text, cost)
        if unit == "pips":
            size, source = pip_size(instrument, data)
            _pending_notes.append(f"gauntlet: {cost.option} {text}: pip size {size:g} ({source})")
            number *= size
        else:
            number = scaled(number, unit)
        out[name] = number
    return out


def scaled(number: float, unit: str | None) -> float:
    """A number given in bps or % as a plain fraction (no unit: as it is)."""
    return number * _SCALE[unit] if unit is not None else number


def instrument_costs(
    data: Path | None,
    instrument: str | None,
    instruments_file: Path | None = None,
    asset_class: str | None = None,
) -> tuple[str, dict[str, float]]:
    """(symbol, the costs its definition sets) of the instrument --instrument or the data
    file's name resolves to; ("", {}) when none resolves (the run then trades a unitless
    asset, or its own resolution reports the problem)."""
    from marketdata.instruments import InstrumentError, resolve_file_instrument

    if data is None:
        return "", {}
    try:
        found = resolve_file_instrument(data, instrument, instruments_file, asset_class)
    except InstrumentError:  # not a defined instrument: no defaults to apply
        return "", {}
    return found.symbol, found.costs.given() if found.costs is not None else {}


def from_instrument() -> tuple[str, ...]:
    """The cost fields the last cost_overrides took from the instrument's definition."""
    return _from_instrument[0][1] if _from_instrument else ()


def labelled(costs: Costs) -> str:
    """Costs.describe(), saying which of the costs came from the instrument's definition:
    `costs (from instrument EUR/USD): spread 0.0001` (all of them), or
    `costs (spread from instrument EUR/USD): commission 0.50 bps, spread 0.0001`."""
    line = costs.describe()
    if not _from_instrument:
        return line
    symbol, fields = _from_instrument[0]
    used = [name for name in fields if getattr(costs, name)]
    if not used:
        return line
    others = [c.field for c in COST_FIELDS if getattr(costs, c.field) and c.field not in used]
    source = "from instrument" if not others else f"{', '.join(used)} from instrument"
    return line.replace("costs:", f"costs ({source} {symbol}):", 1)


def pip_size(instrument: str | None, data: Path | None) -> tuple[float, str]:
    """(pip size, where it came from) of the instrument named by --instrument or the data
    file's name."""
    names = _candidate_names(instrument, data)
    defined = _defined_pip(names)
    if defined is not None:
        return defined
    name = names[0] if names else "the data"
    size = JPY_PIP if "JPY" in name.upper() else FX_PIP
    return size, f"{name}: assumed an FX pair, 1e-4, JPY pairs 1e-2"


def _candidate_names(instrument: str | None, data: Path | None) -> list[str]:
    """--instrument, else the data file's name and its shorter prefixes (eurusd_h1 →
    eurusd_h1, eurusd), longest first."""
    if instrument:
        return [instrument]
    if data is None:
        return []
    parts = [p for p in re.split(r"[/_\-. ]+", data.stem) if p]
    return ["_".join(parts[:k]) for k in range(len(parts), 0, -1)]


def _defined_pip(names: list[str]) -> tuple[float, str] | None:
    """The pip of the first name the instrument definitions resolve (None: none does)."""
    from marketdata.instruments import AssetClass, InstrumentError, resolve_instrument

    for name in names:
        try:
            found = resolve_instrument(name)
        except InstrumentError:  # not this name (a file-name prefix, say): try the next one
            continue
        if found.asset_class is AssetClass.FX:
            size = JPY_PIP if found.quote_currency == "JPY" else FX_PIP
            return size, f"{found.symbol}: FX pip; its tick is {found.tick_size}"
        return float(found.tick_size), f"{found.symbol}: its tick size"
    return None


# Notes on how a cost was read (the pip size used, the instrument's defaults taken), printed
# with note_costs once the run succeeded: bad input must stay exactly one error line on stderr.
_pending_notes: list[str] = []
# (symbol, the cost fields taken from its definition) of this command's run, for `labelled`.
_from_instrument: list[tuple[str, tuple[str, ...]]] = []


def note_costs(costs: Costs) -> None:
    """After a successful run: how pips were read, which of `costs` (those charged) came
    from the instrument's definition, and one warning line when the simulation charged nothing
    (not an error: the exit code is unchanged)."""
    for note in _pending_notes:
        typer.echo(note, err=True)
    _pending_notes.clear()
    used = [name for name in from_instrument() if getattr(costs, name)]
    if used:
        shown = ", ".join(f"{name} {getattr(costs, name):g}" for name in used)
        typer.echo(
            f"gauntlet: costs from instrument {_from_instrument[0][0]}'s definition: {shown} "
            "(an option given on the command line wins, e.g. --spread 0)",
            err=True,
        )
    if costs.free:
        typer.echo(
            "gauntlet: warning: all costs are zero (no commission, spread, slippage or "
            "financing): results are frictionless; set --commission/--spread/--slippage",
            err=True,
        )
