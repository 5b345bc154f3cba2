"""A bounded per-container cache: the least recently used entry goes first.

Used by clients.py (client records, and apart from them the ids that matched none) and
quotas.py (each caller's uncounted requests). Decisions: the bound is passed on every
`put`, so a setting read per request takes effect at once; a lock keeps the order whole
under `chalice local`'s threads (a Lambda container serves one request at a time).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

V = TypeVar("V")


class LRU(Generic[V]):
    def __init__(self) -> None:
        self._items: OrderedDict[str, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> V | None:
        """The entry (now the most recently used one), or None."""
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: str, value: V, size: int) -> None:
        """Keep `value` as the newest entry, dropping the oldest past `size` entries."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > max(size, 0):
                self._items.popitem(last=False)

    def pop(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: str) -> bool:
        return key in self._items
