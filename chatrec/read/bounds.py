"""Directions as algebra: every comparative or bound word is a bound with a side (min or max) and an edge
(inclusive or not), and a negation over it flips it, once, here.

  'before 1980' = max 1980 exclusive;  'nothing before 1980' = flip = min 1980 inclusive
  'over 150 minutes' = min 150 exclusive;  'nothing over ...' = max 150 inclusive
  '2000 or later' = min 2000 inclusive;  '100 minutes or less' = max 100 inclusive

The generic words are data (words/bounds_en.json: 'at least', 'or later', 'under', 'tops'...); the words of one
field come from the manifest's `comparatives` ('older' lower, 'cheaper' lower): '<word> than X' is an exclusive
bound, 'X or <word>' an inclusive one. An exclusive edge moves by the field's step (a year, a player: whole units;
a spoken duration or price keeps its number: 'under 2 hours' is up to 120 minutes)."""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

Side = Literal["min", "max"]
WORDS = Path(__file__).parent / "words"


@dataclass(frozen=True)
class Bound:
    """One limit on a value: `side` min or max, `inclusive` whether the value itself is allowed."""

    side: Side
    inclusive: bool
    value: float

    def flipped(self) -> "Bound":
        """The negation: not (x < v) is x >= v, not (x <= v) is x > v."""
        return Bound("max" if self.side == "min" else "min", not self.inclusive, self.value)

    def edge(self, step: float) -> float:
        """The value to store as min or max: an exclusive edge moves one `step` inward."""
        if self.inclusive or not step:
            return self.value
        return self.value + step if self.side == "min" else self.value - step


@dataclass(frozen=True)
class Directions:
    """Direction words for one field: before a value ('at least 90') and after it ('1990 or later')."""

    before: dict[str, tuple[Side, bool]]
    after: dict[str, tuple[Side, bool, bool]]  # the third: the word must end the phrase ('from 1990 on')
    before_re: re.Pattern[str]
    after_re: re.Pattern[str]
    enders: frozenset[str]


@lru_cache(maxsize=1)
def _generic() -> dict:
    return json.loads((WORDS / "bounds_en.json").read_text(encoding="utf-8"))


def _alt(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


@lru_cache(maxsize=64)
def _directions(comparatives: tuple[tuple[str, str], ...]) -> Directions:
    g = _generic()
    before: dict[str, tuple[Side, bool]] = {w: (s, inc) for w, (s, inc) in g["before_value"].items()}
    after: dict[str, tuple[Side, bool, bool]] = {w: (v[0], v[1], len(v) > 2 and v[2])
                                                 for w, v in g["after_value"].items()}
    for word, way in comparatives:  # 'older than 1990', '1990 or older'
        side: Side = "max" if way == "lower" else "min"
        before.setdefault(f"{word} than", (side, False))
        after.setdefault(f"or {word}", (side, True, False))
        after.setdefault(f"and {word}", (side, True, False))
    approx = _alt(g["approximate"])
    before_re = re.compile(rf"(?<![\w-])({_alt(before)})\s*(?:(?:{approx})\s+)?\$?\s*$")
    after_re = re.compile(rf"^\s*({_alt(after)})(?![\w])")
    return Directions(before, after, before_re, after_re, frozenset(g["phrase_enders"]))


def directions(comparatives: Mapping[str, str] | None = None) -> Directions:
    """The generic direction words plus a field's comparatives ('shorter' -> 'lower')."""
    return _directions(tuple(sorted((comparatives or {}).items())))


@dataclass(frozen=True)
class Said:
    """A bound as written: the bound, where its words start and end, and where the value starts (where a negation
    must reach for it to flip)."""

    bound: Bound
    start: int
    end: int
    at: int


def direction_around(t: str, start: int, end: int, d: Directions) -> tuple[Side, bool, int, int] | None:
    """The direction words right before `start` or right after `end` of `t`: (side, inclusive, words' start,
    words' end), the words before the value first; None when there are none."""
    m = d.before_re.search(t[max(0, start - 40): start])
    if m:
        side, inc = d.before[m.group(1)]
        return side, inc, start - (len(t[max(0, start - 40): start]) - m.start(1)), end
    m = d.after_re.match(t[end: end + 40])
    if m:
        side, inc, ends = d.after[m.group(1)]
        rest = re.match(r"\s*([a-z]+)", t[end + m.end():])
        if ends and rest and rest.group(1) not in d.enders:
            return None  # '90 minutes on a weeknight' is no bound
        return side, inc, start, end + m.end()
    return None


def read_bounds(t: str, values: re.Pattern[str], number: Callable[[re.Match[str]], float | None], d: Directions,
                skip: Iterable[tuple[int, int]] = ()) -> list[Said]:
    """Every value of `values` in `t` with a direction word next to it, as written (no negation applied)."""
    out = []
    skip = list(skip)
    for m in values.finditer(t):
        if any(a <= m.start() < b for a, b in skip):
            continue
        v = number(m)
        found = direction_around(t, m.start(), m.end(), d) if v is not None else None
        if found and v is not None:
            side, inc, a, b = found
            out.append(Said(Bound(side, inc, v), a, b, m.start()))
    return out


def settle(said: Said, governed: Callable[[int], bool]) -> Bound:
    """The bound meant: flipped when a negation governs the value ('nothing over 2 hours')."""
    return said.bound.flipped() if governed(said.at) else said.bound
