"""The collaborative signals of a catalog, learned from interactions: ONE builder, used by the product's imports
(`catalog import movielens`, `catalog interactions`) and by the evaluation (`evaluation.catalogs.split_catalog`), so
what is measured is what ships.

Neighbours:
For every training sequence and every ordered pair (a earlier, b later) within `window` positions, a -> b gets
`gap_decay ** (gap - 1)` and b -> a gets `backward` times that (people buy accessories after the console, and the
console after reading about the game). Counts are then normalised like an asymmetric cosine,
w(a, b) = c(a, b) / (n(a) ** alpha * n(b) ** (1 - alpha)), shrunk towards 0 for rare pairs by c / (c + shrink), and
the `k` strongest per item are kept. With `alpha` = 1 the weight is the conditional P(b follows a).

Two-hop associations (a goes with m, m goes with b) are added with weight `two_hop` (the `two_hop_k` strongest per
item): on sparse data (Amazon Games: 31% of validation targets share no sequence with anything in the user's
history) they are what gives a relevant item any association at all. The core adds the neighbour weights of a user's
liked items (recent ones count more with the weights file's `co_occurrence_recency`), so the sum approximates an
item-to-item model of the next item.

Popularity is `recency_popularity` with the recipe's `popularity_recency`; the sequence model is trained by
`train_sequence` on the same sequences.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class NeighborParams:
    window: int = 50
    gap_decay: float = 0.9
    backward: float = 0.6
    alpha: float = 0.5
    shrink: float = 1.0
    k: int = 100_000
    min_count: float = 0.0
    two_hop: float = 0.0
    two_hop_k: int = 0
    popularity_recency: float = 1.0  # weight of an interaction in `popularity`: this ** (later items in its sequence)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# Chosen on the validation splits (python -m chatrec eval tune); the test splits never informed them. A catalog
# imported from interactions names the recipe it was built with (RECIPE_FILE in its folder).
RECIPES: dict[str, NeighborParams] = {
    "games": NeighborParams(window=50, gap_decay=0.9, backward=0.5, alpha=0.5, shrink=0.0, two_hop=3.0,
                            two_hop_k=600, popularity_recency=0.7),
    "ml-latest-small": NeighborParams(window=30, gap_decay=0.9, backward=0.8, alpha=0.5, shrink=1.0,
                                      popularity_recency=1.0),
}


def pair_matrix(sequences: list[list[int]], n_items: int, p: NeighborParams) -> sp.csr_matrix:
    """Weighted (directed) pair counts of the training sequences."""
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    by_len: dict[int, list[list[int]]] = {}
    for s in sequences:
        if len(s) > 1:
            by_len.setdefault(len(s), []).append(s)
    for n, group in by_len.items():
        arr = np.asarray(group, dtype=np.int64)  # (m, n)
        for gap in range(1, min(n, p.window + 1)):
            w = p.gap_decay ** (gap - 1)
            a, b = arr[:, :-gap].ravel(), arr[:, gap:].ravel()
            keep = a != b
            a, b = a[keep], b[keep]
            rows += [a, b]
            cols += [b, a]
            vals += [np.full(len(a), w, np.float32), np.full(len(a), w * p.backward, np.float32)]
    if not rows:
        return sp.csr_matrix((n_items, n_items), dtype=np.float32)
    m = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(n_items, n_items)).tocsr()
    m.sum_duplicates()
    return m


def item_counts(sequences: list[list[int]], n_items: int) -> np.ndarray:
    seqs = [np.asarray(s, dtype=np.int64) for s in sequences if len(s)]
    if not seqs:
        return np.zeros(n_items)
    return np.bincount(np.concatenate(seqs), minlength=n_items).astype(np.float64)


def association(sequences: list[list[int]], n_items: int, p: NeighborParams) -> sp.csr_matrix:
    """The normalised, shrunk, top-k item-item matrix (row a: the items that go with a)."""
    c = pair_matrix(sequences, n_items, p).tocoo()
    n = item_counts(sequences, n_items) + 1.0
    w = c.data / (n[c.row] ** p.alpha * n[c.col] ** (1.0 - p.alpha))
    if p.shrink:
        w *= c.data / (c.data + p.shrink)
    keep = c.data > p.min_count
    m = sp.csr_matrix((w[keep].astype(np.float32), (c.row[keep], c.col[keep])), shape=(n_items, n_items))
    return top_k(m, p.k)


def learn(sequences: list[list[int]], n_items: int, p: NeighborParams) -> sp.csr_matrix:
    """The full recipe: one-hop association plus the scaled, truncated two-hop one."""
    m = association(sequences, n_items, p)
    if p.two_hop and p.two_hop_k:
        m2 = (m @ m).tocsr()
        m2.setdiag(0)
        m2.eliminate_zeros()
        m2 = top_k(m2, p.two_hop_k)
        m = (m + p.two_hop * m2).tocsr()
    return m


def recency_popularity(sequences: list[list[int]], n_items: int, decay: float = 1.0) -> np.ndarray:
    """Interaction counts where each interaction weighs decay ** (number of later items in its sequence): items
    people took up recently count more (the held-out items are every user's latest)."""
    pop = np.zeros(n_items)
    for s in sequences:
        if len(s):
            np.add.at(pop, np.asarray(s, dtype=np.int64), decay ** np.arange(len(s) - 1, -1, -1, dtype=np.float64))
    return pop


def top_k(m: sp.csr_matrix, k: int) -> sp.csr_matrix:
    m = m.tocsr()
    m.sort_indices()
    indptr, indices, data = m.indptr, m.indices, m.data
    r_out, c_out, v_out = [], [], []
    for r in range(m.shape[0]):
        s, e = indptr[r], indptr[r + 1]
        if e == s:
            continue
        d = data[s:e]
        if e - s > k:
            sel = np.argpartition(-d, k - 1)[:k]
        else:
            sel = np.arange(e - s)
        r_out.append(np.full(len(sel), r))
        c_out.append(indices[s:e][sel])
        v_out.append(d[sel])
    if not r_out:
        return sp.csr_matrix(m.shape, dtype=np.float32)
    return sp.csr_matrix((np.concatenate(v_out), (np.concatenate(r_out), np.concatenate(c_out))), shape=m.shape)


def to_neighbors(m: sp.csr_matrix, item_ids: list[str], digits: int = 6) -> dict[str, list[tuple[str, float]]]:
    """The catalog's `neighbors` mapping: id -> [(id, weight)], strongest first."""
    m = m.tocsr()
    out: dict[str, list[tuple[str, float]]] = {}
    for r in range(m.shape[0]):
        s, e = m.indptr[r], m.indptr[r + 1]
        if e == s:
            continue
        cols, vals = m.indices[s:e], m.data[s:e]
        order = np.lexsort((cols, -vals))
        out[item_ids[r]] = [(item_ids[int(cols[j])], round(float(vals[j]), digits)) for j in order]
    return out


RECIPE_FILE = "neighbors_recipe.json"


@dataclass
class Collaborative:
    """What `build` learns for a catalog: neighbours, popularity per item, and the recipe that made them."""

    recipe: str
    params: NeighborParams
    neighbors: dict[str, list[tuple[str, float]]]
    popularity: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)

    def recipe_json(self) -> dict[str, Any]:
        """What the catalog folder keeps in RECIPE_FILE: the recipe's name and every parameter."""
        return {"recipe": self.recipe, "params": self.params.as_dict(), **self.info}


def sequences_by_user(rows: Iterable[tuple[Any, int, float]]) -> list[list[int]]:
    """(user, item position, time) rows -> each user's items in time order (ties by item position), users in
    sorted order: how the evaluation reads MovieLens (ties by movieId, the catalog's order)."""
    by_user: dict[Any, list[tuple[float, int]]] = {}
    for u, i, t in rows:
        by_user.setdefault(u, []).append((t, i))
    return [[i for _, i in sorted(v)] for _, v in sorted(by_user.items())]


def build(sequences: list[list[int]], item_ids: list[str], recipe: str | NeighborParams) -> Collaborative:
    """Neighbours and popularity of `item_ids` from `sequences` (positions into `item_ids`) with a named recipe of
    RECIPES (or explicit parameters, for tuning)."""
    name, p = (recipe, RECIPES[recipe]) if isinstance(recipe, str) else ("custom", recipe)
    m = learn(sequences, len(item_ids), p)
    nb = to_neighbors(m, item_ids)
    del m
    pop = recency_popularity(sequences, len(item_ids), p.popularity_recency)
    return Collaborative(name, p, nb, pop, {"sequences": len(sequences),
                                             "interactions": int(sum(len(s) for s in sequences))})


def popularity_value(v: float) -> float | int:
    """A popularity as the catalog stores it (4 decimals; whole counts as integers)."""
    v = round(float(v), 4)
    return int(v) if v.is_integer() else v


def train_sequence(sequences: list[list[int]], item_ids: list[str], epochs: int, seed: int = 0,
                   log: Any = None) -> Any:
    """The catalog's sequence model (`chatrec.rank.signals.sequence`) on the same sequences, as the evaluation
    trains it."""
    from chatrec.rank.signals.sequence import SequenceConfig, SequenceModel

    return SequenceModel.train(sequences, item_ids, SequenceConfig(epochs=epochs, seed=seed), log=log)
