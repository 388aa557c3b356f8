"""Hybrid ranking: visible score components, weights from a committed file, and the LLM's Yes/No judgement
applied to a short head of the list where it can change close calls.

The components are registered in `rank/components.py` (one function each, with its weight name); what they share
about one call is computed once in `rank/context.py`. This module weighs them, orders, and asks the judge."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from chatrec.catalog.catalog import Catalog
from chatrec.catalog.index import Embedder, Index
from chatrec.dialogue.state import DialogueState
from chatrec.explain.prompts import render
from chatrec.llm.models import ChatModel
from chatrec.rank.components import COMPONENTS, weight_of
from chatrec.rank.context import CatalogStats, RankContext

WEIGHTS_FILE = Path(__file__).with_name("ranking_weights.json")
JUDGE_HEAD = 6  # head the eval judge re-scores when CHATREC_N_LLM_SCORED is 0 (the product default is 6)


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
    """One ranked item: its score and every component that made it (name -> value before weighting)."""

    model_config = ConfigDict(extra="forbid")
    item_id: str
    score: float
    components: dict[str, float]


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
        self._stats = CatalogStats(catalog)  # popularity scales and the warm items, once per catalog

    def judge_messages(self, state: DialogueState) -> list[dict[str, str]]:
        """System prompt (same for every user of the catalog) then this user's profile: both stable prefixes."""
        noun = self.catalog.manifest.item_noun
        titles = {i: self.catalog.label(it) for i, it in self.catalog.by_id.items()}
        return [{"role": "system", "content": render("judge_system.j2", noun=noun)},
                {"role": "user", "content": render("judge_profile.j2",
                                                   profile=state.summary(self.catalog.manifest, titles))}]

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
        ctx = RankContext(cat, state, w, ids, pos, mat, query_vec, self._stats,
                          self.weights.weights.get("cold_start_imputation", 0.0))
        active = [c for c in COMPONENTS.values() if c.applies(ctx)]
        borrowed = {c.name: c.score for c in active if c.collaborative}
        out: list[Scored] = []
        for i in ids:
            comp = {c.name: c.score(ctx, i) for c in active}
            if ctx.is_cold(i):  # indexed but without interaction data: borrow from its content neighbours
                comp.update(ctx.impute_cold(i, borrowed))
                comp["cold_start"] = 1.0
            score = sum(w.get(weight_of(k), 0.0) * v for k, v in comp.items())
            out.append(Scored(item_id=i, score=score, components=comp))
        out.sort(key=lambda s: (-s.score, s.item_id))
        if use_llm and self.llm is not None and self.n_llm > 0 and w.get("llm", 0.0) != 0.0:
            head = out[: self.n_llm]
            qs = [render("judge_question.j2", item=item_line(cat, cat.by_id[s.item_id])) for s in head]
            logodds = self.llm.yes_no(self.judge_messages(state), qs, stable=2)
            for s, lo in zip(head, logodds):
                p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, lo))))
                s.components["llm_yes_probability"] = p
                s.score += w["llm"] * (p - 0.5)
            out.sort(key=lambda s: (-s.score, s.item_id))
        return out
