"""Which language a message is in, and reading French, Spanish and German through word tables.

The reader reads English. A message in a language it also reads (a file words/<code>.json: everyday words for
negation, bounds, time, wishes) is first written in the English words the reader knows, word by word, with the
catalog's own words in that language from its manifest (`languages.<code>`: 'comédie' -> Comedy, 'récent' ->
recent); numbers go through text2num in that language first. Titles are left as written. This is a word table,
not a translation: word order stays, and what no table has stays as written (the model may be asked about it).
A message in a language chatrec recognises but does not read (words/detect.json) gets a notice saying so.
"""
from __future__ import annotations

import json
import re
import unicodedata
import weakref
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from text_to_num import alpha2digit

from chatrec.catalog.catalog import Catalog
from chatrec.read.lexicon import CUE_WORDS, FUNCTION_WORDS

WORDS = Path(__file__).parent / "words"
ENGLISH = "English"


def fold(text: str) -> str:
    """Lower case without accents, one character for one ('Comédie' -> 'comedie'), so positions line up."""
    if text.isascii():
        return text.lower()
    out = []
    for ch in text:
        if ch in "ßẞ":  # one letter for one: 'außer' -> 'auser' (the tables are folded the same way)
            out.append("s")
            continue
        low = ch.lower()
        low = low if len(low) == 1 else ch
        base = unicodedata.normalize("NFKD", low)[:1]
        out.append(base if base.isascii() and base.isalpha() else "'" if low in "’‘" else low)
    return "".join(out)


@dataclass(frozen=True)
class Table:
    """One read language: its name, text2num code, words that tell it, and its word table (folded keys)."""

    code: str
    name: str
    text2num: str
    detect: frozenset[str]
    words: dict[str, str]
    patterns: tuple[tuple[str, str], ...]
    compounds: bool = False  # words join ('Kinderfilme'): split off the catalog's item nouns


@lru_cache(maxsize=1)
def tables() -> dict[str, Table]:
    """The languages read besides English: one file per language in words/ (fr.json, es.json, de.json)."""
    out = {}
    for path in WORDS.glob("??.json"):
        d = json.loads(path.read_text(encoding="utf-8"))
        words = {fold(k): v for group in d["words"].values() for k, v in group.items()}
        out[path.stem] = Table(path.stem, d["language"], d["text2num"], frozenset(map(fold, d["detect"])), words,
                               tuple((p, r) for p, r in d.get("patterns", [])), bool(d.get("compounds")))
    return dict(sorted(out.items(), key=lambda kv: kv[1].name))


@lru_cache(maxsize=8)
def _refusal_table(code: str) -> tuple[dict[str, str], re.Pattern[str]] | None:
    d = json.loads((WORDS / "detect.json").read_text(encoding="utf-8"))["languages"].get(code, {})
    words = {fold(k): v for k, v in d.get("refusals", {}).items()}
    return (words, _table_re(words)) if words else None


def _refusals(text: str, code: str) -> str:
    """A message in a language recognised but not read, with its words of refusal as the English cue ('western
    non' -> 'western not'): whatever else is missed, a refusal is never read as a wish."""
    table = _refusal_table(code)
    if table is None:
        return text
    words, pattern = table
    folded = fold(text)
    out, last = [], 0
    for m in pattern.finditer(folded):
        out += [text[last: m.start()], words[m.group(0)]]
        last = m.end()
    return "".join(out) + text[last:]


@lru_cache(maxsize=1)
def recognised() -> dict[str, tuple[str, frozenset[str]]]:
    """Languages recognised but not read: code -> (name, words that tell it)."""
    d = json.loads((WORDS / "detect.json").read_text(encoding="utf-8"))
    return {c: (v["language"], frozenset(map(fold, v["detect"]))) for c, v in d["languages"].items()}


def read_languages() -> list[str]:
    """The languages the reader reads, English first ('English, French, Spanish and German')."""
    return [ENGLISH, *(t.name for t in tables().values())]


def _catalog_words(catalog: Catalog, code: str) -> dict[str, str]:
    """The catalog's words in language `code` (folded) -> the English word the reader knows."""
    lang = catalog.manifest.languages.get(code)
    if lang is None:
        return {}
    out = {fold(k): v for k, v in lang.item_words.items()}
    for table in lang.fields.values():
        out.update({fold(k): v for k, v in table.items()})
    return out


_ENGLISH_WORDS = FUNCTION_WORDS


@dataclass(frozen=True)
class _Telling:
    """Per language the everyday words that tell it and the catalog's words in it (no English word among them)."""

    stop: dict[str, frozenset[str]]
    catalog: dict[str, frozenset[str]]
    every: frozenset[str]
    shared: dict[str, frozenset[str]]  # English words the language's table has too ('no', 'me'): they tell neither


_SETS: dict[int, tuple["weakref.ref[Catalog] | None", _Telling]] = {}


def _telling(catalog: Catalog | None) -> _Telling:
    """The words that tell each language (computed once per catalog)."""
    hit = _SETS.get(id(catalog))
    if hit is not None and (hit[0] is None and catalog is None or hit[0] is not None and hit[0]() is catalog):
        return hit[1]
    english = _ENGLISH_WORDS | CUE_WORDS | (set(catalog.lexicon.phrases) if catalog else set())
    keys = {c: {k for k in t.words if " " not in k and "'" not in k and len(k) >= 4} for c, t in tables().items()}
    stop = {c: t.detect | keys[c] for c, t in tables().items()} | {c: w for c, (_, w) in recognised().items()}
    stop = {c: frozenset(words - english) for c, words in stop.items()}
    own = {c: frozenset({p for w in _catalog_words(catalog, c) for p in w.split()} - english) if catalog else
           frozenset() for c in tables()}
    shared = {c: frozenset((t.detect | {k for k in t.words if " " not in k}) & _ENGLISH_WORDS)
              for c, t in tables().items()}
    t = _Telling(stop, own, frozenset().union(*stop.values(), *own.values()), shared)
    _SETS[id(catalog)] = (weakref.ref(catalog) if catalog else None, t)
    return t


def detect(text: str, catalog: Catalog | None = None) -> str:
    """The message's language code: 'en' unless two or more words tell another language (its everyday words, the
    catalog's words in it) and outnumber the English function words; one is enough when no English word is there
    ('comédie ?', 'Seit 1980.'). A word of both languages counts for neither."""
    folded = fold(text)
    tell = _telling(catalog)
    pieces = re.findall(r"[a-z]+'?", folded)
    if not any(w in tell.every for w in pieces):
        return "en"
    en = sum(1 for w in re.findall(r"[a-z]+(?:'[a-z]+)*", folded) if w in _ENGLISH_WORDS and w not in tell.every)
    best, score, sure = "en", 0, False
    for code, words in tell.stop.items():  # the most telling words; between equals, one with a catalog word
        mine = tell.catalog.get(code, frozenset())
        n = sum(1 for w in pieces if w in words or w in mine)
        if n and n >= score:
            told = any(w in mine for w in pieces) or code in tables() and _phrase_of(folded, code)
            if n > score or told and not sure:
                best, score, sure = code, n, told
    if score >= 2 and score > en or score >= 1 and en == 0:
        return best
    # a short message ('Horror? No gracias', 'Terror no', 'La comedia no me va'): a word both languages have ('no',
    # 'me') tells neither, so a phrase of the other language's table ('no gracias') or a catalog word in it
    # ('terror') decides; read in English it would leave that word unplaced, and a refusal in it unread
    words = re.findall(r"[a-z]+(?:'[a-z]+)*", folded)
    en_only = en - sum(1 for w in words if w in tell.shared.get(best, frozenset()) and w not in tell.every)
    return best if score >= 1 and sure and score >= en_only else "en"


def _phrase_of(folded: str, code: str) -> bool:
    """Does the folded message hold a phrase of more than one word of language `code`'s table that English does not
    have ('no gracias', 'nein danke', 'non merci')?"""
    return _phrases_re(code).search(folded) is not None


@lru_cache(maxsize=8)
def _phrases_re(code: str) -> re.Pattern[str]:
    table = tables().get(code)
    keys = [k for k in (table.words if table else {}) if " " in k and not (set(k.split()) <= _ENGLISH_WORDS)]
    return re.compile(rf"(?<![\w'])(?:{'|'.join(map(re.escape, sorted(keys, key=len, reverse=True)))})(?![\w'])"
                      if keys else r"(?!x)x")


@dataclass(frozen=True)
class Reading:
    """The message as the reader will read it, its language, and a notice when it is not one the reader reads."""

    text: str
    language: str
    note: str | None = None


def _table_re(words: dict[str, str]) -> re.Pattern[str]:
    keys = sorted(words, key=len, reverse=True)
    alt = "|".join(re.escape(k) + ("" if k.endswith("'") else r"(?![\w'])") for k in keys)
    return re.compile(rf"(?<!\w)(?:{alt})")


@lru_cache(maxsize=32)
def _compiled(code: str, catalog_words: tuple[tuple[str, str], ...]) -> tuple[dict[str, str], re.Pattern[str]]:
    words = {**tables()[code].words, **dict(catalog_words)}
    return words, _table_re(words)


def _split_compounds(segment: str, words: dict[str, str] | frozenset[str], nouns: tuple[str, ...]) -> str:
    """'Kinderfilme' -> 'Kinder filme', 'Science-Fiction-Filme' -> 'Science-Fiction filme': a word the table does
    not know that ends with an item noun, split where the noun starts (a joining -s- or hyphen dropped) when the
    first part is a word of the table."""
    def split(m: re.Match[str]) -> str:
        w = m.group(0)
        f = fold(w)
        if f in words:
            return w
        for noun in nouns:
            head = f[: -len(noun)]
            if f.endswith(noun) and len(head) >= 3:
                for cut in (head, head.rstrip("-"), head[:-1] if head.endswith("s") else head):
                    if cut in words:
                        return f"{w[: len(cut)]} {w[len(head):]}"
        return w

    return re.sub(r"[^\W\d_][\w-]*", split, segment) if nouns else segment


def _english(segment: str, table: Table, words: dict[str, str], pattern: re.Pattern[str],
             nouns: tuple[str, ...] = (), known: frozenset[str] = frozenset()) -> str:
    """One stretch of the message (no title in it) in the reader's English words."""
    if table.compounds:
        segment = _split_compounds(segment, known | set(words), nouns)
    try:
        segment = alpha2digit(segment, table.text2num)
    except Exception:  # text2num refuses odd input in some languages: the words stay as written
        pass
    for p, r in table.patterns:  # 'les années 90' -> 'the 90s': found on the folded text, put back in place
        for m in reversed(list(re.finditer(p, fold(segment)))):
            segment = segment[: m.start()] + m.expand(r) + segment[m.end():]
    folded = fold(segment)
    out, last = [], 0
    for m in pattern.finditer(folded):
        out += [segment[last: m.start()], words[m.group(0)].lower()]
        last = m.end()
    text = "".join(out) + segment[last:]
    return re.sub(r"[ \t]{2,}", " ", text)


def read_language(text: str, catalog: Catalog, keep: list[tuple[int, int]] | None = None) -> Reading:
    """`text` as the reader reads it: English as written; French, Spanish or German in the reader's words (the
    spans in `keep`, titles, as written); another language recognised with a notice that says what is read."""
    code = detect(text, catalog)
    if code == "en":
        return Reading(text, "en")
    if code not in tables():
        name = recognised()[code][0]
        langs = read_languages()
        return Reading(_refusals(text, code), code,
                       f"This reads like {name}, which I don't read yet (I read {', '.join(langs[:-1])} and "
                       f"{langs[-1]}), so I may have missed what you asked for.")
    table = tables()[code]
    words, pattern = _compiled(code, tuple(sorted(_catalog_words(catalog, code).items())))
    lang = catalog.manifest.languages.get(code)
    nouns = tuple(sorted((fold(w) for w in lang.item_words), key=len, reverse=True)) if lang else ()
    known = frozenset(catalog.lexicon.phrases)
    out, last = [], 0
    keep = [(a, b) for a, b in keep or [] if fold(text[a:b]) not in words]  # 'Evita' (a title) is 'avoid' here
    for a, b in sorted(keep):
        out.append(_english(text[last:a], table, words, pattern, nouns, known))
        out.append(text[a:b])
        last = b
    out.append(_english(text[last:], table, words, pattern, nouns, known))
    return Reading("".join(out).strip(), code)
