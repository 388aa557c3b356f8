"""Hard constraints code reads for certain: quantities with units, dates (absolute and relative), vocabulary values
(negated, 'only', ordinal bounds such as 'PG-13 or lower') and the manifest's phrases ('no subtitles').

Which field a rule reads is found from the manifest (unit 'minutes', unit 'year', unit 'USD'; include/exclude
fields with their words), never from the catalog's name. Negation scope comes from `reader.negated`.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from chatrec.catalog.catalog import Catalog
from chatrec.catalog.manifest import FieldSpec, PhraseEffect
from chatrec.dialogue.state import Constraint, DialogueState
from chatrec.read.reader import ITEM_WORD, Mention, find_mentions, negated, normalise_numbers

UPPER = (r"under|less than|shorter than|cheaper than|lower than|below|at most|up to|within|no longer than|"
         r"max(?:imum)?|<=?")
LOWER = r"over|more than|longer than|pricier than|more expensive than|higher than|above|at least|min(?:imum)?|>=?"
COMPARE_OVER = rf"(?:{ITEM_WORD}|anything|something|a|an|the)"  # what a negation reaches over to a comparison
DECADE = r"(?:the\s+)?(?:(?:19|20)\d0|'?\d0)'?s\b"


def year_now(state: DialogueState) -> int:
    """The request's year: the state's as_of_year (replayed history) or this calendar year."""
    return state.as_of_year or date.today().year


def _flipped(t: str, start: int) -> bool:
    return negated(t, start, over=COMPARE_OVER, reach=2)


def _bounds(t: str, value: str) -> list[tuple[str, re.Match[str]]]:
    """('max' | 'min', match) for each comparison before `value` (its groups start at 2). A negation right before
    turns it round: "no more than 2 hours" and "nothing over 100 minutes" are maxima, "nothing under 90 minutes"
    and "not less than $20" minima."""
    out = []
    for m in re.finditer(rf"(?<![\w-])({UPPER}|{LOWER})\s*(?:about\s*|around\s*|roughly\s*)?(?:{value})", t):
        upper = re.fullmatch(UPPER, m.group(1)) is not None
        if _flipped(t, m.start()):
            upper = not upper
        out.append(("max" if upper else "min", m))
    return out


def negated_decade(text: str) -> int | None:
    """The first year of a decade the user rules out ('not from the 90s', 'no 80s movies'), or None."""
    low = text.lower()
    for m in re.finditer(DECADE, low):
        if negated(low, m.start(), reach=3):
            d = re.search(r"(19|20)?(\d)0", m.group(0))
            assert d is not None
            return int((d.group(1) or ("19" if d.group(2) >= "3" else "20")) + d.group(2) + "0")
    return None


def _runtime(t: str, name: str, c: dict[str, Constraint], removed: list[str]) -> None:
    """Durations, all in minutes after `normalise_numbers`: comparisons, ranges, and a bare length ('90 minutes or
    so', '2 hours max') as the most the user has time for."""
    dur = r"(\d+(?:\.\d+)?)\s*(minutes?|mins?|min|m)\b"
    used: list[tuple[int, int]] = []
    for bound, m in _bounds(t, dur):
        setattr(c.setdefault(name, Constraint()), bound, float(m.group(2)))
        used.append(m.span())
    m = re.search(rf"\bbetween\s*(\d+)\s*(?:and|-|to)\s*{dur}", t)
    if m:
        c.setdefault(name, Constraint()).min, c[name].max = float(m.group(1)), float(m.group(2))
        used.append(m.span())
    for m in re.finditer(dur, t):
        if any(a <= m.start() < b for a, b in used) or negated(t, m.start(), reach=2):
            continue
        more = re.match(r"\s*(?:or (?:more|longer)|plus|\+|at least|minimum)", t[m.end():])
        setattr(c.setdefault(name, Constraint()), "min" if more else "max", float(m.group(1)))
    if re.search(r"\b(any length|don'?t care (about|how) long|length doesn'?t matter)\b", t):
        removed.append(name)


def _years(t: str, name: str, now: int, c: dict[str, Constraint], removed: list[str]) -> None:
    """Decades, years before/after/from, and years relative to the request's year ('the last 10 years')."""
    def y() -> Constraint:
        return c.setdefault(name, Constraint())

    dec = re.search(r"\b(?:the\s+)?(?:(19|20)(\d)0|'?(\d)0)'?s\b", t)
    if dec and not re.search(r"\b\d+\s*(?:minutes|mins)\b", t[dec.start():dec.end() + 8]) \
            and negated_decade(t) is None:  # "not from the 90s" cannot be one range: no limit (understand notes it)
        cent = dec.group(1) or ("19" if (dec.group(3) or "0") >= "3" else "20")
        d = int(cent + (dec.group(2) or dec.group(3)) + "0")
        y().min, y().max = d, d + 9
    for m in re.finditer(r"\b(before|older than|pre-?|earlier than|until|up to)\s*(19\d\d|20\d\d)\b", t):
        year = int(m.group(2))
        if _flipped(t, m.start()):  # "nothing before 1990" = from 1990 on
            y().min = year + (1 if m.group(1) in ("until", "up to") else 0)
        else:
            y().max = year - (0 if m.group(1) in ("until", "up to") else 1)
    for m in re.finditer(r"\b(after|newer than|post-?|since|from|later than)\s*(19\d\d|20\d\d)\b", t):
        year = int(m.group(2))
        rest = t[m.end(): m.end() + 20]
        if m.group(1) == "from" and not re.match(r"\s*(?:on\b|onwards?\b|or later|and later|forward|and up|"
                                                 r"to\b|until\b|till\b|-|–|and\b)", rest):
            if not _flipped(t, m.start()):
                y().min = y().max = year  # "a movie from 1994" is from that year
            continue
        strict = m.group(1) in ("after", "newer than", "post", "post-", "later than")
        if _flipped(t, m.start()):
            y().max = year - (0 if strict else 1)  # "nothing after 1990" = up to 1990
        else:
            y().min = year + (1 if strict else 0)
    m = re.search(r"\b(?:between|from)\s*(19\d\d|20\d\d)\s*(?:and|to|until|till|-|–)\s*(19\d\d|20\d\d)\b", t)
    if m:
        y().min, y().max = sorted((int(m.group(1)), int(m.group(2))))
    m = re.search(r"\b(?:last|past)\s+(\d+|few|couple(?: of)?)\s+(years|yrs|decades)\b"
                  r"|\b(?:last|past)\s+(decade|year)\b", t)
    if m and not negated(t, m.start(), reach=3):
        n = {"few": 3, "couple": 2, "couple of": 2}.get(m.group(1) or "", None) or int(m.group(1) or 1)
        y().min = now - n * (10 if (m.group(2) or m.group(3) or "").startswith("decade") else 1)
    if re.search(r"\b(?:this|the 21st|the twenty-first|21st) century\b", t):
        y().min = now // 100 * 100
    if re.search(r"\bthis decade\b", t):
        y().min = now // 10 * 10
    if re.search(r"\b(any year|any decade|don'?t care (about|how) old)\b", t):
        removed.append(name)


def _price(t: str, name: str, c: dict[str, Constraint]) -> None:
    for m in re.finditer(r"budget(?: of| is)?\s*\$?\s*(\d+(?:\.\d+)?)", t):
        c.setdefault(name, Constraint()).max = float(m.group(1))
    m = re.search(r"\bbetween\s*\$?\s*(\d+(?:\.\d+)?)\s*(?:and|to|-)\s*\$?\s*(\d+(?:\.\d+)?)", t)
    if m:
        c.setdefault(name, Constraint()).min, c[name].max = sorted((float(m.group(1)), float(m.group(2))))
    for bound, m in _bounds(t, r"\$\s*(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s*(?:dollars|usd|bucks)\b|"
                               r"(\d+(?:\.\d+)?)(?![\d.])(?!\s*(?:%|percent|[a-z]))"):  # a bare number: a price here
        setattr(c.setdefault(name, Constraint()), bound, float(m.group(2) or m.group(3) or m.group(4)))


ORDER_LOW = r"or (?:lower|less|below|under|younger|milder|tamer)|at (?:the )?most|max(?:imum)?|tops"
ORDER_HIGH = r"or (?:higher|more|above|over|older)"
ORDER_UPTO = (r"(?:up to|at most|max(?:imum)?|no higher than|nothing (?:above|over|higher than)|not (?:above|over)|"
              r"not higher than)")


def _ordinal(low: str, m: Mention, spec: FieldSpec) -> list[str] | None:
    """'PG-13 or lower' / 'up to PG-13' -> the values up to PG-13 in the manifest's order (and the other way for
    'or higher' / 'at least'); None when the mention has no such bound."""
    order = spec.order or []
    if m.value not in order:
        return None
    i = order.index(m.value)
    if re.match(rf"\s*(?:{ORDER_LOW})\b", low[m.end:]) or re.search(rf"\b{ORDER_UPTO}\s*(?:rated\s+)?$", low[:m.start]):
        return order[: i + 1]
    if re.search(r"\b(?:under|below|lower than|milder than)\s*(?:rated\s+)?$", low[:m.start]):
        return order[:i]
    if re.match(rf"\s*(?:{ORDER_HIGH})\b", low[m.end:]) or re.search(r"\bat least\s*(?:rated\s+)?$", low[:m.start]):
        return order[i:]
    return None


def _apply_phrase(effect: PhraseEffect, negative: bool, field: str, now: int, c: dict[str, Constraint]) -> None:
    """A manifest phrase's effect on its field ('no subtitles' -> English only); said negated, include and exclude
    swap and ranges are left alone."""
    cur = c.setdefault(field, Constraint())
    inc, exc = (effect.exclude, effect.include) if negative else (effect.include, effect.exclude)
    cur.include = sorted({*cur.include, *inc})
    cur.exclude = sorted({*cur.exclude, *exc})
    if negative:
        return
    lo = effect.min if effect.min is not None else (now - effect.since_years_ago
                                                     if effect.since_years_ago is not None else None)
    hi = effect.max if effect.max is not None else (now - effect.until_years_ago
                                                     if effect.until_years_ago is not None else None)
    if lo is not None and cur.min is None:
        cur.min = lo
    if hi is not None and cur.max is None:
        cur.max = hi


def _values(low: str, mentions: list[Mention], catalog: Catalog, now: int, c: dict[str, Constraint],
            removed: list[str]) -> None:
    """Include/exclude fields from the mentions of their values and phrases."""
    fields = catalog.manifest.filterable()
    by_value: dict[tuple[str, str], list[Mention]] = {}
    for m in mentions:
        spec = fields.get(m.field or "")
        if spec is None or spec.filter != "include_exclude":
            continue
        if m.value in spec.phrases:
            _apply_phrase(spec.phrases[m.value], m.negated, m.field or "", now, c)
        else:
            by_value.setdefault((m.field or "", m.value), []).append(m)
    for (name, value), said in by_value.items():
        spec = fields[name]
        w = re.escape(said[0].phrase)
        ordinal = _ordinal(low, said[-1], spec)
        if ordinal is not None:  # its own words carry any negation: 'nothing above PG-13', 'no higher than PG'
            c.setdefault(name, Constraint()).include = sorted({*c.setdefault(name, Constraint()).include, *ordinal})
        elif all(m.negated for m in said) or re.search(rf"\b{w}\b[^.,;]*?\b(is|are)\s+(out|off the table)\b", low):
            c.setdefault(name, Constraint()).exclude = sorted({*c.setdefault(name, Constraint()).exclude, value})
        elif spec.mention == "hard" or any(re.search(r"\b(only|just|strictly|nothing but)\s+(?:[\w'-]+\s+){0,2}?$",
                                                     low[max(0, m.start - 40): m.start]) for m in said):
            c.setdefault(name, Constraint()).include = sorted({*c.setdefault(name, Constraint()).include, value})
        if any(re.search(r"\b(i don'?t mind|ok with|fine with|okay with|allow|bring back)\s+(?:[\w'-]+\s+){0,2}?$",
                         low[max(0, m.start - 40): m.start]) for m in said):
            removed.append(f"{name}:{value}")
            if name in c:
                c[name].exclude = [x for x in c[name].exclude if x != value]


def _comparatives(low: str, refs: list[tuple[int, dict[str, Any]]], fields: dict[str, FieldSpec],
                  out: dict[str, Constraint]) -> None:
    """'shorter', 'older than Alien', 'cheaper': a bound just past the reference items' value (the manifest's
    comparative words say which field and which way). `refs`: (where the item is named, or -1; item). A word
    followed by 'than' compares with the next named item only ('newer than Psycho but older than Jaws')."""
    preset = set(out)  # a number the user wrote wins over a comparison
    for name, spec in fields.items():
        for word, way in spec.comparatives.items():
            for m in re.finditer(rf"\b{re.escape(word)}\b", low):
                if name in preset:
                    break
                named = [(p, r) for p, r in refs if p >= m.end()] if re.match(r"\s+than\b", low[m.end():]) else []
                use = [min(named, key=lambda x: x[0])[1]] if named else [r for _, r in refs]
                vals = [r[name] for r in use if r.get(name) is not None]
                if not vals:
                    continue
                c = out.setdefault(name, Constraint())
                if way == "lower":
                    v = min(vals)
                    c.max = v - 1 if spec.type == "integer" else round(v * 0.99, 2)
                else:
                    v = max(vals)
                    c.min = v + 1 if spec.type == "integer" else round(v * 1.01, 2)


def rule_constraints(text: str, catalog: Catalog, state: DialogueState, mentions: list[Mention] | None = None,
                     refs: list[tuple[int, dict[str, Any]]] | None = None) -> tuple[dict[str, Constraint], list[str]]:
    """Constraints code can read for certain, and the constraints the user lifted ('any length', 'I don't mind
    horror' as 'genres:Horror'). `mentions`: the message's catalog mentions, when the caller has them already;
    `refs`: the items a comparison is with (named, pointed at or last shown), with where each is named (-1: not
    written)."""
    fields = catalog.manifest.filterable()
    out: dict[str, Constraint] = {}
    removed: list[str] = []
    low = text.lower()
    t = normalise_numbers(low)
    now = year_now(state)
    for name, spec in fields.items():
        if spec.filter != "range":
            continue
        if spec.unit == "minutes":
            _runtime(t, name, out, removed)
        elif spec.unit == "year":
            _years(t, name, now, out, removed)
        elif (spec.unit or "").upper() == "USD":
            _price(t, name, out)
        elif spec.unit:  # any other unit: comparisons with the unit written ('at least 5 players')
            unit = re.escape(spec.unit.lower().rstrip("s"))
            for bound, m in _bounds(t, rf"(\d+(?:\.\d+)?)\s*{unit}s?\b"):
                setattr(out.setdefault(name, Constraint()), bound, float(m.group(2)))
    if mentions is None:
        mentions = find_mentions(low, text, catalog.lexicon)
    _values(low, mentions, catalog, now, out, removed)
    _comparatives(low, refs or [], fields, out)
    for m in mentions:  # range fields' phrases ('recent', 'not too long')
        spec = fields.get(m.field or "")
        if spec is not None and spec.filter == "range" and m.value in spec.phrases and m.field not in out:
            _apply_phrase(spec.phrases[m.value], m.negated, m.field or "", now, out)
    return {k: v for k, v in out.items() if not v.is_empty()}, removed
