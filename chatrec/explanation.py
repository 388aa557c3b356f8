"""Explanations: the LLM writes one sentence per item, code checks it against the item's facts.

A sentence that names another catalog title, a year or runtime the item does not have, or a person not in its
record is rejected and replaced by a template built only from the record, so no explanation can invent a fact.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .catalog import Catalog, norm_title
from .llm import ChatModel
from .state import DialogueState

GENRE_WORDS = {"comedy": "Comedy", "comedic": "Comedy", "horror": "Horror", "thriller": "Thriller",
               "sci-fi": "Science Fiction", "science fiction": "Science Fiction", "western": "Western",
               "documentary": "Documentary", "animated": "Animation", "romantic": "Romance", "romance": "Romance",
               "musical": "Music", "war film": "War", "war movie": "War", "fantasy": "Fantasy", "mystery": "Mystery",
               "crime": "Crime", "action": "Action"}

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


def check(text: str, item: dict[str, Any], catalog: Catalog) -> list[str]:
    """Problems with an explanation; an empty list means every checkable claim matches the record."""
    problems: list[str] = []
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
        if f" {key} " in norm and item["id"] not in ids and key not in norm_title(facts):
            problems.append(f"names another title: {catalog.title(catalog.by_id[ids[0]])}")
    # years and decades
    year = item.get("year")
    for y in re.findall(r"\b(1[89]\d\d|20\d\d)\b(?!s)", text):
        if year is None or int(y) != int(year):
            problems.append(f"wrong year {y}")
    for d in re.findall(r"\b(1[89]\d0|20\d0)s\b", text):
        if year is None or int(year) // 10 * 10 != int(d):
            problems.append(f"wrong decade {d}s")
    # genre claims: a genre word the record does not carry
    vocab = (catalog.manifest.fields.get("genres").vocabulary or []) if "genres" in catalog.manifest.fields else []
    own_genres = {g.lower() for g in item.get("genres") or []}
    for g in vocab:
        words = {g.lower(), *(w for w, v in GENRE_WORDS.items() if v == g)}
        if g.lower() not in own_genres and any(re.search(rf"\b{re.escape(w)}\b", text.lower()) for w in words):
            problems.append(f"calls it {g}, which the record does not")
    # durations and prices
    for n in re.findall(r"\b(\d+)\s*(?:-\s*)?(?:minutes?|mins?)\b", text):
        if item.get("runtime_minutes") is None or abs(int(n) - int(item["runtime_minutes"])) > 1:
            problems.append(f"wrong runtime {n} minutes")
    for p in re.findall(r"\$\s*(\d+(?:\.\d+)?)", text):
        if item.get("price_usd") is None or abs(float(p) - float(item["price_usd"])) > 0.5:
            problems.append(f"wrong price ${p}")
    # people: runs of two or three capitalised words must appear in the record
    for m in re.finditer(r"\b([A-Z][a-z'\-]+(?:\s+(?:de|De|van|von|del|da)?\s*[A-Z][a-z'\-]+){1,2})\b", text):
        name = m.group(1)
        words = name.split()
        if all(w in _COMMON for w in words) or name.lower() in low_facts:
            continue
        if words[0] in _COMMON and " ".join(words[1:]).lower() in low_facts:
            continue
        if len([w for w in words if w not in _COMMON]) >= 2 or not any(w.lower() in low_facts for w in words):
            problems.append(f"names {name!r}, which is not in the record")
    return problems


def template(catalog: Catalog, item: dict[str, Any], state: DialogueState, components: dict[str, float]) -> str:
    """A fact-only explanation used when the LLM's sentence fails the check (or LLM explanations are off)."""
    bits: list[str] = []
    genres = item.get("genres") or ([item["category"]] if item.get("category") else [])
    wanted = {a.lower() for a in state.liked_attributes.all() + state.soft_preferences}
    hits = [g for g in genres if g.lower() in wanted]
    kw = [k for k in (item.get("keywords") or item.get("tags") or []) if k.lower() in wanted]
    if hits or kw:
        bits.append("matches what you asked for (" + ", ".join([*hits, *kw][:3]) + ")")
    liked = [catalog.by_id[i] for i in state.liked_items if i in catalog.by_id]
    if liked and components.get("liked_similarity", 0) > 0.45:
        bits.append(f"is close in style to {catalog.title(liked[-1])}")
    if components.get("complement"):
        owned = [catalog.title(catalog.by_id[o]) for o in state.owned_items
                 if item["id"] in catalog.by_id.get(o, {}).get("complements", [])]
        if owned:
            bits.append(f"goes with the {owned[0]} you have")
    facts = []
    if genres:
        facts.append("/".join(genres[:3]).lower())
    if item.get("directors"):
        facts.append(f"directed by {item['directors'][0]}")
    if item.get("runtime_minutes"):
        facts.append(f"{item['runtime_minutes']} minutes")
    if item.get("price_usd") is not None:
        facts.append(f"${item['price_usd']:.2f}")
    head = f"{catalog.label(item)}: " + ", ".join(facts)
    return head + (f"; it {' and '.join(bits)}." if bits else ".")


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
    text = re.sub(r"\s+", " ", buf).strip().strip('"')
    # the model sometimes narrates ("fits the user's desire"): speak to the person instead
    text = re.sub(r"\b(?:the|this) user\b", "you", re.sub(r"\bthe user's", "your", text, flags=re.I), flags=re.I)
    if text and not re.search(r"[.!?][\"')]?$", text):  # cut off by the token limit: keep whole sentences only
        ends = [m.end() for m in re.finditer(r"[.!?](?=\s)", text)]
        text = text[: ends[-1]] if ends else ""
    if text and not check(text, item, catalog):
        yield text, True
    else:
        yield template(catalog, item, state, components), False
