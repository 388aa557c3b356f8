"""What one message was read as: the typed result of reading, after code checks. It lives with the dialogue state
(not with the reader) because transitions.py folds it into the state and the turn carries it in its reasoning; the
reader only produces it."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chatrec.dialogue.state import Constraint


class Understanding(BaseModel):
    """What one message changed, after code checks. Kept for the reasoning trace."""

    model_config = ConfigDict(extra="forbid")
    intent: Literal["recommend", "question", "fit", "feedback", "other"] = "recommend"
    liked_items: list[str] = Field(default_factory=list)
    disliked_items: list[str] = Field(default_factory=list)
    rejected_items: list[str] = Field(default_factory=list)
    owned_items: list[str] = Field(default_factory=list)
    about_item: str | None = None
    stars: dict[str, float] = Field(default_factory=dict, description="Stars out of 5 the user gave items this turn.")
    constraint_changes: dict[str, Constraint] = Field(default_factory=dict)
    removed_constraints: list[str] = Field(default_factory=list)
    liked_attributes: list[str] = Field(default_factory=list)
    disliked_attributes: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="What code corrected or ignored, for transparency.")
    unplaced: list[str] = Field(default_factory=list, description="Words no rule read; only these are worth a model "
                                "call (llm_mode 'auto').")
    llm_used: bool = False
    language: str = Field("en", description="The language the message was read in (ISO 639-1 code): English, or one "
                          "the reader has a word table for; another language gets a note saying what was read.")
    attribute_kinds: dict[str, str] = Field(default_factory=dict, description="Where each liked/disliked attribute "
                                            "goes in the state: genres (a vocabulary value), people or keywords.")
