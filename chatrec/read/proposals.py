"""What the model is asked and how its answer is checked: a proposal counts only where the message supports it."""
from __future__ import annotations

import re
from typing import Any, Literal

from chatrec.catalog.catalog import Catalog
from chatrec.dialogue.state import DialogueState
from chatrec.explain.prompts import render
from chatrec.llm.models import ChatModel
from chatrec.read.reader import normalise_numbers


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
    """The full proposal's instructions (text in explain/prompts/proposal_system.j2): per catalog, never per user."""
    return render("proposal_system.j2", noun=catalog.manifest.item_noun)


def llm_propose(llm: ChatModel, catalog: Catalog, state: DialogueState, text: str) -> dict[str, Any]:
    """Ask the model for a raw proposal; the system prompt is per catalog, so its KV state is reused."""
    msgs = [{"role": "system", "content": _system_prompt(catalog)},
            {"role": "user", "content": render("proposal_user.j2", message=text)}]
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
    """The short question's instructions (text in explain/prompts/place_system.j2): per catalog, never per user."""
    return render("place_system.j2", noun=catalog.manifest.item_noun)


def llm_place(llm: ChatModel, catalog: Catalog, text: str, unplaced: list[str]) -> dict[str, Any]:
    """Ask the model only about the words code could not place, and return its answer in the shape of a full
    proposal (so the same grounding checks apply). The system prompt is fixed per catalog: llama.cpp reuses it."""
    msgs = [{"role": "system", "content": _short_prompt(catalog)},
            {"role": "user", "content": render("place_user.j2", message=text, words=unplaced)}]
    raw = llm.json(msgs, short_schema(catalog), max_tokens=SHORT_MAX_TOKENS, stable=1)
    out: dict[str, Any] = {"themes_and_moods": raw.get("themes_and_moods", []), "people": raw.get("people", []),
                           "liked_titles": raw.get("titles", [])}
    for name, spec in catalog.manifest.filterable().items():
        if spec.vocabulary:
            for kind, key in (("wanted", "wanted"), ("excluded", "excluded")):
                out[f"{key}_{name}"] = [v for v in raw.get(kind, []) if v in spec.vocabulary]
    return out


def grounded(value: int | float, text: str, unit: str | None) -> bool:
    """Is the model's number stated in the message, number words and spoken durations included ('an hour and a
    half' grounds 90 minutes)? A duration must come with its unit ("Super Troopers 2" is no 2-hour limit)."""
    t = normalise_numbers(text.lower())
    if unit == "minutes":
        return any(abs(value - float(m)) < 1 for m in re.findall(r"(\d+(?:\.\d+)?)\s*(?:minutes?|mins?)\b", t))
    nums = {float(x) for x in re.findall(r"\d+(?:\.\d+)?", t)}
    if unit == "year":
        decades = {int(d) for d in re.findall(r"(\d0)'?s\b", t)}
        return any(abs(value - n) < 1 for n in nums) or any(value % 100 // 10 * 10 == d for d in decades)
    return any(abs(value - n) < 0.01 for n in nums)
