"""Hybrid ranking: visible score components, weights from a committed file, and the LLM's Yes/No judgement
applied to a short head of the list where it can change close calls."""
from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from chatrec.candidates.sources import public_popularity
from chatrec.catalog.catalog import Catalog
from chatrec.catalog.index import Embedder, Index
from chatrec.dialogue.state import DialogueState
from chatrec.llm.models import ChatModel

WEIGHTS_FILE = Path(__file__).with_name("ranking_weights.json")
COLD_NEIGHBOURS = 20  # warm items a new item borrows its collaborative standing from
JUDGE_HEAD = 6  # head the eval judge re-scores when CHATREC_N_LLM_SCORED is 0 (the product default is 6)
ERA_BANDWIDTH_YEARS = 5.0  # how far apart in release year two items still count as the same era
ERA_FLOOR = 0.05  # density floor: an item far from every liked year scores 0, one at their centre about 1
ERA_LIKES = 50  # most recent liked items whose years define the user's era
RECENT_RELEASE_YEARS = 4.0  # decay of the new-release bonus: 1 in the request's year, 1/e this many years before


def _year(item: dict[str, Any]) -> int | None:
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


class TalkWeights(BaseModel):
    """Overrides for a state built by talk (the user's own words, a few named films) rather than a rating history:
    tuned on the tuning half of ReDial's test dialogues (`python -m chatrec eval tune-talk`), never on the half or
    split reported."""

    model_config = ConfigDict(extra="forbid")
    weights: dict[str, float] = Field(default_factory=dict)
    how: str = ""
    command: str | None = None
    split: str | None = None
    seed: int | None = None
    date: str | None = None
    tuning: dict[str, Any] = Field(default_factory=dict)


class Weights(BaseModel):
    """Ranking weights and where they came from (the evaluation harness writes this file)."""

    model_config = ConfigDict(extra="forbid")
    weights: dict[str, float]
    conversation: TalkWeights | None = None
    provisional: bool = True
    how: str = ""
    command: str | None = None
    split: str | None = None
    seed: int | None = None
    date: str | None = None
    validation: dict[str, Any] = Field(default_factory=dict)

    def for_state(self, state: DialogueState) -> dict[str, float]:
        """The weights for this state: the conversation overrides once the user has said something (a state
        without turns is a rating history: the LLMRank protocol, the API's liked list)."""
        if self.conversation and self.conversation.weights and any(t.role == "user" for t in state.turns):
            return {**self.weights, **self.conversation.weights}
        return self.weights

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> "Weights":
        return cls.model_validate_json(path.read_text(encoding="utf-8"))


class Scored(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item_id: str
    score: float
    components: dict[str, float]


def _attr_match(item: dict[str, Any], attrs: list[str]) -> float:
    if not attrs:
        return 0.0
    hay = " | ".join(str(v).lower() if not isinstance(v, list) else " | ".join(v).lower()
                     for k, v in item.items() if k in ("genres", "keywords", "cast", "directors", "tags", "category",
                                                        "language"))
    return sum(1 for a in attrs if a.lower() in hay) / len(attrs)


def item_line(catalog: Catalog, item: dict[str, Any]) -> str:
    """A compact, factual line about an item for the LLM judge."""
    bits = [catalog.label(item)]
    for k in ("genres", "category", "keywords", "tags"):
        v = item.get(k)
        if v:
            bits.append(", ".join(v[:6]) if isinstance(v, list) else str(v))
    desc = str(item.get("description") or "").split(". ")[0][:200]
    return "; ".join(bits) + (f". {desc}" if desc else "")


class Ranker:
    """Scores candidates for one state. Stateless between calls: everything per user comes in `state`."""

    def __init__(self, catalog: Catalog, index: Index, embedder: Embedder, llm: ChatModel | None,
                 weights: Weights | None = None, n_llm: int = 8) -> None:
        self.catalog, self.index, self.embedder, self.llm = catalog, index, embedder, llm
        self.weights = weights or Weights.load()
        self.n_llm = n_llm
        pops = [float(it.get("popularity") or 0) for it in catalog.items]
        self._max_pop = math.log1p(max(pops)) if pops and max(pops) > 0 else 0.0
        # how many people know each item today (the manifest's `public_popularity` field), on a log scale in [0, 1]
        pub = {it["id"]: math.log1p(public_popularity(catalog, it)) for it in catalog.items}
        top = max(pub.values(), default=0.0)
        self._public = {i: v / top for i, v in pub.items() if v > 0} if top > 0 else {}
        self._warm: tuple[int, np.ndarray, list[str]] | None = None

    def _is_warm(self, item_id: str) -> bool:
        return float(self.catalog.by_id[item_id].get("popularity") or 0) > 0 or item_id in self.catalog.neighbors

    def _warm_rows(self, pos: dict[str, int], mat: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """Rows of the item matrix (and their ids) of items with interaction data, computed once per matrix."""
        if self._warm is None or self._warm[0] != id(mat):
            rows = sorted((r, i) for i, r in pos.items() if i in self.catalog.by_id and self._is_warm(i))
            self._warm = (id(mat), np.array([r for r, _ in rows], dtype=np.int64), [i for _, i in rows])
        return self._warm[1], self._warm[2]

    def _impute_cold(self, vec: np.ndarray, pos: dict[str, int], mat: np.ndarray,
                     parts: dict[str, Any]) -> dict[str, float]:
        """A new item (no interactions) borrows the collaborative standing of its nearest warm items by content:
        the similarity-weighted mean of each collaborative component in `parts` (co-occurrence, popularity,
        sequence), times the weights file's `cold_start_imputation`. Without it a new item ranks below every old
        one, whatever it is (measured: below random on held-out new Games items, docs/results.md)."""
        rows, row_ids = self._warm_rows(pos, mat)
        if not len(rows):
            return {k: 0.0 for k in parts}
        sims = mat[rows] @ vec
        k = min(COLD_NEIGHBOURS, len(sims))
        top = np.argpartition(-sims, k - 1)[:k]
        w = np.maximum(sims[top], 0.0)
        if w.sum() <= 0:
            return {k: 0.0 for k in parts}
        f = self.weights.weights.get("cold_start_imputation", 0.0) / w.sum()
        return {name: f * sum(wi * fn(row_ids[j]) for wi, j in zip(w, top)) for name, fn in parts.items()}

    def judge_messages(self, state: DialogueState) -> list[dict[str, str]]:
        """System prompt (same for every user of the catalog) then this user's profile: both stable prefixes."""
        noun = self.catalog.manifest.item_noun
        titles = {i: self.catalog.label(it) for i, it in self.catalog.by_id.items()}
        return [{"role": "system", "content": f"You judge whether a user would enjoy a {noun}, given their "
                 f"profile. Answer with one word: Yes or No."},
                {"role": "user", "content": "User profile:\n" + state.summary(self.catalog.manifest, titles)}]

    def rank(self, state: DialogueState, candidate_ids: list[str], query_vec: np.ndarray | None = None,
             use_llm: bool = True) -> list[Scored]:
        """Score and order candidates; every component stays visible in `components`."""
        w = self.weights.for_state(state)
        cat = self.catalog
        ids = [i for i in dict.fromkeys(candidate_ids) if i in cat.by_id]
        if not ids:
            return []
        pos, mat = self.index.matrix(cat)
        if query_vec is None:
            from chatrec.candidates.sources import query_text

            query_vec = self.embedder.embed([query_text(state, "", cat)])[0]
        rows = np.array([pos.get(i, -1) for i in ids])
        vecs = np.where(rows[:, None] >= 0, mat[np.maximum(rows, 0)], 0.0)

        def max_sim(item_ids: list[str]) -> np.ndarray:
            r = [pos[i] for i in item_ids if i in pos]
            return (vecs @ mat[r].T).max(axis=1) if r else np.zeros(len(ids))

        liked_sim = max_sim(state.liked_items)
        disliked_sim = max_sim([*state.disliked_items, *state.rejected_items])
        semantic = vecs @ query_vec
        collab: dict[str, float] = {}
        # optional shape parameters (absent = 1.0 = plain sum): recent likes count more, and a power < 1 lifts
        # weak-but-present association above none at all
        decay = w.get("co_occurrence_recency", 1.0)
        power = w.get("co_occurrence_power", 1.0)
        n_liked = len(state.liked_items)
        for k, lid in enumerate(state.liked_items):
            r = decay ** (n_liked - 1 - k) if decay != 1.0 else 1.0
            for j, s in cat.neighbors.get(lid, []):
                collab[j] = collab.get(j, 0.0) + r * s
        # the same over the items the user has had (seen, bought) without a verdict: what they know and watch
        owned_collab: dict[str, float] = {}
        for oid in dict.fromkeys(o for o in state.owned_items if o not in state.liked_items):
            for j, s in cat.neighbors.get(oid, []):
                owned_collab[j] = owned_collab.get(j, 0.0) + s
        omax = max(owned_collab.values(), default=0.0)
        cmax = max(collab.values()) if collab else 1.0

        def co(i: str) -> float:
            v = collab.get(i, 0.0) / cmax if cmax else 0.0
            return v if power == 1.0 else max(v, 0.0) ** power
        def pop(i: str) -> float:
            return math.log1p(float(cat.by_id[i].get("popularity") or 0)) / self._max_pop if self._max_pop else 0.0
        has_interactions = bool(self._max_pop or cat.neighbors)
        seq_z = cat.sequence.zscores(state.liked_items) \
            if cat.sequence is not None and state.liked_items and w.get("sequence", 0.0) else None

        def seq(i: str) -> float:
            p = cat.sequence.pos.get(i) if seq_z is not None else None
            return float(seq_z[p]) if p is not None and not math.isnan(seq_z[p]) else 0.0
        parts = {"co_occurrence": co, "popularity": pop, **({"sequence": seq} if seq_z is not None else {})}
        years = [_year(cat.by_id[i]) for i in ids]
        liked_years = [y for y in (_year(cat.by_id[i]) for i in state.liked_items if i in cat.by_id) if y is not None]
        era = era_scores(liked_years, years) if w.get("era", 0.0) else np.zeros(len(ids))
        as_of = state.as_of_year or dt.date.today().year
        complements = {c for o in state.owned_items for c in cat.by_id.get(o, {}).get("complements", [])}
        liked_attrs = state.liked_attributes.all() + state.soft_preferences
        disliked_attrs = state.disliked_attributes.all()
        shown = set(state.shown_items)
        out: list[Scored] = []
        for n, i in enumerate(ids):
            it = cat.by_id[i]
            comp = {
                "semantic": float(semantic[n]),
                "liked_similarity": float(liked_sim[n]),
                "disliked_similarity": float(disliked_sim[n]),
                "attribute_match": _attr_match(it, liked_attrs) - _attr_match(it, disliked_attrs),
                "co_occurrence": co(i),
                "owned_co_occurrence": owned_collab.get(i, 0.0) / omax if omax > 0 else 0.0,
                "popularity": pop(i),
                "public_popularity": self._public.get(i, 0.0),
                **({"sequence": seq(i)} if seq_z is not None else {}),
                "complement": 1.0 if i in complements else 0.0,
                "already_shown": 1.0 if i in shown else 0.0,
                "era": float(era[n]),
                "not_yet_released": 1.0 if years[n] is not None and years[n] > as_of else 0.0,
                # people watch what has just come out (measured on ml-latest-small validation, as of each request)
                "recent_release": math.exp(-(as_of - years[n]) / RECENT_RELEASE_YEARS)
                if years[n] is not None and years[n] <= as_of else 0.0,
            }
            if has_interactions and rows[n] >= 0 and not self._is_warm(i):
                comp.update(self._impute_cold(vecs[n], pos, mat, parts))
                comp["cold_start"] = 1.0
            score = sum(w.get(k, 0.0) * v for k, v in comp.items())
            out.append(Scored(item_id=i, score=score, components=comp))
        out.sort(key=lambda s: (-s.score, s.item_id))
        if use_llm and self.llm is not None and self.n_llm > 0 and w.get("llm", 0.0) != 0.0:
            head = out[: self.n_llm]
            qs = [f"{item_line(cat, cat.by_id[s.item_id])}\nWould this user enjoy it? Answer Yes or No." for s in head]
            logodds = self.llm.yes_no(self.judge_messages(state), qs, stable=2)
            for s, lo in zip(head, logodds):
                p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, lo))))
                s.components["llm_yes_probability"] = p
                s.score += w["llm"] * (p - 0.5)
            out.sort(key=lambda s: (-s.score, s.item_id))
        return out
