"""What a turn streams, one class per kind, so callers dispatch on the class (`match ev: case Cards(): ...`) instead
of unpacking an untyped payload. In order: Understood, then either Replied (an answer) or Cards,
ExplanationDelta*, Explanation* and Replied."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from chatrec.pipeline.reply import Recommendation, Reply


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Understood(_Event):
    """The message is read and folded into the state; `state` is the session's snapshot after it."""

    kind: Literal["understood"] = "understood"
    state: dict[str, Any]
    understanding: dict[str, Any]

    @property
    def intent(self) -> str | None:
        return self.understanding.get("intent")


class Cards(_Event):
    """The ranked recommendations, before their explanations (copies: later events do not change them)."""

    kind: Literal["cards"] = "cards"
    recommendations: list[Recommendation]


class ExplanationDelta(_Event):
    """A streamed piece of one card's explanation, not yet checked."""

    kind: Literal["explanation_delta"] = "explanation_delta"
    item_id: str
    text: str


class Explanation(_Event):
    """One card's final, checked explanation, and whether the model or the template wrote it."""

    kind: Literal["explanation"] = "explanation"
    item_id: str
    text: str
    source: Literal["llm", "template"]


class Replied(_Event):
    """The turn's last event: the whole reply (answer or recommendations), with reasoning and state."""

    kind: Literal["reply"] = "reply"
    reply: Reply


TurnEvent = Understood | Cards | ExplanationDelta | Explanation | Replied
