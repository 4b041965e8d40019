"""One item per hosted instrument for the same moment: the host acts on a bar close (or an
opening quote) only once every instrument's has arrived."""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class Gather(Generic[T]):
    def __init__(self, size: int) -> None:
        self._size = size
        self._items: dict[int, T] = {}
        self._moment: int | None = None

    def add(self, col: int, item: T, moment: int | None = None) -> dict[int, T] | None:
        """Add column `col`'s item; an item of another `moment` (when given) starts over.
        Returns every column's item, and starts over, once all have arrived."""
        if self._size == 1:  # one instrument: complete at once (the common host)
            return {col: item}
        if moment is not None and moment != self._moment:
            self._items = {}
            self._moment = moment
        self._items[col] = item
        if len(self._items) < self._size:
            return None
        complete, self._items = self._items, {}
        return complete
