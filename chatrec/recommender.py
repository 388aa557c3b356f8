"""The recommender: one object that owns the shared read-only parts (model, index, catalogs) and turns a session's
message into a grounded, explained reply. Sessions are passed in; nothing per user is stored here."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError

from chatrec.catalog.catalog import Catalog
from chatrec.catalog.index import Embedder, Index
from chatrec.dialogue.feedback import FeedbackLog, state_events
from chatrec.dialogue.state import DialogueState, Session
from chatrec.dialogue.transitions import apply_feedback
from chatrec.errors import InputError
from chatrec.explain.cache import PhraseCache
from chatrec.llm.models import ChatModel
from chatrec.pipeline.context import TurnContext, TurnDeps
from chatrec.pipeline.events import Replied, TurnEvent
from chatrec.pipeline.reply import Reply
from chatrec.pipeline.turn import run
from chatrec.rank.ranker import Ranker, Scored
from chatrec.settings import Settings


class Recommender:
    """Shared by all sessions. Thread-safe for reads; the LLM serialises itself."""

    def __init__(self, settings: Settings, llm: ChatModel | None, embedder: Embedder, index: Index) -> None:
        self.settings, self.llm, self.embedder, self.index = settings, llm, embedder, index
        self._catalogs: dict[str, tuple[Catalog, Ranker]] = {}
        self._lock = threading.Lock()
        self.explanation_stats = {"llm": 0, "template": 0}
        self.phrases = PhraseCache()  # item-derived model phrases, shared by all sessions (no user data)
        self.feedback_log = FeedbackLog.from_settings(settings)  # durable likes/dislikes/stars (dialogue/feedback.py)
        # what the pipeline's stages may use, built once: they never see the Recommender itself
        self.deps = TurnDeps(settings=settings, llm=llm, embedder=embedder, index=index, phrases=self.phrases,
                             feedback_log=self.feedback_log, explanation_stats=self.explanation_stats)

    @classmethod
    def from_settings(cls, settings: Settings | None = None, llm: ChatModel | None | str = "auto") -> "Recommender":
        """Embedded defaults: the GGUF model in-process (or a server by config), MiniLM embeddings, local Chroma."""
        from chatrec.catalog.recovery import ResilientIndex, load_embedder, load_llama
        from chatrec.llm.files import resolve_model
        from chatrec.llm.models import OpenAIServerModel

        s = settings or Settings()
        if llm == "auto":
            if s.llm_server_url:
                llm = OpenAIServerModel(s.llm_server_url, s.llm_server_model, s.llm_api_key)
            else:
                llm = load_llama(resolve_model(s.model, s.data_dir), n_ctx=s.n_ctx, n_threads=s.n_threads,
                                 n_gpu_layers=s.n_gpu_layers, seed=s.seed)
        embedder = load_embedder(s.embedding_path)  # faults.py: clear messages, Chroma recovery
        return cls(s, llm, embedder, ResilientIndex(s, embedder))  # type: ignore[arg-type]

    # -- shared resources -------------------------------------------------------------------------------------
    def catalog(self, name: str | None = None) -> Catalog:
        return self._load(name or self.settings.catalog)[0]

    def _load(self, name: str) -> tuple[Catalog, Ranker]:
        with self._lock:
            if name not in self._catalogs:
                cat = Catalog.load(name, self.settings)
                self.index.sync(cat)
                self._catalogs[name] = (cat, Ranker(cat, self.index, self.embedder, self.llm,
                                                    n_llm=self.settings.n_llm_scored))
            return self._catalogs[name]

    # -- sessions -----------------------------------------------------------------------------------------------
    def new_session(self, catalog: str | None = None) -> Session:
        cat = self.catalog(catalog)
        return Session(state=DialogueState(catalog=cat.name if catalog is None else catalog))

    def feedback(self, session: Session, item_id: str, liked: bool) -> DialogueState:
        """Thumbs up or down on an item; a disliked item never returns and pulls similar items down."""
        cat = self.catalog(session.state.catalog)
        if not isinstance(item_id, str) or item_id not in cat.by_id:
            raise InputError(f"unknown item id {item_id!r} in catalog {cat.name!r}; use an item_id from a reply")
        st = session.state
        apply_feedback(st, item_id, liked)
        self.feedback_log.record(*state_events(session.id, cat.name, [item_id] if liked else [],
                                               [] if liked else [item_id], {}, "button"))
        return st

    def update_state(self, session: Session, patch: dict[str, Any]) -> DialogueState:
        """Apply an edit from the UI (e.g. remove a constraint); invalid edits raise InputError, state unchanged."""
        cat = self.catalog(session.state.catalog)
        merged = session.state.model_dump()
        for k, v in patch.items():
            if isinstance(v, dict) and isinstance(merged.get(k), dict) and k not in ("constraints", "stars_out_of_5"):
                merged[k] = {**merged[k], **v}
            else:
                merged[k] = v
        try:
            new = DialogueState.model_validate(merged)
        except ValidationError as e:
            raise InputError(f"invalid state edit: {e.errors()[0]['loc']}: {e.errors()[0]['msg']}") from None
        unknown = [k for k in new.constraints if k not in cat.manifest.filterable()]
        if unknown:
            raise InputError(f"{', '.join(unknown)} cannot be constrained in {cat.name}; "
                             f"filterable fields: {', '.join(cat.manifest.filterable())}")
        if new.catalog != session.state.catalog:
            raise InputError("the catalog of a session cannot change; start a new session instead")
        session.state = new
        return new

    def rank(self, state: DialogueState, candidate_ids: list[str], use_llm: bool = True) -> list[Scored]:
        """The ranking stage the product uses, callable alone (the evaluation harness calls it unchanged)."""
        return self._load(state.catalog)[1].rank(state, candidate_ids, use_llm=use_llm)

    # -- a turn -------------------------------------------------------------------------------------------------
    def _check_message(self, text: Any) -> str:
        if not isinstance(text, str):
            raise InputError("the message must be text")
        if not text.strip():
            raise InputError("the message is empty; tell me what you are in the mood for")
        if len(text) > self.settings.max_message_chars:
            raise InputError(f"the message is {len(text):,} characters; the limit is "
                             f"{self.settings.max_message_chars:,}. Please shorten it and send it again")
        return text.strip()

    def respond(self, session: Session, text: str) -> Reply:
        reply = None
        for ev in self.respond_stream(session, text):
            if isinstance(ev, Replied):
                reply = ev.reply
        assert reply is not None
        return reply

    def respond_stream(self, session: Session, text: str) -> Iterator[TurnEvent]:
        """Typed events in order: Understood, Cards (as soon as ranking is done), ExplanationDelta / Explanation,
        Replied. The stages are in chatrec/pipeline/turn.py.

        A turn is a transaction: if any stage raises (bad input, a fault, a bug), the session's state is put back as
        it was before the message and the error propagates, so every caller (page, API, CLI) gets the same rollback.
        """
        text = self._check_message(text)
        cat, ranker = self._load(session.state.catalog)
        before = session.state.model_copy(deep=True)
        try:
            yield from run(TurnContext(deps=self.deps, session=session, text=text, cat=cat, ranker=ranker))
        except Exception:
            session.state = before
            raise

