"""Where a message points at items: catalog titles (and series: 'all the Star Wars movies'), positions ('the second
one'), deixis ('that one'), things owned ('I bought a soccer goal'), star ratings, and themes asked with 'about'."""
from __future__ import annotations

import re
import unicodedata
import weakref
from collections.abc import Callable
from typing import Any

from chatrec.catalog.catalog import Catalog, norm_title
from chatrec.dialogue.state import DialogueState
from chatrec.read.lexicon import CUE_WORDS, FUNCTION_WORDS

ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3,
            "fifth": 4, "5th": 4, "last": -1}


QUESTION = re.compile(r"^\s*(what'?s|what is|what are|whats|who'?s|who is|who are|who|when|how long|how old|"
                      r"is it|is that|"
                      r"is the|does it|does the|tell me (more )?about|what about|which year|where|what year|"
                      r"what rating|how much|how many|can you tell)\b", re.I)


STARS = re.compile(r"\b([0-5](?:\.5)?|one|two|three|four|five)\s*(?:/\s*5\b|out of (?:5|five)\b|stars?\b)", re.I)


STAR_WORDS = {"one": 1.0, "two": 2.0, "three": 3.0, "four": 4.0, "five": 5.0}


# "that one", "seen it", "not that": pointing at an item. A bare "it" ("make it shorter", "I want it funny") is not.
DEIXIS = re.compile(r"\b(?:that|this|the last)\s+(?:one|movie|film|item|product|pick)\b|"
                    r"\b(?:seen|watched|about|in|liked?|loved?|hated?|skip|own|have|bought|than|with)\s+(?:it|that|this)\b|"
                    r"\b(?:is|was|isn'?t|wasn'?t)\s+(?:it|that|this)\b(?!\s+(?:time|year|week))|"
                    r"^\s*(?:not|no|nope)\s*,?\s*(?:it|that|this)\b", re.I)


OTHER_NOUNS = {"idea", "ideas", "option", "options", "thing", "things", "stuff", "kind", "sort", "type", "way", "time",
               "version", "part", "scene", "song", "actor", "one's"}
POINTED_NOUNS = {"one", "ones", "movie", "film", "item", "product", "pick", "book", "game", "title", "suggestion"}


def _points(text: str) -> bool:
    """A deictic phrase that points at an item: 'I liked that', 'that one'; not 'I like that version' or 'I like
    that idea', whose noun is something other than an item (in ReDial, usually a thing the other person said)."""
    for m in DEIXIS.finditer(text):
        nxt = re.match(r"\s+([a-z][\w'-]*)", text[m.end():], re.I)
        word = nxt.group(1).lower() if nxt else ""
        if not word or word in POINTED_NOUNS or word in FUNCTION_WORDS and word not in OTHER_NOUNS:
            return True
    return False


def mentioned_positions(text: str, state: DialogueState) -> list[str]:
    """Items the user points at by position ("the second one") or deixis ("that one", "it")."""
    out: list[str] = []
    last = state.last_recommended
    for m in re.finditer(r"\b(first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th)\b(?!\s+(?:\d|ten|five|"
                         r"two|three|"
                         r"few|couple|decades?|years?|century|time|night|week|month|season|part|of the))"
                         r"(?:\s+(?:one|movie|film|item|product|pick|suggestion))?|#\s*([1-5])\b|\bnumber\s*([1-5])\b",
                         text, re.I):
        if m.group(1):
            idx = ORDINALS[m.group(1).lower()]
        else:
            idx = int(m.group(2) or m.group(3)) - 1
        if last and -len(last) <= idx < len(last) and last[idx] not in out:
            out.append(last[idx])
    if not out and (_points(text) or (QUESTION.search(text) and re.search(r"\b(it|that|this)\b", text, re.I))):
        ref = state.focus_item or (last[0] if last else None)
        if ref:
            out.append(ref)
    return out


_PLACE_WORDS = r"in|at|on|for|about|during|from|to|around|near|of|this|next|over|through|across|like a"


def _one_word_title_meant(key: str, title: str, text: str, catalog: Catalog) -> bool:
    """A one-word title counts when written as a title; when it is also an ordinary word (short, or used in at least
    two other items' descriptions: "Chicago", "Halloween") it must also not follow a preposition ("set in Chicago",
    "for Halloween"), else a place or a date would be marked as a film the user liked."""
    capital = re.search(rf"\b{re.escape(title)}\b", text)
    common = len(key) <= 6 or catalog.description_df.get(key, 0) >= 3
    if not common:
        return True
    if re.search(rf"(?i:stars?|/\s*5|out of (?:5|five))\s+(?i:to|for)\s+{re.escape(title)}\b", text):
        return bool(capital)  # "4 stars to Heat" rates a film, it is not a place
    if re.search(rf"(?i:\bwho(?:'?s|\s+(?:is|was|are|were|else|acts|acted|plays|played|stars|starred))?|\bstars?|"
                 rf"\bstarred|\bstarring|\bacted|\bplayed|\bcast)\s+in\s+{re.escape(title)}\b", text):
        return bool(capital)  # "who is in Heat?", "he starred in Heat": the film, not a place
    listed = r"(?:[A-Z][\w'-]*(?:\s*,\s*|\s+(?:or|and)\s+))*"  # "in Manhattan or Chicago"
    return bool(capital) and not re.search(rf"\b(?i:{_PLACE_WORDS})\s+{listed}{re.escape(title)}\b", text)


def _followed_by_subtitle(key: str, text: str) -> bool:
    """Every place the title's words occur is followed by ': Subtitle': the user named another work of the series."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = r"[^A-Za-z0-9]+".join(re.escape(w) for w in key.split())
    spans = list(re.finditer(rf"(?<![A-Za-z0-9]){words}(?![A-Za-z0-9])", folded, re.I))
    return bool(spans) and all(re.match(r"\s*:\s*[A-Za-z]", folded[m.end():]) for m in spans)


YEAR_PAREN = re.compile(r"\(\s*((?:19|20)\d\d)\s*\)")


def _year_after(key: str, text: str) -> int | None:
    """The year written in brackets right after the title ('The Hangover (2009)'), as ReDial writes mentions."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = r"[^A-Za-z0-9]+".join(re.escape(w) for w in key.split())
    m = re.search(rf"(?<![A-Za-z0-9]){words}(?![A-Za-z0-9])\W*?\s*\(\s*((?:19|20)\d\d)\s*\)", folded, re.I)
    return int(m.group(1)) if m else None


_SMALL = {"a", "an", "the", "of", "in", "on", "to", "for", "with", "at", "from", "de", "la", "le", "du", "vs"}


def _bracketed_titles(text: str) -> list[str]:
    """The titles written before a bracketed year ('Alien Nation (1988)'): the run of capitalised (or small) words
    ending at the bracket, normalised. ReDial writes every mention this way."""
    out = []
    for m in YEAR_PAREN.finditer(text):
        run: list[str] = []
        for w in reversed(re.findall(r"[^\s]+", re.split(r"[.,;!?]\s", text[: m.start()])[-1])):
            if w[:1].isupper() or w[:1].isdigit() or (w.lower() in _SMALL and run):
                run.insert(0, w)
            else:
                break
        while run and run[0].lower() in _SMALL - {"the", "a", "an"}:
            run.pop(0)
        if run:
            out.append(norm_title(" ".join(run)))
    return out


SERIES_WORDS = ("series", "trilogy", "franchise", "saga", "sequels", "prequels", "installments", "instalments")


def series_mentions(text: str, catalog: Catalog) -> list[tuple[int, list[str]]]:
    """'all the Star Wars movies', 'the Toy Story films', 'the Godfather trilogy': (where, the items whose titles
    start with the named words), when two or more do. The nouns are the manifest's plural item nouns."""
    nouns = [*catalog.manifest.item_nouns(), *SERIES_WORDS]
    prefix = _title_index(catalog)[1]
    out: list[tuple[int, list[str]]] = []
    low = text.lower()
    for m in re.finditer(rf"\b({'|'.join(map(re.escape, nouns))})\b", low):
        plural = m.group(1).endswith("s") or m.group(1) in SERIES_WORDS
        base = max(0, m.start() - 60)
        toks = [(base + w.start(), w.group(0)) for w in re.finditer(r"[\w'&:-]+", low[base: m.start()])][-5:]
        words = [w for _, w in toks]
        for n in range(len(words), 0, -1):
            key = norm_title(" ".join(words[-n:]))
            if not key or key in FUNCTION_WORDS or key in catalog.lexicon.phrases or key in catalog.lexicon.keywords:
                continue
            ids = list(dict.fromkeys(prefix.get(key, []) + catalog._titles.get(key + "s", [])))
            start = toks[-n][0]
            if len(ids) >= 2 and (plural or re.search(r"\b(?:every|each)\s+(?:single\s+)?$", low[:start])):
                out.append((start, sorted(ids, key=lambda i: catalog.by_id[i].get("year") or 0)))
                break
    return out


_CACHE: dict[tuple[int, str], tuple["weakref.ref[Catalog]", Any]] = {}


def _once(catalog: Catalog, name: str, build: Callable[[Catalog], Any]) -> Any:
    """`build(catalog)`, computed once per catalog (catalogs are read-only after loading)."""
    hit = _CACHE.get((id(catalog), name))
    if hit is None or hit[0]() is not catalog:
        hit = _CACHE[(id(catalog), name)] = (weakref.ref(catalog), build(catalog))
    return hit[1]


def _title_index(catalog: Catalog) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Title keys by their first word (in catalog order), and item ids by every leading run of a title's words
    ('star', 'star wars', ...): lookups instead of a pass over every title for every message."""
    def build(cat: Catalog) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        first: dict[str, list[str]] = {}
        prefix: dict[str, list[str]] = {}
        for key, ids in cat._titles.items():
            words = key.split()
            if words:
                first.setdefault(words[0], []).append(key)
            for n in range(1, len(words) + 1):
                prefix.setdefault(" ".join(words[:n]), []).extend(ids)
        return first, prefix
    return _once(catalog, "titles", build)


_KNOWN_WORDS: dict[int, tuple["weakref.ref[Catalog]", frozenset[str]]] = {}


def _known_words(catalog: Catalog) -> frozenset[str]:
    """Words that are not typos: English function and cue words, the catalog's title, description and lexicon words
    (computed once per catalog; catalogs are read-only)."""
    hit = _KNOWN_WORDS.get(id(catalog))
    if hit is None or hit[0]() is not catalog:
        words = {w for k in catalog._titles for w in k.split()} | set(catalog.description_df)
        words |= {w for k in [*catalog.lexicon.phrases, *catalog.lexicon.keywords] for w in k.split()}
        hit = _KNOWN_WORDS[id(catalog)] = (weakref.ref(catalog), frozenset(words | FUNCTION_WORDS | CUE_WORDS))
    return hit[1]


CAPITAL_RUN = re.compile(r"\b[A-Z][\w'-]*(?:\s+(?:[A-Z0-9][\w'-]*|of|the|a|an|and|in|on|to|at)(?=\W*\s*[A-Z0-9])){0,5}"
                         r"(?:\s+[A-Z0-9][\w'-]*)?")


def typo_titles(text: str, catalog: Catalog, found: list[str]) -> list[str]:
    """Titles written with a typo ('Inceptoin', 'The Shinning'): a run of capitalised words holding a word the
    catalog and English do not know, 88+ similar (rapidfuzz ratio) to one title with the same first letter."""
    from rapidfuzz import fuzz, process

    known, out = _known_words(catalog), []
    taken = {w for i in found for w in norm_title(catalog.title(catalog.by_id[i])).split()}
    for m in CAPITAL_RUN.finditer(YEAR_PAREN.sub(" ", text)):
        key = norm_title(m.group(0))
        words = key.split()
        odd = [w for w in words if w not in known and len(w) >= 4 and not w.isdigit()]
        if not odd or taken & set(words) or key in catalog.people:
            continue
        pool = [k for k in catalog._titles if k[:1] == key[:1] and abs(len(k) - len(key)) <= 2]
        hit = process.extractOne(key, pool, scorer=fuzz.ratio, score_cutoff=88)
        if hit:
            iid = catalog.find_title(hit[0])
            if iid and iid not in found and iid not in out:
                out.append(iid)
    return out


def mentioned_titles(text: str, catalog: Catalog) -> list[str]:
    """Catalog titles written in the message (short one-word titles only when capitalised as a title; a typo in a
    capitalised title is forgiven: `typo_titles`)."""
    found: list[tuple[int, str]] = []
    low = " " + norm_title(YEAR_PAREN.sub(lambda m: " " * len(m.group(0)), text)) + " "  # "(2012)" is no title
    bracketed = _bracketed_titles(text)
    first = _title_index(catalog)[0]
    words = set(low.split())
    keys = [k for w in words for k in first.get(w, ())]
    order = {k: n for n, k in enumerate(catalog._titles)}
    for key in sorted(set(keys), key=order.__getitem__):
        ids = catalog._titles[key]
        if len(key) < 2 or f" {key} " not in low:
            continue
        if len(key) == 2 and not re.search(rf"(?<=[a-z,;] ){re.escape(catalog.title(catalog.by_id[ids[0]]))}\b", text):
            continue  # "Up", "It": only capitalised, after a lower-case word
        title = catalog.title(catalog.by_id[ids[0]])
        if len(key.split()) == 1 and not _one_word_title_meant(key, title, text, catalog):
            continue
        if _followed_by_subtitle(key, text):  # "Avengers: Infinity War" is not The Avengers
            continue
        year = _year_after(key, text)  # "Les Misérables (2012)": that version
        iid = (catalog.find_title(key, year) if year else catalog.find_title(key)) or ids[0]
        if year and abs(int(catalog.by_id[iid].get("year") or year) - year) > 1:
            continue  # "Heat (2013)" is another film than Heat (1995)
        longer = [b for b in bracketed if b != key and b.startswith(f"{key} ")]  # not "Loved Heat (1995)"
        if longer and low.count(f" {key} ") <= len(longer):
            continue  # only inside a longer bracketed title: "Alien Nation (1988)" is not Alien
        found.append((low.index(f" {key} "), iid))
    found.sort()
    # drop a title whose every occurrence lies inside a longer found title ("Up" inside "Up in the Air"; "Alien" is
    # not inside "Aliens"), but keep "The Avengers" in "The Avengers and Avengers: Endgame"
    keys = [norm_title(catalog.title(catalog.by_id[i])) for _, i in found]

    def spans(k: str) -> list[tuple[int, int]]:
        return [(m.start(), m.start() + len(k) + 2) for m in re.finditer(rf"(?= {re.escape(k)} )", low)]

    covers = [s for k in keys for s in spans(k)]
    exact = [i for (_, i), k in zip(found, keys)
             if not all(any(a <= x and y <= b and (b - a) > (y - x) for a, b in covers) for x, y in spans(k))]
    exact = _outside_names(text, catalog, exact)
    return exact + typo_titles(text, catalog, exact)


def _outside_names(text: str, catalog: Catalog, ids: list[str]) -> list[str]:
    """Drop a title written only inside a person's full name: "Julia Roberts" names no film "Julia", "Alfred
    Hitchcock" no "Hitchcock"; a title followed by its year stays ("Julia (2008) with Tilda Swinton")."""
    from chatrec.read.people import _full_names, people_index  # people.py imports this module

    if not ids:
        return ids
    low = text.lower()
    names = [(p.start, p.end) for p in _full_names(low, people_index(catalog))]
    if not names:
        return ids
    out = []
    for iid in ids:
        t = re.escape(catalog.title(catalog.by_id[iid]).lower())
        at = [(m.start(), m.end()) for m in re.finditer(rf"(?<![\w]){t}(?![\w])(?!\s*\(\d{{4}}\))", low)]
        alone = [m for m in re.finditer(rf"(?<![\w]){t}(?![\w])", low)]
        inside = at and len(at) == len(alone) and all(any(a <= x and y <= b and (b - a) > (y - x) for a, b in names)
                                                      for x, y in at)
        if not inside:
            out.append(iid)
    return out


OWNED_CUE = re.compile(r"\b(?:i\s+(?:just\s+|already\s+)?(?:bought|own|have|got|purchased|ordered)|already\s+have)\s+"
                       r"(?P<things>[^.?!;]+)", re.I)


_FILLER = {"a", "an", "the", "some", "my", "new", "pair", "of", "set", "few", "couple", "two", "pairs"}


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _owned_index(catalog: Catalog) -> list[tuple[str, set[str], set[str]]]:
    """(id, title words, tag words) of every item, stemmed: what owned things are matched against (once)."""
    def build(cat: Catalog) -> list[tuple[str, set[str], set[str]]]:
        return [(r["id"], {_stem(w) for w in re.findall(r"[a-z0-9]+", str(r.get("title", "")).lower())},
                 {_stem(w) for t in r.get("tags", []) for w in re.findall(r"[a-z0-9]+", str(t).lower())})
                for r in cat.items]
    return _once(catalog, "owned", build)


def owned_mentions(text: str, catalog: Catalog) -> list[str]:
    """Items the user says they already have ("I bought a soccer goal, cleats and gloves"), matched by the words of each
    named thing against item titles and tags: every content word must appear, the tightest title wins."""
    if not _once(catalog, "complements", lambda cat: any(r.get("complements") for r in cat.items[:50])):
        return []
    out: list[str] = []
    for m in OWNED_CUE.finditer(text):
        things = re.split(r",|\band\b|\bplus\b|&|\bwith\b", m.group("things"), flags=re.I)
        for thing in things:
            words = {_stem(w) for w in re.findall(r"[a-z0-9]+", thing.lower()) if w not in _FILLER}
            if not words or len(words) > 5:
                continue
            best: tuple[float, str] | None = None
            for iid, title_words, tag_words in _owned_index(catalog):
                if words <= title_words | tag_words and words & title_words:
                    score = len(words & title_words) / len(title_words) + 0.1 * (("adult" in title_words)
                                                                                  or ("youth" not in title_words))
                    if best is None or score > best[0]:
                        best = (score, iid)
            if best and best[1] not in out:
                out.append(best[1])
    return out


SUBTITLED = re.compile(r"\b(?!(?:Genres?|Mood|Type|Category|Style|Tags?|Note|Ps)\s*:)"
                       r"[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*\s*:\s*[A-Z][\w'-]*"
                       r"(?:\s+(?:[A-Z][\w'-]*|of|the|and|a|an|in|on|to|for))*")


def _mask_titles(text: str, titles: list[str], catalog: Catalog) -> str:
    """The message with the catalog titles it names and any 'Title: Subtitle' blanked out, so that "War" in
    "Avengers: Infinity War" is not read as a wish for war films."""
    for iid in titles:
        t = catalog.title(catalog.by_id[iid])
        text = re.sub(re.escape(t), lambda m: " " * len(m.group(0)), text, flags=re.I)
    return SUBTITLED.sub(lambda m: " " * len(m.group(0)), text)


ABOUT = re.compile(r"\b(?:about|involving|set in|featuring)\s+(?:an?\s+|the\s+)?([a-z][\w' -]{2,40}?)"
                   r"(?=\s*(?:[.,;!?]|$|\band\b|\bor\b|\bbut\b|\bplease\b))", re.I)


def about_themes(text: str, catalog: Catalog) -> list[str]:
    """Themes asked for in words ("something about new york", "set in space"), kept only when they are a keyword
    or tag of some catalog item (so "about it" or "about time" for a film title does not become a theme)."""
    out: list[str] = []
    for m in ABOUT.finditer(text):
        phrase = m.group(1).lower().strip()
        for cand in (phrase, phrase[:-1] if phrase.endswith("s") else ""):
            if cand and cand not in catalog.people and cand in catalog.attribute_index and cand not in out:
                out.append(cand)
                break
    return out


def after_verdict(after: str) -> str | None:
    """'Heat was boring' / 'Heat, loved it': the verdict written right after a title (lower case), if any."""
    head = re.split(r"\b(?:but|whereas|while)\b|[.;!?]", after, maxsplit=1)[0]
    if re.search(r"\b(?:boring|awful|terrible|bad|meh|overrated|disappointing|dull|too slow|not (?:good|great|for me)|"
                 r"hated it|didn'?t like it|did not like it)\b", head) and not re.search(r"\bnot bad\b", head):
        return "disliked"
    if re.search(r"\b(?:loved it|liked it|great|amazing|enjoyed it|awesome|brilliant|fantastic|not bad|"
                 r"(?:it|that|which) was (?:really |so |very |pretty )?good|favou?rite|a classic)\b", head):
        return "liked"
    return None


def _position(text: str, catalog: Catalog, iid: str) -> int:
    """Where the item's title starts in the message (-1 if it is not written out)."""
    return text.lower().find(catalog.title(catalog.by_id[iid]).lower())


def star_ratings(text: str, catalog: Catalog, titles: list[str]) -> dict[str, float]:
    """'I'd give Alien 5 stars', 'Heat: 2/5': each star figure goes to the nearest title written before it (or right
    after it: 'I'd give 4 stars to Heat'), within 40 characters."""
    spans = [(p, p + len(catalog.title(catalog.by_id[i])), i)
             for i in titles if (p := _position(text, catalog, i)) >= 0]
    out: dict[str, float] = {}
    for m in STARS.finditer(text):
        raw = m.group(1).lower()
        stars = STAR_WORDS.get(raw) or float(raw)
        before = [(m.start() - end, i) for start, end, i in spans if 0 <= m.start() - end <= 40]
        after = [(start - m.end(), i) for start, end, i in spans if 0 <= start - m.end() <= 15]
        to = [a for a in after if re.fullmatch(r"\s+(?:to|for)\s+", text[m.end(): m.end() + a[0]], re.I)]
        near = min(to) if to else min(before) if before else min(after) if after else None
        if near and 0.5 <= stars <= 5:
            out[near[1]] = stars
    return out
