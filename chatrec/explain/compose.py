"""What an explanation is built from: the item's brief and the prompts the model gets (texts in `prompts/`), and the
fact-only template code writes when the model's words fail the check.

Why one home: the brief decides what the model may draw on and the template what code says instead, so both read the
same record and ties; the prompt texts stay in template files so they read as text and stay byte-stable (llama.cpp
reuses the cached prefix only while the front of a prompt is unchanged).
"""
from __future__ import annotations

import re
from typing import Any

from chatrec.catalog.catalog import PEOPLE_FIELDS, Catalog
from chatrec.dialogue.state import DialogueState
from chatrec.explain.factcheck import facts_text
from chatrec.explain.prompts import render
from chatrec.explain.ties import details, ties


def template(catalog: Catalog, item: dict[str, Any], state: DialogueState, components: dict[str, float]) -> str:
    """A fact-only explanation used when the model's words fail the check (or model explanations are off): the
    item's concrete facts, then its first two ties to what this user said or liked."""
    genres = item.get("genres") or ([item["category"]] if item.get("category") else [])
    facts = "/".join(genres[:3]).lower()
    if item.get("directors"):
        facts += f" by {item['directors'][0]}"
    if item.get("cast"):
        facts += f", with {item['cast'][0]}"
    detail = details(item, state)
    if detail:
        facts += f", about {detail[0]}"
    tie = ties(catalog, item, state, components)[:2]
    if not any(t.startswith("At ") for t in tie):
        if item.get("runtime_minutes"):
            facts += f", {item['runtime_minutes']} minutes"
        if item.get("price_usd") is not None:
            facts += f", ${item['price_usd']:.2f}"
    return f"{catalog.label(item)}: {facts.strip(', ')}." + "".join(f" {t}." for t in tie)


def prompt(catalog: Catalog, item: dict[str, Any], state: DialogueState, message: str) -> list[dict[str, str]]:
    """The one-item prompt of the legacy path (`stream.explain`): the user's message and wishes, the record, and the
    details to build the sentence on (those the user asked for first)."""
    noun = catalog.manifest.item_noun
    wanted = state.liked_attributes.all() + state.soft_preferences
    offered = [k for k in (item.get("keywords") or item.get("tags") or []) if k.lower() in {w.lower() for w in wanted}]
    offered += [k for k in (item.get("keywords") or item.get("tags") or []) if k not in offered]
    user = render("explain_one_user.j2", message=message, wanted=wanted, noun=noun, facts=facts_text(catalog, item),
                  details=offered[:4])
    return [{"role": "system", "content": render("explain_one_system.j2", noun=noun)},
            {"role": "user", "content": user}]


def brief(catalog: Catalog, item: dict[str, Any], state: DialogueState, budget_chars: int = 170) -> str:
    """The item's facts in one short line, most telling first (people, keywords or tags, vocabulary values, limits
    the user set, then the description's opening) until `budget_chars`: every token here is prefill time on a
    2-core CPU (about 1 s per 90 tokens), so the line stops at a budget instead of listing the whole record."""
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
            v = details(item, state)[:3]
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


def batch_messages(catalog: Catalog, items: list[dict[str, Any]], state: DialogueState) -> list[dict[str, str]]:
    """Stable prefix (system prompt and a worked example), then each item's brief. The model writes one vivid
    phrase per item from its own facts; code adds the ties to the user, so the prompt holds nothing per user
    beyond which keywords lead, and the phrase is checked like any claim. The worked example (invented items) is
    part of the stable prefix: small models follow a shown answer far better than described rules."""
    briefs = [(catalog.label(it), brief(catalog, it, state)) for it in items]
    return [{"role": "system", "content": render("explain_system.j2", noun=catalog.manifest.item_noun)},
            {"role": "user", "content": render("explain_example_user.j2")},
            {"role": "assistant", "content": render("explain_example_answer.j2")},
            {"role": "user", "content": render("explain_batch.j2", items=briefs)}]
