"""What may be shown: one predicate over the catalog for the hard limits, and everything else derived from it.

`violates` is the only place that decides whether an item meets a limit (values compared ignoring case). The
allowed set (`candidates.hard_filter`) is that predicate over the catalog; the index masks its in-memory vectors by
it (`Index.mask`); and the Chroma `where` for a search Chroma does itself (`chroma_where`) lists the stored values
the predicate accepts, so "comedy" and "Comedy" mean the same thing everywhere.
"""
from __future__ import annotations

from typing import Any

from chatrec.catalog.catalog import Catalog
from chatrec.dialogue.state import Constraint

_NOTHING = {"$and": [{"id_never_stored": {"$eq": True}}, {"id_never_stored": {"$eq": False}}]}


def _folded(values: Any) -> set[str]:
    return {str(x).casefold() for x in (values if isinstance(values, list) else [values])}


def field_violation(spec: Any, c: Constraint, v: Any) -> str | None:
    """Why the value `v` of a field described by `spec` breaks `c` ('missing' when empty), or None."""
    if v in (None, "", []):
        return "missing"
    if spec.filter == "range":
        if c.min is not None and v < c.min or c.max is not None and v > c.max:
            return "out of range"
        return None
    vals = _folded(v)
    if c.include and not vals & _folded(list(c.include)):
        return "not included"
    if c.exclude and vals & _folded(list(c.exclude)):
        return "excluded"
    return None


def violates(item: dict[str, Any], name: str, c: Constraint, catalog: Catalog) -> str | None:
    """Why `item` breaks constraint `c` on field `name` ('missing' when it has no value), or None."""
    return field_violation(catalog.manifest.fields[name], c, item.get(name))


def chroma_where(catalog: Catalog, constraints: dict[str, Constraint]) -> tuple[dict[str, Any] | None, bool]:
    """The limits as a Chroma `where` over the metadata `index.metadata` stores, and whether it is exact.

    Built from `field_violation`: a scalar field lists the catalog's stored values the predicate accepts, a
    closed-vocabulary list field the vocabulary words it accepts or rejects (whatever their case in the request).
    Open-vocabulary list fields (people, keywords, tags) are not stored as metadata: the `where` then admits more
    than the predicate (exact is False) and the caller keeps only the allowed set.
    """
    clauses: list[dict[str, Any]] = []
    exact = True
    for name, c in constraints.items():
        spec = catalog.manifest.fields.get(name)
        if spec is None or c.is_empty():
            continue
        if spec.filter == "range":
            if c.min is not None:
                clauses.append({name: {"$gte": c.min}})
            if c.max is not None:
                clauses.append({name: {"$lte": c.max}})
        elif spec.type == "list" and spec.vocabulary:
            words = list(spec.vocabulary)
            inc = [w for w in words if field_violation(spec, Constraint(include=c.include), [w]) is None]
            exc = [w for w in words if field_violation(spec, Constraint(exclude=c.exclude), [w]) == "excluded"]
            clauses.append({f"has__{name}": {"$eq": True}})
            clauses += [{f"{name}__{w}": {"$eq": False}} for w in exc]
            if c.include:
                flags = [{f"{name}__{w}": {"$eq": True}} for w in inc]
                clauses.append(_NOTHING if not flags else flags[0] if len(flags) == 1 else {"$or": flags})
        elif spec.type != "list":
            stored = {it.get(name) for it in catalog.items} - {None, ""}
            ok = sorted(v for v in stored if field_violation(spec, c, v) is None)
            clauses.append({name: {"$in": ok}} if ok else _NOTHING)
        else:
            exact = False
    if not clauses:
        return None, exact
    return (clauses[0] if len(clauses) == 1 else {"$and": clauses}), exact
