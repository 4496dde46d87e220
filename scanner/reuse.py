"""Results kept by the SHA-256 of the bytes they were computed from, for one process.

A mirror holds the same file many times over: every platform wheel of a release and the sdist
beside it ship the same modules, licences and data files. A result that depends only on a
member's bytes (and on what the caller puts in the key beside them) is computed once and
reused. The key is a collision-resistant digest: an attacker must not be able to make a
hostile file look like a cached benign one. The cache is bounded (least recently used entries
go first) and locked, because the gate can scan on threads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any


class ContentCache:
    def __init__(self) -> None:
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any, limit: int) -> None:
        """Keep ``value`` (not None) under ``key``, dropping the oldest beyond ``limit``."""
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > limit:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
