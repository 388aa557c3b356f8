"""chatrec for LangChain users: a retriever and an agent tool over the same Recommender the app uses.

    from chatrec.langchain import ChatrecRetriever, ChatrecTool
    docs = ChatrecRetriever().invoke("a heist film under 2 hours")   # shipped movies catalog, local 1.5B model
    agent_tools = [ChatrecTool()]                                     # for any tool-calling chat model

Each call is one fresh session (a retriever is stateless), read, filtered, ranked and explained exactly as a chat
turn is. The default Recommender (embedded defaults: shipped catalog, GGUF model, MiniLM, local Chroma) is built on
first use, once per process, and shared by every retriever and tool made without one.
"""
from __future__ import annotations

import threading
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun, CallbackManagerForToolRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field

from chatrec.errors import InputError
from chatrec.pipeline.reply import Recommendation

_default: Any = None
_default_lock = threading.Lock()


def default_recommender() -> Any:
    """The embedded defaults (CHATREC_* settings apply), loaded on first use and once: model and index are shared
    read-only parts, never per-user state."""
    global _default
    with _default_lock:
        if _default is None:
            from chatrec.recommender import Recommender

            _default = Recommender.from_settings()
        return _default


def to_document(r: Recommendation, catalog: str) -> Document:
    """A recommendation as a Document: the explanation is the content; the id, title and facts are metadata."""
    return Document(page_content=r.explanation or r.title, id=r.item_id,
                    metadata={"catalog": catalog, "item_id": r.item_id, "title": r.title, "facts": r.item,
                              "score": r.score, "explanation_source": r.explanation_source,
                              "score_components": r.components})


class ChatrecRetriever(BaseRetriever):
    """Recommendations for a request in plain words, best first, as Documents (explanation + catalog facts)."""

    recommender: Any = Field(default=None, description="A chatrec Recommender; None = the embedded defaults.")
    catalog: str | None = Field(default=None, description="Catalog name; None = the settings' default catalog.")
    k: int | None = Field(default=None, ge=1, le=10, description="At most this many; None = the settings' count.")

    def _rec(self) -> Any:
        return self.recommender if self.recommender is not None else default_recommender()

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        rec = self._rec()
        session = rec.new_session(self.catalog)
        reply = rec.respond(session, query)  # InputError (empty, too long) reaches the caller with its message
        recs = reply.recommendations[: self.k] if self.k else reply.recommendations
        return [to_document(r, session.state.catalog) for r in recs]


class RecommendInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    request: str = Field(description="What the user wants, in their words: genres, moods, titles they loved, limits "
                                     "like length, year or price.")


class ChatrecTool(BaseTool):
    """An agent tool: the model passes the user's request; it gets back numbered recommendations with their facts
    and why each fits (content), and the Documents themselves (artifact)."""

    name: str = "recommend"
    description: str = ("Recommend items from the catalog (movies by default) for a request in plain words. Returns "
                        "titles with their facts and why each fits. Use it whenever the user asks for suggestions.")
    args_schema: type[BaseModel] = RecommendInput
    response_format: str = "content_and_artifact"
    retriever: ChatrecRetriever = Field(default_factory=ChatrecRetriever)

    def _run(self, request: str, run_manager: CallbackManagerForToolRun | None = None) -> tuple[str, list[Document]]:
        try:
            docs = self.retriever.invoke(request)
        except InputError as e:  # the model gets the message and can retry; never a traceback
            return f"Error: {e}", []
        if not docs:
            return "Nothing in the catalog fits that request; ask the user to relax a limit.", []
        return "\n".join(f"{n}. {_line(d)}" for n, d in enumerate(docs, 1)), docs


def _line(d: Document) -> str:
    facts = d.metadata["facts"]
    bits = [f"{facts['runtime_minutes']} min"] if facts.get("runtime_minutes") else []
    bits += [f"${facts['price_usd']:.2f}"] if isinstance(facts.get("price_usd"), (int, float)) else []
    genres = facts.get("genres") or facts.get("category")
    if genres:
        bits.append(", ".join(genres) if isinstance(genres, list) else str(genres))
    head = d.metadata["title"] + (f" ({'; '.join(bits)})" if bits else "")
    return f"{head} [id {d.metadata['item_id']}]: {d.page_content}"
