"""How far a negation reaches: a message read as clauses, each word with a polarity.

One rule for every reader (values, people, keywords, bounds, titles): a negation cue makes everything in its scope
negative, whatever words sit between, and the scope ends where the clause does. The cues are data
(words/negation_en.json: the NegEx trigger sets negspacy publishes, plus chat idioms), grouped by how they scope:
  preceding  'no', "can't stand", 'steer clear of': negates forward, to the end of the clause;
  following  'is out', 'not for me', 'no thanks': negates backward, to the start of the clause;
  pseudo     'not only', "don't mind", 'no idea': looks like a negation and is none;
  neutral    "doesn't have to be", "haven't seen": looks like a negation, and makes what it reaches neither wished
             nor refused (a scope of kind 'neutral', never a negation);
  exception  'except', 'other than': ends a negation ('no horror except Alien') or starts one ('all but...');
  termination 'but', 'however', 'instead': ends the clause.
Words of 'inner_adverbs' may stand inside a cue ("don't really care for"); a wish verb right before a cue is the cue's
own ('Horrorfilme mag ich nicht' read as 'horror films like I not'); 'rather X than Y' rules out Y, and so do 'too X
for my kids' and 'leave X out'; a cue that reaches 'seen' or 'watched' first is about having seen (neutral).
A clause also ends at . ; ! ? and at a comma (unless a bare list joined by or/and/nor goes on: 'no horror, westerns
or musicals'), and where a new wish opens ('and love comedy', 'I want a drama', 'and something funny'); never right
after the cue ('never want horror', "don't like westerns"). Matching is one pass over the tokens, longest phrase
first.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

WORDS = Path(__file__).parent / "words"
TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*(?:-[^\W_]+(?:'[^\W_]+)*)*'?|[^\w\s]|_")
HARD = frozenset(".;!?\n")
QUANTIFIERS = frozenset("any all every anything everything whatever".split())
VERBS = frozenset("is are was were would will should could can sounds seems looks".split())  # a new clause
SOFT = frozenset(",:()[]\"-–—")  # a comma, a colon, a bracket, a dash: a clause may go on past them (lists)
JOINERS = frozenset(("or", "and", "nor"))  # what joins the last item of a list
ARTICLES = frozenset(("a", "an", "the", "some", "any"))


@dataclass(frozen=True)
class Scope:
    """A negated stretch [start, end) of the text, and how the cue that opened it reaches: 'pre' (forward), 'post'
    (back), or 'neutral' (forward, making what it reaches neither wished nor refused: 'it doesn't have to be')."""

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
        hit = [s for s in self.scopes if s.start <= pos < s.end and s.kind != "neutral"]
        return max(hit, key=lambda s: s.cue_start) if hit else None

    def negated(self, pos: int) -> bool:
        return self.scope_at(pos) is not None

    def neutral(self, pos: int) -> bool:
        """Is `pos` in the reach of a cue that makes it neither wished nor refused ('it doesn't have to be
        animated', 'I haven't seen a western'), and no negation's?"""
        return self.scope_at(pos) is None and any(s.start <= pos < s.end for s in self.scopes if s.kind == "neutral")


def _phrases(words: list[str]) -> set[tuple[str, ...]]:
    """Each phrase as tokens, and its contractions also as people type them without the apostrophe ("can't wait" is
    also "cant wait", "don't have to" also "dont have to")."""
    out: set[tuple[str, ...]] = set()
    for w in words:
        if w.strip():
            w = w.lower().replace("’", "'")
            out |= {tuple(m.group(0) for m in TOKEN.finditer(v)) for v in {w, re.sub(r"n't\b", "nt", w)}}
    return out


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
    inner: frozenset[str] = frozenset()  # words that may stand inside a cue phrase ("don't really care for")
    raising: frozenset[str] = frozenset()  # "I don't think I'd like...": the negation passes into the clause
    experience: frozenset[str] = frozenset()  # "I don't think I've ever watched...": about having seen, neutral
    excess: re.Pattern[str] | None = None  # 'too scary for my kids'
    particle: re.Pattern[str] | None = None  # 'leave horror out'
    approval: frozenset[str] = frozenset()  # 'no horror, comedy and drama welcome': a list's items welcome
    prefer: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())  # 'rather X than Y': openers, turns
    by_first: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)  # phrases by first word,
    # longest first


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
    shields = _phrases(sorted(extra_pseudo))
    post = ns["following_negations"] + chat["following"]
    post += [f"{be} {w}" for w in post if w.startswith("not ") for be in ("is", "are", "was", "were")]  # 'is not...'
    for kind, words in (("term", term), ("pre", pre), ("post", post),
                        ("except", chat["exception"]),
                        ("pseudo", ns["pseudo_negations"] + chat["pseudo"] + sorted(extra_pseudo)),
                        ("neutral", chat["experience"] + chat["neutral"])):
        for p in _phrases(words):
            both = kind == "post" and table.get(p) == "pre"  # negspacy lists "wasn't" both ways
            table[p] = "both" if both else kind
    return Cues(table, frozenset(_phrases(chat["wish_verbs"])), frozenset(chat["clause_openers"]),
                frozenset(chat["subjects"]), frozenset(chat["adverbs"]), frozenset(_phrases(chat["new_request"])),
                frozenset(chat["filler"]), frozenset(_phrases(chat["cleft"])), max(len(p) for p in table),
                frozenset(chat["inner_adverbs"]), frozenset(chat["raising"]), frozenset(chat["experience_verbs"]),
                _excess_re(chat["excess"]), _particle_re(chat["particle_verbs"]), frozenset(chat["approval"]),
                (frozenset(chat["preference"]["openers"]), frozenset(chat["preference"]["turns"])),
                _by_first({p: k for p, k in table.items() if p not in shields}))  # a catalog phrase only as written


def _particle_re(d: dict[str, list[str]]) -> re.Pattern[str]:
    """'<verb> <one to four words> <particle>': the words between are ruled out."""
    verbs, parts = "|".join(map(re.escape, d["verbs"])), "|".join(map(re.escape, d["particles"]))
    return re.compile(rf"\b(?:{verbs})\s+((?:[a-z0-9][\w'-]*\s+){{0,3}}[a-z0-9][\w'-]*)\s+(?:{parts})\b")


def _by_first(table: dict[tuple[str, ...], str]) -> dict[str, tuple[tuple[str, ...], ...]]:
    out: dict[str, list[tuple[str, ...]]] = {}
    for p in table:
        if len(p) > 1:
            out.setdefault(p[0], []).append(p)
    return {k: tuple(sorted(v, key=len, reverse=True)) for k, v in out.items()}


def _excess_re(d: dict[str, list[str]]) -> re.Pattern[str]:
    """'too <one or two words> for <audience>': the words are what is too much."""
    def alt(ws: list[str]) -> str:
        return "|".join(re.escape(w) for w in sorted(ws, key=len, reverse=True))
    words = r"([a-z][a-z'-]*(?:\s+[a-z][a-z'-]*)?)"
    return re.compile(rf"\b(?:{alt(d['degree'])})\s+{words}\s+for\s+(?:{alt(d['audience'])})\b")


def _match(toks: list[str], i: int, c: Cues) -> tuple[int, str | None]:
    """The cue phrase starting at token i: (tokens it covers, its kind), the phrase of most words first; words of
    `c.inner` may stand inside it ("don't really care for" is "don't care for", "are way too much for me" is "are
    too much for me", "I don't really mind" is "don't mind"). As written wins a tie."""
    n_plain, kind = 0, None
    for n in range(min(c.longest, len(toks) - i), 0, -1):
        kind = c.table.get(tuple(toks[i: i + n]))
        if kind:
            n_plain = n
            break
    best = (n_plain, n_plain, kind)  # (phrase words, tokens covered, kind)
    for p in c.by_first.get(toks[i], ()):
        if len(p) <= best[0]:
            break  # longest first: no longer phrase is left
        k, j = 1, i + 1
        while k < len(p) and j < len(toks) and j - i <= len(p) + 3:
            if toks[j] == p[k]:
                k += 1
            elif toks[j] not in c.inner:
                break
            j += 1
        if k == len(p):
            best = (len(p), j - i, c.table[p])
    return best[1], best[2]


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
    """After the comma at token i, does the negated clause go on? The rule is the list's structure: one cue before a
    bare list joined by 'or', 'and' or 'nor' rules out every item of it ('no horror, westerns or musicals', 'no
    horror, comedy and drama', 'neither horror, gore nor slashers'), and, while the negation has named nothing yet,
    a few bare words finish what it names ('no long, dark westerns'). A clause of its own breaks the list: a verb,
    a wish, a subject, a new request, a digit or an article ('no horror, comedy is fine', 'no horror, comedy and
    drama are fine', 'no horror, comedy please', 'not a musical, made in 2000 or later', 'nothing too long, a
    comedy'); so does a list with no joining word ('no horror, comedy')."""
    joined, n = False, 0
    for j in range(i + 1, len(toks)):
        t = toks[j]
        if t == "nor":  # a joiner that is a cue of its own ('no horror, westerns nor comedy')
            joined = True
            continue
        if t in HARD or kinds[j] in ("term", "except", "pre", "post", "both", "neutral"):
            break
        if t == ",":
            if not joined and named:
                continue
            break
        if any(ch.isdigit() for ch in t) or t in c.subjects or t in c.openers - {"or", "and"} or t in VERBS or \
                t in c.approval or \
                _starts(toks, j, c.wish) or _starts(toks, j, c.new_request) or not t[:1].isalpha() or \
                n == 0 and t in ("a", "an", "the", "some"):
            return False
        joined |= t in JOINERS
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
        n, kind = _match(toks, i, c)
        if kind:
            kinds[i: i + n] = [kind] * n
            cue_at.append((i, i + n, kind))
            i += n
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
            seen = next((x for x in range(open_from, j) if toks[x] in c.experience), None)
            kind = "neutral" if kinds[cue[0]] == "neutral" or seen is not None and not named(open_from, seen) \
                else "pre"
            scopes.append(Scope(spans[open_from][0], spans[j - 1][1], spans[cue[0]][0], spans[cue[1] - 1][1], kind))
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
            if k in ("post", "both"):  # a clause of filler before it ('westerns, it's not my thing'): the one before,
                own = clause_start < j and not empty(clause_start, j)  # unless that one is a wish ('I love comedy')
                wished = any(_starts(toks, x, c.wish) for x in range(before, clause_start))
                if own or clause_start == j or not wished:
                    _backward(spans, toks, c, clause_start if own else before, j, scopes)
            if k in ("pre", "both", "neutral") or k == "except" and not inside or \
                    k == "post" and toks[b: b + 1] == ["to"]:
                # ('it's not my thing to watch horror': what the cue judges follows it)
                cue, open_from = (j, b), b
            else:  # a terminator, a following cue, or an exception inside a negation: a new clause
                clause_start, before = b, clause_start
            j = b
            continue
        t = toks[j]
        goes_on = open_from is not None and (
            t == ":" and empty(open_from, j) or  # 'avoid: horror and westerns'
            t == "," and (_goes_on(toks, j, kinds, c, named(open_from, j)) or empty(open_from, j) and
                          _starts(toks, j + 1, c.cleft) and cue[0] > clause_start))  # not 'No, is it a...?'
        if t in HARD or t in SOFT and not goes_on:
            close(j)
            clause_start, before = j + 1, clause_start
        elif open_from is not None and j >= open_from and _opens_clause(toks, j, c) and not (
                any(t in c.raising for t in toks[open_from:j]) and
                all(t in c.raising or t in c.inner or t in c.filler for t in toks[open_from:j])):
            close(j)
            clause_start, before = j, clause_start
        j += 1
    close(len(toks))
    _dispreferred(spans, toks, c, named, scopes)
    for pattern in (c.excess, c.particle):  # 'too scary for my kids', 'leave horror out'
        for m in pattern.finditer(low) if pattern is not None else ():
            scopes.append(Scope(m.start(1), m.end(1), m.start(), m.start(1), "pre"))
    return Polarity(tuple(sorted(scopes, key=lambda s: s.start)))


def _anaphor(spans: list[tuple[int, int, str]], toks: list[str], kinds: list[str | None], c: Cues, cue: int,
             empty: Callable[[int, int], bool], scopes: list[Scope]) -> None:
    """A cue whose clause names nothing after it refers back to what its sentence named before it: 'westerns are
    not my thing', 'Spanish movies, I can't stand them', 'horror? spare me', 'X: never'. The scope runs back over
    commas, colons and question marks while what lies between names nothing, and stops at a full stop, a
    semicolon, a turn, another cue or a wish. A wish verb with only filler between it and the cue is the cue's own
    verb, negated: the object before it is what is ruled out, as where the verb comes before its subject or the
    negation closes the clause ('horror films like I not' = German 'Horrorfilme mag ich nicht', 'horror I the like
    not' = French 'l'horreur, je ne l'aime pas')."""
    k = cue - 1
    start = cue
    while k >= 0:
        t = toks[k]
        if t in (".", ";", "!", "\n") or kinds[k] is not None or _starts(toks, k, c.wish) and not empty(k, cue):
            break
        if (t in SOFT or t in HARD) and not empty(k + 1, cue):
            break
        start = k
        k -= 1
    while start < cue and (toks[start] in SOFT or toks[start] in HARD):
        start += 1
    if start < cue and not empty(start, cue):
        scopes.append(Scope(spans[start][0], spans[cue - 1][1], spans[cue][0], spans[cue][1], "post"))


def _dispreferred(spans: list[tuple[int, int, str]], toks: list[str], c: Cues, named: Callable[[int, int], bool],
                  scopes: list[Scope]) -> None:
    """'rather comedy than horror', 'I prefer comedy to horror': after a preference opener, a turn word ('than',
    'to', 'over') whose next words name a catalog value and hold no number rules out the rest of the clause; what
    is preferred must be named between ('I prefer to watch comedy' prefers nothing to anything)."""
    openers, turns = c.prefer
    opened: int | None = None
    for j, t in enumerate(toks):
        if t in HARD or t == ";":
            opened = None
        elif t in openers:
            opened = j
        elif opened is not None and t in turns and named(opened + 1, j):
            end = j + 1
            while end < len(toks) and toks[end] not in HARD and toks[end] not in SOFT and end - j <= 4:
                end += 1
            verb = t == "to" and toks[j + 1: j + 2] != [] and toks[j + 1] not in ARTICLES and not named(j + 1, j + 2)
            if end > j + 1 and not verb and not any(ch.isdigit() for x in toks[j + 1: end] for ch in x) and \
                    named(j + 1, end):  # 'to' before a verb is no turn ('I prefer comedies to be funny')
                stop = end
                while stop < len(toks) and toks[stop] not in HARD and (toks[stop] != "," or toks[stop - 1] in JOINERS):
                    stop += 1
                scopes.append(Scope(spans[j + 1][0], spans[stop - 1][1], spans[j][0], spans[j][1], "pre"))
                opened = None


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
