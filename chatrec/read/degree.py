"""Vague negated degrees: 'nothing too long', "I don't want anything overly pricey", 'not very old'.

'Too long' names no number, so its negation is no bound of its own: it is read only where the catalog's manifest
says what it means, and is never turned into its opposite. One rule, whatever the negation cue (scope.py says which
words a cue reaches) or degree word (words/bounds_en.json 'degree_words'):
  - the manifest has the phrase ('not too long' -> at most 120 minutes; 'not very long' read as 'not too long'):
    that phrase, read whole and not negated, wherever a negation reaches 'too long';
  - the adjective is a field word with a meaning of its own ('recent', 'short'): its meaning, turned round once
    like any negated phrase ('nothing too recent' = not from the recent years);
  - the adjective only compares on a field (the manifest's comparative 'older' -> 'old', 'more expensive' ->
    'expensive'): no limit, and a note that says so and asks for a number;
  - anything else ('nothing too scary': a genre word) is left to the other rules.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from chatrec.catalog.manifest import FieldSpec
from chatrec.read.bounds import _generic
from chatrec.read.scope import Scope


@dataclass(frozen=True)
class Vague:
    """A negated degree: where 'too <adjective>' is written, the adjective, and the manifest phrase that gives it a
    meaning (field, phrase), if any."""

    start: int
    end: int
    said: str
    adjective: str
    phrase: tuple[str, str] | None


@lru_cache(maxsize=1)
def _degree_re() -> re.Pattern[str]:
    words = sorted(_generic()["degree_words"], key=len, reverse=True)
    return re.compile(rf"(?<![\w-])((?:{'|'.join(map(re.escape, words))}))\s+([a-z][a-z-]*)")


def degrees(low: str, field_phrases: dict[str, tuple[str, str]], scope_at: Callable[[int], Scope | None]) \
        -> list[Vague]:
    """Every 'too <adjective>' of the lower-cased `low` that a negation reaches (`scope_at(pos)`), with the manifest
    phrase that gives it a meaning ('not too <adjective>' or 'not <degree> <adjective>' for any degree word)."""
    out = []
    degree_words = _generic()["degree_words"]
    for m in _degree_re().finditer(low):
        scope = scope_at(m.start())
        if scope is None:
            continue
        adj = m.group(2)
        keys = [f"not {m.group(1)} {adj}", *(f"not {d} {adj}" for d in degree_words)]
        phrase = next((field_phrases[k] for k in keys if k in field_phrases), None)
        near = scope.kind == "pre" and m.start() - 20 <= scope.cue_start < m.start()
        said = low[scope.cue_start: m.end()] if near else m.group(0)
        out.append(Vague(m.start(), m.end(), said, adj, phrase))
    return out


def stems(comparatives: dict[str, str]) -> set[str]:
    """The plain adjectives of a field's comparatives: 'older' -> 'old', 'longer' -> 'long', 'pricier' ->
    'pricey'/'pricy', 'bigger' -> 'big', 'later' -> 'late', 'more expensive' -> 'expensive'."""
    out = set()
    for word in comparatives:
        w = re.sub(r"^(?:more|less)\s+", "", word)
        if w != word:
            out.add(w)
        elif w.endswith("ier"):
            out |= {w[:-3] + "y", w[:-3] + "ey"}
        elif w.endswith("er"):
            out |= {w[:-2], w[:-1]}  # 'older' -> 'old', 'later' -> 'late'
            if len(w) > 4 and w[-3] == w[-4]:
                out.add(w[:-3])  # 'bigger' -> 'big'
    return out


EXAMPLES = {"minutes": "under 2 hours", "year": "after 1990", "USD": "under $50"}


def note(v: Vague, name: str, spec: FieldSpec) -> str:
    """What the reader says about a vague negated degree it set no limit for."""
    label = name.replace("_", " ").replace(" usd", "").replace(" minutes", "")
    example = EXAMPLES.get(spec.unit or "", f"at most 4 {spec.unit}" if spec.unit else "a number")
    return (f"'{v.said}': I can't tell how {v.adjective} is too {v.adjective}, so I set no {label} limit; "
            f"say a number ('{example}')")
