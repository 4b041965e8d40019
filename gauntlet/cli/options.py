"""Options and option handling shared by several commands."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    import pandas as pd

PluginOption = Annotated[
    list[str] | None,
    typer.Option(
        "--plugin",
        help="Module (dotted name or .py file) registering extra strategies; repeatable. "
        "Also read from GAUNTLET_STRATEGY_MODULES (comma-separated).",
    ),
]

FILLS = ("next_open", "close")

ParamOption = Annotated[
    list[str] | None, typer.Option("--param", "-p", help="Strategy parameter key=value.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
TrackOption = Annotated[bool, typer.Option("--track", help="Log the run to MLflow.")]
TrackingUriOption = Annotated[
    str | None,
    typer.Option(help="MLflow tracking URI or store directory (default .gauntlet/mlruns)."),
]


def load_plugins(modules: list[str] | None) -> None:
    from strategies import plugins

    specs = list(modules or [])
    env = os.environ.get("GAUNTLET_STRATEGY_MODULES", "")
    specs += [s.strip() for s in env.split(",") if s.strip()]
    for spec in specs:
        try:
            plugins.load_module(spec)
        except ImportError as exc:
            from gauntlet.cli.app import fail

            fail(f"cannot import strategy module {spec!r}: {exc}")


def parse_params(pairs: list[str] | None) -> dict[str, str]:
    """`--param fast=10 --param slow=50` → {"fast": "10", "slow": "50"} (pydantic coerces)."""
    from gauntlet.cli.app import fail

    out: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            fail(f"--param expects key=value, got {pair!r}")
        out[key.strip()] = value.strip()
    return out


def choice(value: str | None, allowed: tuple[str, ...], option: str) -> str | None:
    """`value` if it is one of `allowed` (None passes: the option was not given)."""
    if value is not None and value not in allowed:
        from gauntlet.cli.app import fail

        fail(f"{option} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def config_overrides(**options: Any) -> dict[str, Any]:
    """The options the user actually gave, as BacktestConfig / Costs field overrides."""
    return {key: value for key, value in options.items() if value is not None}


def check_tracking(track: bool, uri: str | None) -> None:
    """With --track, an unwritable store or unreachable server fails before any compute."""
    if track:
        from research.tracking import resolve_uri

        resolve_uri(uri)


def load_data(path: Path, instrument: str | None) -> pd.DataFrame:
    """A bars file, quality-checked (bad data is one error line naming file, row and rule)."""
    from marketdata import load_bars

    return load_bars(path, instrument=instrument)
