"""The catalog manifest schema: a domain declares its fields once and state, filters and UI derive from it."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

FieldType = Literal["string", "text", "integer", "number", "list", "boolean"]
FilterKind = Literal["range", "include_exclude", "member"]
Display = Literal["title", "badge", "tags", "fact", "text", "hidden"]


class FieldSpec(BaseModel):
    """One item field: its type, unit, how it filters and how it shows."""

    model_config = ConfigDict(extra="forbid")
    type: FieldType
    required: bool = False
    unit: str | None = Field(None, description="e.g. 'minutes', 'year', 'USD'")
    filter: FilterKind | None = None
    vocabulary: list[str] | None = Field(None, description="Closed set of allowed values, if any.")
    display: Display = "fact"
    embed: bool = False
    minimum: float | None = None
    maximum: float | None = None
    references: str | None = Field(None, description="Values are ids of other items in the same catalog.")

    @model_validator(mode="after")
    def _check(self) -> "FieldSpec":
        if self.filter == "range" and self.type not in ("integer", "number"):
            raise ValueError("a 'range' filter needs an integer or number field")
        if self.filter == "member" and self.type != "list":
            raise ValueError("a 'member' filter needs a list field")
        return self


class Manifest(BaseModel):
    """What a catalog is about and how each of its fields behaves."""

    model_config = ConfigDict(extra="forbid")
    name: str
    domain: str
    item_noun: str
    item_noun_plural: str
    description: str = ""
    title_field: str = "title"
    fields: dict[str, FieldSpec]

    @model_validator(mode="after")
    def _check(self) -> "Manifest":
        for key in ("id", self.title_field):
            if key not in self.fields:
                raise ValueError(f"the manifest must declare the field {key!r}")
        return self

    def filterable(self) -> dict[str, FieldSpec]:
        """Fields a user can constrain (become `state.constraints.<field>`)."""
        return {k: f for k, f in self.fields.items() if f.filter}

    def embedded(self) -> list[str]:
        return [k for k, f in self.fields.items() if f.embed]
