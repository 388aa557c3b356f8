"""Candidates: hard constraints decide what may be shown (`allowed.violates`), retrieval what is worth ranking."""
from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chatrec.candidates.allowed import violates
from chatrec.catalog.catalog import Catalog
from chatrec.catalog.index import Index
from chatrec.dialogue.state import DialogueState

# how many times `n` the public-popularity source brings: on ReDial's tuning half, 3n instead of n put the target among
# the candidates 37.1% of the time instead of 35.2% at the same Recall@10 (docs/results.md section 2b)
PUBLIC_POOL = 3

__all__ = ["Filtered", "candidate_sources", "hard_filter", "query_text", "retrieve", "violates"]


@dataclass
class Filtered:
    """The items that satisfy every hard constraint, and how many each constraint removed."""

    allowed: set[str]
    removed_by: dict[str, int] = field(default_factory=dict)
    missing_by: dict[str, int] = field(default_factory=dict)
    removed_feedback: int = 0


def hard_filter(catalog: Catalog, state: DialogueState) -> Filtered:
    """Apply every active constraint and drop disliked or rejected items; counts feed the reasoning trace."""
    cons = {k: c for k, c in state.active_constraints().items() if k in catalog.manifest.fields}
    excluded = state.excluded_ids()
    out = Filtered(set())
    for it in catalog.items:
        if it["id"] in excluded:
            out.removed_feedback += 1
            continue
        ok = True
        for name, c in cons.items():
            why = violates(it, name, c, catalog)
            if why:
                bucket = out.missing_by if why == "missing" else out.removed_by
                bucket[name] = bucket.get(name, 0) + 1
                ok = False
                break
        if ok:
            out.allowed.add(it["id"])
    return out


def query_text(state: DialogueState, message: str, catalog: Catalog) -> str:
    """The retrieval query: what the user wants in words, liked traits and the latest message."""
    parts = [*state.soft_preferences, *state.liked_attributes.all()]
    liked = [catalog.by_id[i] for i in state.liked_items if i in catalog.by_id]
    parts += [f"like {catalog.title(it)}" for it in liked[-3:]]
    parts.append(message)
    return ". ".join(p for p in parts if p)


@dataclass
class _Lookups:
    """Per-catalog tables retrieval reads every turn, built once: ids by popularity and by vocabulary value."""

    by_popularity: list[str]
    by_value: dict[str, list[str]]  # lower-cased vocabulary value -> ids having it, best known first (`known`)
    has_popularity: bool
    by_public: list[str]  # ids with the manifest's public popularity, highest first; empty without one


def public_popularity(catalog: Catalog, item: dict[str, Any]) -> float:
    """The item's value of the manifest's `public_popularity` field (how many people know it today); 0 without."""
    key = catalog.manifest.public_popularity
    v = item.get(key) if key else None
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else 0.0


_LOOKUPS: dict[int, tuple[Any, _Lookups]] = {}


def lookups(catalog: Catalog) -> _Lookups:
    """The catalog's `_Lookups`, cached while the catalog object lives (catalogs are read-only after loading)."""
    hit = _LOOKUPS.get(id(catalog))
    if hit is not None and hit[0]() is catalog:
        return hit[1]
    order = sorted(catalog.items, key=lambda it: -float(it.get("popularity") or 0))  # stable: catalog order on ties
    public = sorted((it for it in order if public_popularity(catalog, it) > 0),
                    key=lambda it: -public_popularity(catalog, it))
    # a wanted value's best-known items: by public popularity where the catalog has it, then by its own popularity
    known = public + [it for it in order if public_popularity(catalog, it) <= 0]
    by_value: dict[str, list[str]] = {}
    vocab_fields = [k for k, f in catalog.manifest.fields.items() if f.vocabulary]
    for it in known:
        for k in vocab_fields:
            v = it.get(k)
            for x in v if isinstance(v, list) else [v] if v else []:
                by_value.setdefault(str(x).lower(), []).append(it["id"])
    out = _Lookups([it["id"] for it in order], by_value, any(it.get("popularity") for it in catalog.items),
                   [it["id"] for it in public])
    _LOOKUPS[id(catalog)] = (weakref.ref(catalog), out)
    weakref.finalize(catalog, _LOOKUPS.pop, id(catalog), None)
    return out


def _first(ids: list[str], allowed: set[str], n: int, skip: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    out: list[str] = []
    for i in ids:
        if i in allowed and i not in skip:
            out.append(i)
            if len(out) >= n:
                break
    return out


def wanted_values(catalog: Catalog, state: DialogueState) -> list[str]:
    """The vocabulary values (genres, categories...) the user asked for softly, lower-cased, in order."""
    lk = lookups(catalog)
    words = [*state.liked_attributes.all(), *state.soft_preferences]
    return list(dict.fromkeys(w.lower() for w in words if w.lower() in lk.by_value))


def candidate_sources(index: Index, catalog: Catalog, state: DialogueState, qvec: np.ndarray, allowed: set[str],
                      n: int) -> dict[str, list[str]]:
    """Each source's own candidates in its own order, all within `allowed` and never a liked or owned item; a
    source may repeat another's items (the evaluation reports recall per source from this).

    - query: nearest items to the query embedding;
    - vocabulary_popular: the best-known items with the wanted vocabulary values (all of them first), so "a comedy"
      brings the comedies people know, not only the ones whose text is nearest to the word;
    - liked_neighbour: nearest items by content to each of the last liked items;
    - co_occurrence: the items most often liked together with the liked and the owned (seen, bought) items, summed
      over them: an item the user has had says what they know and watch even without a verdict ("I have seen X");
    - sequence: the catalog's sequence model's top next items after the liked items, where the catalog has one;
    - attribute: the work of wanted people and items with wanted keywords, most popular first;
    - public_popular: the PUBLIC_POOL * n items most people know today by the manifest's `public_popularity` field,
      within the limits (catalogs that name one);
    - popular: the best-known items within the limits (catalogs with popularity), a floor under everything else;
    - complement: items that go with what the user owns.
    """
    lk = lookups(catalog)
    skip = set(state.liked_items) | set(state.owned_items)
    mask = index.mask(catalog, allowed)  # the allowed set over the index's rows, for every content query below
    k = min(len(catalog.items), n * 2)
    out: dict[str, list[str]] = {"query": [i for i, _ in index.query(catalog, qvec, k, mask)]}
    values = wanted_values(catalog, state)
    vp: list[str] = []
    if values:
        lists = [lk.by_value[v] for v in values]
        if len(lists) > 1:
            sets = [set(x) for x in lists[1:]]
            vp = _first([i for i in lists[0] if all(i in s for s in sets)], allowed, n, skip)
        for x in lists:
            vp += _first(x, allowed, n, skip)
    out["vocabulary_popular"] = vp
    pos, mat = index.matrix(catalog)
    out["liked_neighbour"] = []
    for lid in state.liked_items[-3:]:
        if lid in pos:
            out["liked_neighbour"] += [i for i, _ in index.query(catalog, mat[pos[lid]], n, mask)]
    collab: dict[str, float] = {}
    for lid in dict.fromkeys([*state.liked_items, *state.owned_items]):
        for j, w in catalog.learned.neighbors.get(lid, []):
            collab[j] = collab.get(j, 0.0) + w
    out["co_occurrence"] = _first(sorted(collab, key=lambda j: -collab[j]), allowed, n * 2, skip)
    out["sequence"] = []
    if catalog.learned.sequence is not None and state.liked_items:
        z = catalog.learned.sequence.zscores(state.liked_items)
        if z is not None:
            order = np.argsort(-np.nan_to_num(z, nan=-np.inf), kind="stable")
            out["sequence"] = _first([catalog.learned.sequence.item_ids[t] for t in order[: n * 4]], allowed, n, skip)
    out["attribute"] = []
    for attr in [*state.liked_attributes.people[-3:], *state.liked_attributes.keywords[-3:]]:
        out["attribute"] += _first(catalog.attribute_index.get(attr.lower(), []), allowed, n, skip)
    out["public_popular"] = _first(lk.by_public, allowed, n * PUBLIC_POOL, skip)
    out["popular"] = _first(lk.by_popularity, allowed, n, skip) if lk.has_popularity else []
    out["complement"] = [c for oid in state.owned_items for c in catalog.by_id.get(oid, {}).get("complements", [])]
    return {src: list(dict.fromkeys(i for i in ids if i in allowed and i not in skip)) for src, ids in out.items()}


def retrieve(index: Index, catalog: Catalog, state: DialogueState, qvec: np.ndarray, allowed: set[str],
             n: int) -> tuple[list[str], dict[str, int]]:
    """Candidates from every source of `candidate_sources`, each item credited to the first source that brought it;
    returns the ids and how many each source contributed."""
    got: dict[str, str] = {}
    for src, ids in candidate_sources(index, catalog, state, qvec, allowed, n).items():
        for i in ids:
            got.setdefault(i, src)
    sources: dict[str, int] = {}
    for src in got.values():
        sources[src] = sources.get(src, 0) + 1
    return list(got), sources
