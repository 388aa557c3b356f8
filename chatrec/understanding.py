"""From a user's words to a state update: the LLM proposes fields, code checks and normalises them.

The LLM fills a JSON schema derived from the catalog manifest (fields named with units). Deterministic rules then
read what code can read reliably (numbers with units, negated genres, ordinal references, titles), and every value
the LLM proposed is kept only if it is grounded in the user's text and valid for the catalog.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .catalog import Catalog, norm_title
from .lexicon import unplaced_words
from .llm import ChatModel
from .state import Constraint, DialogueState

NEG = (r"(?:no|not|never|without|avoid|avoiding|hate|hates|skip|except|don'?t (?:want|like|enjoy|do|care for)|"
       r"do not (?:want|like|enjoy)|dislike|can'?t stand|can'?t do|not a fan of|nothing|none of|not into|sick of|tired of|"
       r"anything but|no more)")
GAP = r"(?!(?:but|though|however|yet|although|love|loves|like|likes|want|wants|prefer|enjoy)\b)\w+"  # a word a negation reaches over
ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3,
            "fifth": 4, "5th": 4, "last": -1}
SYNONYMS = {"funny": "Comedy", "comedy": "Comedy", "comedies": "Comedy", "laugh": "Comedy", "hilarious": "Comedy",
            "scary": "Horror", "horror": "Horror", "spooky": "Horror", "slasher": "Horror",
            "sci-fi": "Science Fiction", "scifi": "Science Fiction", "science fiction": "Science Fiction",
            "space": "Science Fiction", "animated": "Animation", "animation": "Animation", "cartoon": "Animation",
            "anime": "Animation", "romantic": "Romance", "romance": "Romance", "rom-com": "Romance",
            "love story": "Romance", "kids": "Family", "family": "Family", "children": "Family",
            "action": "Action", "adventure": "Adventure", "crime": "Crime", "heist": "Crime", "gangster": "Crime",
            "documentary": "Documentary", "documentaries": "Documentary", "drama": "Drama", "dramas": "Drama",
            "fantasy": "Fantasy", "historical": "History", "history": "History", "musical": "Music", "musicals": "Music",
            "music": "Music", "mystery": "Mystery", "whodunit": "Mystery", "thriller": "Thriller",
            "thrillers": "Thriller", "suspense": "Thriller", "war": "War", "western": "Western", "westerns": "Western"}
QUESTION = re.compile(r"^\s*(what'?s|what is|what are|whats|who'?s|who is|who are|who|when|how long|how old|is it|is that|"
                      r"is the|does it|does the|tell me (more )?about|what about|which year|where|what year|"
                      r"what rating|how much|how many|can you tell)\b", re.I)
FIT_QUESTION = re.compile(r"\b(how (would|will|do you think|many stars would) (i|i'?d) (rate|like|enjoy|find|give)|"
                          r"how many stars (would|will|do you think)|would i (like|enjoy|love|rate|hate)|"
                          r"will i (like|enjoy|love|hate)|do you think i'?d (like|enjoy|love)|"
                          r"is .{1,60}? (for me|my kind of|my type)|should i (watch|see|play|try|buy|get))\b", re.I)
STARS = re.compile(r"\b([0-5](?:\.5)?|one|two|three|four|five)\s*(?:/\s*5\b|out of (?:5|five)\b|stars?\b)", re.I)
STAR_WORDS = {"one": 1.0, "two": 2.0, "three": 3.0, "four": 4.0, "five": 5.0}
RECOMMEND_CUE = re.compile(r"\b(recommend|suggest|something|anything|another|others?|more like|show me|give me|"
                           r"looking for|in the mood|want|instead|options?|ideas?|older|newer|shorter|longer|cheaper)\b", re.I)


class Understanding(BaseModel):
    """What one message changed, after code checks. Kept for the reasoning trace."""

    model_config = ConfigDict(extra="forbid")
    intent: Literal["recommend", "question", "fit", "feedback", "other"] = "recommend"
    liked_items: list[str] = Field(default_factory=list)
    disliked_items: list[str] = Field(default_factory=list)
    rejected_items: list[str] = Field(default_factory=list)
    owned_items: list[str] = Field(default_factory=list)
    about_item: str | None = None
    stars: dict[str, float] = Field(default_factory=dict, description="Stars out of 5 the user gave items this turn.")
    constraint_changes: dict[str, Constraint] = Field(default_factory=dict)
    removed_constraints: list[str] = Field(default_factory=list)
    liked_attributes: list[str] = Field(default_factory=list)
    disliked_attributes: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="What code corrected or ignored, for transparency.")
    unplaced: list[str] = Field(default_factory=list, description="Words no rule read; only these are worth a model "
                                "call (llm_mode 'auto').")
    llm_used: bool = False


def update_schema(catalog: Catalog) -> dict[str, Any]:
    """JSON schema the LLM fills, derived from the manifest; every numeric field is named with its unit."""
    m = catalog.manifest
    arr = {"type": "array", "items": {"type": "string"}, "maxItems": 3}
    props: dict[str, Any] = {
        "intent": {"type": "string", "enum": ["recommend", "question", "other"]},
        "liked_titles": arr, "disliked_titles": arr,
    }
    for name, spec in m.filterable().items():
        if spec.filter == "range":
            unit = spec.unit or ""
            suffix = "" if name.endswith(unit.lower()) or unit in ("", "year") else f"_{unit.lower()}"
            for b in ("min", "max"):
                props[f"{b}_{name}{suffix}"] = {"type": ["integer", "null"]}
        elif spec.vocabulary:
            enum = {"type": "array", "items": {"type": "string", "enum": spec.vocabulary}, "maxItems": 3}
            props[f"wanted_{name}"] = enum
            props[f"excluded_{name}"] = enum
    props["people"] = arr
    props["themes_and_moods"] = arr
    return {"type": "object", "properties": props, "required": list(props)}


def _system_prompt(catalog: Catalog) -> str:
    m = catalog.manifest
    return (f"You extract a user's {m.item_noun} preferences from their latest message into JSON. "
            "Only record what the message itself says; leave a field empty or null when the message does not "
            "mention it. Titles: copy only titles the user names in this message. "
            "Numbers: convert hours to minutes (2 hours = 120), decades to years (the 90s = 1990 to 1999). "
            "'excluded_*' only for things the user rejects (no, not, without, avoid). "
            "intent is 'question' when the user asks a fact about an item already shown, 'recommend' when they want "
            "suggestions or change what they want.")


def llm_propose(llm: ChatModel, catalog: Catalog, state: DialogueState, text: str) -> dict[str, Any]:
    """Ask the model for a raw proposal; the system prompt is per catalog, so its KV state is reused."""
    msgs = [{"role": "system", "content": _system_prompt(catalog)},
            {"role": "user", "content": f"Message: {text}"}]
    return llm.json(msgs, update_schema(catalog), max_tokens=300, stable=1)


LlmMode = Literal["auto", "always", "never"]
SHORT_MAX_TOKENS = 60


def short_schema(catalog: Catalog) -> dict[str, Any]:
    """The small answer asked about unplaced words: a few lists, all short, so generation stays under ~60 tokens."""
    values = [v for spec in catalog.manifest.filterable().values() if spec.vocabulary for v in spec.vocabulary]
    arr = {"type": "array", "items": {"type": "string"}, "maxItems": 2}
    vocab = {"type": "array", "items": {"type": "string", "enum": values}, "maxItems": 2}
    props = {"themes_and_moods": {**arr, "maxItems": 3}, "wanted": vocab, "excluded": vocab, "people": arr,
             "titles": arr}
    return {"type": "object", "properties": props, "required": list(props)}


def _short_prompt(catalog: Catalog) -> str:
    m = catalog.manifest
    return (f"A {m.item_noun} recommender read a user's message with rules; you are given the words its rules could "
            "not place. Say in JSON what those words mean, using only the message. themes_and_moods: short phrases "
            f"copied from the message (topics, moods, styles the user wants). wanted / excluded: catalog values the "
            "words mean; excluded only when the user rejects them. people: names written in the message. titles: "
            f"{m.item_noun} titles written in the message. Leave a list empty when the words do not say it.")


def llm_place(llm: ChatModel, catalog: Catalog, text: str, unplaced: list[str]) -> dict[str, Any]:
    """Ask the model only about the words code could not place, and return its answer in the shape of a full
    proposal (so the same grounding checks apply). The system prompt is fixed per catalog: llama.cpp reuses it."""
    msgs = [{"role": "system", "content": _short_prompt(catalog)},
            {"role": "user", "content": f"Message: {text}\nWords to place: {', '.join(unplaced)}"}]
    raw = llm.json(msgs, short_schema(catalog), max_tokens=SHORT_MAX_TOKENS, stable=1)
    out: dict[str, Any] = {"themes_and_moods": raw.get("themes_and_moods", []), "people": raw.get("people", []),
                           "liked_titles": raw.get("titles", [])}
    for name, spec in catalog.manifest.filterable().items():
        if spec.vocabulary:
            for kind, key in (("wanted", "wanted"), ("excluded", "excluded")):
                out[f"{key}_{name}"] = [v for v in raw.get(kind, []) if v in spec.vocabulary]
    return out


def unplaced_in(text: str, catalog: Catalog, titles: list[str]) -> list[str]:
    """Words of the message that no rule reads (titles, people and catalog themes said with 'about' are placed)."""
    masked = _mask_titles(text, titles, catalog).lower()
    for name in [*catalog.people_in(text), *about_themes(text, catalog)]:
        masked = masked.replace(name.lower(), " ")
    return unplaced_words(masked, catalog.lexicon)


def _numbers(text: str) -> set[float]:
    nums = {float(x) for x in re.findall(r"\d+(?:\.\d+)?", text)}
    for word, n in {"one": 1, "two": 2, "three": 3, "half": 0.5}.items():
        if re.search(rf"\b{word}\b", text, re.I):
            nums.add(n)
    return nums


def _duration_minutes(num: str, unit: str) -> float:
    return float(num) * 60 if unit.lower().startswith("h") else float(num)


DECADE = r"(?:the\s+)?(?:(?:19|20)\d0|'?\d0)'?s\b"


def negated_decade(text: str) -> int | None:
    """The first year of a decade the user rules out ('not from the 90s', 'no 80s movies'), or None."""
    m = re.search(rf"\b(?:not|no|nothing|never|anything but|except|avoid|skip)\s+(?:\w+\s+){{0,2}}?({DECADE})",
                  text, re.I)
    if not m:
        return None
    d = re.search(r"(19|20)?(\d)0", m.group(1))
    assert d is not None
    return int((d.group(1) or ("19" if d.group(2) >= "3" else "20")) + d.group(2) + "0")


UPPER = r"under|less than|shorter than|cheaper than|lower than|below|at most|up to|within|max(?:imum)?|<=?"
LOWER = r"over|more than|longer than|pricier than|more expensive than|higher than|above|at least|min(?:imum)?|>=?"
NEGATED = (r"\b(?:no|not|nothing|never|none)(?:\s+(?:films?|movies?|ones?|titles?|shows?|games?|books?|products?|"
           r"items?|things?|released|made|that'?s|that is))?\s*$")


def _bounds(t: str, value: str) -> list[tuple[str, re.Match[str]]]:
    """('max' | 'min', match) for each comparison before `value` (its groups start at 2). A negation right before
    turns it round: "no more than 2 hours" and "nothing over 100 minutes" are maxima, "nothing under 90 minutes"
    and "not less than $20" minima."""
    out = []
    for m in re.finditer(rf"(?<![\w-])({UPPER}|{LOWER})\s*(?:about\s*)?(?:{value})", t):
        upper = re.fullmatch(UPPER, m.group(1)) is not None
        if re.search(NEGATED, t[max(0, m.start() - 25): m.start()]):
            upper = not upper
        out.append(("max" if upper else "min", m))
    return out


def rule_constraints(text: str, catalog: Catalog, state: DialogueState) -> tuple[dict[str, Constraint], list[str]]:
    """Constraints code can read for certain: durations with units, years and decades, prices, negated genres."""
    fields = catalog.manifest.filterable()
    out: dict[str, Constraint] = {}
    removed: list[str] = []
    t = text.lower().replace("½", ".5")
    t = re.sub(r"\ban? hour and a half\b", "90 minutes", t)
    t = re.sub(r"\ban hour\b", "1 hour", t)
    t = re.sub(r"\b(\d+) and a half hours?\b", lambda m: f"{int(m.group(1)) * 60 + 30} minutes", t)
    t = re.sub(r"\b(one|two|three)( and a half)? hours?\b",
               lambda m: f"{({'one': 1, 'two': 2, 'three': 3}[m.group(1)] + (0.5 if m.group(2) else 0)) * 60:g} minutes", t)

    def c(name: str) -> Constraint:
        return out.setdefault(name, Constraint())

    runtime = next((k for k, s in fields.items() if s.filter == "range" and s.unit == "minutes"), None)
    if runtime:
        dur = r"(\d+(?:\.\d+)?)\s*(hours?|hrs?|h|minutes?|mins?|min|m)\b"
        for bound, m in _bounds(t, dur):
            setattr(c(runtime), bound, _duration_minutes(m.group(2), m.group(3)))
        m = re.search(rf"\bbetween\s*(\d+)\s*(?:and|-|to)\s*{dur}", t)
        if m:
            c(runtime).min, c(runtime).max = (_duration_minutes(m.group(1), m.group(3)),
                                              _duration_minutes(m.group(2), m.group(3)))
        if re.search(r"\b(any length|don'?t care (about|how) long|length doesn'?t matter)\b", t):
            removed.append(runtime)
    if "year" in fields:
        dec = re.search(r"\b(?:the\s+)?(?:(19|20)(\d)0|'?(\d)0)'?s\b", t)
        if dec and not re.search(r"\b\d+\s*(?:minutes|mins)\b", t[dec.start():dec.end() + 8]) \
                and negated_decade(t) is None:  # "not from the 90s" cannot be one range: no limit (understand notes it)
            cent = dec.group(1) or ("19" if (dec.group(3) or "0") >= "3" else "20")
            d = int(cent + (dec.group(2) or dec.group(3)) + "0")
            c("year").min, c("year").max = d, d + 9
        negated = (r"\b(?:nothing|not|no|none|never)(?:\s+(?:films?|movies?|ones?|titles?|shows?|games?|books?|"
                   r"products?|items?|things?|released|made))?\s*$")  # "nothing before 1990" = from 1990 on
        for m in re.finditer(r"\b(before|older than|pre-?|earlier than|until|up to)\s*(19\d\d|20\d\d)\b", t):
            year = int(m.group(2))
            if re.search(negated, t[max(0, m.start() - 25): m.start()]):
                c("year").min = year + (1 if m.group(1) in ("until", "up to") else 0)
            else:
                c("year").max = year - (0 if m.group(1) in ("until", "up to") else 1)
        for m in re.finditer(r"\b(after|newer than|post-?|since|from|later than)\s*(19\d\d|20\d\d)\b", t):
            year = int(m.group(2))
            rest = t[m.end(): m.end() + 20]
            if m.group(1) == "from" and not re.match(r"\s*(?:on\b|onwards?\b|or later|and later|forward|and up|"
                                                     r"to\b|until\b|till\b|-|–|and\b)", rest):
                if not re.search(NEGATED, t[max(0, m.start() - 25): m.start()]):
                    c("year").min = c("year").max = year  # "a movie from 1994" is from that year
                continue
            strict = m.group(1) in ("after", "newer than", "post", "post-", "later than")
            if re.search(negated, t[max(0, m.start() - 25): m.start()]):
                c("year").max = year - (0 if strict else 1)  # "nothing after 1990" = up to 1990
            else:
                c("year").min = year + (1 if strict else 0)
        m = re.search(r"\b(?:between|from)\s*(19\d\d|20\d\d)\s*(?:and|to|until|till|-|–)\s*(19\d\d|20\d\d)\b", t)
        if m:
            c("year").min, c("year").max = sorted((int(m.group(1)), int(m.group(2))))
        if re.search(r"\b(any year|any decade|don'?t care (about|how) old)\b", t):
            removed.append("year")
    price = next((k for k, s in fields.items() if s.filter == "range" and (s.unit or "").upper() == "USD"), None)
    if price:
        for m in re.finditer(r"budget(?: of| is)?\s*\$?\s*(\d+(?:\.\d+)?)", t):
            c(price).max = float(m.group(1))
        for bound, m in _bounds(t, r"\$\s*(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s*(?:dollars|usd|bucks)\b|"
                                   r"(\d+(?:\.\d+)?)(?![\d.])(?!\s*(?:%|percent|[a-z]))"):  # a bare number: a price here
            setattr(c(price), bound, float(m.group(2) or m.group(3) or m.group(4)))
    for name, spec in fields.items():
        if spec.filter != "include_exclude" or not spec.vocabulary:
            continue
        for word, value in [*((v.lower(), v) for v in spec.vocabulary), *SYNONYMS.items()]:
            if value not in spec.vocabulary:
                continue
            w = re.escape(word)
            said = [m.start() for m in re.finditer(rf"\b{w}\b", t)]
            negated = [p for p in said if re.search(rf"\b{NEG}\b(?:\s+{GAP}){{0,3}}?\s+$", t[:p])]
            if said and len(negated) == len(said) or re.search(rf"\b{w}\b[^.,;]*?\b(is|are)\s+(out|off the table)\b", t):
                c(name).exclude = sorted({*c(name).exclude, value})
            elif re.search(rf"\b(only|just|strictly|nothing but)\s+(?:\w+\s+){{0,2}}?{w}\b", t):
                c(name).include = sorted({*c(name).include, value})
            if re.search(rf"\b(i don'?t mind|ok with|fine with|okay with|allow|bring back)\s+(?:\w+\s+){{0,2}}?{w}\b", t):
                removed.append(f"{name}:{value}")
    return {k: v for k, v in out.items() if not v.is_empty()}, removed


# "that one", "seen it", "not that": pointing at an item. A bare "it" ("make it shorter", "I want it funny") is not.
DEIXIS = re.compile(r"\b(?:that|this|the last)\s+(?:one|movie|film|item|product|pick)\b|"
                    r"\b(?:seen|watched|about|in|liked?|loved?|hated?|skip|own|have|bought|than|with)\s+(?:it|that|this)\b|"
                    r"\b(?:is|was|isn'?t|wasn'?t)\s+(?:it|that|this)\b(?!\s+(?:time|year|week))|"
                    r"^\s*(?:not|no|nope)\s*,?\s*(?:it|that|this)\b", re.I)


def mentioned_positions(text: str, state: DialogueState) -> list[str]:
    """Items the user points at by position ("the second one") or deixis ("that one", "it")."""
    out: list[str] = []
    last = state.last_recommended
    for m in re.finditer(r"\b(first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th)\b(?:\s+(?:one|movie|film|item|"
                         r"product|pick|suggestion))?|#\s*([1-5])\b|\bnumber\s*([1-5])\b", text, re.I):
        if m.group(1):
            idx = ORDINALS[m.group(1).lower()]
        else:
            idx = int(m.group(2) or m.group(3)) - 1
        if last and -len(last) <= idx < len(last) and last[idx] not in out:
            out.append(last[idx])
    if not out and (DEIXIS.search(text) or (QUESTION.search(text) and re.search(r"\b(it|that|this)\b", text, re.I))):
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
    listed = r"(?:[A-Z][\w'-]*(?:\s*,\s*|\s+(?:or|and)\s+))*"  # "in Manhattan or Chicago"
    return bool(capital) and not re.search(rf"\b(?i:{_PLACE_WORDS})\s+{listed}{re.escape(title)}\b", text)


def _followed_by_subtitle(key: str, text: str) -> bool:
    """Every place the title's words occur is followed by ': Subtitle': the user named another work of the series."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = r"[^A-Za-z0-9]+".join(re.escape(w) for w in key.split())
    spans = list(re.finditer(rf"(?<![A-Za-z0-9]){words}(?![A-Za-z0-9])", folded, re.I))
    return bool(spans) and all(re.match(r"\s*:\s*[A-Za-z0-9]", folded[m.end():]) for m in spans)


def mentioned_titles(text: str, catalog: Catalog) -> list[str]:
    """Catalog titles written in the message (short one-word titles only when capitalised as a title)."""
    found: list[tuple[int, str]] = []
    low = " " + norm_title(text) + " "
    for key, ids in catalog._titles.items():
        if len(key) < 3 or f" {key} " not in low:
            continue
        title = catalog.title(catalog.by_id[ids[0]])
        if len(key.split()) == 1 and not _one_word_title_meant(key, title, text, catalog):
            continue
        if _followed_by_subtitle(key, text):  # "Avengers: Infinity War" is not The Avengers
            continue
        found.append((low.index(f" {key} "), catalog.find_title(key) or ids[0]))
    found.sort()
    # drop a title whose every occurrence lies inside a longer found title ("Up" inside "Up in the Air"; "Alien" is
    # not inside "Aliens"), but keep "The Avengers" in "The Avengers and Avengers: Endgame"
    keys = [norm_title(catalog.title(catalog.by_id[i])) for _, i in found]

    def spans(k: str) -> list[tuple[int, int]]:
        return [(m.start(), m.start() + len(k) + 2) for m in re.finditer(rf"(?= {re.escape(k)} )", low)]

    covers = [s for k in keys for s in spans(k)]
    return [i for (_, i), k in zip(found, keys)
            if not all(any(a <= x and y <= b and (b - a) > (y - x) for a, b in covers) for x, y in spans(k))]


OWNED_CUE = re.compile(r"\b(?:i\s+(?:just\s+|already\s+)?(?:bought|own|have|got|purchased|ordered)|already\s+have)\s+"
                       r"(?P<things>[^.?!;]+)", re.I)
_FILLER = {"a", "an", "the", "some", "my", "new", "pair", "of", "set", "few", "couple", "two", "pairs"}


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def owned_mentions(text: str, catalog: Catalog) -> list[str]:
    """Items the user says they already have ("I bought a soccer goal, cleats and gloves"), matched by the words of each
    named thing against item titles and tags: every content word must appear, the tightest title wins."""
    if not any(r.get("complements") for r in catalog.items[:50]):
        return []
    out: list[str] = []
    for m in OWNED_CUE.finditer(text):
        things = re.split(r",|\band\b|\bplus\b|&|\bwith\b", m.group("things"), flags=re.I)
        for thing in things:
            words = {_stem(w) for w in re.findall(r"[a-z0-9]+", thing.lower()) if w not in _FILLER}
            if not words or len(words) > 5:
                continue
            best: tuple[float, str] | None = None
            for r in catalog.items:
                title_words = {_stem(w) for w in re.findall(r"[a-z0-9]+", str(r.get("title", "")).lower())}
                tag_words = {_stem(w) for t in r.get("tags", []) for w in re.findall(r"[a-z0-9]+", str(t).lower())}
                if words <= title_words | tag_words and words & title_words:
                    score = len(words & title_words) / len(title_words) + 0.1 * (("adult" in title_words)
                                                                                  or ("youth" not in title_words))
                    if best is None or score > best[0]:
                        best = (score, r["id"])
            if best and best[1] not in out:
                out.append(best[1])
    return out


HOURS = re.compile(r"(\d+(?:\.\d+)?|an?|one|two|three)(\s+and\s+a\s+half)?\s*(?:hours?|hrs?|h)\b", re.I)
MINUTES = re.compile(r"(\d+)\s*(?:minutes?|mins?|m)\b", re.I)


def _grounded(value: int | float, text: str, unit: str | None) -> bool:
    """Is the model's number stated in the message? A duration must come with its unit ("Super Troopers 2" is no
    2-hour limit)."""
    nums = _numbers(text)
    if unit == "minutes":
        words = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3}
        hours = [(float(words[h.lower()]) if h.lower() in words else float(h)) + (0.5 if half else 0)
                 for h, half in HOURS.findall(text)]
        if re.search(r"\b(?:an?|one)\s+hour\s+and\s+a\s+half\b", text, re.I):
            hours.append(1.5)
        minutes = [float(m) for m in MINUTES.findall(text)]
        return any(abs(value - h * 60) < 1 for h in hours) or any(abs(value - m) < 1 for m in minutes)
    if unit == "year":
        decades = {int(d) for d in re.findall(r"(\d0)'?s\b", text)}
        return any(abs(value - n) < 1 for n in nums) or any(value % 100 // 10 * 10 == d for d in decades)
    return any(abs(value - n) < 0.01 for n in nums)


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


def _vocab_words(value: str, text: str, low: str) -> list[tuple[str, str]]:
    """(regex, haystack) pairs that find a vocabulary value (or a synonym) as a whole word in the message. Short
    codes ("R", "G", "PG") must appear in capitals, not as the start of "Really" or "Game", nor open a sentence."""
    if len(value) <= 2:
        return [(rf"(?<=[A-Za-z0-9,;:]\s){re.escape(value)}\b", text)]
    return [(rf"\b{re.escape(w)}\b", low) for w in [value.lower(), *[w for w, v in SYNONYMS.items() if v == value]]]


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
    if re.search(r"\b(?:loved it|liked it|great|amazing|enjoyed it|awesome|brilliant|fantastic|not bad)\b", head):
        return "liked"
    return None


def _position(text: str, catalog: Catalog, iid: str) -> int:
    """Where the item's title starts in the message (-1 if it is not written out)."""
    return text.lower().find(catalog.title(catalog.by_id[iid]).lower())


def star_ratings(text: str, catalog: Catalog, titles: list[str]) -> dict[str, float]:
    """'I'd give Alien 5 stars', 'Heat: 2/5': each star figure goes to the nearest title written before it (or right
    after it: 'I'd give 4 stars to Heat'), within 40 characters."""
    spans = [(p, p + len(catalog.title(catalog.by_id[i])), i) for i in titles if (p := _position(text, catalog, i)) >= 0]
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


def understand(text: str, state: DialogueState, catalog: Catalog, llm: ChatModel | None,
               llm_mode: LlmMode = "auto") -> Understanding:
    """Read one message into a checked Understanding (the state itself is changed by `apply`).

    llm_mode: "always" asks the model for a full proposal every turn (the legacy pipeline); "never" is rules only;
    "auto" asks it, briefly, only about the words the rules could not place, and not at all when there are none."""
    u = Understanding()
    low = text.lower()
    positions = mentioned_positions(text, state)
    titles = mentioned_titles(text, catalog)
    proposal: dict[str, Any] = {}
    refers = positions or titles
    u.stars = star_ratings(text, catalog, titles)
    for iid, stars in u.stars.items():  # three stars or more counts as liked, fewer as disliked
        (u.liked_items if stars >= 3 else u.disliked_items).append(iid)
    fit = FIT_QUESTION.search(text)
    if fit and refers:  # "would I like Heat?": answered from the state, the ranker and the rating model
        after = [i for i in titles if _position(text, catalog, i) >= fit.start()]
        u.intent, u.about_item = "fit", positions[0] if positions else (after or refers)[0]
        # a limit in the same breath counts: "would I like Heat if I only have 2 hours?"
        u.constraint_changes, u.removed_constraints = rule_constraints(_mask_titles(text, titles, catalog), catalog,
                                                                       state)
        return u
    if QUESTION.search(text) and refers and not RECOMMEND_CUE.search(text) and not u.stars:
        u.intent, u.about_item = "question", refers[0]  # code is sure: no need to ask the model
        return u
    u.unplaced = unplaced_in(text, catalog, titles)
    if llm is not None and (llm_mode == "always" or llm_mode == "auto" and u.unplaced):
        try:
            proposal = llm_propose(llm, catalog, state, text) if llm_mode == "always" else \
                llm_place(llm, catalog, text, u.unplaced)
            u.llm_used = True
        except Exception as e:  # a model failure degrades to the rules, it never fails the turn
            u.notes.append(f"preference model unavailable ({type(e).__name__}); used rules only")
    if proposal.get("intent") == "question" and refers and not RECOMMEND_CUE.search(text):
        u.intent, u.about_item = "question", refers[0]
        return u
    # items: liked / disliked / rejected / owned
    neg_ctx = re.compile(rf"\b({NEG}|hated|didn'?t like|disliked|boring|awful|terrible|not a fan|not that|seen it|"
                         r"already seen|watched it)\b", re.I)
    for iid in owned_mentions(text, catalog):
        u.owned_items.append(iid)
    for iid in titles:
        if iid in u.owned_items or iid in u.stars:
            continue
        title = catalog.title(catalog.by_id[iid])
        i = low.find(title.lower())
        before = low[max(0, i - 40): i] if i >= 0 else low
        before = re.split(r"\b(?:but|whereas|while)\b|[.;!?]", before)[-1]  # this clause only
        after = low[i + len(title): i + len(title) + 35] if i >= 0 else ""
        verdict = after_verdict(after)
        if re.search(r"\b(bought|own|have|got|purchased|already have)\b", before) and "products" in catalog.name:
            u.owned_items.append(iid)
        elif verdict:
            (u.liked_items if verdict == "liked" else u.disliked_items).append(iid)
        elif re.search(r"\b(seen|watched|saw|played|read)\s+(?:it\s+)?$", before) or \
                re.match(r"\s+(?:already|before)\b", after):  # seen, no verdict: not again, no taste signal
            u.owned_items.append(iid)
        elif neg_ctx.search(before):
            u.disliked_items.append(iid)
        else:
            u.liked_items.append(iid)
    for t in proposal.get("liked_titles", []) + proposal.get("disliked_titles", []):
        m = re.match(r"^(.*?)\s*\((\d{4})\)\s*$", t or "")
        iid = catalog.find_title(m.group(1), int(m.group(2))) if m else catalog.find_title(t)
        if iid and iid not in titles and norm_title(t) in norm_title(text):
            (u.disliked_items if t in proposal.get("disliked_titles", []) else u.liked_items).append(iid)
        elif t and not iid and t[:1].isupper() and t in text and len(t.split()) <= 6:
            u.notes.append(f"'{t}' is not in the {catalog.manifest.name} catalog")
    pointed = [p for p in positions if p not in titles]  # a named title was judged above, by its own clause
    if pointed:
        positions = pointed
        if re.search(r"\b(not|no|nope|don'?t|hate|reject|skip|instead|other than|seen)\b", low):
            u.rejected_items += positions
        elif re.search(r"\b(more like|similar to|like|love|loved|liked|great|perfect|yes)\b", low):
            u.liked_items += [p for p in positions if p not in u.liked_items]
        else:
            u.about_item = positions[0]
    # constraints: rules first, then grounded LLM proposals
    rules, removed = rule_constraints(text, catalog, state)
    blocked = set()  # fields whose LLM proposal is not taken this turn
    not_decade = negated_decade(text)
    if not_decade is not None and "year" in catalog.manifest.filterable():
        blocked.add("year")
        u.notes.append(f"I cannot rule out a single decade as a hard limit; say 'before {not_decade}' or "
                       f"'after {not_decade + 9}' and I will keep to it")
    u.removed_constraints = removed
    ref_ids = titles or u.rejected_items or positions or state.last_recommended  # "shorter than Heat": Heat
    refs = [catalog.by_id[i] for i in ref_ids if i in catalog.by_id]
    fields = catalog.manifest.filterable()
    for word, field, bound, pick in (("older", "year", "max", min), ("earlier", "year", "max", min),
                                     ("newer", "year", "min", max), ("more recent", "year", "min", max),
                                     ("shorter", "runtime_minutes", "max", min), ("longer", "runtime_minutes", "min", max),
                                     ("cheaper", "price_usd", "max", min)):
        if field in fields and re.search(rf"\b{word}\b", low) and refs and field not in rules:
            vals = [r[field] for r in refs if r.get(field) is not None]
            if vals:
                v = pick(vals)
                c = rules.setdefault(field, Constraint())
                if bound == "max":
                    c.max = v - 1 if fields[field].type == "integer" else round(v * 0.99, 2)
                else:
                    c.min = v + 1 if fields[field].type == "integer" else round(v * 1.01, 2)
    for name, spec in fields.items():
        if spec.filter == "range":
            unit = spec.unit or ""
            suffix = "" if name.endswith(unit.lower()) or unit in ("", "year") else f"_{unit.lower()}"
            for b in ("min", "max"):
                v = proposal.get(f"{b}_{name}{suffix}")
                if not v or name in rules or name in removed or name in blocked:  # code's reading wins outright
                    continue
                if unit == "minutes" and 0 < v <= 6 and re.search(r"\bhours?\b", low):
                    u.notes.append(f"read {b} {name}={v} as {v * 60} minutes")
                    v = v * 60
                lo, hi = spec.minimum, spec.maximum
                if not _grounded(v, low, unit) or (lo is not None and v < lo) or (hi is not None and v > hi):
                    continue  # not stated in the message: a guess, dropped
                setattr(rules.setdefault(name, Constraint()), b, float(v))
        elif spec.vocabulary:
            excl = [g for g in proposal.get(f"excluded_{name}", []) if g in spec.vocabulary]
            for g in excl:
                if any(re.search(rf"\b(?i:{NEG})\b[^.;]*{w}", hay) for w, hay in _vocab_words(g, text, low)):
                    c = rules.setdefault(name, Constraint())
                    c.exclude = sorted({*c.exclude, g})

            for g in proposal.get(f"wanted_{name}", []):
                if g in spec.vocabulary and g not in rules.get(name, Constraint()).exclude and \
                        any(re.search(w, hay) for w, hay in _vocab_words(g, text, low)):
                    u.liked_attributes.append(g)
    # soft genre wishes that the rules see without the LLM ("something funny"), not words of a title
    untitled = _mask_titles(text, titles, catalog).lower()
    for name, spec in fields.items():
        if spec.filter == "include_exclude" and spec.vocabulary and name == "genres":
            for w, g in SYNONYMS.items():
                if re.search(rf"\b{re.escape(w)}\b", untitled) and g not in rules.get(name, Constraint()).exclude \
                        and g not in u.liked_attributes and g in spec.vocabulary:
                    u.liked_attributes.append(g)
    u.constraint_changes = rules
    people = [catalog.people.get(str(p).lower().strip(), "") for p in proposal.get("people", [])]
    for p in dict.fromkeys([*catalog.people_in(text), *people]):  # read by code, or proposed and checked
        if p and re.search(rf"\b{re.escape(p.lower())}(?!\w)", low):
            (u.disliked_attributes if re.search(rf"{NEG}[^.]*{re.escape(p.lower())}", low) else u.liked_attributes).append(p)
    for k in [*about_themes(text, catalog), *proposal.get("themes_and_moods", [])]:
        if k and k.lower() not in u.liked_attributes and any(w in low for w in k.lower().split() if len(w) > 3):
            neg = re.search(rf"\b{NEG}\b[^.]*\babout\s+(?:\w+\s+)?{re.escape(k.lower())}", low)
            (u.disliked_attributes if neg else u.liked_attributes).append(k.lower())
    if not (u.liked_items or u.disliked_items or u.rejected_items or rules or u.liked_attributes or removed
            or u.owned_items) and not RECOMMEND_CUE.search(text) and \
            (proposal.get("intent") == "other" if llm_mode == "always" and u.llm_used else not u.unplaced):
        u.intent = "other"  # small talk: the model said so (legacy), or no word of it reads as a wish
    return u


def apply(u: Understanding, state: DialogueState) -> None:
    """Fold a checked Understanding into the session's state (the only place the LLM's reading lands)."""
    def add(lst: list[str], values: list[str]) -> None:
        lst.extend(v for v in values if v not in lst)

    add(state.liked_items, u.liked_items)
    add(state.disliked_items, u.disliked_items)
    add(state.rejected_items, u.rejected_items)
    add(state.owned_items, u.owned_items)
    state.stars_out_of_5.update(u.stars)
    for i in u.disliked_items + u.rejected_items:
        if i in state.liked_items:
            state.liked_items.remove(i)
    for i in u.liked_items:
        for lst in (state.disliked_items, state.rejected_items):
            if i in lst:
                lst.remove(i)
    for r in u.removed_constraints:
        if ":" in r:
            f, v = r.split(":", 1)
            if f in state.constraints and v in state.constraints[f].exclude:
                state.constraints[f].exclude.remove(v)
        else:
            state.constraints.pop(r, None)
    for name, c in u.constraint_changes.items():
        cur = state.constraints.setdefault(name, Constraint())
        if c.min is not None or c.max is not None:
            cur.min = c.min if c.min is not None else (cur.min if c.max is None or cur.min is None or cur.min <= c.max else None)
            cur.max = c.max if c.max is not None else (cur.max if cur.max is None or c.min is None or cur.max >= c.min else None)
        if c.include:
            cur.include = sorted({*c.include})
            cur.exclude = [x for x in cur.exclude if x not in c.include]
        if c.exclude:
            cur.exclude = sorted({*cur.exclude, *c.exclude})
            cur.include = [x for x in cur.include if x not in c.exclude]
    excluded_genres = {g for c in state.constraints.values() for g in c.exclude}
    for a in u.liked_attributes:
        if a not in excluded_genres:
            bucket = state.liked_attributes.genres if a[:1].isupper() and " " not in a or a == "Science Fiction" \
                else state.liked_attributes.keywords
            if a[:1].isupper() and len(a.split()) >= 2 and a != "Science Fiction":
                bucket = state.liked_attributes.people
            add(bucket, [a])
    for a in u.disliked_attributes:
        add(state.disliked_attributes.people if a[:1].isupper() else state.disliked_attributes.keywords, [a])
    for g in excluded_genres:
        if g in state.liked_attributes.genres:
            state.liked_attributes.genres.remove(g)
    if u.about_item:
        state.focus_item = u.about_item
