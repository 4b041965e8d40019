"""Placeholder: filled in by its owner."""

from gauntlet.cli.app import app  # registers on import


@app.command("version")
def version() -> None:
    """Print Gauntlet's version."""
    from importlib.metadata import version as pkg_version

    print(pkg_version("gauntlet"))
