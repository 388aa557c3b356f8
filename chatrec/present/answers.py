"""Answers about one item: its facts ("who's in it?") and whether it suits this user ("would I like it?")."""
from __future__ import annotations

import re
from typing import Any

from chatrec.candidates.sources import violates
from chatrec.catalog.catalog import Catalog
from chatrec.dialogue.state import DialogueState
from chatrec.present.suggestions import stars_phrase

LIKE_STARS, DISLIKE_STARS = 4.5, 1.5  # a thumbs-up or -down without stars, as the rating model's input


def answer_question(text: str, cat: Catalog, item: dict[str, Any]) -> str:
    """Answer a factual question about one item from its record only."""
    t, label = text.lower(), cat.label(item)
    if re.search(r"\b(who'?s in|who is in|cast|star|stars|starring|actors?|who plays)\b", t) and item.get("cast"):
        return f"{label} stars {', '.join(item['cast'])}."
    if re.search(r"\b(direct|director|made it|who made)\b", t) and item.get("directors"):
        return f"{label} was directed by {', '.join(item['directors'])}."
    if re.search(r"\b(how long|runtime|length|minutes)\b", t) and item.get("runtime_minutes"):
        return f"{label} runs {item['runtime_minutes']} minutes."
    if re.search(r"\b(when|what year|which year|how old|released)\b", t) and item.get("year"):
        return f"{cat.title(item)} came out in {item['year']}."
    if re.search(r"\b(rated|rating|age|kids|suitable)\b", t) and item.get("age_rating"):
        return f"{label} is rated {item['age_rating']}."
    if re.search(r"\b(price|cost|how much)\b", t) and item.get("price_usd") is not None:
        return f"{label} costs ${item['price_usd']:.2f}."
    if re.search(r"\b(language)\b", t) and item.get("language"):
        return f"{label} is in {item['language']}."
    facts = ", ".join(x for x in ["/".join(item.get("genres") or [])] if x)
    return f"{label}{' (' + facts + ')' if facts else ''}: {item.get('description', '')}"


def rating_history(st: DialogueState) -> list[tuple[str, float]]:
    """The session's ratings for the rating model: stars given, then likes and dislikes without stars."""
    hist = list(st.stars_out_of_5.items())
    hist += [(i, LIKE_STARS) for i in st.liked_items if i not in st.stars_out_of_5]
    hist += [(i, DISLIKE_STARS) for i in st.disliked_items if i not in st.stars_out_of_5]
    return hist


def answer_fit(cat: Catalog, st: DialogueState, item: dict[str, Any], place: tuple[int, int] | None) -> str:
    """Whether `item` suits this session, from code only: its stars and likes, the hard limits, where the ranker puts
    it (`place` = (position, out of)) and, when the catalog has ratings, the rating model's estimate."""
    iid, label = item["id"], cat.label(item)
    if iid in st.stars_out_of_5:
        return f"You gave {label} {st.stars_out_of_5[iid]:g} stars yourself."
    if iid in st.disliked_items or iid in st.rejected_items:
        return f"You turned {label} down earlier, so I would skip it (I will not recommend it)."
    if iid in st.liked_items:
        return f"You told me you liked {label}."
    parts: list[str] = []
    hist = rating_history(st)
    if cat.learned.rating is not None:
        est = cat.learned.rating.predict(hist, iid)
        typical = cat.learned.rating.predict([], iid)
        basis = f"from your {len(hist)} rated or liked {cat.manifest.item_noun_plural}" if hist else \
            "you have not rated anything yet, so this is a typical rater's score; tell me what you'd give a few " \
            f"{cat.manifest.item_noun_plural} (e.g. '{stars_phrase(label)}') for a personal estimate"
        parts.append(f"I'd estimate about {est:.1f} stars out of 5 for {label} ({basis}; a typical rater in this "
                     f"catalog: {typical:.1f}).")
    else:
        parts.append(f"This catalog has no ratings, so I cannot estimate stars for {label}.")
    breaks = []
    for name, c in st.active_constraints().items():
        if name in cat.manifest.fields:
            why = violates(item, name, c, cat)
            if why:
                spec = cat.manifest.fields[name]
                v = item.get(name)
                unit = f" {spec.unit}" if spec.unit and spec.unit != "year" else ""
                shown = ", ".join(v) if isinstance(v, list) else f"{v}{unit}"
                breaks.append(f"it has no {name.replace('_', ' ')} listed" if why == "missing" else
                              f"it breaks your limit '{c.describe(name.replace('_', ' '), spec.unit)}' "
                              f"({name.replace('_', ' ')}: {shown})")
    shared = _shared_with_likes(cat, st, item)
    if breaks:
        parts.append("But " + "; and ".join(breaks) + ", so I would not recommend it now.")
    elif iid in st.last_recommended:
        parts.append(f"It is number {st.last_recommended.index(iid) + 1} of the {len(st.last_recommended)} "
                     f"{cat.manifest.item_noun_plural} I just suggested for what you asked.")
    elif place:
        parts.append(f"For what you have told me so far it would be my pick number {place[0]} of {place[1]} "
                     f"candidate {cat.manifest.item_noun_plural}." if _has_signal(st) else
                     "You have not told me your taste yet, so I cannot say how it fits you beyond that.")
    if shared and not breaks:
        parts.append(shared)
    return " ".join(parts)


def _has_signal(st: DialogueState) -> bool:
    return bool(st.liked_items or st.disliked_items or st.stars_out_of_5 or st.active_constraints()
                or st.liked_attributes.all() or st.soft_preferences)


def _shared_with_likes(cat: Catalog, st: DialogueState, item: dict[str, Any]) -> str:
    """'It is Crime and Thriller, like Reservoir Dogs, which you liked.' (the liked item sharing the most genres)."""
    mine = set(item.get("genres") or [])
    best = max(((len(mine & set(cat.by_id[i].get("genres") or [])), i) for i in st.liked_items if i in cat.by_id),
               default=(0, ""))
    wanted = [g for g in item.get("genres") or [] if g in st.liked_attributes.genres]
    if best[0]:
        common = [g for g in item.get("genres") or [] if g in set(cat.by_id[best[1]].get("genres") or [])]
        return f"It is {' and '.join(common[:3])}, like {cat.label(cat.by_id[best[1]])}, which you liked."
    if wanted:
        return f"It is {' and '.join(wanted)}, which you asked for."
    return ""
