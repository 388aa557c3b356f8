"""Hard constraints code reads for certain: quantities with units, dates (absolute and relative), vocabulary values
(negated, 'only', ordinal bounds such as 'PG-13 or lower') and the manifest's phrases ('no subtitles').

Which field a rule reads is found from the manifest (unit 'minutes', unit 'year', unit 'USD'; include/exclude
fields with their words), never from the catalog's name. Every bound is read by `bounds.py` (a side and an edge
from the direction words, turned round once when a negation governs it: `reader.governs`).
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from chatrec.catalog.catalog import Catalog
from chatrec.catalog.manifest import FieldSpec, PhraseEffect
from chatrec.dialogue.state import Constraint, DialogueState
from chatrec.read.bounds import Bound, Said, direction_around, directions, read_bounds, settle
from chatrec.read.lexicon import Lexicon
from chatrec.read.reader import Mention, find_mentions, governs, normalise_numbers

DECADE = re.compile(r"\b(?:the\s+)?(?:(19|20)(\d)0|'?(\d)0)'?s\b")
YEAR = re.compile(r"(?<![\d$.])(1[89]\d\d|20\d\d)(?![\d%]|\s*(?:minutes?|mins?|dollars|bucks|usd)\b)")
DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(?:minutes?|mins?|min|m)\b")
MONEY = re.compile(r"\$\s*(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s*(?:dollars|usd|bucks)\b|"
                   r"(\d+(?:\.\d+)?)(?![\d.])(?!\s*(?:%|percent|[a-z]))")  # a bare number: a price, with a direction


# 'only comedies', 'nothing but westerns', "I don't want anything but comedies": the value is the only one allowed
ONLY = re.compile(r"(?<!not )\b(?:only|just|strictly|nothing but|nothing except|nothing other than|"
                  r"(?:don'?t|do not) want anything (?:but|except|other than))\s+(?:[\w'-]+\s+){0,2}?$")


def year_now(state: DialogueState) -> int:
    """The request's year: the state's as_of_year (replayed history) or this calendar year."""
    return state.as_of_year or date.today().year


def step(spec: FieldSpec) -> float:
    """How far an exclusive edge moves: whole years and counts by one ('before 1990' is up to 1989); a spoken
    duration or price keeps its number ('under 2 hours' is up to 120 minutes, 'under $50' up to $50)."""
    return 1.0 if spec.type == "integer" and spec.unit != "minutes" else 0.0


def _put(c: dict[str, Constraint], name: str, b: Bound, spec: FieldSpec) -> None:
    setattr(c.setdefault(name, Constraint()), b.side, b.edge(step(spec)))


def _bounds(t: str, name: str, spec: FieldSpec, values: re.Pattern[str], lex: Lexicon | None,
            c: dict[str, Constraint], used: list[tuple[int, int]]) -> None:
    """Each value of `values` with a direction word, as a bound on the field (flipped where a negation governs)."""
    def number(m: re.Match[str]) -> float | None:
        got = next((g for g in m.groups() if g is not None), None)
        return float(got) if got is not None else None

    for said in read_bounds(t, values, number, directions(spec.comparatives), used):
        _put(c, name, settle(said, lambda p: governs(t, p, lex)), spec)
        used.append((said.start, said.end))


def _decade(m: re.Match[str]) -> int:
    cent = m.group(1) or ("19" if (m.group(3) or "0") >= "3" else "20")
    return int(cent + (m.group(2) or m.group(3)) + "0")


def negated_decade(text: str, lex: Lexicon | None = None) -> int | None:
    """The first year of a decade the user rules out ('not from the 90s', 'no 80s movies'), or None; a decade with
    a direction word is a bound ('nothing before the 90s'), not this."""
    low = text.lower()
    d = directions()
    for m in DECADE.finditer(low):
        if governs(low, m.start(), lex) and direction_around(low, m.start(), m.end(), d) is None:
            return _decade(m)
    return None


def _runtime(t: str, name: str, spec: FieldSpec, lex: Lexicon | None, c: dict[str, Constraint],
             removed: list[str]) -> None:
    """Durations, all in minutes after `normalise_numbers`: ranges, bounds, and a bare length ('90 minutes or
    so', '2 hours') as the most the user has time for."""
    used: list[tuple[int, int]] = []
    m = re.search(r"\b(?:between\s*)?(\d+)\s*(?:and|-|–|to)\s*(\d+(?:\.\d+)?)\s*(?:minutes?|mins?)\b", t)
    if m and (m.group(0).startswith("between") or not re.search(r"\band\b", m.group(0))):
        c.setdefault(name, Constraint()).min, c[name].max = float(m.group(1)), float(m.group(2))
        used.append(m.span())
    _bounds(t, name, spec, DURATION, lex, c, used)
    for m in DURATION.finditer(t):
        if any(a <= m.start() < b for a, b in used) or governs(t, m.start(), lex):
            continue
        setattr(c.setdefault(name, Constraint()), "max", float(m.group(1)))
    if re.search(r"\b(any length|don'?t care (about|how) long|length doesn'?t matter)\b", t):
        removed.append(name)


def _years(t: str, name: str, spec: FieldSpec, now: int, lex: Lexicon | None, c: dict[str, Constraint],
           removed: list[str]) -> None:
    """Ranges, decades, years with a direction ('before 1980', '2000 or later'), 'a movie from 1994', and years
    relative to the request's year ('the last 10 years', 'this century'), each turned round under a negation."""
    used: list[tuple[int, int]] = []
    m = re.search(r"\b(?:(?:between|from)\s*)?(1[89]\d\d|20\d\d)\s*(?:and|to|until|till|through|-|–)\s*"
                  r"(1[89]\d\d|20\d\d)\b", t)
    if m and (re.match(r"between|from", m.group(0)) or not re.search(r"\band\b", m.group(0))):
        c.setdefault(name, Constraint()).min, c[name].max = sorted((float(m.group(1)), float(m.group(2))))
        used.append(m.span())
    _bounds(t, name, spec, YEAR, lex, c, used)
    for m in re.finditer(r"\bfrom\s*(1[89]\d\d|20\d\d)\b", t):
        if not any(a <= m.start(1) < b for a, b in used) and not governs(t, m.start(1), lex):
            c.setdefault(name, Constraint()).min = c[name].max = float(m.group(1))  # "a movie from 1994"
    d = directions(spec.comparatives)
    for m in DECADE.finditer(t):
        if any(a <= m.start() < b for a, b in used) or \
                re.search(r"\b\d+\s*(?:minutes|mins)\b", t[m.start(): m.end() + 8]):
            continue
        first = _decade(m)
        found = direction_around(t, m.start(), m.end(), d)
        if found:  # 'before the 90s' = before 1990; 'after the 80s' = after 1989; 'the 90s or later' = from 1990
            side, inc, a, b = found
            b_ = Bound(side, inc, float(first if (side == "min") == inc else first + 9))
            _put(c, name, settle(Said(b_, a, b, m.start()), lambda p: governs(t, p, lex)), spec)
        elif not governs(t, m.start(), lex):  # "not from the 90s" cannot be one range: no limit (understand notes it)
            c.setdefault(name, Constraint()).min, c[name].max = first, first + 9
        break
    m = re.search(r"\b(?:last|past)\s+(\d+|few|couple(?: of)?)\s+(years|yrs|decades)\b"
                  r"|\b(?:last|past)\s+(decade|year)\b", t)
    if m:
        n = {"few": 3, "couple": 2, "couple of": 2}.get(m.group(1) or "", None) or int(m.group(1) or 1)
        since = Bound("min", True, now - n * (10 if (m.group(2) or m.group(3) or "").startswith("decade") else 1))
        _put(c, name, settle(Said(since, m.start(), m.end(), m.start()), lambda p: governs(t, p, lex)), spec)
    for pattern, first in ((r"\b(?:this|the 21st|the twenty-first|21st) century\b", now // 100 * 100),
                           (r"\bthis decade\b", now // 10 * 10)):
        m = re.search(pattern, t)
        if m:
            _put(c, name, settle(Said(Bound("min", True, first), m.start(), m.end(), m.start()),
                                 lambda p: governs(t, p, lex)), spec)
    if re.search(r"\b(any year|any decade|don'?t care (about|how) old)\b", t):
        removed.append(name)


def _price(t: str, name: str, spec: FieldSpec, lex: Lexicon | None, c: dict[str, Constraint]) -> None:
    used: list[tuple[int, int]] = []
    for m in re.finditer(r"budget(?: of| is)?\s*\$?\s*(\d+(?:\.\d+)?)", t):
        c.setdefault(name, Constraint()).max = float(m.group(1))
        used.append(m.span())
    m = re.search(r"\bbetween\s*\$?\s*(\d+(?:\.\d+)?)\s*(?:and|to|-)\s*\$?\s*(\d+(?:\.\d+)?)", t)
    if m:
        c.setdefault(name, Constraint()).min, c[name].max = sorted((float(m.group(1)), float(m.group(2))))
        used.append(m.span())
    _bounds(t, name, spec, MONEY, lex, c, used)


def _ordinal(low: str, m: Mention, spec: FieldSpec, lex: Lexicon | None) -> list[str] | None:
    """'PG-13 or lower' / 'up to PG-13' / 'nothing above PG-13' -> the values up to PG-13 in the manifest's order
    (and the other way for 'or higher' / 'at least'): the same direction words and flip as numbers, on the value's
    place in the order; None when the mention has no direction."""
    order = spec.order or []
    if m.value not in order:
        return None
    start = m.start - len(re.search(r"(?:rated\s+)?$", low[:m.start]).group(0))  # type: ignore[union-attr]
    found = direction_around(low, start, m.end, directions(spec.comparatives))
    if found is None:
        return None
    side, inc, a, b = found
    bound = settle(Said(Bound(side, inc, float(order.index(m.value))), a, b, m.start), lambda p: governs(low, p, lex))
    i = int(bound.edge(1))
    return order[i:] if bound.side == "min" else order[: i + 1]


def _apply_phrase(effect: PhraseEffect, negative: bool, field: str, spec: FieldSpec, now: int,
                  c: dict[str, Constraint]) -> None:
    """A manifest phrase's effect on its field ('no subtitles' -> English only); said negated, include and exclude
    swap and a one-sided range turns round like any bound ('nothing recent': before the recent years)."""
    cur = c.setdefault(field, Constraint())
    inc, exc = (effect.exclude, effect.include) if negative else (effect.include, effect.exclude)
    cur.include = sorted({*cur.include, *inc})
    cur.exclude = sorted({*cur.exclude, *exc})
    lo = effect.min if effect.min is not None else (now - effect.since_years_ago
                                                     if effect.since_years_ago is not None else None)
    hi = effect.max if effect.max is not None else (now - effect.until_years_ago
                                                     if effect.until_years_ago is not None else None)
    bounds = [Bound("min", True, lo)] if lo is not None else []
    bounds += [Bound("max", True, hi)] if hi is not None else []
    if negative and len(bounds) != 1:
        return  # 'not in the golden age' (a closed range) cannot be one bound: no limit
    for b in bounds:
        b = b.flipped() if negative else b
        if getattr(cur, b.side) is None:
            setattr(cur, b.side, b.edge(step(spec)))


def _values(low: str, mentions: list[Mention], catalog: Catalog, now: int, c: dict[str, Constraint],
            removed: list[str]) -> None:
    """Include/exclude fields from the mentions of their values and phrases."""
    fields = catalog.manifest.filterable()
    lex = catalog.lexicon
    by_value: dict[tuple[str, str], list[Mention]] = {}
    for m in mentions:
        spec = fields.get(m.field or "")
        if spec is None or spec.filter != "include_exclude" or m.neutral:
            continue
        if m.value in spec.phrases:
            _apply_phrase(spec.phrases[m.value], m.negated, m.field or "", spec, now, c)
        else:
            by_value.setdefault((m.field or "", m.value), []).append(m)
    for (name, value), said in by_value.items():
        spec = fields[name]
        ordinal = _ordinal(low, said[-1], spec, lex)
        if ordinal is not None:  # its own words carry any negation: 'nothing above PG-13', 'no higher than PG'
            c.setdefault(name, Constraint()).include = sorted({*c.setdefault(name, Constraint()).include, *ordinal})
        elif all(m.negated for m in said):
            c.setdefault(name, Constraint()).exclude = sorted({*c.setdefault(name, Constraint()).exclude, value})
        elif spec.mention == "hard" or any(ONLY.search(low[max(0, m.start - 40): m.start]) for m in said):
            c.setdefault(name, Constraint()).include = sorted({*c.setdefault(name, Constraint()).include, value})
        if any(re.search(r"\b(i don'?t mind|ok with|fine with|okay with|allow|bring back)\s+(?:[\w'-]+\s+){0,2}?$",
                         low[max(0, m.start - 40): m.start]) for m in said):
            removed.append(f"{name}:{value}")
            if name in c:
                c[name].exclude = [x for x in c[name].exclude if x != value]


def _comparatives(low: str, refs: list[tuple[int, dict[str, Any]]], fields: dict[str, FieldSpec],
                  lex: Lexicon | None, out: dict[str, Constraint]) -> None:
    """'shorter', 'older than Alien', 'cheaper': a bound just past the reference items' value (the manifest's
    comparative words say which field and which way; a negation turns it round: 'nothing older than Alien').
    `refs`: (where the item is named, or -1; item). A word followed by 'than' compares with the next named item
    only ('newer than Psycho but older than Jaws')."""
    preset = set(out)  # a number the user wrote wins over a comparison
    for name, spec in fields.items():
        if spec.filter != "range":
            continue
        for word, way in spec.comparatives.items():
            for m in re.finditer(rf"\b{re.escape(word)}\b", low):
                if name in preset:
                    break
                named = [(p, r) for p, r in refs if p >= m.end()] if re.match(r"\s+than\b", low[m.end():]) else []
                use = [min(named, key=lambda x: x[0])[1]] if named else [r for _, r in refs]
                vals = [r[name] for r in use if r.get(name) is not None]
                if not vals:
                    continue
                b = Bound("max", False, min(vals)) if way == "lower" else Bound("min", False, max(vals))
                b = b.flipped() if governs(low, m.start(), lex) else b
                # an item is no round number: 'shorter than Heat' leaves Heat out (a minute, a year, a cent less)
                edge = b.edge(1) if spec.type == "integer" else \
                    round(b.value * (1 if b.inclusive else 0.99 if b.side == "max" else 1.01), 2)
                setattr(out.setdefault(name, Constraint()), b.side, edge)


def rule_constraints(text: str, catalog: Catalog, state: DialogueState, mentions: list[Mention] | None = None,
                     refs: list[tuple[int, dict[str, Any]]] | None = None) -> tuple[dict[str, Constraint], list[str]]:
    """Constraints code can read for certain, and the constraints the user lifted ('any length', 'I don't mind
    horror' as 'genres:Horror'). `mentions`: the message's catalog mentions, when the caller has them already;
    `refs`: the items a comparison is with (named, pointed at or last shown), with where each is named (-1: not
    written)."""
    fields = catalog.manifest.filterable()
    lex = catalog.lexicon
    out: dict[str, Constraint] = {}
    removed: list[str] = []
    low = text.lower()
    t = normalise_numbers(low)
    now = year_now(state)
    for name, spec in fields.items():
        if spec.filter != "range":
            continue
        if spec.unit == "minutes":
            _runtime(t, name, spec, lex, out, removed)
        elif spec.unit == "year":
            _years(t, name, spec, now, lex, out, removed)
        elif (spec.unit or "").upper() == "USD":
            _price(t, name, spec, lex, out)
        elif spec.unit:  # any other unit: bounds with the unit written ('at least 5 players')
            unit = re.escape(spec.unit.lower().rstrip("s"))
            _bounds(t, name, spec, re.compile(rf"(\d+(?:\.\d+)?)\s*{unit}s?\b"), lex, out, [])
    if mentions is None:
        mentions = find_mentions(low, text, lex)
    _values(low, mentions, catalog, now, out, removed)
    _comparatives(low, refs or [], fields, lex, out)
    for m in mentions:  # range fields' phrases ('recent', 'not too long')
        spec = fields.get(m.field or "")
        if spec is not None and spec.filter == "range" and m.value in spec.phrases and m.field not in out and \
                not m.neutral:
            _apply_phrase(spec.phrases[m.value], m.negated, m.field or "", spec, now, out)
    return {k: v for k, v in out.items() if not v.is_empty()}, removed
