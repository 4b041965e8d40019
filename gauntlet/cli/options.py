"""Options shared by several commands."""

from __future__ import annotations

import os
from typing import Annotated

import typer

PluginOption = Annotated[
    list[str] | None,
    typer.Option(
        "--plugin",
        help="Module (dotted name or .py file) registering extra strategies; repeatable. "
        "Also read from GAUNTLET_STRATEGY_MODULES (comma-separated).",
    ),
]

TrackOption = Annotated[bool, typer.Option("--track", help="Log the run to MLflow.")]
TrackingUriOption = Annotated[
    str | None,
    typer.Option(help="MLflow tracking URI or store directory (default .gauntlet/mlruns)."),
]


def load_plugins(plugins: list[str] | None) -> None:
    from strategies import registry

    specs = list(plugins or [])
    env = os.environ.get("GAUNTLET_STRATEGY_MODULES", "")
    specs += [s.strip() for s in env.split(",") if s.strip()]
    for spec in specs:
        try:
            registry.load_module(spec)
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
