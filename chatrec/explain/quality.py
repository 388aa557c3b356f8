"""How good an explanation is, judged by code: does it pass the fact check, name a concrete fact of the item beyond
genre and year, refer to this user's own words or liked items, and avoid stock phrases. The benchmark prints the
shares; they are proxies a reader can audit, not a judgement of style."""
from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict

from chatrec.catalog.catalog import PEOPLE_FIELDS, Catalog
from chatrec.dialogue.state import DialogueState
from chatrec.explain.factcheck import check, context
from chatrec.explain.ties import STOP, user_words

STOCK = re.compile(r"\b(?:fits? your (?:description|criteria|preferences|request|taste)|great choice|perfect choice|"
                   r"perfect fit|perfect for you|matches your (?:preferences|criteria|request)|based on your "
                   r"(?:preferences|request)|meets your (?:criteria|requirements)|you(?:'ll| will) (?:love|enjoy) "
                   r"(?:it|this)|sure to (?:please|delight)|a must[- ]watch|something for everyone)\b", re.I)


class Quality(BaseModel):
    """The four checks of one explanation."""

    model_config = ConfigDict(extra="forbid")
    passes_fact_check: bool
    concrete_fact: bool
    refers_to_user: bool
    stock_phrase: bool


def _has_phrase(phrase: str, low: str) -> bool:
    """A record phrase is named when it appears whole, or all its content words of 4+ letters do."""
    p = phrase.lower()
    if re.search(rf"\b{re.escape(p)}", low):
        return True
    words = [w for w in re.findall(r"[a-z][a-z'-]{3,}", p) if w not in STOP]
    return bool(words) and all(re.search(rf"\b{re.escape(w[:-1] if w.endswith('s') else w)}", low) for w in words)


def concrete_fact(text: str, item: dict[str, Any]) -> bool:
    """A person of the record, one of its keywords or tags, or two content words in a row from its description."""
    low = text.lower()
    for k in (*PEOPLE_FIELDS, "keywords", "tags"):
        for v in item.get(k) or [] if isinstance(item.get(k), list) else []:
            if _has_phrase(str(v), low) or (k in PEOPLE_FIELDS and str(v).split()[-1].lower() in low.split()):
                return True
    desc = [w for w in re.findall(r"[a-z][a-z'-]+", str(item.get("description", "")).lower())]
    pairs = {f"{a} {b}" for a, b in zip(desc, desc[1:]) if a not in STOP and b not in STOP and len(a + b) > 8}
    return any(p in low for p in pairs)


def refers_to_user(text: str, state: DialogueState, catalog: Catalog) -> bool:
    """A liked item's title, a word the user wrote, a wanted trait, or one of the user's limits as a number."""
    low = text.lower()
    if any(catalog.title(catalog.by_id[i]).lower() in low for i in state.liked_items if i in catalog.by_id):
        return True
    if any(re.search(rf"\b{re.escape(a.lower())}", low) for a in state.liked_attributes.all() + state.soft_preferences):
        return True
    if re.search(r"\byou (?:asked|said|wanted|liked|loved|mentioned|set)\b|\byour (?:limit|budget|request)\b", low):
        return True
    said = user_words(state)
    if any(re.search(rf"\b{re.escape(w)}\b", low) for w in said):
        return True
    bounds = {f"{b:g}" for c in state.active_constraints().values() for b in (c.min, c.max) if b is not None}
    return any(re.search(rf"(?<![\d.]){re.escape(b)}(?![\d])", low) for b in bounds)


def judge(text: str, item: dict[str, Any], state: DialogueState, catalog: Catalog) -> Quality:
    liked, limits = context(catalog, state)
    return Quality(passes_fact_check=not check(text, item, catalog, liked, limits),
                   concrete_fact=concrete_fact(text, item),
                   refers_to_user=refers_to_user(text, state, catalog), stock_phrase=bool(STOCK.search(text)))
