"""`gauntlet strategies`: list registered strategies with their parameters and defaults."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from gauntlet.cli.app import app
from gauntlet.cli.options import PluginOption, load_plugins


@app.command("strategies")
def list_strategies(
    plugin: PluginOption = None,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """List strategies with their parameters and defaults."""
    from strategies import registry

    load_plugins(plugin)
    rows = {
        name: {
            "doc": " ".join((registry.get(name).__doc__ or "").strip().split("\n\n")[0].split()),
            "params": {
                p.name: {"type": p.type, "default": p.default} for p in registry.param_table(name)
            },
        }
        for name in registry.names()
    }
    if as_json:
        typer.echo(json.dumps(rows, default=str))
        return
    table = Table(title="Registered strategies")
    table.add_column("name", style="bold cyan")
    table.add_column("parameters (default)")
    table.add_column("rule")
    for name, info in rows.items():
        params = ", ".join(f"{k}={v['default']!r}" for k, v in info["params"].items())
        table.add_row(name, params, info["doc"])
    Console().print(table)
