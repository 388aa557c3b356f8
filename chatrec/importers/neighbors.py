"""Co-occurrence neighbours of items from (user, item) pairs."""
from __future__ import annotations

from typing import Any


def cooccurrence_neighbors(users: Any, items: Any, n_items: int, k: int = 50, min_co: int = 1, shrink: float = 2.0,
                           chunk: int = 2048) -> list[list[tuple[int, float]]]:
    """Top-k neighbours per item by shrunk cosine of co-occurrence over the (user, item) pairs given (e.g. ratings
    >= 3.5): co(i,j) / sqrt(n_i * n_j) * co(i,j) / (co(i,j) + shrink), so one shared fan counts for little;
    pairs co-occurring fewer than `min_co` times are ignored. Sparse products in row chunks: memory O(chunk * items)."""
    import numpy as np
    import scipy.sparse as sp

    users = np.asarray(users)
    items = np.asarray(items)
    n_users = int(users.max()) + 1 if len(users) else 0
    out: list[list[tuple[int, float]]] = [[] for _ in range(n_items)]
    if not n_users:
        return out
    r = sp.csr_matrix((np.ones(len(users), dtype=np.float32), (users, items)), shape=(n_users, n_items))
    r.data[:] = 1.0  # duplicates (a user rating twice) count once
    rt = r.T.tocsr()
    counts = np.asarray(r.sum(axis=0)).ravel().astype(np.float32)
    norm = np.sqrt(np.maximum(counts, 1.0))
    for s in range(0, n_items, chunk):
        e = min(n_items, s + chunk)
        co = (rt[s:e] @ r).toarray()
        co[np.arange(e - s), np.arange(s, e)] = 0.0
        co[co < min_co] = 0.0
        w = co / norm[s:e, None] / norm[None, :]
        if shrink:
            w *= co / (co + shrink)
        kk = min(k, n_items - 1)
        if kk <= 0:
            break
        top = np.argpartition(-w, kk - 1, axis=1)[:, :kk] if kk < n_items else np.argsort(-w, axis=1)
        for row in range(e - s):
            idx = top[row][w[row, top[row]] > 0]
            idx = idx[np.argsort(-w[row, idx], kind="stable")]
            out[s + row] = [(int(j), round(float(w[row, j]), 4)) for j in idx]
    return out
