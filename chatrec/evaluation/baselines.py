"""Baselines scored in the same harness: each returns a (users, 20) score matrix for a `RankSplit`.

Everything learned is fitted on `split.train_sequences` only (the interactions before the held-out item), so no
method sees a test target. Higher scores are better; ties are resolved at their expected rank by the metrics.
"""
from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np
import scipy.sparse as sp

from chatrec.evaluation.data import RankSplit
from chatrec.evaluation.neighbors import NeighborParams, association, core_collab

TOKEN = re.compile(r"[a-z0-9]+")


def random_scores(split: RankSplit, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random(split.candidates.shape)


def popularity_scores(split: RankSplit) -> np.ndarray:
    return split.popularity()[split.candidates]


# ---------------------------------------------------------------------------------------------------------------------
# BM25 over item text


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text.lower())


class BM25:
    """Okapi BM25 with corpus statistics over every item's text (words, not characters)."""

    def __init__(self, texts: list[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.docs = [Counter(tokens(t)) for t in texts]
        self.len = np.array([sum(d.values()) for d in self.docs], dtype=np.float64)
        self.avg = float(self.len.mean()) if len(self.len) else 1.0
        df: Counter = Counter()
        for d in self.docs:
            df.update(d.keys())
        n = len(self.docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.k1, self.b = k1, b

    def score(self, query: Counter, doc: int) -> float:
        d = self.docs[doc]
        norm = self.k1 * (1 - self.b + self.b * self.len[doc] / self.avg)
        return sum(qf * self.idf.get(t, 0.0) * d[t] * (self.k1 + 1) / (d[t] + norm)
                   for t, qf in query.items() if t in d)


def bm25_scores(split: RankSplit, bm25: BM25 | None = None) -> np.ndarray:
    """The query is the text of the user's history (every token, with its count)."""
    bm25 = bm25 or BM25(split.item_text)
    out = np.zeros(split.candidates.shape)
    for u, (h, cands) in enumerate(zip(split.histories, split.candidates)):
        q: Counter = Counter()
        for i in h:
            q.update(bm25.docs[i])
        out[u] = [bm25.score(q, int(c)) for c in cands]
    return out


# ---------------------------------------------------------------------------------------------------------------------
# Embedding similarity


def centroid_scores(split: RankSplit, vectors: np.ndarray) -> np.ndarray:
    """Cosine between the mean of the history's item vectors and each candidate's vector."""
    out = np.zeros(split.candidates.shape)
    for u, (h, cands) in enumerate(zip(split.histories, split.candidates)):
        c = vectors[h].mean(0)
        nrm = np.linalg.norm(c)
        out[u] = vectors[cands] @ (c / nrm if nrm > 0 else c)
    return out


# ---------------------------------------------------------------------------------------------------------------------
# Co-occurrence learned from training sequences


COOC_PARAMS = NeighborParams(window=50, gap_decay=1.0, backward=1.0, alpha=0.5, shrink=0.0, k=10_000)


def cooc_scores(split: RankSplit, recency: float = 0.8, params: NeighborParams = COOC_PARAMS,
                matrix: sp.csr_matrix | None = None) -> np.ndarray:
    """Whole-sequence co-occurrence (cosine-normalised), summed over the history with recency decay."""
    m = matrix if matrix is not None else association(split.train_sequences, split.n_items, params)
    return core_collab(m, split.histories, split.candidates, decay=recency)


# ---------------------------------------------------------------------------------------------------------------------
# EASE (Steck, WWW 2019)


def ease_matrix(sequences: list[list[int]], n_items: int, lam: float = 200.0) -> np.ndarray:
    """B = I - P / diag(P), P = (X'X + lam I)^-1, over items seen in training (others keep a zero row/column)."""
    from scipy.linalg import lapack

    rows = np.concatenate([np.full(len(s), u) for u, s in enumerate(sequences) if len(s)])
    cols = np.concatenate([np.asarray(s) for s in sequences if len(s)])
    X = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(sequences), n_items))
    X.data[:] = 1.0
    seen = np.flatnonzero(np.asarray(X.sum(0)).ravel() > 0)
    Xs = X[:, seen]
    G = (Xs.T @ Xs).toarray().astype(np.float32)
    G[np.diag_indices_from(G)] += lam
    c, info = lapack.spotrf(G, lower=1, overwrite_a=1)
    if info != 0:
        raise RuntimeError(f"EASE: Cholesky failed ({info})")
    P, info = lapack.spotri(c, lower=1, overwrite_c=1)
    if info != 0:
        raise RuntimeError(f"EASE: inverse failed ({info})")
    P = np.tril(P) + np.tril(P, -1).T
    B = -P / np.diag(P)[None, :]
    B[np.diag_indices_from(B)] = 0.0
    full = np.zeros((n_items, len(seen)), dtype=np.float32)
    full[seen] = B
    return full, seen


def ease_scores(split: RankSplit, lam: float = 200.0) -> np.ndarray:
    B, seen = ease_matrix(split.train_sequences, split.n_items, lam)
    col = np.full(split.n_items, -1)
    col[seen] = np.arange(len(seen))
    out = np.zeros(split.candidates.shape)
    for u, (h, cands) in enumerate(zip(split.histories, split.candidates)):
        hs = np.unique(np.asarray(h))
        cc = col[cands]
        s = B[hs][:, np.maximum(cc, 0)].sum(0)
        out[u] = np.where(cc >= 0, s, -1e-9)
    return out


# ---------------------------------------------------------------------------------------------------------------------
# Z-score blend (the "known bar" of the issue): co-occurrence, log popularity, embedding, BM25


def zscore(s: np.ndarray) -> np.ndarray:
    sd = s.std(1, keepdims=True)
    return (s - s.mean(1, keepdims=True)) / np.where(sd > 0, sd, 1.0)


def zblend(parts: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    return sum(weights.get(k, 0.0) * zscore(v) for k, v in parts.items())


EASE_LAMBDA = {"games": 100.0, "ml-latest-small": 200.0}


def tune_blend_on_validation(dataset: str, vectors: np.ndarray) -> dict[str, float]:
    """The z-score blend's weights, fitted on the validation split of `dataset` (never the test split)."""
    from chatrec.evaluation.data import load_rank

    val = load_rank(dataset, "valid")
    parts = {"cooc": cooc_scores(val), "popularity": np.log1p(popularity_scores(val)),
             "embedding": centroid_scores(val, vectors), "bm25": bm25_scores(val)}
    return tune_blend(parts, val.target_pos)


def tune_blend(parts: dict[str, np.ndarray], target_pos: np.ndarray, fixed: str = "cooc",
               grid: tuple[float, ...] = (0.0, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5)) -> dict[str, float]:
    """Coordinate ascent on validation NDCG@10 (weight of `fixed` stays 1)."""
    from chatrec.evaluation.metrics import per_user

    w = {k: (1.0 if k == fixed else 0.3) for k in parts}

    def val(ww: dict[str, float]) -> float:
        return float(per_user(zblend(parts, ww), target_pos, ks=(10,))["ndcg@10"].mean())

    best = val(w)
    for _ in range(3):
        for k in parts:
            if k == fixed:
                continue
            for g in grid:
                cand = {**w, k: g}
                v = val(cand)
                if v > best + 1e-6:
                    best, w = v, cand
    return w
