"""The phrase cache: checked model phrases kept by (catalog, item id) for every visitor.

Why it is safe to share: a phrase is written from the item's own facts only (the prompt holds nothing of the user),
so it is the same for every visitor, and a card shown again, in this session or another, costs no model time.
"""
from __future__ import annotations

import threading
from collections import OrderedDict


class PhraseCache:
    """Checked model phrases by (catalog, item id). Item-derived, never user data; bounded (least recently used
    out first), thread-safe."""

    def __init__(self, size: int = 4096) -> None:
        self._d: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, catalog: str, item_id: str) -> str | None:
        with self._lock:
            hit = self._d.get((catalog, item_id))
            if hit is not None:
                self._d.move_to_end((catalog, item_id))
            return hit

    def put(self, catalog: str, item_id: str, phrase: str) -> None:
        with self._lock:
            self._d[(catalog, item_id)] = phrase
            while len(self._d) > self._size:
                self._d.popitem(last=False)
