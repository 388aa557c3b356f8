"""Dialogue state: what one user has said they want, owned by their session and nobody else's."""
from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chatrec.catalog.manifest import Manifest


class Constraint(BaseModel):
    """A hard constraint on one catalog field: `min`/`max` for ranges, `include`/`exclude` for sets and lists."""

    model_config = ConfigDict(extra="forbid")
    min: float | None = None
    max: float | None = None
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)

    def is_empty(self) -> bool:
        return self.min is None and self.max is None and not self.include and not self.exclude

    def describe(self, field: str, unit: str | None) -> str:
        u = f" {unit}" if unit and unit != "year" else ""
        parts = []
        if self.min is not None and self.max is not None:
            parts.append(f"{field} {_n(self.min)}-{_n(self.max)}{u}")
        elif self.min is not None:
            parts.append(f"{field} >= {_n(self.min)}{u}")
        elif self.max is not None:
            parts.append(f"{field} <= {_n(self.max)}{u}")
        if self.include:
            parts.append(f"{field} one of {', '.join(self.include)}")
        if self.exclude:
            parts.append(f"no {', '.join(self.exclude)} ({field})")
        return "; ".join(parts)


def _n(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


class Attributes(BaseModel):
    """Traits a user likes or dislikes; soft, they move scores and never filter."""

    model_config = ConfigDict(extra="forbid")
    genres: list[str] = Field(default_factory=list)
    people: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    moods: list[str] = Field(default_factory=list)

    def all(self) -> list[str]:
        return [*self.genres, *self.people, *self.keywords, *self.moods]


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "assistant"]
    text: str
    item_ids: list[str] = Field(default_factory=list, description="Items shown in this assistant turn, in order.")


class DialogueState(BaseModel):
    """Everything chatrec believes about one user's wishes. Serialisable; the UI edits it through `update_state`."""

    model_config = ConfigDict(extra="forbid")
    catalog: str
    liked_items: list[str] = Field(default_factory=list)
    disliked_items: list[str] = Field(default_factory=list)
    liked_attributes: Attributes = Field(default_factory=Attributes)
    disliked_attributes: Attributes = Field(default_factory=Attributes)
    constraints: dict[str, Constraint] = Field(default_factory=dict)
    soft_preferences: list[str] = Field(default_factory=list, description="Free-text wishes: 'funny', 'for tonight'.")
    owned_items: list[str] = Field(default_factory=list, description="Items the user says they own, bought or have "
                                     "already seen: never recommended, no taste signal.")
    stars_out_of_5: dict[str, Annotated[float, Field(ge=0.5, le=5.0)]] = Field(
        default_factory=dict, description="Stars (0.5-5) the user gave items: 'I'd give Alien 4 stars'. "
                                          "They feed the rating estimate.")
    shown_items: list[str] = Field(default_factory=list)
    rejected_items: list[str] = Field(default_factory=list)
    last_recommended: list[str] = Field(default_factory=list)
    focus_item: str | None = Field(None, description="The item the conversation is currently about.")
    turns: list[Turn] = Field(default_factory=list)
    as_of_year: int | None = Field(None, description="Calendar year the recommendation is for (None: this year); "
                                   "items released after it are not out yet. Evaluations replaying history set it.")

    def excluded_ids(self) -> set[str]:
        return set(self.disliked_items) | set(self.rejected_items)

    def active_constraints(self) -> dict[str, Constraint]:
        return {k: c for k, c in self.constraints.items() if not c.is_empty()}

    def summary(self, manifest: Manifest, titles: dict[str, str]) -> str:
        """A short plain-text profile; also the stable per-session prefix of the ranking prompt."""
        lines = []
        if self.liked_items:
            lines.append("Liked: " + "; ".join(titles.get(i, i) for i in self.liked_items))
        if self.disliked_items or self.rejected_items:
            disliked = [*self.disliked_items, *self.rejected_items]
            lines.append("Disliked: " + "; ".join(titles.get(i, i) for i in disliked))
        if self.liked_attributes.all():
            lines.append("Wants: " + ", ".join(self.liked_attributes.all()))
        if self.soft_preferences:
            lines.append("Mood: " + ", ".join(self.soft_preferences))
        if self.disliked_attributes.all():
            lines.append("Avoids: " + ", ".join(self.disliked_attributes.all()))
        for k, c in self.active_constraints().items():
            spec = manifest.fields.get(k)
            lines.append("Must: " + c.describe(k.replace("_", " "), spec.unit if spec else None))
        return "\n".join(lines) or "No preferences stated yet."


class Session(BaseModel):
    """One conversation. Callers hold it; chatrec keeps no session in globals."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    state: DialogueState

    def snapshot(self) -> dict[str, Any]:
        return self.state.model_dump(mode="json", exclude={"turns"})
