"""What one `Ranker.rank` call knows, built once and shared by every score component (`rank/components.py`).

Components score one item at a time; what they need about the whole call (similarity to the liked items, the
co-occurrence sums, the sequence model's z-scores, the era density, the request's year) is computed here once, on
first use, so no component repeats it per item. `CatalogStats` holds what is fixed per catalog (popularity scales,
which items have interaction data) and lives as long as the Ranker.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from chatrec.candidates.sources import public_popularity
from chatrec.catalog.catalog import Catalog
from chatrec.dialogue.state import DialogueState

COLD_NEIGHBOURS = 20  # warm items a new item borrows its collaborative standing from
ERA_BANDWIDTH_YEARS = 5.0  # how far apart in release year two items still count as the same era
ERA_FLOOR = 0.05  # density floor: an item far from every liked year scores 0, one at their centre about 1
ERA_LIKES = 50  # most recent liked items whose years define the user's era


def year_of(item: dict[str, Any]) -> int | None:
    """The item's release year, when it has a usable one."""
    y = item.get("year")
    return int(y) if isinstance(y, (int, float)) or (isinstance(y, str) and y.isdigit()) else None


def era_scores(liked_years: list[int], years: list[int | None]) -> np.ndarray:
    """How typical each item's release year is of the user's liked items: a Gaussian density of liked years
    (bandwidth ERA_BANDWIDTH_YEARS) on a log scale mapped to [0, 1]; 0 for items without a year or users without
    dated likes. Measured on ml-latest-small validation: people keep watching films of the eras they like."""
    out = np.zeros(len(years))
    if not liked_years:
        return out
    hy = np.asarray(liked_years[-ERA_LIKES:], dtype=float)
    for n, y in enumerate(years):
        if y is not None:
            k = float(np.exp(-((y - hy) ** 2) / (2 * ERA_BANDWIDTH_YEARS ** 2)).mean())
            out[n] = math.log((k + ERA_FLOOR) / ERA_FLOOR) / math.log((1 + ERA_FLOOR) / ERA_FLOOR)
    return out


class CatalogStats:
    """Per catalog, computed once per Ranker: the popularity scales and which items have interaction data."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        pops = [float(it.get("popularity") or 0) for it in catalog.items]
        self.max_pop = math.log1p(max(pops)) if pops and max(pops) > 0 else 0.0
        # how many people know each item today (the manifest's `public_popularity` field), on a log scale in [0, 1]
        pub = {it["id"]: math.log1p(public_popularity(catalog, it)) for it in catalog.items}
        top = max(pub.values(), default=0.0)
        self.public = {i: v / top for i, v in pub.items() if v > 0} if top > 0 else {}
        self._warm: tuple[int, np.ndarray, list[str]] | None = None

    def is_warm(self, item_id: str) -> bool:
        """Has interaction data: a popularity or co-occurrence neighbours."""
        return float(self.catalog.by_id[item_id].get("popularity") or 0) > 0 \
            or item_id in self.catalog.learned.neighbors

    def warm_rows(self, pos: dict[str, int], mat: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """Rows of the item matrix (and their ids) of items with interaction data, computed once per matrix."""
        if self._warm is None or self._warm[0] != id(mat):
            rows = sorted((r, i) for i, r in pos.items() if i in self.catalog.by_id and self.is_warm(i))
            self._warm = (id(mat), np.array([r for r, _ in rows], dtype=np.int64), [i for _, i in rows])
        return self._warm[1], self._warm[2]


@dataclass
class RankContext:
    """One rank() call: the state, its weights, the candidates and their vectors; the per-call precomputations are
    cached properties, computed on first use."""

    catalog: Catalog
    state: DialogueState
    weights: dict[str, float]
    ids: list[str]  # the candidates, unique, all in the catalog
    pos: dict[str, int]  # item id -> row of `mat` (the index's unit vectors)
    mat: np.ndarray
    query_vec: np.ndarray
    stats: CatalogStats
    imputation: float  # `cold_start_imputation` of the base weights (the conversation overrides never set it)
    rows: np.ndarray = field(init=False)  # each candidate's row in `mat`, -1 when not indexed
    vecs: np.ndarray = field(init=False)  # each candidate's vector (zeros when not indexed)
    at: dict[str, int] = field(init=False)  # candidate id -> its place in `ids`

    def __post_init__(self) -> None:
        self.rows = np.array([self.pos.get(i, -1) for i in self.ids])
        self.vecs = np.where(self.rows[:, None] >= 0, self.mat[np.maximum(self.rows, 0)], 0.0)
        self.at = {i: n for n, i in enumerate(self.ids)}

    def _max_sim(self, item_ids: list[str]) -> np.ndarray:
        r = [self.pos[i] for i in item_ids if i in self.pos]
        return (self.vecs @ self.mat[r].T).max(axis=1) if r else np.zeros(len(self.ids))

    @cached_property
    def semantic(self) -> np.ndarray:
        return self.vecs @ self.query_vec

    @cached_property
    def liked_similarity(self) -> np.ndarray:
        return self._max_sim(self.state.liked_items)

    @cached_property
    def disliked_similarity(self) -> np.ndarray:
        return self._max_sim([*self.state.disliked_items, *self.state.rejected_items])

    @cached_property
    def collab(self) -> tuple[dict[str, float], float]:
        """Co-occurrence with the liked items, summed (recent likes count more when `co_occurrence_recency` < 1),
        and the largest sum (1.0 when there is none)."""
        decay = self.weights.get("co_occurrence_recency", 1.0)
        out: dict[str, float] = {}
        n_liked = len(self.state.liked_items)
        for k, lid in enumerate(self.state.liked_items):
            r = decay ** (n_liked - 1 - k) if decay != 1.0 else 1.0
            for j, s in self.catalog.learned.neighbors.get(lid, []):
                out[j] = out.get(j, 0.0) + r * s
        return out, max(out.values()) if out else 1.0

    @cached_property
    def owned_collab(self) -> tuple[dict[str, float], float]:
        """The same over the items the user has had (seen, bought) without a verdict, and the largest sum."""
        out: dict[str, float] = {}
        st = self.state
        for oid in dict.fromkeys(o for o in st.owned_items if o not in st.liked_items):
            for j, s in self.catalog.learned.neighbors.get(oid, []):
                out[j] = out.get(j, 0.0) + s
        return out, max(out.values(), default=0.0)

    @cached_property
    def sequence_z(self) -> np.ndarray | None:
        """The sequence model's z-scores after the liked items; None when it has nothing to say or weighs 0."""
        seq = self.catalog.learned.sequence
        return seq.zscores(self.state.liked_items) \
            if seq is not None and self.state.liked_items and self.weights.get("sequence", 0.0) else None

    @cached_property
    def years(self) -> list[int | None]:
        return [year_of(self.catalog.by_id[i]) for i in self.ids]

    @cached_property
    def era(self) -> np.ndarray:
        by_id = self.catalog.by_id
        liked = [y for y in (year_of(by_id[i]) for i in self.state.liked_items if i in by_id) if y is not None]
        return era_scores(liked, self.years) if self.weights.get("era", 0.0) else np.zeros(len(self.ids))

    @cached_property
    def as_of(self) -> int:
        """The request's year: the state's (a replayed history) or this calendar year."""
        return self.state.as_of_year or dt.date.today().year

    @cached_property
    def complements(self) -> set[str]:
        return {c for o in self.state.owned_items for c in self.catalog.by_id.get(o, {}).get("complements", [])}

    @cached_property
    def liked_attributes(self) -> list[str]:
        return self.state.liked_attributes.all() + self.state.soft_preferences

    @cached_property
    def disliked_attributes(self) -> list[str]:
        return self.state.disliked_attributes.all()

    @cached_property
    def shown(self) -> set[str]:
        return set(self.state.shown_items)

    @cached_property
    def has_interactions(self) -> bool:
        return bool(self.stats.max_pop or self.catalog.learned.neighbors)

    def is_cold(self, item_id: str) -> bool:
        """A candidate that is indexed but has no interaction data, in a catalog that has some."""
        return self.has_interactions and self.rows[self.at[item_id]] >= 0 and not self.stats.is_warm(item_id)

    def impute_cold(self, item_id: str, parts: dict[str, Callable[[RankContext, str], float]]) -> dict[str, float]:
        """A new item (no interactions) borrows the collaborative standing of its nearest warm items by content:
        the similarity-weighted mean of each collaborative component in `parts` (name -> its score function), times
        `imputation` (the weights file's `cold_start_imputation`). Without it a new item ranks below every old one,
        whatever it is (measured: below random on held-out new Games items, docs/results.md)."""
        rows, row_ids = self.stats.warm_rows(self.pos, self.mat)
        if not len(rows):
            return {k: 0.0 for k in parts}
        sims = self.mat[rows] @ self.vecs[self.at[item_id]]
        k = min(COLD_NEIGHBOURS, len(sims))
        top = np.argpartition(-sims, k - 1)[:k]
        w = np.maximum(sims[top], 0.0)
        if w.sum() <= 0:
            return {k: 0.0 for k in parts}
        f = self.imputation / w.sum()
        return {name: f * sum(wi * fn(self, row_ids[j]) for wi, j in zip(w, top)) for name, fn in parts.items()}
