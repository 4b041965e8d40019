"""`gauntlet strategies`: list registered strategies with their parameters and defaults."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from gauntlet.cli.app import app
from gauntlet.cli.options import JsonOption, PluginOption, load_plugins


def _rule(doc: str | None) -> str:
    """The first paragraph of a strategy's docstring: its trading rule, on one line."""
    return " ".join((doc or "").strip().split("\n\n")[0].split())


def describe_strategies() -> dict[str, dict[str, Any]]:
    from strategies import plugins

    return {
        name: {
            "rule": _rule(plugins.get(name).__doc__),
            "params": {
                p.name: {"type": p.type, "default": p.default, "description": p.description}
                for p in plugins.param_table(name)
            },
        }
        for name in plugins.names()
    }


@app.command("strategies")
def list_strategies(
    plugin: PluginOption = None,
    as_json: JsonOption = False,
) -> None:
    """List strategies with their parameters and defaults."""
    load_plugins(plugin)
    described = describe_strategies()
    if as_json:
        typer.echo(json.dumps(described, default=str))
        return
    table = Table(title="Registered strategies", show_lines=True)
    table.add_column("name", style="bold cyan", no_wrap=True)
    table.add_column("parameters (default)")
    table.add_column("rule")
    for name, info in described.items():
        params = ", ".join(f"{k}={v['default']!r}" for k, v in info["params"].items())
        table.add_row(name, params, info["rule"])
    Console().print(table)
