"""Registry errors. Every one carries a single-line message meant to be shown as is (the CLI maps
RegistryError and its subclasses to one line and a non-zero exit)."""


class RegistryError(Exception):
    """Base class: the requested stage change did not happen."""


class RegistryInputError(RegistryError, ValueError):
    """A bad argument: strategy name, stage name, empty reason or decider, unusable spec."""


class StageOrderError(RegistryError):
    """The change breaks the stage ladder: skipping a rung, demoting upwards, leaving `retired`."""


class StageConflictError(RegistryError):
    """The strategy's stage changed underneath the caller (a concurrent change won), or it is
    already at the requested stage."""


class RegistryUnavailableError(RegistryError):
    """PostgreSQL or the MLflow registry cannot be reached or used; nothing was changed."""
