"""Every phrase chatrec suggests to its user, from the templates the code emits them with, and what each promises.

A suggestion that no rule reads is a broken promise ("say 'relax the runtime'" used to do nothing), so the phrases
live here, next to the change each one promises: tests/present/test_suggestions.py sends every one to a real Recommender
and checks the state. Adding a suggestion to the product means adding it here (the UI and the replies import the
templates from this module)."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chatrec.catalog.catalog import Catalog
from chatrec.catalog.manifest import FieldSpec


class Promise(BaseModel):
    """The state change a phrase promises. `liked` may hold '@2': the second card of the previous turn."""

    model_config = ConfigDict(extra="forbid")
    liked: list[str] = Field(default_factory=list)
    wants: list[str] = Field(default_factory=list, description="Values in liked_attributes afterwards.")
    limits: dict[str, dict[str, Any]] = Field(default_factory=dict, description="field -> {min|max: v, exclude: "
                                              "[..]}, or {max_below_shown: True}: lower than every card shown.")
    relaxed: list[str] = Field(default_factory=list, description="Fields whose hard limit is gone afterwards.")
    stars: dict[str, float] = Field(default_factory=dict)


class Suggestion(BaseModel):
    """A phrase the product shows (where), the catalog it applies to, what it needs first, and its promise."""

    model_config = ConfigDict(extra="forbid")
    phrase: str
    catalog: str
    where: str
    needs: Literal["nothing", "cards", "limit"] = Field("nothing", description="'cards': a list shown before; "
                                                        "'limit': a hard limit on promise.relaxed set before.")
    promise: Promise


# -- templates the code emits ------------------------------------------------------------------------------------
def field_words(name: str, spec: FieldSpec | None) -> str:
    """How a user names a field: 'runtime_minutes' -> 'runtime', 'price_usd' -> 'price', 'age_rating' -> 'age
    rating' (the unit is dropped from the end of the name)."""
    words = name.replace("_", " ").split()
    if spec is not None and spec.unit and len(words) > 1 and words[-1].lower() == spec.unit.lower():
        words = words[:-1]
    return " ".join(words)


def relax_phrase(name: str, spec: FieldSpec | None) -> str:
    """The shortfall notice's advice (agent.py); chatrec/read/commands.py reads it back."""
    return f"relax the {field_words(name, spec)}"


def decade_phrases(decade: int) -> tuple[str, str]:
    return f"before {decade}", f"after {decade + 9}"


def decade_note(decade: int) -> str:
    """The note when a user rules out one decade, which one range cannot say (understanding.py)."""
    before, after = decade_phrases(decade)
    return f"I cannot rule out a single decade as a hard limit; say '{before}' or '{after}' and I will keep to it"


def stars_phrase(label: str) -> str:
    """The rating estimate's advice when the user has rated nothing (answers.py)."""
    return f"4 stars for {label}"


WELCOME_HINTS: dict[str, tuple[str, ...]] = {"movies": ("under 2 hours", "nothing before 1990"),
                                             "products": ("under $40",)}
PUSHBACK: dict[str, tuple[str, ...]] = {"movies": ("shorter", "no horror", "more like the second one"),
                                        "products": ("cheaper", "no party supplies", "more like the second one")}
EXAMPLES: dict[str, tuple[str, ...]] = {
    "movies": ("Something like Inception, but under 2 hours", "No horror, and nothing before 1990",
               "More like the second one, but funnier", "A feel-good animated film for a family night"),
    "products": ("A gift for a 10-year-old who plays soccer", "Under $40 please",
                 "Something for the same kid's birthday party instead", "Gear for a first camping trip"),
}

# What each fixed phrase above promises (the parametrised ones get theirs in `suggestions`).
_FIXED: dict[str, tuple[str, Promise]] = {
    "under 2 hours": ("nothing", Promise(limits={"runtime_minutes": {"max": 120}})),
    "nothing before 1990": ("nothing", Promise(limits={"year": {"min": 1990}})),
    "under $40": ("nothing", Promise(limits={"price_usd": {"max": 40}})),
    "shorter": ("cards", Promise(limits={"runtime_minutes": {"max_below_shown": True}})),
    "cheaper": ("cards", Promise(limits={"price_usd": {"max_below_shown": True}})),
    "no horror": ("nothing", Promise(limits={"genres": {"exclude": ["Horror"]}})),
    "no party supplies": ("nothing", Promise(limits={"category": {"exclude": ["Party Supplies"]}})),
    "more like the second one": ("cards", Promise(liked=["@2"])),
    "Something like Inception, but under 2 hours": ("nothing", Promise(liked=["inception-2010"],
                                                                       limits={"runtime_minutes": {"max": 120}})),
    "No horror, and nothing before 1990": ("nothing", Promise(limits={"genres": {"exclude": ["Horror"]},
                                                                      "year": {"min": 1990}})),
    "More like the second one, but funnier": ("cards", Promise(liked=["@2"], wants=["Comedy"])),
    "A feel-good animated film for a family night": ("nothing", Promise(wants=["Animation", "Family"])),
    "A gift for a 10-year-old who plays soccer": ("nothing", Promise(wants=["Soccer"])),
    "Under $40 please": ("nothing", Promise(limits={"price_usd": {"max": 40}})),
    "Something for the same kid's birthday party instead": ("nothing", Promise(wants=["Birthday"])),
    "Gear for a first camping trip": ("nothing", Promise(wants=["Camping"])),
}


def suggestions(cat: Catalog) -> list[Suggestion]:
    """Every phrase the product can suggest in this catalog, each with the change it promises."""
    name, fields = cat.manifest.name, cat.manifest.filterable()
    out = [Suggestion(phrase=relax_phrase(f, spec), catalog=name, where="reply notice when few items fit",
                      needs="limit", promise=Promise(relaxed=[f])) for f, spec in fields.items()]
    if any(spec.unit == "year" for spec in fields.values()):
        year = next(f for f, spec in fields.items() if spec.unit == "year")
        before, after = decade_phrases(1980)
        out += [Suggestion(phrase=before, catalog=name, where="understanding note on a ruled-out decade",
                           promise=Promise(limits={year: {"max": 1979}})),
                Suggestion(phrase=after, catalog=name, where="understanding note on a ruled-out decade",
                           promise=Promise(limits={year: {"min": 1990}}))]
    item = max(cat.items, key=lambda i: i.get("popularity") or 0)  # the answer names the item asked about
    out.append(Suggestion(phrase=stars_phrase(cat.label(item)), catalog=name, where="'would I like it' answer "
                          "(catalogs with ratings)", promise=Promise(stars={item["id"]: 4.0}, liked=[item["id"]])))
    for where, table in (("welcome hint", WELCOME_HINTS), ("welcome 'push back any time'", PUSHBACK),
                         ("example prompts", EXAMPLES)):
        for phrase in table.get(name, ()):
            needs, promise = _FIXED[phrase]
            out.append(Suggestion(phrase=phrase, catalog=name, where=where, needs=needs, promise=promise))  # type: ignore[arg-type]
    return out
