"""What one turn works with: `TurnDeps`, the shared read-only parts every stage may use (built once by the
Recommender), and `TurnContext`, what the stages of one turn leave for each other. The stages never see the
Recommender itself, so the pipeline does not import it and it does not reach into the pipeline's insides."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chatrec.candidates.sources import Filtered
from chatrec.catalog.catalog import Catalog
from chatrec.catalog.index import Embedder, Index
from chatrec.dialogue.feedback import FeedbackLog
from chatrec.dialogue.state import DialogueState, Session
from chatrec.dialogue.transitions import record_turn
from chatrec.dialogue.understanding import Understanding
from chatrec.explain.cache import PhraseCache
from chatrec.llm.models import ChatModel
from chatrec.pipeline.events import Replied
from chatrec.pipeline.reply import Recommendation, Reply, Step
from chatrec.rank.ranker import Ranker, Scored
from chatrec.settings import Settings


@dataclass(frozen=True)
class TurnDeps:
    """Shared by every turn of every session; nothing here holds one user's data (the phrase cache is per item)."""

    settings: Settings
    llm: ChatModel | None
    embedder: Embedder
    index: Index
    phrases: PhraseCache
    feedback_log: FeedbackLog
    explanation_stats: dict[str, int]  # counters the bench reads: explanations by source


@dataclass
class TurnContext:
    """What the stages of one turn share; each stage fills its part."""

    deps: TurnDeps
    session: Session
    text: str
    cat: Catalog
    ranker: Ranker
    u: Understanding = field(default_factory=Understanding)
    request: str = ""  # the message less commands and talk: what retrieval embeds
    steps: list[Step] = field(default_factory=list)
    filt: Filtered | None = None
    qvec: np.ndarray | None = None
    cands: list[str] = field(default_factory=list)
    ranked: list[Scored] = field(default_factory=list)
    recs: list[Recommendation] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    reply: Reply | None = None  # set by the stage that ends the turn

    @property
    def state(self) -> DialogueState:
        return self.session.state

    @property
    def top(self) -> list[Scored]:
        return self.ranked[:self.deps.settings.n_recommendations]

    def finish(self, text: str, intent: str, item_ids: list[str] | None = None, **extra: Any) -> Replied:
        """Record the assistant's message and make the turn's last event."""
        record_turn(self.state, "assistant", text, item_ids)
        self.reply = Reply(session=self.session.id, text=text, intent=intent, reasoning=self.steps,
                           state=self.session.snapshot(), **extra)
        return Replied(reply=self.reply)
