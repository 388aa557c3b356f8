"""The evaluation's view of the neighbours: the one builder lives in `chatrec.rank.signals.neighbors` (the product's
imports use it too); this adds `core_collab`, what the core's co-occurrence component computes, for tuning.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from chatrec.rank.signals.neighbors import (
    RECIPES,
    NeighborParams,
    association,
    build,
    item_counts,
    learn,
    pair_matrix,
    recency_popularity,
    to_neighbors,
    top_k,
)

__all__ = ["RECIPES", "NeighborParams", "association", "build", "core_collab", "item_counts", "learn", "pair_matrix",
           "recency_popularity", "to_neighbors", "top_k"]


def core_collab(m: sp.csr_matrix, histories: list[list[int]], candidates: np.ndarray,
                decay: float = 1.0, power: float = 1.0) -> np.ndarray:
    """What the core's `co_occurrence` component computes from `neighbors` (sum over liked items, optionally
    weighted by `decay ** (items after it)`, divided by the user's largest sum), for every candidate."""
    rows, cols, vals = [], [], []
    for u, h in enumerate(histories):
        n = len(h)
        for k, i in enumerate(h):
            rows.append(u)
            cols.append(i)
            vals.append(decay ** (n - 1 - k))
    W = sp.csr_matrix((vals, (rows, cols)), shape=(len(histories), m.shape[0]))
    S = (W @ m).tocsr()
    cmax = np.asarray(S.max(axis=1).todense()).ravel()
    cmax[cmax <= 0] = 1.0
    got = np.zeros(candidates.shape)
    for u in range(len(histories)):
        got[u] = S[u, candidates[u]].toarray().ravel() / cmax[u]
    return got if power == 1.0 else np.maximum(got, 0.0) ** power
