"""Errors that mean the research input was bad (the CLI maps them to exit code 2)."""


class ResearchInputError(ValueError):
    """Bad configuration or data for a research run; the message says which and why."""
