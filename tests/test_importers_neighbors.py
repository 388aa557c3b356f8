"""Neighbours learned from interactions (`chatrec.importers.neighbors`)."""
from __future__ import annotations

from chatrec.importers.neighbors import cooccurrence_neighbors


def test_cooccurrence_is_symmetric_cosine() -> None:
    # users 0,1 like items 0 and 1; user 2 likes 1 and 2; item 3 has nobody
    nb = cooccurrence_neighbors([0, 0, 1, 1, 2, 2], [0, 1, 0, 1, 1, 2], 4, k=2, shrink=0)
    assert nb[0] == [(1, round(2 / (2 * 3) ** 0.5, 4))]
    assert [j for j, _ in nb[1]] == [0, 2] and nb[3] == []
    assert nb[2] == [(1, round(1 / 3 ** 0.5, 4))]
