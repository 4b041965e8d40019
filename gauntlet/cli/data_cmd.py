"""Placeholder: filled in by its owner."""

from gauntlet.cli.app import app  # noqa: F401  # registers on import
