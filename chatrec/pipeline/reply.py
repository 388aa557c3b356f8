"""What a turn returns: recommendations with visible score parts, the reasoning steps, and the state."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Recommendation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item_id: str
    title: str
    score: float = Field(description="Higher is better.")
    explanation: str = ""
    explanation_source: Literal["llm", "template", "pending"] = "pending"
    components: dict[str, float]
    item: dict[str, Any]


class Step(BaseModel):
    """One real step of how the reply was made, with the counts that stage produced."""

    model_config = ConfigDict(extra="forbid")
    name: str
    detail: str
    counts: dict[str, float] = Field(default_factory=dict)


class Reply(BaseModel):
    model_config = ConfigDict(extra="forbid")
    session: str
    text: str
    intent: str
    recommendations: list[Recommendation] = Field(default_factory=list)
    ranking: list[str] = Field(default_factory=list, description="Every ranked candidate id, best first.")
    reasoning: list[Step] = Field(default_factory=list)
    state: dict[str, Any]
    notices: list[str] = Field(default_factory=list)

