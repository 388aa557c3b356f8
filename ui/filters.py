"""Filter controls derived from a catalog's manifest, and the conversion between their values and
`state.constraints` (the hard limits the core applies).

- `range` fields (year, runtime_minutes, price_usd) -> two sliders, "from" and "up to", bounded by the catalog's
  real values; a slider left at its bound means "no limit".
- `include_exclude` fields with a vocabulary (genres, age_rating, category), or with few distinct values in the
  data (language) -> a multiselect of EXCLUDED values.
- `member` fields (cast, directors, keywords, tags) have open vocabularies: they come from the chat ("with Tom
  Hanks") and show in the preference panel, where they can be removed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from chatrec.catalog.catalog import Catalog

from .cards import field_label

MAX_DERIVED_CHOICES = 40


@dataclass
class Control:
    """One filter control: which field, which part of its constraint ("min", "max", "exclude") and its bounds."""

    field: str
    part: str
    label: str
    lo: float = 0.0
    hi: float = 0.0
    step: float = 1.0
    choices: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.field}.{self.part}"


def controls_for(cat: Catalog) -> list[Control]:
    """The controls a catalog's manifest asks for, in manifest order."""
    out: list[Control] = []
    for name, spec in cat.manifest.filterable().items():
        values = [it.get(name) for it in cat.items if it.get(name) not in (None, "", [])]
        label = field_label(name)
        unit = f" ({spec.unit})" if spec.unit and spec.unit != "year" else ""
        if spec.filter == "range" and values:
            lo, hi = float(min(values)), float(max(values))
            lo, hi = math.floor(lo), math.ceil(hi)
            step = 1.0
            out.append(Control(name, "min", f"{label}{unit}: from", lo, hi, step))
            out.append(Control(name, "max", f"{label}{unit}: up to", lo, hi, step))
        elif spec.filter == "include_exclude":
            choices = list(spec.vocabulary or [])
            if not choices:
                seen = sorted({v for x in values for v in (x if isinstance(x, list) else [x])}, key=str)
                if len(seen) > MAX_DERIVED_CHOICES:
                    continue
                choices = [str(v) for v in seen]
            out.append(Control(name, "exclude", f"Exclude {label.lower()}", choices=choices))
    return out


def values_from_state(controls: list[Control], constraints: dict[str, Any] | None) -> list[Any]:
    """What each control should show for the given `state.constraints` (bounds where unconstrained)."""
    constraints = constraints or {}
    vals: list[Any] = []
    for c in controls:
        con = constraints.get(c.field) or {}
        if c.part in ("min", "max"):
            v = con.get(c.part)
            default = c.lo if c.part == "min" else c.hi
            vals.append(default if v is None else min(max(float(v), c.lo), c.hi))
        else:
            vals.append([v for v in con.get("exclude") or [] if v in c.choices])
    return vals


def constraints_from_values(controls: list[Control], values: list[Any],
                            current: dict[str, Any] | None) -> dict[str, Any]:
    """New `state.constraints`: the controls' fields replaced by their values, every other part kept as it was
    (member constraints from the chat, `include` lists, excluded values a control cannot show)."""
    out = {k: dict(v) for k, v in (current or {}).items()}
    for c, v in zip(controls, values):
        con = out.setdefault(c.field, {"min": None, "max": None, "include": [], "exclude": []})
        if c.part in ("min", "max"):
            bound = c.lo if c.part == "min" else c.hi
            num = None if v is None or v == "" else float(v)
            if num is not None and not math.isfinite(num):
                num = None
            at_bound = num is None or (num <= c.lo if c.part == "min" else num >= c.hi)
            con[c.part] = None if at_bound or num == bound else num
        else:
            hidden = [x for x in con.get("exclude") or [] if x not in c.choices]
            con["exclude"] = hidden + [x for x in (v or []) if x in c.choices]
    for c in controls:  # min above max: swap, the user surely meant the range between them
        con = out.get(c.field) or {}
        if con.get("min") is not None and con.get("max") is not None and con["min"] > con["max"]:
            con["min"], con["max"] = con["max"], con["min"]
    return {k: v for k, v in out.items()
            if v.get("min") is not None or v.get("max") is not None or v.get("include") or v.get("exclude")}
