"""What ingestion raises: bad input (nothing written) and a server that stayed unreachable."""

from __future__ import annotations


class IngestRejectedError(ValueError):
    """Input rows broke a rule; the message names the source, the rows and the rules. Nothing was written."""


class IngestFailedError(RuntimeError):
    """The server kept failing after every retry; batches listed as committed in the message are safe."""
