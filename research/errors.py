"""Errors that mean the research input was bad (the CLI maps them to exit code 2)."""

from marketdata.errors import DataError


class ResearchInputError(ValueError):
    """Bad configuration or data for a research run; the message says which and why."""


# Bad input as research sees it: its own errors and the data layer's (which sits below research
# and so cannot derive from ResearchInputError).
INPUT_ERRORS: tuple[type[ValueError], ...] = (ResearchInputError, DataError)
