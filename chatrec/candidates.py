"""Candidates: hard constraints decide what may be shown (in code), retrieval decides what is worth ranking."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .catalog import Catalog
from .index import Index, where_filter
from .state import Constraint, DialogueState


def violates(item: dict[str, Any], name: str, c: Constraint, catalog: Catalog) -> str | None:
    """Why `item` breaks constraint `c` on field `name` ('missing' when it has no value), or None."""
    spec = catalog.manifest.fields[name]
    v = item.get(name)
    if v in (None, "", []):
        return "missing"
    if spec.filter == "range":
        if c.min is not None and v < c.min or c.max is not None and v > c.max:
            return "out of range"
    else:
        vals = {x.lower() for x in (v if isinstance(v, list) else [v])}
        if c.include and not vals & {x.lower() for x in c.include}:
            return "not included"
        if c.exclude and vals & {x.lower() for x in c.exclude}:
            return "excluded"
    return None


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


def retrieve(index: Index, catalog: Catalog, state: DialogueState, qvec: np.ndarray, allowed: set[str],
             n: int) -> tuple[list[str], dict[str, int]]:
    """Candidates from the query, from neighbours of liked items, from co-occurrence and from the items that have a
    person or keyword the user asked for, all within `allowed`."""
    where = where_filter(catalog, state.active_constraints())
    k = min(len(catalog.items), n * 2)
    got: dict[str, str] = {}
    for i, _ in index.query(catalog, qvec, k, where):
        got.setdefault(i, "query")
    pos, mat = index.matrix(catalog)
    for lid in state.liked_items[-3:]:
        if lid in pos:
            for i, _ in index.query(catalog, mat[pos[lid]], n, where):
                got.setdefault(i, "liked_neighbour")
        for i, _ in catalog.neighbors.get(lid, [])[:n]:
            got.setdefault(i, "co_occurrence")
    for attr in [*state.liked_attributes.people[-3:], *state.liked_attributes.keywords[-3:]]:
        have = [i for i in catalog.attribute_index.get(attr.lower(), []) if i in allowed]
        for i in have[:n]:  # "with Tom Hanks", "about time travel": the most popular that pass the constraints
            got.setdefault(i, "attribute")
    for oid in state.owned_items:
        for cid in catalog.by_id.get(oid, {}).get("complements", []):
            got.setdefault(cid, "complement")
    ids = [i for i in got if i in allowed and i not in state.liked_items and i not in state.owned_items]
    sources: dict[str, int] = {}
    for i in ids:
        sources[got[i]] = sources.get(got[i], 0) + 1
    return ids, sources
