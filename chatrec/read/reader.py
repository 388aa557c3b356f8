"""Reading one message once: number words, how far a negation reaches, and mentions of the catalog's words.

English is data and code (negation cues in words/negation_en.json read by scope.py, number words through
text2num, calendar words); the domain is data (vocabulary values, synonyms, field words, phrases, keywords from the
catalog's manifest and items, via its Lexicon). The rules in `constraints.py` and `understand.py` ask this module,
so every rule agrees on what a negation covers.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from text_to_num import alpha2digit

from chatrec.read.degree import degrees
from chatrec.read.lexicon import CUE_WORDS, FUNCTION_WORDS, Lexicon
from chatrec.read.scope import Polarity, Scope, cue_words, polarity


def _polarity(low: str, lex: Lexicon | None) -> Polarity:
    return polarity(low, lex.shields, lex.content_re, lex.phrase_re) if lex is not None else polarity(low)


def negated(low: str, start: int, lex: Lexicon | None = None) -> bool:
    """Is the phrase starting at `start` of the lower-cased message inside a negation's scope? One rule for every
    reader (scope.py): a cue negates its whole clause, whatever words sit between ('I never want to see horror
    films', 'no violence-heavy genres like war or horror'), and the clause ends at a turn ('but', 'except'), a new
    wish ('and love comedy') or a full stop. `lex`: the catalog's words, whose phrases that start with a cue ('no
    subtitles', 'not too long') are read whole and negate nothing after them."""
    return _polarity(low, lex).negated(start)


def scope_at(low: str, lex: Lexicon | None = None) -> Callable[[int], Scope | None]:
    """The negation whose scope holds a position of the lower-cased message, if any."""
    return _polarity(low, lex).scope_at


def governs(low: str, pos: int, lex: Lexicon | None = None) -> bool:
    """Does a negation govern the value at `pos`, so that it turns a bound round ('nothing before 1980') or rules out
    a decade? It must reach it, and the first thing it reaches must not be a catalog value that the bound only
    qualifies: 'no horror from 1990 on' rules out horror and wants 1990 on; a value joined by or/and/nor is a list,
    not a qualifier ('nothing scary or over 2 hours')."""
    scope = _polarity(low, lex).scope_at(pos)
    if scope is None:
        return False
    if scope.kind == "post" or lex is None:
        return True
    between = low[scope.cue_end: pos]
    last = None
    for last in lex.phrase_re.finditer(between):
        pass
    return last is None or re.search(r"\b(?:or|and|nor)\b", between[last.end():]) is not None


# Negation words people misspell, each read as itself one typo away ('nothign', 'wihtout', 'dosent'): every word one
# deletion, insertion, change or swap of neighbours away, same first letter, five letters or more, except English
# words the reader knows ('newer' is not 'never', 'noting' is not 'nothing'). Generated once: a dict lookup a word.
NEG_TYPO_CUES = ("nothing", "never", "without", "neither", "except", "avoid", "dislike", "doesnt", "doesn't")
REAL_WORDS = frozenset("notting noting nether newer avoids avoided dislikes disliked nevermind doesn't".split())


def _one_typo(word: str) -> set[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    cuts = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in cuts if b} | {a + b[1] + b[0] + b[2:] for a, b in cuts if len(b) > 1}
    out |= {a + c + b[1:] for a, b in cuts if b for c in letters} | {a + c + b for a, b in cuts for c in letters}
    return {w for w in out if len(w) >= 5 and w[0] == word[0] and w != word}


def _typo_table() -> dict[str, str]:
    known = FUNCTION_WORDS | CUE_WORDS | REAL_WORDS
    table: dict[str, str] = {}
    for cue in NEG_TYPO_CUES:
        for w in _one_typo(cue) - known - set(NEG_TYPO_CUES):
            table.setdefault(w, cue)
    return table


NEG_TYPOS = _typo_table()
_WORD = re.compile(r"[A-Za-z][A-Za-z']*")


def fix_negation_typos(text: str) -> str:
    """`text` with misspelled negation words written right ('nothign over 90 minutes' -> 'nothing over 90 minutes'),
    so every rule reading negation sees them. A capitalised word inside a sentence is a name or a title ('Notting
    Hill') and stays as written."""
    def fix(m: re.Match[str]) -> str:
        w = m.group(0)
        cue = NEG_TYPOS.get(w.lower())
        if cue is None:
            return w
        if w[0].isupper():
            if re.search(r"[\w,;:'\"-]\s*$", text[:m.start()]):
                return w
            return cue.capitalize()
        return cue
    return _WORD.sub(fix, text)


DECADE_WORDS = {"twenties": 20, "thirties": 30, "forties": 40, "fifties": 50, "sixties": 60, "seventies": 70,
                "eighties": 80, "nineties": 90}
HOUR_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "a couple of": 2, "a couple": 2, "couple of": 2,
              "a few": 3}


def normalise_numbers(low: str) -> str:
    """Number words and spoken durations as digits with units: 'ninety minutes' -> '90 minutes', 'an hour and a
    half' -> '90 minutes', 'two hours max' -> '120 minutes max', 'half an hour' -> '30 minutes'."""
    t = low.replace("½", ".5")
    t = alpha2digit(t, "en")  # 'ninety', 'twenty-five', 'ten'; 'one'/'two' stay words (threshold 3): 'another one'
    t = re.sub(r"\ba (?=\d)", "", t)  # 'a hundred' -> 'a 100' -> '100'
    t = re.sub(rf"\b(?:the )?({'|'.join(DECADE_WORDS)})\b", lambda m: f"the {DECADE_WORDS[m.group(1)]}s", t)
    t = re.sub(r"(?<=\bhour) n (?=a half\b)|(?<=\bhours) n (?=a half\b)", " and ", t)
    t = re.sub(r"\bhalf an hour\b", "30 minutes", t)
    words = "|".join(sorted(map(re.escape, HOUR_WORDS), key=len, reverse=True))
    t = re.sub(rf"\b({words}|\d+(?:\.\d+)?) hours? and (?:a half|30 minutes)\b|\b({words}|\d+(?:\.\d+)?) and a half "
               r"hours?\b", lambda m: _minutes(m.group(1) or m.group(2), 30), t)
    t = re.sub(rf"\b({words}|\d+(?:\.\d+)?) hours?,? (?:and )?(\d+) min(?:ute)?s?\b",
               lambda m: _minutes(m.group(1), int(m.group(2))), t)
    t = re.sub(rf"\b({words})[ -](?:hours?|hrs?)\b", lambda m: _minutes(m.group(1), 0), t)
    t = re.sub(r"\b(\d+(?:\.\d+)?)[ -]?(?:hours?|hrs?|h)\b", lambda m: _minutes(m.group(1), 0), t)
    return t


def _minutes(hours: str, extra: int) -> str:
    n = HOUR_WORDS.get(hours.strip()) or float(hours)
    return f"{n * 60 + extra:g} minutes"


@dataclass
class Mention:
    """A phrase of the message that names something of the catalog: a vocabulary value (field, value), a phrase
    with a manifest effect (field, phrase), or a keyword/tag (field None)."""

    start: int
    end: int
    phrase: str
    field: str | None
    value: str
    negated: bool
    neutral: bool = False  # neither wished nor refused: "it doesn't have to be a comedy", 'is it a comedy?'


TOKEN = re.compile(r"[a-z0-9][a-z0-9'&-]*")


def _ngrams(low: str, max_n: int = 5) -> list[tuple[int, int, str]]:
    """(start, end, words joined by one space) for every run of up to `max_n` tokens: the phrase lookup keys."""
    toks = [(m.start(), m.end(), m.group(0)) for m in TOKEN.finditer(low)]
    out = []
    for i in range(len(toks)):
        for n in range(min(max_n, len(toks) - i), 0, -1):
            a, b = toks[i][0], toks[i + n - 1][1]
            out.append((a, b, " ".join(t[2] for t in toks[i: i + n])))
    return out


def find_mentions(low: str, text: str, lex: Lexicon, names: frozenset[str] = frozenset()) -> list[Mention]:
    """Vocabulary values, manifest phrases and catalog keywords written in the message, longest first and never
    overlapping, each with whether a negation reaches it. Short codes ('R', 'G', 'PG') count only written in
    capitals and not opening the message ('Really', 'Game' are not ratings). `names`: people's surnames, which
    are never a typo of a vocabulary word ('Spacey' is not 'space')."""
    taken: list[tuple[int, int]] = []
    out: list[Mention] = []
    for v in degrees(low, lex.field_phrases, _polarity(low, lex).scope_at):
        if v.phrase is not None:  # 'nothing too long' is the manifest's 'not too long', read whole, not negated
            taken.append((v.start, v.end))
            out.append(Mention(v.start, v.end, v.phrase[1], v.phrase[0], v.phrase[1], False))
    grams = sorted(_ngrams(low), key=lambda g: (-(g[1] - g[0]), g[0]))
    for a, b, key in grams:
        if key not in lex.phrases and key not in lex.keywords and key.endswith("s") and len(key) > 4 and \
                (key[:-1] in lex.keywords or key[:-1] in lex.phrases):
            key = key[:-1]  # "wargames": the keyword "wargame"; "deck builders": the value's word "deck builder"
        kind = ("phrase", lex.field_phrases[key]) if key in lex.field_phrases else \
            ("value", lex.phrases[key]) if key in lex.phrases else \
            ("keyword", (lex.keywords[key], key)) if key in lex.keywords else None
        if kind is None or any(a < y and x < b for x, y in taken):
            continue
        field, value = kind[1]
        if kind[0] == "value" and len(value) <= 2 and key == value.lower() and text[a:b] != value:
            continue  # 'R', 'G', 'PG' count only in capitals ('is r ok' is no rating); 'r-rated' always counts
        if kind[0] == "keyword" and key in lex.phrases:
            continue
        taken.append((a, b))
        out.append(Mention(a, b, key, field, value if kind[0] != "phrase" else key, negated(low, a, lex)))
    out += _hyphen_parts(low, lex, taken)
    out += _typos(low, lex, taken, names)
    pol = _polarity(low, lex)
    asked = [m.span(1) for m in ITEM_QUESTION.finditer(low)]
    for m in out:
        m.neutral = not m.negated and (pol.neutral(m.start) or any(a <= m.start < b for a, b in asked))
    return sorted(out, key=lambda m: m.start)


# a question about an item ('Is it a horror movie?', 'are those scary?'): what it names is asked, not wished
ITEM_QUESTION = re.compile(r"(?:^|[.!?;,]\s*)((?:is|was|are|were|does|did|do|isn't|wasn't|isnt)\s+(?:it|that|this|they|"
                           r"those|these|he|she|the movie|the film|the game)\b[^.!?;]*\?)")


def neutral(low: str, start: int, lex: Lexicon | None = None) -> bool:
    """Is the phrase at `start` in the reach of a cue that makes it neither wished nor refused ("it doesn't have
    to be animated", "I haven't seen a western")?"""
    return _polarity(low, lex).neutral(start)


def _hyphen_parts(low: str, lex: Lexicon, taken: list[tuple[int, int]]) -> list[Mention]:
    """A value inside a hyphenated word the lexicon does not know as a whole ('French-language', 'kid-friendly',
    'horror-ish'): the part that is a value counts, ruled out by a negating suffix or prefix ('horror-free',
    'non-horror')."""
    out = []
    free = frozenset(cue_words()["chat"]["negating_suffixes"])
    non = frozenset(cue_words()["chat"]["negating_prefixes"])
    for m in re.finditer(r"[a-z0-9]+(?:-[a-z0-9]+)+", low):
        if any(m.start() < y and x < m.end() for x, y in taken):
            continue
        at, parts = m.start(), m.group(0).split("-")
        for part in parts:
            if part in lex.phrases and len(part) > 2:
                field, value = lex.phrases[part]
                taken.append((at, at + len(part)))
                no = parts[-1] in free or parts[0] in non or negated(low, at, lex)  # 'gore-free', 'non-horror'
                out.append(Mention(at, at + len(part), part, field, value, no))
            at += len(part) + 1
    return out


def _typos(low: str, lex: Lexicon, taken: list[tuple[int, int]], names: frozenset[str] = frozenset()) \
        -> list[Mention]:
    """Single words one typo away from a vocabulary word ('horor', 'comdy', 'documentry'): same first letter, five
    letters or more, similarity 85+ (rapidfuzz), and not an ordinary English word the reader knows."""
    from rapidfuzz import fuzz, process

    out = []
    words = [k for k in lex.phrases if " " not in k and len(k) >= 5]
    for m in TOKEN.finditer(low):
        w = m.group(0)
        if len(w) < 5 or w in lex.phrases or w in FUNCTION_WORDS or w in CUE_WORDS or w in lex.keywords or \
                w in names or any(m.start() < y and x < m.end() for x, y in taken):
            continue
        hit = process.extractOne(w, [k for k in words if k[0] == w[0]], scorer=fuzz.ratio, score_cutoff=85)
        if hit:
            field, value = lex.phrases[hit[0]]
            out.append(Mention(m.start(), m.end(), w, field, value, negated(low, m.start(), lex)))
    return out


def mask(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with the given spans blanked (same length, so positions still line up)."""
    chars = list(text)
    for a, b in spans:
        chars[a:b] = " " * (b - a)
    return "".join(chars)
