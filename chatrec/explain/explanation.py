"""Explanations: code finds the true ties between an item and this user, the LLM words them, code checks the words.

One streamed model call explains every card of a turn (`explain_all`): a stable system prompt, then the user's
profile, then a compact brief of each shown item with its ties to the user, answered as a numbered list whose lines
stream into their cards. A sentence that names another catalog title, a year or runtime the item does not have, or
a person not in its record is rejected and replaced by a template built only from the record and the ties, so no
explanation can invent a fact. `explain` (one call per item) is the legacy path, kept for the benchmark.
"""
from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from chatrec.catalog.catalog import Catalog, norm_title
from chatrec.dialogue.state import DialogueState
from chatrec.llm.models import ChatModel

log = logging.getLogger(__name__)

def genre_claims(catalog: Catalog) -> dict[str, set[str]]:
    """Vocabulary value -> the words that claim it ("comedic", "rom-com", "sci-fi", "war film"), from the
    manifest's synonyms: those that are forms of the value's own name (same first three letters, not '-ing'
    adjectives), so "heist" or "space" in a sentence are not read as genre claims."""
    syn = catalog.manifest.synonyms_for("genres") if "genres" in catalog.manifest.fields else {}
    out: dict[str, set[str]] = {}
    for word, value in syn.items():
        if word == value.lower() or (word[:3] == value.lower()[:3] and not word.endswith("ing")):
            out.setdefault(value, set()).add(word)
    return out

# Capitalised words that start sentences or name genres/places generically; never treated as person names.
_COMMON = {"The", "This", "It", "Its", "A", "An", "If", "You", "Your", "With", "For", "And", "As", "Since", "Like",
           "Fans", "Viewers", "Anyone", "Perfect", "Great", "Ideal", "Its", "From", "In", "On", "At", "Set", "Both",
           "Science", "Fiction", "Comedy", "Drama", "Horror", "Thriller", "Action", "Adventure", "Animation",
           "Family", "Fantasy", "Romance", "Crime", "Mystery", "War", "Western", "History", "Music", "Documentary",
           "English", "French", "Japanese", "Korean", "Spanish", "Italian", "German", "American", "British",
           "Hollywood", "Oscar", "Oscars", "Academy", "Award", "Christmas", "Thanksgiving", "Halloween", "New",
           "Year", "Years", "Eve", "Day", "Los", "Angeles", "York", "City", "World", "War", "II", "I"}


def facts_text(catalog: Catalog, item: dict[str, Any]) -> str:
    """Every fact of the record as text: the only material an explanation may draw on."""
    parts = []
    for k, v in item.items():
        if k in ("id", "complements"):
            continue
        parts.append(f"{k.replace('_', ' ')}: {', '.join(v) if isinstance(v, list) else v}")
    return "\n".join(parts)


def check(text: str, item: dict[str, Any], catalog: Catalog, allowed_titles: set[str] | None = None,
          limits: set[float] | None = None) -> list[str]:
    """Problems with an explanation; an empty list means every checkable claim matches the record. The titles in
    `allowed_titles` (items the user liked, named as the reason: "like Heat, ...") may be named, and the numbers
    in `limits` (the user's own bounds: "under your 100 minutes"); the facts the sentence states must still be
    this item's."""
    limits = limits or set()
    problems: list[str] = []
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
    # years and decades
    year = item.get("year")
    for y in re.findall(r"\b(1[89]\d\d|20\d\d)\b(?!s)", text):
        if year is None or int(y) != int(year):
            problems.append(f"wrong year {y}")
    for d in re.findall(r"\b(1[89]\d0|20\d0)s\b", text):
        if (year is None or int(year) // 10 * 10 != int(d)) and f"{d}s" not in low_facts:  # "set in 1940s Shanghai"
            problems.append(f"wrong decade {d}s")
    # genre claims: a genre word the record does not carry
    own_genres = {g.lower() for g in item.get("genres") or []}
    for g, words in genre_claims(catalog).items():
        if g.lower() not in own_genres and any(re.search(rf"\b{re.escape(w)}\b", text.lower()) for w in words):
            problems.append(f"calls it {g}, which the record does not")
    # durations and prices
    for n in re.findall(r"\b(\d+)\s*(?:-\s*)?(?:minutes?|mins?)\b", text):
        if (item.get("runtime_minutes") is None or abs(int(n) - int(item["runtime_minutes"])) > 1) \
                and float(n) not in limits:
            problems.append(f"wrong runtime {n} minutes")
    for p in re.findall(r"\$\s*(\d+(?:\.\d+)?)", text):
        if (item.get("price_usd") is None or abs(float(p) - float(item["price_usd"])) > 0.5) and float(p) not in limits:
            problems.append(f"wrong price ${p}")
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


def template(catalog: Catalog, item: dict[str, Any], state: DialogueState, components: dict[str, float]) -> str:
    """A fact-only explanation used when the model's words fail the check (or model explanations are off): the
    item's concrete facts, then its first two ties to what this user said or liked."""
    genres = item.get("genres") or ([item["category"]] if item.get("category") else [])
    facts = "/".join(genres[:3]).lower()
    if item.get("directors"):
        facts += f" by {item['directors'][0]}"
    if item.get("cast"):
        facts += f", with {item['cast'][0]}"
    detail = _details(item, state)
    if detail:
        facts += f", about {detail[0]}"
    tie = ties(catalog, item, state, components)[:2]
    if not any(t.startswith("At ") for t in tie):
        if item.get("runtime_minutes"):
            facts += f", {item['runtime_minutes']} minutes"
        if item.get("price_usd") is not None:
            facts += f", ${item['price_usd']:.2f}"
    return f"{catalog.label(item)}: {facts.strip(', ')}." + "".join(f" {t}." for t in tie)


STOP = set("""a an the and or but if then so of to in on at by for with from about as into like than that this these
those it its is are was were be been being i me my we you your he she they them his her their what which who whom
something anything some any more most less much many very really just only also too not no nor please want wants
wanted would could should can will shall may might must do does did done have has had get got give show tell me find
looking look mood feel feeling tonight today night weekend one ones kind sort thing things lot good great nice
maybe perhaps okay ok yes yeah hi hello thanks thank other another again instead still even ever never how when where
why there here make made let watch watched seen see saw minute minutes hour hours year years dollars
bucks under over less than least most""".split())


def user_words(state: DialogueState) -> set[str]:
    """Content words this user wrote in the session (lower case), to tell a personal explanation from a stock one."""
    words: set[str] = set()
    for t in state.turns:
        if t.role == "user":
            words |= {w for w in re.findall(r"[a-z][a-z'-]{3,}", t.text.lower()) if w not in STOP}
    return words


def _details(item: dict[str, Any], state: DialogueState) -> list[str]:
    """The item's concrete details (keywords or tags), those that match the user's wishes or words first."""
    pool = [str(k) for k in (item.get("keywords") or item.get("tags") or [])]
    wanted = {a.lower() for a in state.liked_attributes.all() + state.soft_preferences}
    said = user_words(state)
    hit = [k for k in pool if k.lower() in wanted or set(re.findall(r"[a-z]+", k.lower())) & said]
    return [*hit, *(k for k in pool if k not in hit)]


def ties(catalog: Catalog, item: dict[str, Any], state: DialogueState, components: dict[str, float]) -> list[str]:
    """True links between the item and this user, found by code from the record and the state (best first): a
    liked item it shares a person, keyword or genres with, a limit the user set that it meets, an asked-for trait."""
    out: list[str] = []
    liked = [catalog.by_id[i] for i in reversed(state.liked_items) if i in catalog.by_id and i != item["id"]]
    for other in liked[:3]:
        name = catalog.title(other)
        same_dir = [d for d in item.get("directors") or [] if d in (other.get("directors") or [])]
        same_cast = [c for c in item.get("cast") or [] if c in (other.get("cast") or [])]
        same_kw = [k for k in item.get("keywords") or item.get("tags") or []
                   if k in (other.get("keywords") or other.get("tags") or [])]
        same_genre = [g for g in item.get("genres") or [] if g in (other.get("genres") or [])]
        if same_dir:
            out.append(f"{same_dir[0]} also directed {name}, which you liked")
        elif same_cast:
            out.append(f"{same_cast[0]} is also in {name}, which you liked")
        elif same_kw:
            out.append(f"It shares {same_kw[0]} with {name}, which you liked")
        elif len(same_genre) >= 2:
            out.append(f"It is {' and '.join(g.lower() for g in same_genre[:2])}, like {name}, which you liked")
        if out:
            break
    wanted = state.liked_attributes.all() + state.soft_preferences
    have = {str(x).lower() for k in ("genres", "keywords", "tags", "cast", "directors", "category")
            for x in ((item.get(k) or []) if isinstance(item.get(k), list) else [item.get(k)]) if x}
    hits = [a for a in wanted if a.lower() in have]
    if hits:
        out.append(f"You asked for {' and '.join(h if h[:1].isupper() and ' ' in h else h.lower() for h in hits[:2])}")
    said = user_words(state) - {w for i in [*state.liked_items, *state.disliked_items, *state.rejected_items,
                                             *state.owned_items] if i in catalog.by_id
                                for w in re.findall(r"[a-z]+", catalog.title(catalog.by_id[i]).lower())}
    for k in _details(item, state)[:6]:  # a word of a title they named ("Heat") is not a wish ("heat wave")
        words = set(re.findall(r"[a-z]+", k.lower())) & said
        if words and not any(k.lower() in t.lower() for t in out):
            out.append(f"It has {k}, and you said '{sorted(words)[0]}'")
            break
    for name, c in state.active_constraints().items():
        spec = catalog.manifest.fields.get(name)
        v = item.get(name)
        if spec is None or spec.filter != "range" or v is None:
            continue
        unit = "" if spec.unit in (None, "year") else f" {spec.unit}"
        shown = f"${v:.2f}" if (spec.unit or "").upper() == "USD" else f"{v}{unit}"
        if c.max is not None and c.min is None:
            limit = f"${c.max:g}" if (spec.unit or "").upper() == "USD" else f"{c.max:g}{unit}"
            out.append(f"At {shown} it is within your limit of {limit}")
        elif c.min is not None and c.max is None:
            limit = f"${c.min:g}" if (spec.unit or "").upper() == "USD" else f"{c.min:g}{unit}"
            out.append(f"At {shown} it meets your minimum of {limit}")
        elif c.min is not None and c.max is not None:
            out.append(f"At {shown} it is in the range you asked for")
    if components.get("complement"):
        owned = [catalog.title(catalog.by_id[o]) for o in state.owned_items
                 if item["id"] in catalog.by_id.get(o, {}).get("complements", [])]
        if owned:
            out.append(f"It goes with the {owned[0]} you have")
    return out


def prompt(catalog: Catalog, item: dict[str, Any], state: DialogueState, message: str) -> list[dict[str, str]]:
    noun = catalog.manifest.item_noun
    system = (f"You tell a user in ONE short sentence (under 25 words) why a {noun} suits them, speaking to them as "
              f"'you'. Use only the facts given about the {noun}; mention one concrete detail from them. Never name "
              f"another title, and add no years, numbers or people that are not in the facts.\n"
              f"Example: Its tense, slow-burn cat-and-mouse chase through night-time Los Angeles gives you the "
              f"gritty crime drama you asked for.")
    wanted = state.liked_attributes.all() + state.soft_preferences
    details = [k for k in (item.get("keywords") or item.get("tags") or []) if k.lower() in {w.lower() for w in wanted}]
    details += [k for k in (item.get("keywords") or item.get("tags") or []) if k not in details]
    user = (f"The user said: {message}\nWhat they want: {', '.join(wanted) or 'see their message'}\n"
            f"The {noun}:\n{facts_text(catalog, item)}\n"
            f"Build the sentence on one of these details: {', '.join(details[:4])}. Do not start with the title.\n"
            f"Your one sentence, addressed to them as 'you':")
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def explain(llm: ChatModel | None, catalog: Catalog, item: dict[str, Any], state: DialogueState, message: str,
            components: dict[str, float]) -> Iterator[tuple[str, bool | None]]:
    """Yield (text, None) pieces while the LLM writes, then (final_text, from_llm) once checked."""
    if llm is None:
        yield template(catalog, item, state, components), False
        return
    buf = ""
    try:
        for piece in llm.stream(prompt(catalog, item, state, message), max_tokens=48, stable=1):
            buf += piece
            yield piece, None
    except Exception:  # a failing model must not cost the user the recommendation
        buf = ""
    text = _clean(buf)
    if text and not check(text, item, catalog):
        yield text, True
    else:
        yield template(catalog, item, state, components), False


def brief(catalog: Catalog, item: dict[str, Any], state: DialogueState, budget_chars: int = 170) -> str:
    """The item's facts in one short line, most telling first (people, keywords or tags, vocabulary values, limits
    the user set, then the description's opening) until `budget_chars`: every token here is prefill time on a
    2-core CPU (about 1 s per 90 tokens), so the line stops at a budget instead of listing the whole record."""
    from chatrec.catalog.catalog import PEOPLE_FIELDS

    fields = catalog.manifest.fields
    limited = set(state.active_constraints())
    list_vocab = any(f.vocabulary and f.type == "list" for f in fields.values())

    def rank(k: str) -> int:
        spec = fields[k]
        if k in PEOPLE_FIELDS:
            return 0
        if k in ("keywords", "tags"):
            return 1
        if spec.vocabulary and (spec.type == "list" or not list_vocab):
            return 2  # genres; a scalar one (age rating) only where no list vocabulary exists (product category)
        if k in limited or spec.filter == "range":
            return 3
        return 5 if spec.type == "text" else 4 if spec.type != "string" else 6
    parts: list[str] = []
    for k in sorted((k for k in fields if k not in ("id", "year", catalog.manifest.title_field)), key=rank):
        spec, v = fields[k], item.get(k)
        if spec.display == "hidden" or v in (None, "", []) or (rank(k) == 6 and k not in limited):
            continue
        if k in ("keywords", "tags"):
            v = _details(item, state)[:3]
        if isinstance(v, list):
            v = ", ".join(str(x) for x in v[:2 if k in PEOPLE_FIELDS else 3])
        elif spec.type == "text":
            v = _first_clause(str(v), 12)
        elif (spec.unit or "").upper() == "USD":
            v = f"${float(v):.2f}"
        elif spec.unit:
            v = f"{v} {spec.unit}"
        label = k.removesuffix(f"_{(spec.unit or '').lower()}").replace("_", " ")
        part = f"{label}: {v}"
        if parts and len("; ".join([*parts, part])) > budget_chars:
            continue
        parts.append(part)
    return "; ".join(parts)


def _first_clause(text: str, most: int = 16) -> str:
    """The description's first sentence, or its longest opening of whole clauses within `most` words."""
    words = re.split(r"(?<=[.;!?])\s", text)[0].split()
    if len(words) <= most:
        return " ".join(words).rstrip(".;")
    cut = [n for n, w in enumerate(words[:most], 1) if w.endswith(",") and n >= 6]
    return " ".join(words[: cut[-1] if cut else most]).rstrip(",") + " ..."


# A worked example, part of the stable prefix (evaluated once per process, then restored from llama.cpp's saved
# state): small models follow a shown answer far better than described rules. The items are invented.
_EXAMPLE_USER = ("[1] Night Harbour (1998) | directors: Ana Ruiz; keywords: smuggling ring, dockworkers; genres: "
                 "Crime; description: A night-shift crane operator finds out who really runs the port\n"
                 "[2] Paper Moons (2015) | cast: Lia Okafor; keywords: road trip, sisters; genres: Comedy, Drama\n"
                 "[3] Trail Lantern | tags: camping, lantern, rechargeable; category: Camping; description: A USB "
                 "rechargeable lantern with three brightness levels")
_EXAMPLE_ANSWER = ("1. A crane operator on the night shift takes on the smuggling ring that runs his port\n"
                   "2. Lia Okafor and her sister bicker their way through a road trip\n"
                   "3. A rechargeable camping lantern with three brightness levels")


def batch_messages(catalog: Catalog, items: list[dict[str, Any]], state: DialogueState) -> list[dict[str, str]]:
    """Stable prefix (system prompt and a worked example), then each item's brief. The model writes one vivid
    phrase per item from its own facts; code adds the ties to the user, so the prompt holds nothing per user
    beyond which keywords lead, and the phrase is checked like any claim."""
    m = catalog.manifest
    system = (f"For each numbered {m.item_noun}, write one line: the number, a dot, and a vivid phrase of at most "
              f"14 words saying what it is or what happens in it, built from its facts (a person, a plot element, "
              f"a theme). Never name a title, a year or a number that is not in its facts; no opinions, no praise.")
    lines = [f"[{n}] {catalog.label(it)} | {brief(catalog, it, state)}" for n, it in enumerate(items, 1)]
    return [{"role": "system", "content": system}, {"role": "user", "content": _EXAMPLE_USER},
            {"role": "assistant", "content": _EXAMPLE_ANSWER}, {"role": "user", "content": "\n".join(lines)}]


def _clean(raw: str) -> str:
    """Whole sentences spoken to 'you', or '' when nothing whole is left."""
    text = re.sub(r"\s+", " ", raw).strip().strip('"')
    # the model sometimes narrates ("fits the user's desire"): speak to the person instead
    text = re.sub(r"\b(?:the|this) user\b", "you", re.sub(r"\bthe user's", "your", text, flags=re.I), flags=re.I)
    if text and not re.search(r"[.!?][\"')]?$", text):  # cut off by the token limit: keep whole sentences only
        ends = [m.end() for m in re.finditer(r"[.!?](?=\s)", text)]
        text = text[: ends[-1]] if ends else ""
    return text


def _hook(raw: str, item: dict[str, Any], catalog: Catalog) -> str:
    """The model's phrase as the opening sentence: one line, capitalised, full stop; '' if it is not a phrase of
    its own (an echo of the brief, a title, a cut-off list)."""
    text = re.sub(r"\s+", " ", raw).strip().strip('"').rstrip(".;,")
    if not text or "|" in text or ":" in text or len(text.split()) < 4 or len(text.split()) > 24:
        return ""
    if text.split()[-1] in {"the", "a", "an", "and", "of", "to", "with", "in", "on", "for", "his", "her"}:
        return ""  # cut off by the token limit (a capitalised last word ends a title: "... Shoes On")
    return text[0].upper() + text[1:] + "."


def _words(text: str) -> set[str]:
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


def context(catalog: Catalog, state: DialogueState) -> tuple[set[str], set[float]]:
    """What an explanation may name besides the item's own facts: the liked titles and the user's own limits."""
    titles = {catalog.title(catalog.by_id[i]) for i in state.liked_items if i in catalog.by_id}
    limits = {float(b) for c in state.active_constraints().values() for b in (c.min, c.max) if b is not None}
    return titles, limits


class PhraseCache:
    """Checked model phrases by (catalog, item id). A phrase is written from the item's own facts only (the prompt
    holds nothing of the user), so it is the same for every visitor: a card shown again, in this session or
    another, costs no model time. Item-derived, never user data; bounded, thread-safe."""

    def __init__(self, size: int = 4096) -> None:
        self._d: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, catalog: str, item_id: str) -> str | None:
        with self._lock:
            hit = self._d.get((catalog, item_id))
            if hit is not None:
                self._d.move_to_end((catalog, item_id))
            return hit

    def put(self, catalog: str, item_id: str, phrase: str) -> None:
        with self._lock:
            self._d[(catalog, item_id)] = phrase
            while len(self._d) > self._size:
                self._d.popitem(last=False)


def explain_all(llm: ChatModel | None, catalog: Catalog, items: list[dict[str, Any]], state: DialogueState,
                components: list[dict[str, float]],
                cache: PhraseCache | None = None) -> Iterator[tuple[int, str, bool | None]]:
    """Explain every card with at most ONE streamed call. Yields (index, piece, None) while item `index`'s phrase
    is written and (index, final_text, from_llm) as soon as that line is complete and checked: the model's phrase
    followed by code's ties to the user, or the template where the phrase fails the check. Cards whose phrase is
    cached settle at once; only the others go to the model."""
    tie_lists = [ties(catalog, it, state, c)[:2] for it, c in zip(items, components)]
    done: dict[int, str] = {}

    def settle(n: int, hook: str) -> tuple[int, str, bool]:
        done[n] = hook + "".join(f" {t}." for t in tie_lists[n])
        return n, done[n], True

    def final(n: int, raw: str) -> tuple[int, str, bool]:
        hook = _hook(raw, items[n], catalog)
        problems = check(hook, items[n], catalog) if hook else ["not a phrase of its own"]
        slip = misplaced(hook, n, items, catalog) if hook else None
        if slip:
            problems.append(f"describes another card ({slip})")
        if llm is not None and problems:
            log.info("explanation for %s falls back to the template (%s): %r", items[n]["id"], "; ".join(problems), raw)
        if not problems:
            if cache is not None:
                cache.put(catalog.name, items[n]["id"], hook)
            return settle(n, hook)
        done[n] = template(catalog, items[n], state, components[n])
        return n, done[n], False

    if llm is None or not items:
        for n in range(len(items)):
            yield final(n, "")
        return
    for n, it in enumerate(items):
        hit = cache.get(catalog.name, it["id"]) if cache is not None else None
        if hit:
            yield settle(n, hit)
    todo = [n for n in range(len(items)) if n not in done]  # the model sees these, numbered 1..len(todo)
    if not todo:
        return
    buf, sent = "", {}  # sent: index -> characters of its line already streamed
    line = re.compile(r"^\s*(\d+)\s*[.):]\s?(.*)$")

    def index(row: str) -> tuple[int, str] | None:
        m = line.match(row)
        if not m or not 1 <= int(m.group(1)) <= len(todo) or todo[int(m.group(1)) - 1] in done:
            return None
        return todo[int(m.group(1)) - 1], m.group(2)
    blank = DialogueState(catalog=catalog.name)  # the prompt holds nothing of the user: phrases can be shared
    try:
        stop = [f"\n{len(todo) + 1}."]
        for piece in llm.stream(batch_messages(catalog, [items[n] for n in todo], blank),
                                max_tokens=24 * len(todo) + 8, stable=3, stop=stop):
            buf += piece
            rows = buf.split("\n")
            for k, row in enumerate(rows):
                got = index(row)
                if got is None:
                    continue
                n, body = got
                if len(body) > sent.get(n, 0):
                    yield n, body[sent.get(n, 0):], None
                    sent[n] = len(body)
                if k < len(rows) - 1:  # the line ended: check it now, so its card settles while others stream
                    yield final(n, body)
    except Exception:  # noqa: BLE001 - a failing model must not cost the user the recommendations
        pass
    for row in buf.split("\n"):
        got = index(row)
        if got is not None:
            yield final(*got)
    for n in range(len(items)):
        if n not in done:
            yield final(n, "")
