"""Errors of the promotion pipeline; the CLI maps every one of them to one line and exit 2."""

from research.errors import ResearchInputError


class PromotionInputError(ResearchInputError):
    """A bad policy file or spec, missing evidence for the requested stage, or a skipped stage."""


class TamperedBundleError(PromotionInputError):
    """An evidence bundle whose files no longer match its manifest (the message names the file)."""
