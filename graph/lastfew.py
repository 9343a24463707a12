"""A cache of what was built from the last few objects, matched by identity."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LastFew(Generic[K, V]):
    """What was built for the last few keys, matched by identity: a snapshot and the indexes
    built from it are asked for again and again by analyses and queries, and are not
    hashable by content."""

    def __init__(self, build: Callable[[K], V], size: int = 3) -> None:
        self._build = build
        self._size = size
        self._items: list[tuple[K, V]] = []

    def __call__(self, key: K) -> V:
        for seen, value in self._items:
            if seen is key:
                return value
        value = self._build(key)
        self._items.append((key, value))
        del self._items[: -self._size]
        return value
