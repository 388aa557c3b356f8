"""chatrec: a local-first conversational recommender."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Recommender", "Settings", "Reply", "Session", "DialogueState", "InputError"]

if TYPE_CHECKING:
    from chatrec.dialogue.state import DialogueState, Session
    from chatrec.errors import InputError
    from chatrec.pipeline.reply import Reply
    from chatrec.recommender import Recommender
    from chatrec.settings import Settings


def __getattr__(name: str) -> Any:
    """Lazy imports: `python -m chatrec catalog validate` must not pay for torch and llama.cpp."""
    if name == "Recommender":
        from chatrec.recommender import Recommender
        return Recommender
    if name == "Reply":
        from chatrec.pipeline.reply import Reply
        return Reply
    if name == "InputError":
        from chatrec.errors import InputError
        return InputError
    if name == "Settings":
        from chatrec.settings import Settings
        return Settings
    if name in ("Session", "DialogueState"):
        from chatrec.dialogue import state
        return getattr(state, name)
    raise AttributeError(name)
