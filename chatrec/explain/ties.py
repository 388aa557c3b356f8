"""True ties between an item and this user, found by code from the record and the dialogue state.

Why code and not the model: a tie is the "because" a card gives ("Michael Mann also directed Collateral, which you
liked", "At 95 minutes it is within your limit"). Computed from the record and the state, it is true by
construction; the model only words what the item is, and that phrase is fact-checked (`factcheck.py`).
"""
from __future__ import annotations

import re
from typing import Any

from chatrec.catalog.catalog import Catalog
from chatrec.dialogue.state import DialogueState

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


def details(item: dict[str, Any], state: DialogueState) -> list[str]:
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
    for k in details(item, state)[:6]:  # a word of a title they named ("Heat") is not a wish ("heat wave")
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
