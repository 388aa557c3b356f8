"""Rating prediction ("how would I rate X?"): baseline biases plus an item-neighbourhood correction.

Fitted once on a catalog's ratings (user, item, stars); a user is folded in at prediction time from whatever ratings
they have given (so a chat session with a few rated items works without refitting):

    r(u, i) = mu + b_u + b_i + sum_j s(i, j) (r(u, j) - mu - b_u - b_j) / (sum_j |s(i, j)| + damp)

over the `k` items j the user rated that are most similar to i, where s is the shrunk Pearson correlation of the
baseline residuals (Koren, KDD 2008, "global neighbourhood" without learned weights). The user bias is a regularised
mean of the user's residuals in which recent ratings count more (tastes drift; the held-out ratings are the latest).
With item groups (genres), `group_weight` times the mean over i's groups of the user's regularised mean residual in
that group is added: someone who rates horror a star below their usual keeps doing so (validation RMSE 0.858 ->
0.853 on ml-latest-small).

With item features (`item_features`: the catalog's declared fields, e.g. genres, year, a public audience score), an
item's bias shrinks towards a ridge prediction from its features instead of towards 0, and an item nobody has rated
yet gets that prediction: a quarter of the held-out ratings fall on films with under 5 training ratings, where the
plain bias knows nothing (validation RMSE 0.853 -> 0.835 on ml-latest-small with TMDB's vote average among them).
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp


@dataclass
class RatingModel:
    mu: float
    item_bias: dict[str, float]
    neighbors: dict[str, dict[str, float]] = field(default_factory=dict)
    item_groups: dict[str, list[str]] = field(default_factory=dict)
    group_weight: float = 0.4  # both chosen on the validation split (the last 20% of each user's training ratings)
    lam_group: float = 3.0
    lam_user: float = 5.0
    recency: float = 0.98
    k: int = 30
    damp: float = 1.0
    low: float = 0.5
    high: float = 5.0

    @classmethod
    def fit(cls, ratings: Iterable[tuple[str, str, float]], lam_item: float = 10.0, lam_user: float = 5.0,
            iters: int = 8, n_neighbors: int = 60, shrink: float = 50.0, min_common: int = 3,
            item_groups: Mapping[str, Sequence[str]] | None = None,
            item_features: Mapping[str, Sequence[float]] | None = None, ridge: float = 1.0,
            **kw: float) -> "RatingModel":
        triples = list(ratings)
        users = sorted({u for u, _, _ in triples})
        items = sorted({i for _, i, _ in triples})
        up = {u: n for n, u in enumerate(users)}
        ip = {i: n for n, i in enumerate(items)}
        u_idx = np.array([up[u] for u, _, _ in triples])
        i_idx = np.array([ip[i] for _, i, _ in triples])
        r = np.array([float(x) for _, _, x in triples])
        mu = float(r.mean())
        bu, bi, prior = np.zeros(len(users)), np.zeros(len(items)), np.zeros(len(items))
        n_i, n_u = np.bincount(i_idx, minlength=len(items)), np.bincount(u_idx, minlength=len(users))
        X, beta = _design(items, item_features), None
        for _ in range(iters):  # alternating regularised means; an item's bias shrinks towards its feature prior
            bi = (np.bincount(i_idx, r - mu - bu[u_idx], len(items)) + lam_item * prior) / (n_i + lam_item)
            bu = np.bincount(u_idx, r - mu - bi[i_idx], len(users)) / (n_u + lam_user)
            if X is not None:  # weighted ridge of each item's mean residual on its features
                target = np.bincount(i_idx, r - mu - bu[u_idx], len(items)) / np.maximum(n_i, 1)
                w = n_i / (n_i + lam_item)
                beta = np.linalg.solve(X.T @ (X * w[:, None]) + ridge * np.eye(X.shape[1]), X.T @ (w * target))
                prior = X @ beta
        if X is not None:
            bi = (np.bincount(i_idx, r - mu - bu[u_idx], len(items)) + lam_item * prior) / (n_i + lam_item)
        res = r - mu - bu[u_idx] - bi[i_idx]
        R = sp.csr_matrix((res, (u_idx, i_idx)), shape=(len(users), len(items))).tocsc()
        Bm = sp.csr_matrix((np.ones_like(res), (u_idx, i_idx)), shape=(len(users), len(items))).tocsc()
        sq = R.multiply(R).tocsc()
        nb: dict[str, dict[str, float]] = {}
        for lo in range(0, len(items), 512):  # blocks of rows keep memory at 512 x items, not items x items
            hi = min(lo + 512, len(items))
            num = (R[:, lo:hi].T @ R).toarray()
            n = (Bm[:, lo:hi].T @ Bm).toarray()
            den = np.sqrt(np.maximum((sq[:, lo:hi].T @ Bm).toarray() * (Bm[:, lo:hi].T @ sq).toarray(), 1e-12))
            sim = num / den * (n / (n + shrink))
            sim[n < min_common] = 0.0
            sim[np.arange(hi - lo), np.arange(lo, hi)] = 0.0
            for a in range(lo, hi):
                row = sim[a - lo]
                top = np.argpartition(-np.abs(row), min(n_neighbors, len(row) - 1))[:n_neighbors]
                top = top[row[top] != 0]
                if len(top):
                    nb[items[a]] = {items[b]: float(row[b]) for b in top}
        groups = {i: list(g) for i, g in (item_groups or {}).items() if g}
        biases = {i: float(bi[ip[i]]) for i in items}
        if beta is not None and item_features:  # items nobody rated yet: their feature prior
            for i, f in item_features.items():
                if i not in biases:
                    biases[i] = float(np.dot(np.concatenate([[1.0], np.asarray(f, dtype=float)]), beta))
        return cls(mu, biases, nb, groups, lam_user=lam_user, **kw)

    def save(self, path: Path, k: int = 30) -> None:
        """A compact JSON file beside a catalog (`rating_model.json`): biases, each item's `k` strongest neighbours."""
        nb = {i: dict(sorted(((j, round(s, 4)) for j, s in row.items()), key=lambda t: -abs(t[1]))[:k])
              for i, row in self.neighbors.items()}
        data = {"version": 1, "mu": self.mu, "item_bias": {i: round(b, 5) for i, b in self.item_bias.items()},
                "neighbors": nb, "item_groups": self.item_groups,
                "settings": {"group_weight": self.group_weight, "lam_group": self.lam_group, "lam_user": self.lam_user,
                             "recency": self.recency, "k": self.k, "damp": self.damp, "low": self.low,
                             "high": self.high}}
        path.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "RatingModel":
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(float(data["mu"]), data["item_bias"], data["neighbors"], data["item_groups"], **data["settings"])

    def baseline(self, item: str, user_bias: float = 0.0) -> float:
        return self.mu + user_bias + self.item_bias.get(item, 0.0)

    def user_bias(self, history: Sequence[tuple[str, float]]) -> float:
        """Regularised, recency-weighted mean residual of the user's ratings (oldest first)."""
        if not history:
            return 0.0
        w = self.recency ** np.arange(len(history) - 1, -1, -1, dtype=float)
        res = np.array([x - self.mu - self.item_bias.get(i, 0.0) for i, x in history])
        return float((w * res).sum() / (w.sum() + self.lam_user))

    def group_bias(self, history: Sequence[tuple[str, float]], item: str, user_bias: float) -> float:
        """Mean over the item's groups of the user's regularised mean residual in each group (0 without groups)."""
        mine = self.item_groups.get(item)
        if not mine or not self.group_weight:
            return 0.0
        sums = dict.fromkeys(mine, 0.0)
        counts = dict.fromkeys(mine, 0)
        for j, x in history:
            for g in self.item_groups.get(j, ()):
                if g in sums and j != item:
                    sums[g] += x - self.baseline(j, user_bias)
                    counts[g] += 1
        return float(np.mean([sums[g] / (counts[g] + self.lam_group) for g in mine]))

    def predict(self, history: Sequence[tuple[str, float]] | Mapping[str, float], item: str,
                neighbourhood: bool = True) -> float:
        """Predicted stars for `item` given the user's ratings [(item, stars)] in time order (or a mapping)."""
        hist = list(history.items()) if isinstance(history, Mapping) else list(history)
        b = self.user_bias(hist)
        pred = self.baseline(item, b)
        if neighbourhood:
            pred += self.group_weight * self.group_bias(hist, item, b)
            sims = self.neighbors.get(item, {})
            got = [(sims[j], x - self.baseline(j, b)) for j, x in dict(hist).items() if j in sims and j != item]
            if got:
                got.sort(key=lambda t: -abs(t[0]))
                got = got[: self.k]
                s = np.array([g[0] for g in got])
                d = np.array([g[1] for g in got])
                pred += float((s * d).sum() / (np.abs(s).sum() + self.damp))
        return float(min(self.high, max(self.low, pred)))


def _design(items: list[str], features: Mapping[str, Sequence[float]] | None) -> np.ndarray | None:
    """Intercept + features per training item (zeros for an item without features), or None."""
    if not features:
        return None
    width = len(next(iter(features.values())))
    X = np.zeros((len(items), width + 1))
    X[:, 0] = 1.0
    for n, i in enumerate(items):
        if i in features:
            X[n, 1:] = features[i]
    return X


def item_features(items: Sequence[Mapping[str, Any]], manifest: Any,
                  skip: Iterable[str] = ("id", "popularity")) -> dict[str, list[float]]:
    """Item id -> numbers for the bias prior, from the catalog's declared fields: each number field z-scored (log
    first when it is a skewed count) with its square and a missing flag, and one flag per vocabulary value of list
    and string fields. `popularity` is skipped by default: it counts the very ratings the model is fitted on."""
    cols: list[tuple[str, str, Any]] = []
    stats: dict[str, tuple[bool, float, float]] = {}
    for name, spec in manifest.fields.items():
        if name in skip:
            continue
        if spec.type in ("integer", "number"):
            vals = [float(it[name]) for it in items if isinstance(it.get(name), (int, float))]
            if len(vals) < 2:
                continue
            v = np.array(vals)
            skewed = v.min() >= 0 and v.max() > 20 * max(float(np.median(v)), 1.0)
            v = np.log1p(v) if skewed else v
            stats[name] = (skewed, float(v.mean()), float(v.std()) or 1.0)
            cols += [("num", name, None), ("sq", name, None), ("missing", name, None)]
        elif spec.vocabulary and spec.type in ("list", "string"):
            cols += [("flag", name, value) for value in spec.vocabulary]
    out: dict[str, list[float]] = {}
    for it in items:
        row: list[float] = []
        for kind, name, value in cols:
            if kind == "flag":
                got = it.get(name)
                row.append(1.0 if (value in got if isinstance(got, list) else got == value) else 0.0)
                continue
            x = it.get(name)
            have = isinstance(x, (int, float)) and not isinstance(x, bool)
            skewed, mean, std = stats[name]
            z = ((math.log1p(float(x)) if skewed else float(x)) - mean) / std if have else 0.0
            row.append({"num": z, "sq": z * z, "missing": 0.0 if have else 1.0}[kind])
        out[str(it["id"])] = row
    return out
