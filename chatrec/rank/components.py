"""The ranker's score components, one function each, registered by name with the weight that multiplies it.

A score is `sum(weights[c.weight] * c.score(ctx, item_id))` over the registered components, in registration order
(the order `Scored.components` shows them in). Adding a signal is one function here, decorated with `@component`;
what it needs about the whole call it reads from the `RankContext` (`rank/context.py`), which computes it once.
Weights come from `ranking_weights.json` (`rank/ranker.Weights`); a component without a weight there scores 0.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chatrec.rank.context import RankContext

RECENT_RELEASE_YEARS = 4.0  # decay of the new-release bonus: 1 in the request's year, 1/e this many years before
ATTRIBUTE_FIELDS = ("genres", "keywords", "cast", "directors", "tags", "category", "language")

Score = Callable[[RankContext, str], float]


def _always(ctx: RankContext) -> bool:
    return True


@dataclass(frozen=True)
class Component:
    """One visible score component."""

    name: str  # its key in `Scored.components`
    score: Score  # (the call's context, an item id) -> value
    weight: str  # the key in the weights file that multiplies it
    collaborative: bool = False  # learned from interactions: a new item borrows it from its warm content neighbours;
    # such a component must score ANY catalog id (the neighbours are not candidates), so it may not read `ctx.at`
    applies: Callable[[RankContext], bool] = _always  # whether it takes part in this call at all


COMPONENTS: dict[str, Component] = {}

# Weight keys that are not components: the judge and the shape parameters of the components above.
OTHER_WEIGHTS: dict[str, str] = {
    "llm": "multiplies the Yes/No judge's probability - 0.5 on the head of the list (Ranker.rank)",
    "co_occurrence_recency": "per-like decay of the co-occurrence sums, newest like 1 (RankContext.collab)",
    "co_occurrence_power": "power on the normalised co-occurrence sum: < 1 lifts weak association above none",
    "cold_start_imputation": "how much of its content neighbours' standing a new item borrows (ctx.impute_cold)",
}
# Components the ranker adds outside the registry: `cold_start` (1.0 on an item whose collaborative components were
# borrowed; weight `cold_start`, absent = 0) and `llm_yes_probability` (the judge, weighted by `llm` above).
MARKERS: dict[str, str] = {"cold_start": "cold_start", "llm_yes_probability": "llm"}


def component(name: str, *, weight: str | None = None, collaborative: bool = False,
              applies: Callable[[RankContext], bool] = _always) -> Callable[[Score], Score]:
    """Register the decorated function as the component `name` (weighted by `weight`, default `name`)."""
    def register(fn: Score) -> Score:
        if name in COMPONENTS or name in MARKERS:
            raise ValueError(f"score component {name!r} is registered twice")
        COMPONENTS[name] = Component(name, fn, weight or name, collaborative, applies)
        return fn
    return register


def weight_of(name: str) -> str:
    """The weights-file key that multiplies the component `name` (its own name when it is not registered)."""
    c = COMPONENTS.get(name)
    return c.weight if c is not None else MARKERS.get(name, name)


def _attr_match(item: dict[str, Any], attrs: list[str]) -> float:
    if not attrs:
        return 0.0
    hay = " | ".join(str(v).lower() if not isinstance(v, list) else " | ".join(v).lower()
                     for k, v in item.items() if k in ATTRIBUTE_FIELDS)
    return sum(1 for a in attrs if a.lower() in hay) / len(attrs)


# -- the components, in the order they are shown ---------------------------------------------------------------------
@component("semantic")
def semantic(ctx: RankContext, i: str) -> float:
    """How close the item is to what the user asked for (the message embedded)."""
    return float(ctx.semantic[ctx.at[i]])


@component("liked_similarity")
def liked_similarity(ctx: RankContext, i: str) -> float:
    """Content similarity to the closest liked item."""
    return float(ctx.liked_similarity[ctx.at[i]])


@component("disliked_similarity")
def disliked_similarity(ctx: RankContext, i: str) -> float:
    """Content similarity to the closest disliked or rejected item (its weight is negative)."""
    return float(ctx.disliked_similarity[ctx.at[i]])


@component("attribute_match")
def attribute_match(ctx: RankContext, i: str) -> float:
    """Share of the liked attributes and wishes the item has, less the share of the disliked ones."""
    it = ctx.catalog.by_id[i]
    return _attr_match(it, ctx.liked_attributes) - _attr_match(it, ctx.disliked_attributes)


@component("co_occurrence", collaborative=True)
def co_occurrence(ctx: RankContext, i: str) -> float:
    """How often people who liked what the user liked also liked this (normalised, shaped by the power)."""
    collab, cmax = ctx.collab
    v = collab.get(i, 0.0) / cmax if cmax else 0.0
    power = ctx.weights.get("co_occurrence_power", 1.0)
    return v if power == 1.0 else max(v, 0.0) ** power


@component("owned_co_occurrence")
def owned_co_occurrence(ctx: RankContext, i: str) -> float:
    """Co-occurrence with what the user has had without a verdict (seen, bought): what they know and watch."""
    owned, omax = ctx.owned_collab
    return owned.get(i, 0.0) / omax if omax > 0 else 0.0


@component("popularity", collaborative=True)
def popularity(ctx: RankContext, i: str) -> float:
    """The catalog's own interaction count, on a log scale in [0, 1]."""
    max_pop = ctx.stats.max_pop
    return math.log1p(float(ctx.catalog.by_id[i].get("popularity") or 0)) / max_pop if max_pop else 0.0


@component("public_popularity")
def public_popularity(ctx: RankContext, i: str) -> float:
    """How many people know the item today (the manifest's `public_popularity` field), log scale in [0, 1]."""
    return ctx.stats.public.get(i, 0.0)


@component("sequence", collaborative=True, applies=lambda ctx: ctx.sequence_z is not None)
def sequence(ctx: RankContext, i: str) -> float:
    """The sequence model's z-score for the item after the user's likes, in order (0 for items it never saw)."""
    z = ctx.sequence_z
    p = ctx.catalog.learned.sequence.pos.get(i) if z is not None else None
    return float(z[p]) if p is not None and not math.isnan(z[p]) else 0.0


@component("complement")
def complement(ctx: RankContext, i: str) -> float:
    """1 for an item that goes with one the user owns (the catalog's `complements`)."""
    return 1.0 if i in ctx.complements else 0.0


@component("already_shown")
def already_shown(ctx: RankContext, i: str) -> float:
    """1 for a card already shown in this conversation (its weight is negative: let others have a turn)."""
    return 1.0 if i in ctx.shown else 0.0


@component("era")
def era(ctx: RankContext, i: str) -> float:
    """How typical the item's release year is of the liked items' years (`context.era_scores`)."""
    return float(ctx.era[ctx.at[i]])


@component("not_yet_released")
def not_yet_released(ctx: RankContext, i: str) -> float:
    """1 for an item released after the request's year (not out yet; its weight is negative)."""
    y = ctx.years[ctx.at[i]]
    return 1.0 if y is not None and y > ctx.as_of else 0.0


@component("recent_release")
def recent_release(ctx: RankContext, i: str) -> float:
    """People watch what has just come out (measured on ml-latest-small validation, as of each request)."""
    y = ctx.years[ctx.at[i]]
    return math.exp(-(ctx.as_of - y) / RECENT_RELEASE_YEARS) if y is not None and y <= ctx.as_of else 0.0
