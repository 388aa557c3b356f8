"""chatrec: a local-first conversational recommender."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Recommender", "Settings", "Reply", "Session", "DialogueState", "InputError"]

if TYPE_CHECKING:
    from .agent import Recommender
    from .reply import InputError, Reply
    from .settings import Settings
    from .state import DialogueState, Session


def __getattr__(name: str) -> Any:
    """Lazy imports: `python -m chatrec catalog validate` must not pay for torch and llama.cpp."""
    if name == "Recommender":
        from .agent import Recommender
        return Recommender
    if name in ("Reply", "InputError"):
        from . import reply
        return getattr(reply, name)
    if name == "Settings":
        from .settings import Settings
        return Settings
    if name in ("Session", "DialogueState"):
        from . import state
        return getattr(state, name)
    raise AttributeError(name)
