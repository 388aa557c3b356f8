"""People by the names people use: the full name ('Christopher Nolan'), the surname alone when one person of the
catalog has it ('Nolan', "Kubrick's", 'a Tarantino movie'), and names with a typo ('Cristopher Nolan',
'Spielburg'). A surname that several people share asks which one, naming them ('Which Anderson: Wes Anderson or
Paul Thomas Anderson?'). Which fields hold people is the manifest's (`people: true`); the words around a name
are data (words/people_en.json).

A surname alone must not be an ordinary word: one the catalog's descriptions write in lower case ('stone',
'young') counts only with a person's words around it ('a Stone film', "Stone's"); a capitalised word before it
that is not one of the candidates' first names means someone else ('Jonathan Nolan' is not Christopher Nolan).
"""
from __future__ import annotations

import json
import re
import weakref
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from chatrec.catalog.catalog import PEOPLE_FIELDS, Catalog
from chatrec.read.lexicon import CUE_WORDS, FUNCTION_WORDS
from chatrec.read.mentions import _known_words

WORDS = Path(__file__).parent / "words"
NAME_TOKEN = re.compile(r"[^\W\d_][\w.'’-]*")


@lru_cache(maxsize=1)
def _words() -> dict:
    return json.loads((WORDS / "people_en.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class PersonMention:
    """Where a person of the catalog is named, and how: 'full', 'surname' or 'typo'."""

    start: int
    end: int
    name: str
    how: str


@dataclass
class People:
    """The people a message names, and the questions its ambiguous surnames raise."""

    found: list[PersonMention] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    unsure: list[tuple[int, int]] = field(default_factory=list)  # spans of the surnames asked about


@dataclass
class PeopleIndex:
    """One catalog's people, by full name, surname and first letter (built once; catalogs are read-only)."""

    names: dict[str, str]  # lower-cased full name -> name
    weight: dict[str, int]  # name -> how many items name them
    surnames: dict[str, list[str]]  # lower-cased surname -> names, most items first
    first_word: dict[str, list[str]]  # first word -> full names (lower-cased), longest first
    by_initial: dict[str, list[str]]  # first letter -> surnames, for typos
    ordinary: frozenset[str]  # words the descriptions write in lower case: ordinary words, not names
    stop: frozenset[str]  # words that are never a surname alone here (function, cue, catalog words)
    surname_words: frozenset[str] = frozenset()  # every surname: names, never typos of other words


def _surname(low_name: str, suffixes: frozenset[str]) -> str | None:
    words = [w for w in low_name.split() if w not in suffixes]
    return words[-1] if len(words) >= 2 else None


_INDEX: dict[int, tuple["weakref.ref[Catalog]", PeopleIndex]] = {}


def people_index(catalog: Catalog) -> PeopleIndex:
    """The catalog's people index (computed once per catalog)."""
    hit = _INDEX.get(id(catalog))
    if hit is not None and hit[0]() is catalog:
        return hit[1]
    fields = catalog.manifest.people_fields() or [f for f in catalog.manifest.fields if f in PEOPLE_FIELDS]
    weight: dict[str, int] = {}
    for it in catalog.items:
        for f in fields:
            for p in it.get(f) or [] if isinstance(it.get(f), list) else []:
                weight[str(p)] = weight.get(str(p), 0) + 1
    names = {p.lower(): p for p in weight}
    suffixes = frozenset(_words()["name_suffixes"])
    surnames: dict[str, list[str]] = {}
    first: dict[str, list[str]] = {}
    particles = frozenset(_words()["name_particles"])
    for low, name in names.items():
        s = _surname(low, suffixes)
        if s:
            surnames.setdefault(s, []).append(name)
            first.setdefault(low.split()[0], []).append(low)
            words = [w for w in low.split() if w not in suffixes]
            if len(words) >= 3 and words[-2] in particles:  # 'De Niro', 'Del Toro', 'Van Sant'
                surnames.setdefault(f"{words[-2]} {s}", []).append(name)
    for v in surnames.values():
        v.sort(key=lambda n: (-weight[n], n))
    for v in first.values():
        v.sort(key=len, reverse=True)
    ordinary = {w for it in catalog.items for w in re.findall(r"(?<![\w'’])[a-z][a-z'-]+", str(it.get("description")
                                                                                              or ""))}
    lex = catalog.lexicon
    stop = FUNCTION_WORDS | CUE_WORDS | lex.item_nouns | {w for k in [*lex.phrases, *lex.keywords, *lex.field_words]
                                                          for w in k.split()}
    stop |= set(_words()["interjections"])  # 'Wow, thanks' names no Bow Wow
    initial: dict[str, list[str]] = {}
    for sur in surnames:
        initial.setdefault(sur[:1], []).append(sur)
    idx = PeopleIndex(names, weight, surnames, first, initial, frozenset(ordinary), frozenset(stop),
                      frozenset(surnames))
    _INDEX[id(catalog)] = (weakref.ref(catalog), idx)
    return idx


class _Span:
    """Two neighbouring tokens read as one (a surname with its particle): the start of one, the end of the other."""

    def __init__(self, a: re.Match[str], b: re.Match[str]) -> None:
        self._start, self._end = a.start(), b.end()

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for a, b in spans:
        chars[a:b] = " " * (b - a)
    return "".join(chars)


def _full_names(low: str, idx: PeopleIndex) -> list[PersonMention]:
    out: list[PersonMention] = []
    for m in re.finditer(r"[\w'-]+", low):
        if out and m.start() < out[-1].end:
            continue
        for name in idx.first_word.get(m.group(0), []):
            if re.match(rf"{re.escape(name)}(?![\w])", low[m.start():]):
                out.append(PersonMention(m.start(), m.start() + len(name), idx.names[name], "full"))
                break
    return out


def _context(toks: list[re.Match[str]], i: int, low: str, nouns: frozenset[str], ordinary: bool = False) -> bool:
    """Person's words around token i: 'by Nolan', "Nolan's", 'a Nolan film'; the weak ones ('some', 'more')
    only before a word that is no ordinary word ('some reason' is no Rex Reason)."""
    w = _words()
    before = low[max(0, toks[i].start() - 20): toks[i].start()]
    words = w["before"] if ordinary else [*w["before"], *w["before_weak"]]
    if re.search(rf"\b(?:{'|'.join(map(re.escape, words))})\s+$", before):
        return True
    nxt = toks[i + 1].group(0).lower() if i + 1 < len(toks) else ""
    return nxt in w["after"] or nxt in nouns or nxt.rstrip("s") in nouns


def find_people(text: str, catalog: Catalog, blank: list[tuple[int, int]] | None = None,
                also_blank: list[tuple[int, int]] | None = None) -> People:
    """People of the catalog named in `text`. `blank`: spans that are no names at all (titles); `also_blank`:
    spans a surname alone may not come from (catalog words such as 'Coen brothers')."""
    from rapidfuzz import fuzz, process

    idx = people_index(catalog)
    out = People()
    if not idx.names:
        return out
    work = _blank(text, blank or [])
    low = work.lower()
    out.found = _full_names(low, idx)
    taken = [(p.start, p.end) for p in out.found] + list(also_blank or [])
    work = _blank(work, taken)
    toks = list(NAME_TOKEN.finditer(work))
    nouns = catalog.lexicon.item_nouns
    known = _known_words(catalog)
    for i, t in enumerate(toks):
        raw = re.sub(r"(?:['’]s|['’])$", "", t.group(0).rstrip(".-"))
        possessive = raw != t.group(0).rstrip(".-")
        if "-" in raw and raw.lower() not in idx.surnames:  # 'Kubrick-style', 'Tarantino-esque'
            raw = raw.split("-")[0]
        word = raw.lower()
        if len(word) < 3 or word in idx.stop:
            continue
        capital, context = raw[:1].isupper(), possessive or _context(toks, i, low, nouns, word in idx.ordinary)
        prev = toks[i - 1] if i and work[toks[i - 1].end(): t.start()].strip() == "" else None
        if prev is not None and f"{prev.group(0).lower()} {word}" in idx.surnames:  # 'a De Niro film'
            word, raw, t, prev = f"{prev.group(0).lower()} {word}", f"{prev.group(0)} {raw}", _Span(prev, t), None
        first = prev.group(0).lower() if prev is not None and prev.group(0).lower() not in idx.stop else None
        how, cands = "surname", idx.surnames.get(word)
        if cands is None:  # a typo: one surname 85+ similar (rapidfuzz), not a word the catalog or English knows
            if len(word) < 5 or word in known or word in idx.ordinary:
                continue
            pool = idx.by_initial.get(word[:1], [])
            hit = process.extractOne(word, pool, scorer=fuzz.ratio, score_cutoff=85)
            if hit is None:
                continue
            if hit[0] in idx.ordinary:  # 'Goood', 'kinda': a typo of the word, not of Meagan Good or Richard Kind
                continue
            how, cands = "typo", idx.surnames[hit[0]]
        named = [c for c in cands if first and fuzz.ratio(first, c.lower().split()[0]) >= 80]
        start = t.start()
        if named:  # 'Cristopher Nolan', 'steven spielburg': the first name picks the person
            cands, start, how = named[:1], prev.start(), how if first in idx.first_word else "typo"  # type: ignore
        elif first and (first in idx.first_word or prev.start() > 0 and prev.group(0)[:1].isupper()):  # type: ignore
            continue  # 'Jonathan Nolan', 'Harry Potter': someone the catalog does not have
        elif not (context or capital and word not in idx.ordinary):
            continue  # 'stone', 'Young': ordinary words, unless a person's words are around them
        if len(cands) == 1:
            out.found.append(PersonMention(start, t.end(), cands[0], how))
        else:
            shown = cands[:3]
            which = ", ".join(shown[:-1]) + f" or {shown[-1]}"
            q = f"Which {raw} do you mean: {which}? Say the full name and I'll use it."
            if q not in out.questions:
                out.questions.append(q)
            out.unsure.append((t.start(), t.end()))
    out.found.sort(key=lambda p: p.start)
    return out


def resolve(name: str, catalog: Catalog) -> str | None:
    """A name the model proposed, as a person of the catalog: the full name, or a surname only one person has."""
    idx = people_index(catalog)
    low = name.lower().strip()
    if low in idx.names:
        return idx.names[low]
    cands = idx.surnames.get(re.sub(r"['’]s$", "", low))
    return cands[0] if cands and len(cands) == 1 else None
