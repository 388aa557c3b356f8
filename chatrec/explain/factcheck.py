"""The fact check: every claim an explanation makes that code can check must match the item's record.

Why it reads the manifest: a catalog declares its fields once (type, unit, vocabulary), so the check knows what a
number with a unit, a year or a vocabulary word claims in any domain without naming a field. A phrase that names
another title, a year, a number with a unit the record does not back, a vocabulary value the item lacks, or a person
not in its record is rejected, and the card falls back to the fact-only template (`compose.template`).
"""
from __future__ import annotations

import re
from typing import Any

from chatrec.catalog.catalog import Catalog, norm_title
from chatrec.catalog.manifest import Manifest
from chatrec.dialogue.state import DialogueState
from chatrec.explain.ties import STOP

# Units written before the number ("$12") rather than after it ("95 minutes"), by lower-case unit.
CURRENCY_SIGNS = {"usd": "$"}
# Short spellings of a unit besides its own word, each singular or plural ("95 mins").
SHORT_FORMS = {"minutes": ("min",)}
# How far a stated number may be from the record's and still state it: a duration is rounded ("about 170 minutes"
# for 171); any other number must round to the record's ("$30" for $29.99, a player count exactly).
TOLERANCE = {"minutes": 1.0}
DEFAULT_TOLERANCE = 0.5
# Units checked in every catalog, even one with no field in them: a runtime or a price stated for an item whose
# record has none is invented.
ALWAYS_CHECKED = ("minutes", "usd")

# Capitalised words that start sentences or name genres/places generically; never treated as person names.
_COMMON = {"The", "This", "It", "Its", "A", "An", "If", "You", "Your", "With", "For", "And", "As", "Since", "Like",
           "Fans", "Viewers", "Anyone", "Perfect", "Great", "Ideal", "Its", "From", "In", "On", "At", "Set", "Both",
           "Science", "Fiction", "Comedy", "Drama", "Horror", "Thriller", "Action", "Adventure", "Animation",
           "Family", "Fantasy", "Romance", "Crime", "Mystery", "War", "Western", "History", "Music", "Documentary",
           "English", "French", "Japanese", "Korean", "Spanish", "Italian", "German", "American", "British",
           "Hollywood", "Oscar", "Oscars", "Academy", "Award", "Christmas", "Thanksgiving", "Halloween", "New",
           "Year", "Years", "Eve", "Day", "Los", "Angeles", "York", "City", "World", "War", "II", "I"}


def facts_text(catalog: Catalog, item: dict[str, Any]) -> str:
    """Every fact of the record as text: the only material an explanation may draw on. The id and the fields the
    manifest hides (references to other items) are not facts a sentence can state."""
    parts = []
    fields = catalog.manifest.fields
    for k, v in item.items():
        if k == "id" or (k in fields and fields[k].display == "hidden"):
            continue
        parts.append(f"{k.replace('_', ' ')}: {', '.join(v) if isinstance(v, list) else v}")
    return "\n".join(parts)


def vocabulary_claims(manifest: Manifest) -> dict[str, dict[str, set[str]]]:
    """List field with a vocabulary (genres, mechanics) -> value -> the words that claim it ("comedic", "rom-com",
    "sci-fi", "war film"), from the manifest's synonyms: those that are forms of the value's own name (same first
    three letters, not '-ing' adjectives), so "heist" or "space" in a sentence are not read as genre claims. A scalar
    vocabulary (an age rating, a product category, a weight) is one label among few whose words turn up in ordinary
    phrases ("light", "hiking"), so it is not checked."""
    out: dict[str, dict[str, set[str]]] = {}
    for name, spec in manifest.fields.items():
        if spec.type != "list" or not spec.vocabulary:
            continue
        claims = out.setdefault(name, {})
        for word, value in manifest.synonyms_for(name).items():
            if word == value.lower() or (word[:3] == value.lower()[:3] and not word.endswith("ing")):
                claims.setdefault(value, set()).add(word)
    return out


def _unit_pattern(unit: str) -> re.Pattern[str]:
    """A number stated in `unit`: after a currency sign ("$12.50"), or before the unit's word ("95 minutes",
    "a 95-minute film", "4 players")."""
    sign = CURRENCY_SIGNS.get(unit)
    if sign:
        return re.compile(rf"{re.escape(sign)}\s*(\d+(?:\.\d+)?)")
    one = unit[:-1] if unit.endswith("s") else unit
    forms = "|".join(f"{re.escape(w)}s?" for w in (one, *SHORT_FORMS.get(unit, ())))
    return re.compile(rf"\b(\d+)\s*(?:-\s*)?(?:{forms})\b")


def numeric_fields(manifest: Manifest) -> dict[str, list[str]]:
    """Lower-case unit -> the numeric fields in it (a year is checked as a year): the units every catalog checks
    first, then the manifest's own."""
    out: dict[str, list[str]] = {u: [] for u in ALWAYS_CHECKED}
    for name, spec in manifest.fields.items():
        if spec.type in ("integer", "number") and spec.unit and spec.unit.lower() != "year":
            out.setdefault(spec.unit.lower(), []).append(name)
    return out


def year_fields(manifest: Manifest) -> list[str]:
    """The fields that hold a year (unit 'year'), against which a year or decade in a sentence is checked."""
    return [name for name, spec in manifest.fields.items() if (spec.unit or "").lower() == "year"]


def check(text: str, item: dict[str, Any], catalog: Catalog, allowed_titles: set[str] | None = None,
          limits: set[float] | None = None) -> list[str]:
    """Problems with an explanation; an empty list means every checkable claim matches the record. The titles in
    `allowed_titles` (items the user liked, named as the reason: "like Heat, ...") may be named, and the numbers
    in `limits` (the user's own bounds: "under your 100 minutes"); the facts the sentence states must still be
    this item's."""
    limits = limits or set()
    problems: list[str] = []
    manifest = catalog.manifest
    allowed = {norm_title(t) for t in allowed_titles or set()}
    facts = facts_text(catalog, item)
    low_facts = facts.lower()
    own = norm_title(catalog.title(item))
    if not text.strip():
        return ["empty"]
    # other titles of the catalog (long or multi-word titles, so everyday words do not trip it)
    norm = " " + norm_title(text) + " "
    for key, ids in catalog._titles.items():
        if key == own or key in own or (len(key) < 8 and len(key.split()) < 2):
            continue
        if f" {key} " in norm and item["id"] not in ids and key not in norm_title(facts) and key not in allowed:
            problems.append(f"names another title: {catalog.title(catalog.by_id[ids[0]])}")
    # years and decades, against the record's year field(s)
    years = [int(item[k]) for k in year_fields(manifest) if item.get(k) is not None]
    for y in re.findall(r"\b(1[89]\d\d|20\d\d)\b(?!s)", text):
        if int(y) not in years:
            problems.append(f"wrong year {y}")
    for d in re.findall(r"\b(1[89]\d0|20\d0)s\b", text):
        if all(y // 10 * 10 != int(d) for y in years) and f"{d}s" not in low_facts:  # "set in 1940s Shanghai"
            problems.append(f"wrong decade {d}s")
    # vocabulary claims: a value of a list vocabulary (a genre) the record does not carry
    for name, claims in vocabulary_claims(manifest).items():
        own_values = {str(v).lower() for v in item.get(name) or []}
        for value, words in claims.items():
            if value.lower() not in own_values and any(re.search(rf"\b{re.escape(w)}\b", text.lower()) for w in words):
                problems.append(f"calls it {value}, which the record does not")
    # numbers with a unit (a runtime, a price, a player count) against the record's fields in that unit
    for unit, names in numeric_fields(manifest).items():
        values = [float(item[k]) for k in names if item.get(k) is not None]
        tolerance = TOLERANCE.get(unit, DEFAULT_TOLERANCE)
        sign = CURRENCY_SIGNS.get(unit)
        label = names[0].removesuffix(f"_{unit}").replace("_", " ") if names else None
        for n in _unit_pattern(unit).findall(text):
            if all(abs(float(n) - v) > tolerance for v in values) and float(n) not in limits:
                shown = f"{sign}{n}" if sign else f"{n} {unit}"
                problems.append(f"wrong {label} {shown}" if label else f"states {shown}, which the record has not")
    # people: runs of two or three capitalised words must appear in the record (a liked title named as the reason
    # is not a person); beside a liked title a person must be in that title's record too ("Frances McDormand, who
    # made Collateral" is false even though she is in this item's cast)
    named = [t for t in allowed_titles or set() if re.search(rf"\b{re.escape(t)}\b", text)]
    for t in named:
        text = re.sub(re.escape(t), lambda m: "x" * len(m.group(0)), text)
    other_facts = " ".join(facts_text(catalog, catalog.by_id[i]).lower() for t in named
                           for i in catalog._titles.get(norm_title(t), [])[:1])
    spots = [(m.start(), m.end()) for t in named for m in re.finditer(re.escape("x" * len(t)), text)]
    for m in re.finditer(r"\b([A-Z][A-Za-z'\-]*[a-z](?:\s+(?:de|De|van|von|del|da)?\s*[A-Z][A-Za-z'\-]*[a-z]){1,2})\b",
                         text):
        name = re.sub(r"'s$", "", m.group(1))  # "Al Pacino's detective"
        words = name.split()
        if all(w in _COMMON for w in words):
            continue
        person = name if name.lower() in low_facts else " ".join(words[1:]) \
            if words[0] in _COMMON and " ".join(words[1:]).lower() in low_facts else None
        if person is None:
            if len([w for w in words if w not in _COMMON]) >= 2 or not any(w.lower() in low_facts for w in words):
                problems.append(f"names {name!r}, which is not in the record")
        elif person.lower() in catalog.people and person.lower() not in other_facts and \
                any(m.start() - b <= 30 and a - m.end() <= 30 for a, b in spots):
            problems.append(f"names {person!r} beside {named[0]}, whose record does not have them")
    return problems


def context(catalog: Catalog, state: DialogueState) -> tuple[set[str], set[float]]:
    """What an explanation may name besides the item's own facts: the liked titles and the user's own limits."""
    titles = {catalog.title(catalog.by_id[i]) for i in state.liked_items if i in catalog.by_id}
    limits = {float(b) for c in state.active_constraints().values() for b in (c.min, c.max) if b is not None}
    return titles, limits


def _words(text: str) -> set[str]:
    """Content words, a plural folded to its singular, to compare a phrase with a record."""
    return {w[:-1] if w.endswith("s") else w for w in re.findall(r"[a-z][a-z'-]{3,}", text.lower()) if w not in STOP}


def misplaced(hook: str, n: int, items: list[dict[str, Any]], catalog: Catalog) -> str | None:
    """Which other card a phrase describes, if it shares fewer words with its own item's record than with another
    item's ("two high school friends" written on the line of a film about an Irish island), or None. A small model
    writing a numbered list sometimes slips a line; the per-item fact check cannot see that."""
    said = _words(hook)
    scores = [len(said & _words(facts_text(catalog, it) + " " + catalog.title(it))) for it in items]
    if scores[n] == 0:
        return "no word of its own record"
    best = max(range(len(items)), key=lambda k: scores[k])
    return catalog.title(items[best]) if scores[best] > scores[n] else None
