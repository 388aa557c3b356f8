"""How far a negation reaches: a message read as clauses, each word with a polarity.

One rule for every reader (values, people, keywords, bounds, titles): a negation cue makes everything in its scope
negative, whatever words sit between, and the scope ends where the clause does. The cues are data
(words/negation_en.json: the NegEx trigger sets negspacy publishes, plus chat idioms), grouped by how they scope:
  preceding  'no', "can't stand", 'steer clear of': negates forward, to the end of the clause;
  following  'is out', 'not for me', 'no thanks': negates backward, to the start of the clause;
  pseudo     'not only', "don't mind", 'no idea': looks like a negation and is none;
  exception  'except', 'other than': ends a negation ('no horror except Alien') or starts one ('all but...');
  termination 'but', 'however', 'instead': ends the clause.
A clause also ends at . ; ! ? and at a comma (unless a bare list goes on: 'no horror, westerns or musicals'), and
where a new wish opens ('and love comedy', 'I want a drama', 'and something funny'); never right after the cue
('never want horror', "don't like westerns"). Matching is one pass over the tokens, longest phrase first.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

WORDS = Path(__file__).parent / "words"
TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*(?:-[^\W_]+(?:'[^\W_]+)*)*'?|[^\w\s]|_")
HARD = frozenset(".;!?\n")
QUANTIFIERS = frozenset("any all every anything everything whatever".split())
VERBS = frozenset("is are was were would will should could can sounds seems looks".split())  # a new clause
SOFT = frozenset(",:()[]\"-–—")  # a comma, a colon, a bracket, a dash: a clause may go on past them (lists)


@dataclass(frozen=True)
class Scope:
    """A negated stretch [start, end) of the text, and the cue that opened it ('pre' or 'post')."""

    start: int
    end: int
    cue_start: int
    cue_end: int
    kind: str


@dataclass(frozen=True)
class Polarity:
    """The negated stretches of one text, in order."""

    scopes: tuple[Scope, ...]

    def scope_at(self, pos: int) -> Scope | None:
        """The negation whose scope holds `pos`, if any (the nearest cue when two do)."""
        hit = [s for s in self.scopes if s.start <= pos < s.end]
        return max(hit, key=lambda s: s.cue_start) if hit else None

    def negated(self, pos: int) -> bool:
        return self.scope_at(pos) is not None


def _phrases(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(m.group(0) for m in TOKEN.finditer(w.lower().replace("’", "'"))) for w in words if w.strip()}


@dataclass(frozen=True)
class Cues:
    """The cue tables as token tuples, by kind; `longest` bounds the phrase length tried at each token."""

    table: dict[tuple[str, ...], str]
    wish: frozenset[tuple[str, ...]]
    openers: frozenset[str]
    subjects: frozenset[str]
    adverbs: frozenset[str]
    new_request: frozenset[tuple[str, ...]]
    filler: frozenset[str]
    cleft: frozenset[tuple[str, ...]]
    longest: int


@lru_cache(maxsize=1)
def cue_words() -> dict:
    """The negation word file (words/negation_en.json), read once."""
    return json.loads((WORDS / "negation_en.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=8)
def cues(extra_pseudo: frozenset[str] = frozenset()) -> Cues:
    """Every cue phrase -> its kind. Where a phrase is in two lists the stronger reading wins: pseudo over a cue
    (it is a whole phrase that does not negate), a cue over a terminator. negspacy's clinical words this file
    lists under 'not_used_from_negspacy' are left out. `extra_pseudo`: phrases a catalog's manifest gives a meaning
    of their own ('not too long', 'no subtitles'), read whole and never as a negation of what follows."""
    d = cue_words()
    ns, chat, drop = d["negspacy_en"], d["chat"], d["not_used_from_negspacy"]
    pre = [w for w in ns["preceding_negations"] if w not in drop["preceding_negations"]]
    pre += [w for group in chat["preceding"].values() for w in group]
    term = [w for w in ns["termination"] if w not in drop["termination"]] + chat["termination"]
    table: dict[tuple[str, ...], str] = {}
    for kind, words in (("term", term), ("pre", pre), ("post", ns["following_negations"] + chat["following"]),
                        ("except", chat["exception"]),
                        ("pseudo", ns["pseudo_negations"] + chat["pseudo"] + sorted(extra_pseudo))):
        for p in _phrases(words):
            both = kind == "post" and table.get(p) == "pre"  # negspacy lists "wasn't" both ways
            table[p] = "both" if both else kind
    return Cues(table, frozenset(_phrases(chat["wish_verbs"])), frozenset(chat["clause_openers"]),
                frozenset(chat["subjects"]), frozenset(chat["adverbs"]), frozenset(_phrases(chat["new_request"])),
                frozenset(chat["filler"]), frozenset(_phrases(chat["cleft"])), max(len(p) for p in table))


def _starts(toks: list[str], i: int, phrases: frozenset[tuple[str, ...]]) -> bool:
    return any(tuple(toks[i: i + len(p)]) == p for p in phrases)


def _opens_clause(toks: list[str], i: int, c: Cues) -> bool:
    """Does a new wish start at token i ('and love comedy', 'I want a drama', 'and something funny')?"""
    j = i
    if toks[j] in c.openers:
        j += 1
        while j < len(toks) and toks[j] in c.adverbs:
            j += 1
        if j < len(toks) and (_starts(toks, j, c.wish) or _starts(toks, j, c.new_request)):
            return True
    if j < len(toks) and toks[j] in c.subjects:
        j += 1
        while j < len(toks) and toks[j] in c.adverbs:
            j += 1
        return j < len(toks) and _starts(toks, j, c.wish)
    return False


def _goes_on(toks: list[str], i: int, kinds: list[str | None], c: Cues, named: bool) -> bool:
    """After the comma at token i, does the negated clause go on? Yes for a bare list that ends with 'or'/'nor' ('no
    horror, westerns or musicals'), and, while the negation has named nothing yet, for a few bare words that
    finish what it names ('no long, dark westerns'). Digits, verbs, wishes, subjects, new
    requests or an article mean a new clause ('no horror, comedy please', 'not a musical, made in 2000 or later',
    'nothing too long, a comedy')."""
    joined, n = False, 0
    for j in range(i + 1, len(toks)):
        t = toks[j]
        if t in HARD or kinds[j] in ("term", "except", "pre", "post", "both"):
            break
        if t == ",":
            if not joined and named:
                continue
            break
        if any(ch.isdigit() for ch in t) or t in c.subjects or t in c.openers - {"or", "and"} or t in VERBS or \
                _starts(toks, j, c.wish) or _starts(toks, j, c.new_request) or not t[:1].isalpha() or \
                n == 0 and t in ("a", "an", "the", "some"):
            return False
        joined |= t in ("or", "nor")
        n += 1
        if n > 8:
            return False
    return joined or not named and 0 < n <= 4


@lru_cache(maxsize=512)
def polarity(low: str, extra_pseudo: frozenset[str] = frozenset(), content: re.Pattern[str] | None = None,
             values: re.Pattern[str] | None = None) -> Polarity:
    """The negated stretches of the lower-cased `low` (computed once per text). `content`: the catalog's words (a
    cue followed only by filler words names nothing itself, unless one of these is among them); `values`: its
    vocabulary (once a negation has named one, a comma ends it)."""
    c = cues(extra_pseudo)
    low = low.replace("’", "'")
    spans = [(m.start(), m.end(), m.group(0)) for m in TOKEN.finditer(low)]
    toks = [s[2] for s in spans]
    kinds: list[str | None] = [None] * len(toks)
    cue_at: list[tuple[int, int, str]] = []  # (first token, last token + 1, kind)
    i = 0
    while i < len(toks):
        for n in range(min(c.longest, len(toks) - i), 0, -1):
            kind = c.table.get(tuple(toks[i: i + n]))
            if kind:
                kinds[i: i + n] = [kind] * n
                cue_at.append((i, i + n, kind))
                i += n
                break
        else:
            i += 1
    scopes: list[Scope] = []
    open_from: int | None = None  # token where the current negation's scope starts
    cue = (0, 0)  # the open negation's cue, first token and last + 1
    clause_start, before = 0, 0  # where this clause and the one before it start
    starts = {a: (b, k) for a, b, k in cue_at}

    def empty(a: int, b: int) -> bool:
        """Tokens a..b name nothing: filler words only, and none of the catalog's words."""
        if not all(t in c.filler or not t[:1].isalnum() for t in toks[a:b]):
            return False
        return content is None or a >= b or content.search(low[spans[a][0]: spans[b - 1][1]]) is None

    def named(a: int, b: int) -> bool:
        """Tokens a..b name a catalog value (without the catalog: any word but filler)."""
        if a >= b:
            return False
        if values is None:
            return not empty(a, b)
        return values.search(low[spans[a][0]: spans[b - 1][1]]) is not None

    def close(j: int) -> None:
        nonlocal open_from
        if open_from is None:
            return
        if empty(open_from, j) and kinds[cue[0]] in ("pre", "both"):
            _anaphor(spans, toks, kinds, c, cue[0], empty, scopes)  # 'westerns are not my thing'
        elif open_from < j:
            scopes.append(Scope(spans[open_from][0], spans[j - 1][1], spans[cue[0]][0], spans[cue[1] - 1][1], "pre"))
        open_from = None

    j = 0
    while j < len(toks):
        if j in starts:
            b, k = starts[j]
            if k == "pseudo":  # read whole, negates nothing
                j = b
                continue
            inside = open_from is not None
            if k == "term" and toks[j] == "but" and not inside and _all_but(toks, j, clause_start, c):
                k = "except"  # 'any genre but horror', 'all movies but westerns': an exception
            close(j)
            if k in ("post", "both"):
                _backward(spans, toks, c, clause_start if clause_start < j else before, j, scopes)
            if k in ("pre", "both") or k == "except" and not inside:
                cue, open_from = (j, b), b
            else:  # a terminator, a following cue, or an exception inside a negation: a new clause
                clause_start, before = b, clause_start
            j = b
            continue
        t = toks[j]
        goes_on = t == "," and open_from is not None and (
            _goes_on(toks, j, kinds, c, named(open_from, j)) or empty(open_from, j) and _starts(toks, j + 1, c.cleft))
        if t in HARD or t in SOFT and not goes_on:
            close(j)
            clause_start, before = j + 1, clause_start
        elif open_from is not None and j >= open_from and _opens_clause(toks, j, c):
            close(j)
            clause_start, before = j, clause_start
        j += 1
    close(len(toks))
    return Polarity(tuple(sorted(scopes, key=lambda s: s.start)))


def _anaphor(spans: list[tuple[int, int, str]], toks: list[str], kinds: list[str | None], c: Cues, cue: int,
             empty: Callable[[int, int], bool], scopes: list[Scope]) -> None:
    """A cue whose clause names nothing after it refers back to what its sentence named before it: 'westerns are
    not my thing', 'Spanish movies, I can't stand them', 'horror? spare me', 'X: never'. The scope runs back over
    commas, colons and question marks while what lies between names nothing, and stops at a full stop, a
    semicolon, a turn, another cue or a wish."""
    k = cue - 1
    start = cue
    while k >= 0:
        t = toks[k]
        if t in (".", ";", "!", "\n") or kinds[k] is not None or _starts(toks, k, c.wish):
            break
        if (t in SOFT or t in HARD) and not empty(k + 1, cue):
            break
        start = k
        k -= 1
    while start < cue and (toks[start] in SOFT or toks[start] in HARD):
        start += 1
    if start < cue and not empty(start, cue):
        scopes.append(Scope(spans[start][0], spans[cue - 1][1], spans[cue][0], spans[cue][1], "post"))


def _all_but(toks: list[str], j: int, clause_start: int, c: Cues) -> bool:
    """'but' after 'any', 'all', 'every' in its clause, before a word that is no subject or filler ('any genre but
    horror'), is an exception, not a turn ('I'll watch anything but I want it short')."""
    nxt = toks[j + 1] if j + 1 < len(toks) else ""
    return any(t in QUANTIFIERS for t in toks[max(clause_start, j - 3): j]) and nxt[:1].isalpha() and \
        nxt not in c.subjects and nxt not in c.filler


def _backward(spans: list[tuple[int, int, str]], toks: list[str], c: Cues, clause_start: int, cue: int,
              scopes: list[Scope]) -> None:
    """A following cue ('horror is out') negates back to its clause's start; after a wish, only back to the clause
    opener that follows it ('I love comedy and horror is out': only horror; 'horror and gore are out': both). A cue
    that is a clause of its own ('westerns, no thanks') negates the clause before it."""
    start, wished = clause_start, False
    for j in range(clause_start, cue):
        if _starts(toks, j, c.wish):
            start, wished = j + 1, True
        elif wished and toks[j] in c.openers:
            start = j + 1
    end = cue - 1 if cue and (toks[cue - 1] in HARD or toks[cue - 1] in SOFT) else cue
    if start < end:
        scopes.append(Scope(spans[start][0], spans[end - 1][1], spans[cue][0], spans[cue][1], "post"))
