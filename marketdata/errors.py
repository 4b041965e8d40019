"""The one error type of the data layer: bad market data, located as precisely as we can."""

from __future__ import annotations

from typing import Any

__all__ = ["DataError"]


class DataError(ValueError):
    """Bad market data. The message names the file, the row and the rule when they are known.

    `row` is the 1-based data row (the first row after the header is row 1), `timestamp` is the
    row's timestamp as read, `report` the full quality report (a `marketdata.quality.QualityReport`)
    when the error came from the checks. It is typed `object` because this module is the bottom
    of the package: naming the report's class here would make errors and quality import each other.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        row: int | None = None,
        timestamp: Any = None,
        rule: str | None = None,
        report: object | None = None,
    ) -> None:
        self.source = source
        self.row = row
        self.timestamp = timestamp
        self.rule = rule
        self.report = report
        super().__init__(_locate(message, source, row, timestamp))


def _locate(message: str, source: str | None, row: int | None, timestamp: Any) -> str:
    where = ""
    if source:
        where += f"{source}: "
    if row is not None:
        where += f"row {row}"
        if timestamp is not None:
            where += f" ({timestamp})"
        where += ": "
    return where + message
