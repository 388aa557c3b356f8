"""Generated phrasings for `eval understand`: sentences nobody here wrote, with labels computed from how they were made.

The 385 hand-written rows of tests/data/phrasings.jsonl measure sentences written next to the rules; this module
builds many more from word tables (chatrec/evaluation/phrasing_words/*.json, each entry naming its source: NegEx's
trigger terms as negspacy publishes them, the seekers' own idioms in ReDial, the manifests' values) crossed with
the values of every filterable field of the two shipped catalogs and of tests/data/boardgames. Each row's expected
facts, in the benchmark's mini-language (see understand_eval.py), follow from the parts it was built from: the cue
is a negation, so the value is excluded; 'before' bounds from above and is exclusive, negated it bounds from below
and keeps the year. Nothing here runs the reader.

Families: negation (cue x value x word order x clause position), controls (pseudo-negations such as 'not only ...
but also': nothing is negated), negated-direction ('nothing before 1980'), open-bounds ('2000 or later'),
multi-clause ('X but not Y', 'no X and nothing over N'), two-turn (a limit of turn 1 still holds after turn 2),
people (surnames: 'something by Nolan'; a surname two people share expects a question naming both) and languages
(French, Spanish, German).

The split is made once, by the parts: every cue, direction word, template, joiner, number as written, surname and
noun phrase of a value falls in the dev half or the held-out half by a seeded hash (stratified by kind), and a row
is built only from parts of one half. So the held-out half measures cues, frames and value wordings the dev half
never shows. Regenerate the files with `python -m chatrec.evaluation.phrasings` (a test fails when they are
stale).
"""
from __future__ import annotations

import hashlib
import json
import random
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
WORDS = Path(__file__).resolve().parent / "phrasing_words"
GENERATED = ROOT / "tests" / "data" / "generated"
FILES = {"dev": GENERATED / "understand_dev.jsonl", "heldout": GENERATED / "understand_heldout.jsonl"}
HALVES = ("dev", "heldout")
SEED = 21  # issue 21; changing it re-draws the split (never do it to chase a figure)
TEST_CATALOGS = {"boardgames": ROOT / "tests" / "data" / "boardgames"}
CATALOG_NAMES = ("movies", "products", "boardgames")
MIN_ALLOWED = 5  # a row's hard limits must leave at least this many items, so a right reading can fill a reply
PEOPLE_ROLES = {"movies": ("directors", "cast"), "boardgames": ("creators",)}
UNIT_FIELDS = {"year": [("movies", "year"), ("boardgames", "year")],
               "minutes": [("movies", "runtime_minutes"), ("boardgames", "play_minutes")],
               "USD": [("products", "price_usd")], "players": [("boardgames", "max_players")]}
MASS_NOUNS = ("gear", "stuff", "apparel", "equipment")
FAMILIES = ("negation", "controls", "negated-direction", "open-bounds", "multi-clause", "two-turn", "people",
            "languages")


def words(name: str) -> dict[str, Any]:
    """One word table of phrasing_words/ (negation_cues, directions, values, templates, languages)."""
    return json.loads((WORDS / f"{name}.json").read_text(encoding="utf-8"))


def load_catalog(name: str, settings: Any = None) -> Any:
    """A shipped catalog by name, or the test catalog tests/data/boardgames by its name."""
    from chatrec.catalog.catalog import Catalog

    return Catalog.load(TEST_CATALOGS.get(name, name), settings)


# -- facts: the labels as limits, for feasibility here and for the inversion check of understand_eval ------------
@dataclass
class Limits:
    """The hard limits and avoided traits a label states: what a right reading must never show."""

    bounds: dict[str, dict[str, float]] = field(default_factory=dict)  # field -> {'min': x, 'max': y}
    exclude: dict[str, set[str]] = field(default_factory=dict)  # field -> values ruled out
    include: dict[str, set[str]] = field(default_factory=dict)  # field -> the only values allowed
    avoid_people: set[str] = field(default_factory=set)  # -p: soft in the product (scores), reported apart
    avoid_traits: set[str] = field(default_factory=set)  # -k: soft too

    def is_hard(self) -> bool:
        return bool(self.bounds or self.exclude or self.include)


def limits_of(facts: Iterable[str]) -> Limits:
    """The limits in a set of facts ('genres!Horror', 'year>=1980', 'language=French', '-p:Tom Hanks', ...)."""
    out = Limits()
    for f in facts:
        m = re.fullmatch(r"([a-z_]+)(>=|<=)(-?[\d.]+)", f)
        if m:
            out.bounds.setdefault(m.group(1), {})["min" if m.group(2) == ">=" else "max"] = float(m.group(3))
        elif re.fullmatch(r"[a-z_]+![^!]+", f):
            name, value = f.split("!", 1)
            out.exclude.setdefault(name, set()).add(value)
        elif re.fullmatch(r"[a-z_]+=[^=]+", f):
            name, values = f.split("=", 1)
            out.include.setdefault(name, set()).update(values.split(","))
        elif f.startswith("-p:"):
            out.avoid_people.add(f[3:])
        elif f.startswith("-k:"):
            out.avoid_traits.add(f[3:])
    return out


def breaks(item: dict[str, Any], lim: Limits, manifest: Any) -> list[tuple[str, str]]:
    """How an item breaks the limits, as (kind, detail): kind 'excluded' (it has a value the user ruled out),
    'bound' (on the wrong side of a bound), 'include' (not one of the only values allowed), 'avoided' (a person or
    trait the user avoids: soft in the product). Checked on the item's record, case-folded; a missing value breaks
    nothing."""
    def vals(name: str) -> set[str]:
        v = item.get(name)
        return {str(x).casefold() for x in (v if isinstance(v, list) else [v])} - {"none", ""} if v not in (None, "",
                                                                                                         []) else set()
    out = []
    for name, b in lim.bounds.items():
        v = item.get(name)
        if isinstance(v, (int, float)):
            if "min" in b and v < b["min"]:
                out.append(("bound", f"{name}={v:g} < {b['min']:g}"))
            if "max" in b and v > b["max"]:
                out.append(("bound", f"{name}={v:g} > {b['max']:g}"))
    for name, ex in lim.exclude.items():
        hit = vals(name) & {x.casefold() for x in ex}
        if hit:
            out.append(("excluded", f"{name} has {', '.join(sorted(hit))}"))
    for name, inc in lim.include.items():
        have = vals(name)
        if have and not have & {x.casefold() for x in inc}:
            out.append(("include", f"{name}={', '.join(sorted(have))} not in {', '.join(sorted(inc))}"))
    people_fields = [f for f in manifest.fields if f in ("cast", "directors", "creators", "writers", "authors")]
    for p in lim.avoid_people:
        if any(p.casefold() in vals(f) for f in people_fields):
            out.append(("avoided", f"has {p}"))
    trait_fields = [f for f, s in manifest.fields.items() if s.filter == "member" and f not in people_fields]
    for k in lim.avoid_traits:
        if any(k.casefold() in vals(f) for f in trait_fields):
            out.append(("avoided", f"has {k}"))
    return out


def _facts(expect: str) -> set[str]:
    from chatrec.evaluation.understand_eval import expected_facts

    return expected_facts(expect)


def merge_turns(first: set[str], second: set[str]) -> set[str]:
    """The facts after two turns: a bound said later replaces the same side's bound said earlier (and an earlier
    bound the new one crosses goes), exclusions and wishes add up."""
    def split(fs: set[str]) -> tuple[dict[str, dict[str, float]], set[str]]:
        b: dict[str, dict[str, float]] = {}
        rest = set()
        for f in fs:
            m = re.fullmatch(r"([a-z_]+)(>=|<=)(-?[\d.]+)", f)
            if m:
                b.setdefault(m.group(1), {})["min" if m.group(2) == ">=" else "max"] = float(m.group(3))
            else:
                rest.add(f)
        return b, rest
    b1, r1 = split(first)
    b2, r2 = split(second)
    for name, new in b2.items():
        cur = b1.setdefault(name, {})
        if "min" in cur and "max" in new and "min" not in new and cur["min"] > new["max"]:
            del cur["min"]
        if "max" in cur and "min" in new and "max" not in new and cur["max"] < new["min"]:
            del cur["max"]
        cur.update(new)
    out = r1 | r2
    for name, b in b1.items():
        out.update(f"{name}{'>=' if k == 'min' else '<='}{v:g}" for k, v in b.items())
    return out


def conflicting(facts: set[str]) -> bool:
    """Two bounds on one side of a field, or a value both wanted and ruled out: a label no reading could meet."""
    sides = [re.match(r"([a-z_]+(?:>=|<=))", f) for f in facts]
    said = [m.group(1) for m in sides if m]
    excluded = {f.split("!", 1)[1] for f in facts if re.match(r"[a-z_]+!", f)}
    wanted = {f.split(":", 1)[1] for f in facts if f.startswith("+")}
    return len(said) != len(set(said)) or bool(excluded & wanted)


def _join(facts: Iterable[str]) -> str:
    """Facts back into a label, in a stable order; 'none' for no change."""
    fs = sorted(set(facts))
    return "; ".join(fs) if fs else "none"


# -- the split --------------------------------------------------------------------------------------------------
def _rank(group: str, unit: str) -> str:
    return hashlib.sha256(f"{SEED}|{group}|{unit}".encode()).hexdigest()


def split_units(group: str, units: Iterable[str]) -> dict[str, str]:
    """Each unit of a group to 'dev' or 'heldout': ordered by a seeded hash, then alternated, so a group of n
    units puts ceil(n/2) in dev and the rest in held-out, whatever the order they are listed in."""
    order = sorted(dict.fromkeys(units), key=lambda u: _rank(group, u))
    return {u: HALVES[n % 2] for n, u in enumerate(order)}


class Pools:
    """The parts of one half, in a stable order per group (the split's order)."""

    def __init__(self, half: str) -> None:
        self.half = half
        self.assigned: dict[str, dict[str, str]] = {}

    def take(self, group: str, units: Iterable[str]) -> list[str]:
        units = list(dict.fromkeys(units))
        if group not in self.assigned:
            self.assigned[group] = split_units(group, units)
        got = self.assigned[group]
        return sorted((u for u in units if got.get(u) == self.half), key=lambda u: _rank(group, u))


# -- the catalogs' words -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """One value of one field, as the generator names it."""

    catalog: str
    field: str
    value: str  # the vocabulary value, the person's full name, or the keyword/tag
    kind: str  # 'vocab' (include/exclude field), 'person', 'trait'
    np: str  # the noun phrase used in this row
    bare: str | None
    one: str | None
    hard: bool  # naming it plainly is a limit (the manifest's mention 'hard')

    def fact(self, negative: bool) -> str:
        if self.kind == "person":
            return f"{'-' if negative else '+'}p:{self.value}"
        if self.kind == "trait":
            return f"{'-' if negative else '+'}k:{self.value}"
        if negative:
            return f"{self.field}!{self.value}"
        return f"{self.field}={self.value}" if self.hard else f"+g:{self.value}"

    def unit(self) -> str:
        return f"np:{self.catalog}:{self.field}:{self.value}:{self.np}"

    @property
    def plural(self) -> bool:
        """'horror movies are', but 'camping gear is': a mass noun at the end of the phrase takes the singular."""
        return self.np.split()[-1].lower() not in MASS_NOUNS

    def slots(self) -> dict[str, str]:
        """What a template may ask for besides the phrase itself: the verb and pronouns that agree with it."""
        return {"np": self.np, "bare": self.bare or "", "are": "are" if self.plural else "is",
                "those": "those" if self.plural else "that", "them": "them" if self.plural else "it"}


class World:
    """The three catalogs and the word tables, loaded once."""

    def __init__(self) -> None:
        from chatrec.settings import Settings

        settings = Settings()
        self.catalogs = {c: load_catalog(c, settings) for c in CATALOG_NAMES}
        self.negation = words("negation_cues")
        self.directions = words("directions")
        self.values = words("values")
        self.templates = words("templates")
        self.languages = words("languages")

    def noun(self, cat: str) -> tuple[str, str]:
        m = self.catalogs[cat].manifest
        return m.item_noun, m.item_noun_plural

    @cached_property
    def people(self) -> dict[str, dict[str, list[str]]]:
        """catalog -> role -> full names to use in noun phrases ('movies with Tom Hanks'): the most frequent."""
        out: dict[str, dict[str, list[str]]] = {}
        for cat, roles in PEOPLE_ROLES.items():
            counts = self._role_counts(cat)
            out[cat] = {}
            for role in roles:
                ranked = sorted((p for p in counts if _main_role(counts[p]) == role and counts[p][role] >= 3
                                 and len(p.split()) == 2 and p.isascii()), key=lambda p: (-counts[p][role], p))
                out[cat][role] = ranked[:12]
        return out

    def _role_counts(self, cat: str) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for it in self.catalogs[cat].items:
            for role in PEOPLE_ROLES[cat]:
                for p in it.get(role) or []:
                    counts.setdefault(p, {r: 0 for r in PEOPLE_ROLES[cat]})[role] += 1
        return counts

    @cached_property
    def surnames(self) -> dict[str, dict[str, Any]]:
        """catalog -> {'unique': {role: [(surname, full name)]}, 'ambiguous': [(surname, [full names])]}: a surname
        is used when it is the last of a two-word name, plain ASCII, never written lower case in the catalog's
        descriptions (not an everyday word) and not a word of a title; unique when no other person of the catalog
        (any people field) has it, ambiguous when exactly two do, each in two items or more."""
        out: dict[str, dict[str, Any]] = {}
        for cat in PEOPLE_ROLES:
            c = self.catalogs[cat]
            counts = self._role_counts(cat)
            lower = {w for it in c.items for w in re.findall(r"\b[a-z][a-z]+\b", str(it.get("description") or ""))}
            titled = {w for it in c.items for w in re.findall(r"[a-z]+", c.title(it).lower())}
            by_surname: dict[str, list[str]] = {}
            for p in c.people.values():
                by_surname.setdefault(p.split()[-1].lower(), []).append(p)

            said = manifest_words(c.manifest)

            def usable(p: str) -> bool:
                s = p.split()[-1].lower()
                return len(p.split()) == 2 and p.isascii() and s.isalpha() and len(s) >= 4 and s not in lower \
                    and s not in titled and s not in said
            unique: dict[str, list[tuple[str, str]]] = {}
            for role in PEOPLE_ROLES[cat]:
                least = 1 if cat == "boardgames" else (3 if role == "directors" else 5)
                names = sorted((p for p, n in counts.items() if _main_role(n) == role and n[role] >= least and
                                usable(p) and len(by_surname[p.split()[-1].lower()]) == 1),
                               key=lambda p: (-n_of(counts[p]), p))
                unique[role] = [(p.split()[-1], p) for p in names[:20]]
            items_of = {p: sum(1 for it in c.items for f in PEOPLE_ROLES[cat] if p in (it.get(f) or []))
                        for ps in by_surname.values() if len(ps) == 2 for p in ps}
            ambiguous = sorted((ps[0].split()[-1], sorted(ps)) for s, ps in by_surname.items()
                               if len(ps) == 2 and all(usable(p) and items_of[p] >= 2 for p in ps))
            out[cat] = {"unique": unique, "ambiguous": ambiguous}
        return out

    def targets(self, cat: str, field_name: str) -> list[Target]:
        """Every (value, noun phrase) of one field; people fields take the catalog's most frequent people."""
        spec = self.catalogs[cat].manifest.fields[field_name]
        table = self.values["fields"][cat][field_name]
        hard = spec.mention == "hard"
        if field_name in PEOPLE_ROLES.get(cat, ()):
            return [Target(cat, field_name, p, "person", np.format(name=p), table["bare"].format(name=p), None, hard)
                    for p in self.people[cat][field_name] for np in table["np"]]
        kind = "vocab" if spec.filter == "include_exclude" else "trait"
        return [Target(cat, field_name, v, kind, np, e.get("bare"), e.get("one"), hard)
                for v, e in table.items() for np in e["np"]]


def manifest_words(manifest: Any) -> set[str]:
    """Every word and phrase a manifest gives meaning to (values, synonyms, field words, phrases, item nouns)."""
    out = {w.lower() for w in [manifest.item_noun, manifest.item_noun_plural, *manifest.item_words,
                               *manifest.ownership_words]}
    for name, spec in manifest.fields.items():
        out.update(manifest.synonyms_for(name))
        out.update(w.lower() for w in [*spec.words, *spec.phrases, *spec.comparatives])
    return out


def _main_role(counts: dict[str, int]) -> str:
    return max(counts, key=lambda r: (counts[r], r))


def n_of(counts: dict[str, int]) -> int:
    """Items a person is in, over all their roles."""
    return sum(counts.values())


# -- building rows ----------------------------------------------------------------------------------------------
@dataclass
class Row:
    catalog: str
    family: str
    text: str
    facts: set[str]
    fields: list[str]
    units: list[str]
    order: str = ""
    position: str = "only"
    lang: str = "en"
    turns: list[str] = field(default_factory=list)
    cue: str = ""

    def as_json(self, half: str, n: int) -> dict[str, Any]:
        out: dict[str, Any] = {"id": f"{half}-{n:04d}", "catalog": self.catalog, "category": self.family,
                               "text": self.text, "expect": _join(self.facts)}
        if self.turns:
            out["turns"] = self.turns
        out.update({"fields": sorted(set(self.fields)), "order": self.order, "position": self.position,
                    "lang": self.lang, "cue": self.cue, "units": sorted(set(self.units)), "half": half})
        return out


def _fmt(t: str, cat: str, world: World, **kw: str) -> str:
    noun, nouns = world.noun(cat)
    return t.format(noun=noun, nouns=nouns, **kw)


def _needs(t: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", t))


class Builder:
    """The rows of one half."""

    def __init__(self, world: World, half: str) -> None:
        self.w = world
        self.half = half
        self.p = Pools(half)
        self.rng = random.Random(f"{SEED}-{half}")
        self.rows: list[Row] = []
        self.seen: set[str] = set()

    # pools of parts ---------------------------------------------------------------------------------------------
    def neg_cues(self) -> list[dict[str, Any]]:
        cues = self.w.negation["negations"]

        def group(c: dict[str, Any]) -> str:
            shape = "cleft" if "cleft" in c else ("value_first" if "value_first" in c else "cue_first")
            return f"neg-cue:{c['source']}:{shape}"
        keep: set[str] = set()
        for g in sorted({group(c) for c in cues}):
            keep.update(self.p.take(g, [c["cue"] for c in cues if group(c) == g]))
        return sorted((c for c in cues if c["cue"] in keep), key=lambda c: _rank("neg-cue", c["cue"]))

    def field_targets(self, cat: str, field_name: str) -> list[Target]:
        """This half's noun phrases of a field: a value's phrases are split between the halves; values with one
        phrase are split among themselves."""
        ts = self.w.targets(cat, field_name)
        by_value: dict[str, list[Target]] = {}
        for t in ts:
            by_value.setdefault(t.value, []).append(t)
        keep = set()
        singles = [v for v, lst in by_value.items() if len(lst) == 1]
        keep.update(self.p.take(f"np-single:{cat}:{field_name}", [by_value[v][0].unit() for v in singles]))
        for v, lst in by_value.items():
            if len(lst) > 1:
                keep.update(self.p.take(f"np:{cat}:{field_name}:{v}", [t.unit() for t in lst]))
        if field_name in PEOPLE_ROLES.get(cat, ()):  # people: the names themselves are split too
            names = set(self.p.take(f"person:{cat}:{field_name}", list(by_value)))
            keep = {u for u in keep if any(u == t.unit() for n in names for t in by_value[n])}
        return [t for t in ts if t.unit() in keep]

    def negatable_fields(self) -> list[tuple[str, str]]:
        """Every include/exclude and member field of the three catalogs, in a fixed order."""
        out = []
        for cat in CATALOG_NAMES:
            for name, spec in self.w.catalogs[cat].manifest.filterable().items():
                if spec.filter in ("include_exclude", "member"):
                    out.append((cat, name))
        return out

    def companions(self, cat: str) -> list[dict[str, str]]:
        lst = self.w.templates["companions"][cat]
        keep = self.p.take(f"companion:{cat}", [c["t"] for c in lst])
        return [c for c in lst if c["t"] in keep]

    def joiners(self, kind: str) -> list[dict[str, str]]:
        if kind == "terminators":
            lst = self.w.negation["terminators"]
            keep = self.p.take("terminator", [j["cue"] for j in lst])
            return [j for j in lst if j["cue"] in keep]
        lst = self.w.templates[kind]
        keep = self.p.take(kind, [j["id"] for j in lst])
        return [j for j in lst if j["id"] in keep]

    def direction_words(self, unit: str, negatable: bool = False) -> list[dict[str, Any]]:
        ws = self.w.directions["words"]
        keep: set[str] = set()
        for g in sorted({(d["class"], d["side"]) for d in ws}):
            keep.update(self.p.take(f"dir:{g[0]}:{g[1]}", [d["word"] for d in ws if (d["class"], d["side"]) == g]))
        return [d for d in ws if d["word"] in keep and unit in d["units"] and
                (not negatable or d["edge"] == "exclusive")]

    def leads(self, unit: str, negated: bool) -> list[dict[str, Any]]:
        key = "negated_leads" if negated else "leads"
        lst = self.w.directions[key][unit]
        keep = self.p.take(f"{key}:{unit}", [x["t"] for x in lst])
        return [x for x in lst if x["t"] in keep]

    def numbers(self, cat: str, field_name: str) -> list[tuple[float, str]]:
        lst = [(float(n), r) for n, r in self.w.values["numbers"][cat][field_name]]
        keep = self.p.take(f"num:{cat}:{field_name}", [f"{n:g}|{r}" for n, r in lst])
        return [(n, r) for n, r in lst if f"{n:g}|{r}" in keep]

    # helpers ----------------------------------------------------------------------------------------------------
    def feasible(self, cat: str, facts: set[str]) -> bool:
        lim = limits_of(facts)
        if not lim.is_hard():
            return True
        c = self.w.catalogs[cat]
        hard = Limits(bounds=lim.bounds, exclude=lim.exclude, include=lim.include)
        n = 0
        for it in c.items:
            if not breaks(it, hard, c.manifest) and all(it.get(f) not in (None, "", []) for f in
                                                        [*lim.bounds, *lim.include]):
                n += 1
                if n >= MIN_ALLOWED:
                    return True
        return False

    def add(self, row: Row) -> bool:
        row.text = re.sub(r"\s+", " ", row.text).strip()
        key = f"{row.catalog}|{' || '.join(row.turns)}|{row.text}".lower()
        if key in self.seen or not self.feasible(row.catalog, row.facts):
            return False
        self.seen.add(key)
        n = len(self.rows)
        if n % 3 == 0 and row.text[:1].islower():
            row.text = row.text[0].upper() + row.text[1:]
        if n % 4 == 1 and row.text[-1:].isalnum():
            row.text += "."
        self.rows.append(row)
        return True

    def bound(self, unit: str, d: dict[str, Any], n: float, negated: bool) -> tuple[str, float]:
        """The side ('min'/'max') and label number of a direction word with its number, negated or not."""
        side, edge = d["side"], d["edge"]
        if negated:  # not (x < N) is x >= N: the side flips and an exclusive edge becomes inclusive
            side, edge = ("min" if side == "max" else "max"), ("inclusive" if edge == "exclusive" else "exclusive")
        step = self.w.directions["edge_step_by_unit"][unit] if edge == "exclusive" else 0
        return side, n + step if side == "min" else n - step

    def bound_phrase(self, unit: str, d: dict[str, Any], render: str) -> str:
        return f"{render} {d['word']}" if d["class"] == "suffix" else f"{d['word']} {render}"

    @staticmethod
    def lead_takes(lead: dict[str, Any], d: dict[str, Any]) -> bool:
        if "only" in lead:
            return d["word"] in lead["only"]
        return d["class"] in lead["classes"] and d["word"] not in lead.get("not", [])

    def bound_clause(self, unit: str, negated: bool, k: int, cat_field: tuple[str, str] | None = None,
                     ) -> tuple[str, str, str, set[str], list[str]] | None:
        """The k-th bound clause of this half for a unit: (catalog, field, text, facts, units). k walks the (lead,
        direction word) pairs first, then the fields the unit has; the number is the first feasible one."""
        combos = [(lead, d) for lead in self.leads(unit, negated) for d in self.direction_words(unit, negated)
                  if self.lead_takes(lead, d)]
        if not combos:
            return None
        places = [cat_field] if cat_field else UNIT_FIELDS[unit]
        for attempt in range(len(combos)):
            lead, d = combos[(k + attempt) % len(combos)]
            cat, fname = places[(k // len(combos)) % len(places)]
            nums = self.numbers(cat, fname)
            for j in range(len(nums)):
                n, render = nums[(k * 7 + j) % len(nums)]
                side, v = self.bound(unit, d, n, negated)
                facts = {f"{fname}{'>=' if side == 'min' else '<='}{v:g}"}
                if not self.feasible(cat, facts):
                    continue
                text = _fmt(lead["t"], cat, self.w, X=self.bound_phrase(unit, d, render))
                units = [f"dir:{d['word']}", f"{'negated_leads' if negated else 'leads'}:{unit}:{lead['t']}",
                         f"num:{cat}:{fname}:{n:g}|{render}"]
                return cat, fname, text, facts, units
        return None

    # families ---------------------------------------------------------------------------------------------------
    def negation(self) -> None:
        fields = self.negatable_fields()
        targets = {cf: self.field_targets(*cf) for cf in fields}
        terms, leads = self.joiners("terminators"), self.joiners("lead_joiners")
        k = 0
        for cue in self.neg_cues():
            for order in ("cue_first", "value_first", "cleft"):
                for ti, t in enumerate(cue.get(order, [])):
                    for position in ("only", "first", "second"):
                        for attempt in range(len(fields)):
                            cat, fname = fields[(k + attempt) % len(fields)]
                            if cue.get("domains") and cat not in cue["domains"]:
                                continue
                            pool = [x for x in targets[(cat, fname)] if ("bare" not in _needs(t) or x.bare)
                                    and (x.plural or not cue.get("plural_only"))]
                            if not pool:
                                continue
                            tg = pool[(k // len(fields) + attempt) % len(pool)]
                            neg = _fmt(t, cat, self.w, **tg.slots())
                            facts, units = {tg.fact(True)}, [f"neg-cue:{cue['cue']}", tg.unit()]
                            text = neg
                            if position != "only":
                                comp = self._companion(cat, tg.value, k)
                                if comp is None:
                                    continue
                                if position == "first":
                                    j = terms[k % len(terms)]
                                    text = j["join"].format(neg=neg, pos=comp["t"])
                                    units.append(f"terminator:{j['cue']}")
                                else:
                                    j = leads[k % len(leads)]
                                    text = j["join"].format(neg=neg, pos=comp["t"])
                                    units.append(f"lead_joiners:{j['id']}")
                                facts |= _facts(comp["expect"])
                                units.append(f"companion:{cat}:{comp['t']}")
                            if self.add(Row(cat, "negation", text, facts, [fname], units, order, position,
                                            cue=cue["cue"])):
                                k += 1
                                break
                        else:
                            k += 1

    def _companion(self, cat: str, avoid: str, k: int) -> dict[str, str] | None:
        comps = [c for c in self.companions(cat) if avoid not in c["expect"]]
        return comps[k % len(comps)] if comps else None

    def controls(self) -> None:
        cues = self.w.negation["pseudo_negations"]
        keep = self.p.take("pseudo", [c["cue"] for c in cues])
        soft = [(c, f) for c, f in self.negatable_fields() if self.w.catalogs[c].manifest.fields[f].filter == "member"
                or self.w.catalogs[c].manifest.fields[f].mention == "soft"]
        k = 0
        for cue in (c for c in cues if c["cue"] in keep):
            for t in cue["templates"]:
                for _ in range(4):
                    for attempt in range(len(soft)):
                        cat, fname = soft[(k + attempt) % len(soft)]
                        pool = [x for x in self.field_targets(cat, fname) if "bare" not in _needs(t) or x.bare]
                        if cue.get("two_values"):
                            pool = [x for x in pool if x.kind == "vocab"]
                        if len(pool) < 2:
                            continue
                        a = pool[(k * 5) % len(pool)]
                        b = next((x for x in pool[(k * 5 + 1) % len(pool):] + pool if x.value != a.value), None)
                        if b is None:
                            continue
                        text = _fmt(t, cat, self.w, **a.slots(), np2=b.np)
                        facts = {a.fact(False)} | ({b.fact(False)} if "{np2}" in t else set())
                        units = [f"pseudo:{cue['cue']}", a.unit()] + ([b.unit()] if "{np2}" in t else [])
                        if self.add(Row(cat, "controls", text, facts, [fname], units, "cue_first", cue=cue["cue"])):
                            break
                    k += 1

    def negated_direction(self) -> None:
        for unit in UNIT_FIELDS:
            combos = [(lead, d) for lead in self.leads(unit, True) for d in self.direction_words(unit, True)
                      if self.lead_takes(lead, d)]
            for k in range(len(combos) * len(UNIT_FIELDS[unit])):
                got = self.bound_clause(unit, True, k)
                if got:
                    cat, fname, text, facts, units = got
                    self.add(Row(cat, "negated-direction", text, facts, [fname], units, "cue_first",
                                 cue=units[0][4:]))

    def open_bounds(self) -> None:
        for unit in UNIT_FIELDS:
            combos = [(lead, d) for lead in self.leads(unit, False) for d in self.direction_words(unit)
                      if self.lead_takes(lead, d)]
            for k in range(len(combos) * len(UNIT_FIELDS[unit])):
                got = self.bound_clause(unit, False, k)
                if got:
                    cat, fname, text, facts, units = got
                    self.add(Row(cat, "open-bounds", text, facts, [fname], units,
                                 "value_first" if units[0][4:] in self._suffixes() else "cue_first", cue=units[0][4:]))

    def _suffixes(self) -> set[str]:
        return {d["word"] for d in self.w.directions["words"] if d["class"] == "suffix"}

    def _neg_clause(self, cat: str, k: int, coordinated: bool = False) -> tuple[str, set[str], list[str],
                                                                                 str] | None:
        """A negation clause ('I can't stand horror movies') of this half on one catalog; coordinated: two values
        of one field ('no horror movies or westerns')."""
        cues = [c for c in self.neg_cues() if c.get("cue_first") and (not c.get("domains") or cat in c["domains"])]
        fields = [f for c, f in self.negatable_fields() if c == cat]
        for attempt in range(12):
            cue = cues[(k + attempt) % len(cues)]
            t = cue["cue_first"][(k // len(cues)) % len(cue["cue_first"])]
            fname = fields[(k + attempt) % len(fields)]
            pool = [x for x in self.field_targets(cat, fname) if ("bare" not in _needs(t) or x.bare)
                    and (x.plural or not cue.get("plural_only"))]
            if coordinated:
                pool = [x for x in pool if x.kind == "vocab" and "{np}" in t]
            if len(pool) < 2:
                continue
            a = pool[self.rng.randrange(len(pool))]
            if not coordinated:
                return (_fmt(t, cat, self.w, **a.slots()), {a.fact(True)},
                        [f"neg-cue:{cue['cue']}", a.unit()], fname)
            b = next((x for x in pool if x.value != a.value and x.np.split()[-1] == a.np.split()[-1]), None) or \
                next((x for x in pool if x.value != a.value), None)
            if b is None:
                continue
            np = f"{a.np} or {b.np}"
            return (_fmt(t, cat, self.w, **{**a.slots(), "np": np, "are": "are", "those": "those", "them": "them"}),
                    {a.fact(True), b.fact(True)},
                    [f"neg-cue:{cue['cue']}", a.unit(), b.unit()], fname)
        return None

    def _want_hard(self, cat: str, k: int) -> tuple[str, set[str], list[str], str] | None:
        """A hard value wanted ('something in French', 'a light game'): a limit (field=Value)."""
        hard = [(c, f) for c, f in self.negatable_fields() if c == cat and
                self.w.catalogs[c].manifest.fields[f].mention == "hard"]
        if not hard:
            return None
        c, fname = hard[k % len(hard)]
        table = self.w.values["fields"][cat][fname]
        vals = [v for v in table if table[v].get("one")]
        v = vals[(k * 3) % len(vals)]
        return f"I want {table[v]['one']}", {f"{fname}={v}"}, [], fname

    def multi_clause(self) -> None:
        joins = self.joiners("clause_joiners")
        units_of = {"movies": ["minutes", "year"], "products": ["USD"], "boardgames": ["minutes", "players", "year"]}
        patterns = ["comp+neg", "neg+negbound", "negbound+negbound", "comp+bound+neg", "neg-or", "hard+bound",
                    "bound+neg", "neg+neg"]
        k = 0
        for rnd in range(9):
            for cat in CATALOG_NAMES:
                for pat in patterns:
                    k += 1
                    us = units_of[cat]
                    clauses: list[tuple[str, set[str], list[str], str]] = []
                    if pat == "comp+neg":
                        neg = self._neg_clause(cat, k)
                        comp = neg and self._companion(cat, next(iter(neg[1])).split("!")[-1].split(":")[-1], k)
                        if not neg or not comp:
                            continue
                        clauses = [(comp["t"], _facts(comp["expect"]), [f"companion:{cat}:{comp['t']}"], ""), neg]
                    elif pat in ("neg+negbound", "bound+neg"):
                        neg = self._neg_clause(cat, k)
                        b = self.bound_clause(us[k % len(us)], pat == "neg+negbound", k,
                                              self._place(cat, us[k % len(us)]))
                        if not neg or not b:
                            continue
                        bc = (b[2], b[3], b[4], b[1])
                        clauses = [neg, bc] if pat == "neg+negbound" else [bc, neg]
                    elif pat == "negbound+negbound":
                        if len(us) < 2:
                            continue
                        u1, u2 = us[k % len(us)], us[(k + 1) % len(us)]
                        b1 = self.bound_clause(u1, True, k, self._place(cat, u1))
                        b2 = self.bound_clause(u2, True, k + 3, self._place(cat, u2))
                        if not b1 or not b2:
                            continue
                        clauses = [(b1[2], b1[3], b1[4], b1[1]), (b2[2], b2[3], b2[4], b2[1])]
                    elif pat == "comp+bound+neg":
                        neg = self._neg_clause(cat, k + 1)
                        b = self.bound_clause(us[k % len(us)], False, k, self._place(cat, us[k % len(us)]))
                        comp = neg and self._companion(cat, next(iter(neg[1])).split("!")[-1].split(":")[-1], k)
                        if not neg or not b or not comp:
                            continue
                        clauses = [(comp["t"], _facts(comp["expect"]), [f"companion:{cat}:{comp['t']}"], ""),
                                   (b[2], b[3], b[4], b[1]), neg]
                    elif pat == "neg-or":
                        neg = self._neg_clause(cat, k, coordinated=True)
                        if not neg:
                            continue
                        clauses = [neg]
                    elif pat == "hard+bound":
                        want = self._want_hard(cat, k)
                        b = self.bound_clause(us[k % len(us)], k % 2 == 0, k, self._place(cat, us[k % len(us)]))
                        if not want or not b:
                            continue
                        clauses = [want, (b[2], b[3], b[4], b[1])]
                    elif pat == "neg+neg":
                        n1, n2 = self._neg_clause(cat, k), self._neg_clause(cat, k + 5)
                        if not n1 or not n2 or n1[3] == n2[3]:
                            continue
                        clauses = [n1, n2]
                    text = clauses[0][0]
                    units = list(clauses[0][2])
                    for n, c in enumerate(clauses[1:]):
                        j = joins[(k + n) % len(joins)]
                        text = j["join"].format(a=text, b=c[0])
                        units += [*c[2], f"clause_joiners:{j['id']}"]
                    facts = set().union(*(c[1] for c in clauses))
                    if conflicting(facts) or sum(len(c[1]) for c in clauses) != len(facts):
                        continue
                    self.add(Row(cat, "multi-clause", text, facts, [c[3] for c in clauses if c[3]], units,
                                 "", f"{len(clauses)} clauses", cue=pat))

    def _place(self, cat: str, unit: str) -> tuple[str, str]:
        return next(cf for cf in UNIT_FIELDS[unit] if cf[0] == cat)

    def two_turn(self) -> None:
        ups = self.w.templates["followups"]
        units_of = {"movies": ["minutes", "year"], "products": ["USD"], "boardgames": ["minutes", "players"]}
        k = 0
        for rnd in range(5):
            keep = set(self.p.take("followups", [u["t"] for c in CATALOG_NAMES for u in ups[c]]))
            for cat in CATALOG_NAMES:
                pool = [u for u in ups[cat] if u["t"] in keep]
                for kind in ("negbound", "bound", "neg"):
                    k += 1
                    us = units_of[cat]
                    if kind == "neg":
                        first = self._neg_clause(cat, k + 11)
                        if not first:
                            continue
                        t1, f1, u1, fname = first
                    else:
                        b = self.bound_clause(us[k % len(us)], kind == "negbound", k + rnd,
                                              self._place(cat, us[k % len(us)]))
                        if not b:
                            continue
                        _, fname, t1, f1, u1 = b
                    up = pool[(k + rnd) % len(pool)]
                    f2 = _facts(up["expect"])
                    if any(f.split("!")[-1] in up["expect"] for f in f1 if "!" in f):
                        continue
                    facts = merge_turns(f1, f2)
                    fields = [fname] + sorted({re.split(r"[<>=!]", f)[0] for f in f2 if re.match(r"[a-z_]+[<>=!]", f)})
                    self.add(Row(cat, "two-turn", up["t"], facts, fields, [*u1, f"followups:{cat}:{up['t']}"],
                                 "", turns=[t1], cue=kind))

    def people(self) -> None:
        frames = self.w.templates["surname_frames"]
        k = 0
        for cat, roles in PEOPLE_ROLES.items():
            sn = self.w.surnames[cat]
            for role in roles:
                frame_role = role
                fr = frames[frame_role]
                keep_f = self.p.take(f"surname-frame:{frame_role}", [f["id"] for f in fr])
                fr = [f for f in fr if f["id"] in keep_f]
                names = sn["unique"][role]
                keep_n = self.p.take(f"surname:{cat}:{role}", [s for s, _ in names])
                names = [(s, p) for s, p in names if s in keep_n]
                for i, (s, full) in enumerate(names):
                    for j in range(3 if cat == "boardgames" else 2):
                        f = fr[(i + j * 2) % len(fr)]
                        text = _fmt(f["t"], cat, self.w, S=s)
                        self.add(Row(cat, "people", text, {f"{f['sign']}p:{full}"}, [role],
                                     [f"surname:{cat}:{role}:{s}", f"surname-frame:{frame_role}:{f['id']}"],
                                     "cue_first", cue=f["id"]))
                        k += 1
            amb = frames["ambiguous"]
            keep_a = self.p.take("surname-frame:ambiguous", [f["id"] for f in amb])
            amb = [f for f in amb if f["id"] in keep_a]
            pairs = sn["ambiguous"]
            keep_s = self.p.take(f"surname-ambiguous:{cat}", [s for s, _ in pairs])
            for i, (s, names2) in enumerate(p for p in pairs if p[0] in keep_s):
                for j in range(2):
                    f = amb[(i + j) % len(amb)]
                    fields = sorted({r for r in PEOPLE_ROLES[cat] for it in self.w.catalogs[cat].items
                                     for p in names2 if p in (it.get(r) or [])})
                    self.add(Row(cat, "people", _fmt(f["t"], cat, self.w, S=s), {"ask:p:" + "|".join(names2)},
                                 fields, [f"surname-ambiguous:{cat}:{s}", f"surname-frame:ambiguous:{f['id']}"],
                                 "cue_first", cue="ask"))
        wb = frames["with_bound"]  # "Spielberg, but nothing before 1990": the negated bound of the year
        keep_w = self.p.take("surname-frame:with_bound", [f["id"] for f in wb])
        wb = [f for f in wb if f["id"] in keep_w]
        dirs = [d for d in self.direction_words("year", True) if d["class"] == "prep"] or \
            self.direction_words("year", True)
        for cat in PEOPLE_ROLES:
            role = PEOPLE_ROLES[cat][0]
            keep_n = set(self.p.take(f"surname:{cat}:{role}", [s for s, _ in self.w.surnames[cat]["unique"][role]]))
            names = [(s, p) for s, p in self.w.surnames[cat]["unique"][role] if s in keep_n]
            nums = self.numbers(cat, "year")
            for i, (s, full) in enumerate(names[:6]):
                f, d = wb[i % len(wb)], dirs[i % len(dirs)]
                for j in range(len(nums)):
                    n, render = nums[(i * 3 + j) % len(nums)]
                    side, v = self.bound("year", d, n, negated=True)
                    facts = {f"+p:{full}", f"year{'>=' if side == 'min' else '<='}{v:g}"}
                    text = _fmt(f["t"], cat, self.w, S=s, X=self.bound_phrase("year", d, render))
                    if self.add(Row(cat, "people", text, facts, [role, "year"],
                                    [f"surname:{cat}:{role}:{s}", f"surname-frame:with_bound:{f['id']}",
                                     f"dir:{d['word']}", f"num:{cat}:year:{n:g}|{render}"],
                                    "cue_first", position="first", cue=f["id"])):
                        break

    def languages(self) -> None:
        langs = self.w.languages["languages"]
        for lang, L in langs.items():
            for cat, units in (("movies", ["minutes", "year"]), ("products", ["USD"])):
                want = self.p.take(f"lang:{lang}:want:{cat}", L["want"][cat])
                neg = self.p.take(f"lang:{lang}:neg:{cat}", L["neg"][cat])
                keep_l = self.p.take(f"lang:{lang}:limits", [x["t"] for x in L["limits"]])
                lims = [x for x in L["limits"] if x["t"] in keep_l and set(x["units"]) & set(units)]
                vals = sorted(L[cat])
                field_name = "genres" if cat == "movies" else "category"
                n_rows = 14 if cat == "movies" else 6
                for k in range(n_rows):
                    shape = ("want+limit", "neg", "want+neg", "neg+limit", "limit", "want")[k % 6]
                    v1 = vals[(k * 5 + len(lang)) % len(vals)]
                    v2 = vals[(k * 5 + 3 + len(lang)) % len(vals)]
                    parts: list[str] = []
                    facts: set[str] = set()
                    units_used: list[str] = []
                    fields = []
                    if "want" in shape:
                        t = want[k % len(want)]
                        parts.append(t.format(one=L[cat][v1]["one"]))
                        facts.add(f"+g:{v1}")
                        units_used.append(f"lang:{lang}:want:{t}")
                        fields.append(field_name)
                    if "neg" in shape:
                        t = neg[k % len(neg)]
                        parts.append(t.format(np=L[cat][v2]["np"]))
                        facts.add(f"{field_name}!{v2}")
                        units_used.append(f"lang:{lang}:neg:{t}")
                        fields.append(field_name)
                    if "limit" in shape:
                        lim = lims[k % len(lims)]
                        unit = [u for u in lim["units"] if u in units][k % len([u for u in lim["units"] if u in units])]
                        renders = L["units"][unit]["renders"]
                        keep_r = self.p.take(f"lang:{lang}:render:{unit}", [r for _, r in renders])
                        n, r = [(n, r) for n, r in renders if r in keep_r][k % len(keep_r)]
                        fname = "year" if unit == "year" else ("runtime_minutes" if unit == "minutes" else "price_usd")
                        step = self.w.directions["edge_step_by_unit"][unit] if lim["edge"] == "exclusive" else 0
                        v = n + step if lim["side"] == "min" else n - step
                        num = r
                        parts.append(lim["t"].format(n=num))
                        facts.add(f"{fname}{'>=' if lim['side'] == 'min' else '<='}{v:g}")
                        units_used += [f"lang:{lang}:limit:{lim['t']}", f"lang:{lang}:render:{r}"]
                        fields.append(fname)
                    text = ", ".join(parts)
                    if lang == "fr":  # elision: 'moins d'une heure', 'plus d'une heure et demie'
                        text = re.sub(r"\b(de|que) (une?|un)\b", lambda m: f"{m.group(1)[0]}'{m.group(2)}", text)
                    if k % 2 == 0:
                        text = text[0].upper() + text[1:] + "."
                    self.add(Row(cat, "languages", text, facts, fields, units_used, "", lang=lang,
                                 cue=shape))

    def build(self) -> list[Row]:
        self.negation()
        self.controls()
        self.negated_direction()
        self.open_bounds()
        self.multi_clause()
        self.two_turn()
        self.people()
        self.languages()
        return self.rows


def generate() -> dict[str, list[dict[str, Any]]]:
    """Both halves, as the rows written to tests/data/generated (deterministic: same tables, same catalogs, same
    rows)."""
    world = World()
    return {half: [r.as_json(half, n) for n, r in enumerate(Builder(world, half).build())] for half in HALVES}


def dumps(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def write(out: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, int]:
    out = out or generate()
    GENERATED.mkdir(parents=True, exist_ok=True)
    for half, rows in out.items():
        FILES[half].write_text(dumps(rows), encoding="utf-8")
    return {h: len(r) for h, r in out.items()}


def load(half: str) -> list[dict[str, Any]]:
    """One half as written (tests/data/generated/understand_<half>.jsonl)."""
    from chatrec.evaluation.understand_eval import load_rows

    return load_rows(FILES[half])


def main(argv: list[str] | None = None) -> int:
    """`python -m chatrec.evaluation.phrasings`: write both halves to tests/data/generated/."""
    counts = write()
    for half, n in counts.items():
        print(f"{FILES[half].relative_to(ROOT)}: {n} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
