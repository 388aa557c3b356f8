"""The recommender: one object that owns the shared read-only parts (model, index, catalogs) and turns a session's
message into a grounded, explained reply. Sessions are passed in; nothing per user is stored here."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError

from .answers import answer_fit, answer_question
from .candidates import hard_filter, query_text, retrieve
from .catalog import Catalog
from .explanation import PhraseCache, explain, explain_all
from .feedback import FeedbackLog, state_events
from .index import Embedder, Index
from .llm import ChatModel
from .ranking import Ranker, Scored
from .reply import Event, InputError, Recommendation, Reply, Step
from .settings import Settings
from .state import DialogueState, Session, Turn
from .understanding import Understanding, apply, understand


class Recommender:
    """Shared by all sessions. Thread-safe for reads; the LLM serialises itself."""

    def __init__(self, settings: Settings, llm: ChatModel | None, embedder: Embedder, index: Index) -> None:
        self.settings, self.llm, self.embedder, self.index = settings, llm, embedder, index
        self._catalogs: dict[str, tuple[Catalog, Ranker]] = {}
        self._lock = threading.Lock()
        self.explanation_stats = {"llm": 0, "template": 0}
        self.phrases = PhraseCache()  # item-derived model phrases, shared by all sessions (no user data)
        self.feedback_log = FeedbackLog.from_settings(settings)  # durable likes/dislikes/stars (chatrec/feedback.py)

    @classmethod
    def from_settings(cls, settings: Settings | None = None, llm: ChatModel | None | str = "auto") -> "Recommender":
        """Embedded defaults: the GGUF model in-process (or a server by config), MiniLM embeddings, local Chroma."""
        from .faults import ResilientIndex, load_embedder, load_llama
        from .llm import OpenAIServerModel
        from .model_files import resolve_model

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
        if liked:
            if item_id not in st.liked_items:
                st.liked_items.append(item_id)
            for lst in (st.disliked_items, st.rejected_items):
                if item_id in lst:
                    lst.remove(item_id)
        else:
            if item_id not in st.disliked_items:
                st.disliked_items.append(item_id)
            if item_id in st.liked_items:
                st.liked_items.remove(item_id)
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
            if ev.type == "reply":
                reply = ev.data
        assert reply is not None
        return reply

    def respond_stream(self, session: Session, text: str) -> Iterator[Event]:
        """Events in order: understood state, cards (as soon as ranking is done), explanations, final reply."""
        text = self._check_message(text)
        cat, ranker = self._load(session.state.catalog)
        st = session.state
        t0 = time.perf_counter()
        u = understand(text, st, cat, self.llm, llm_mode=self.settings.understanding_llm)
        apply(u, st)
        self.feedback_log.record(*state_events(session.id, cat.name, u.liked_items,
                                               [*u.disliked_items, *u.rejected_items], u.stars, "chat"))
        st.turns.append(Turn(role="user", text=text))
        steps = [self._understood_step(u, cat, time.perf_counter() - t0)]
        yield Event(type="understood", data={"state": session.snapshot(), "understanding": u.model_dump()})
        if u.intent == "question" and u.about_item:
            answer = answer_question(text, cat, cat.by_id[u.about_item])
            st.turns.append(Turn(role="assistant", text=answer, item_ids=[u.about_item]))
            steps.append(Step(name="answer", detail=f"answered from the catalog record of {cat.label(cat.by_id[u.about_item])}"))
            yield Event(type="reply", data=Reply(session=session.id, text=answer, intent="question", reasoning=steps,
                                                 state=session.snapshot()))
            return
        if u.intent == "fit" and u.about_item:
            yield self._fit_reply(session, u.about_item, steps)
            return
        if u.intent == "other" and not st.last_recommended and not _has_wishes(st):
            msg = (f"Tell me what kind of {cat.manifest.item_noun} you are in the mood for: a genre, a mood, "
                   f"something you loved, or limits like length or year.")
            st.turns.append(Turn(role="assistant", text=msg))
            yield Event(type="reply", data=Reply(session=session.id, text=msg, intent="other", reasoning=steps,
                                                 state=session.snapshot()))
            return
        # candidates under hard constraints
        t1 = time.perf_counter()
        filt = hard_filter(cat, st)
        qvec = self.embedder.embed([query_text(st, text, cat)])[0]
        cands, sources = retrieve(self.index, cat, st, qvec, filt.allowed, self.settings.n_candidates)
        steps.append(Step(name="filter", detail=_filter_detail(cat, st, filt),
                          counts={"catalog": len(cat.items), "allowed": len(filt.allowed),
                                  "removed_by_feedback": filt.removed_feedback,
                                  **{f"removed_by_{k}": v for k, v in filt.removed_by.items()},
                                  **{f"missing_{k}": v for k, v in filt.missing_by.items()}}))
        steps.append(Step(name="retrieve", detail=f"{len(cands)} candidates within the constraints "
                          f"({', '.join(f'{v} from {k}' for k, v in sources.items()) or 'none'})",
                          counts={"candidates": len(cands), "ms": round((time.perf_counter() - t1) * 1000, 1),
                                  **{f"from_{k}": v for k, v in sources.items()}}))
        t2 = time.perf_counter()
        ranked = ranker.rank(st, cands, query_vec=qvec)
        n = self.settings.n_recommendations
        top = ranked[:n]
        steps.append(Step(name="rank", detail="; ".join(
            f"{cat.label(cat.by_id[s.item_id])}: {s.score:.2f} (" + ", ".join(
                f"{k} {v:.2f}" for k, v in s.components.items() if abs(v) > 1e-9) + ")" for s in top),
            counts={"ranked": len(ranked), "llm_scored": sum("llm_yes_probability" in s.components for s in ranked),
                    "ms": round((time.perf_counter() - t2) * 1000, 1)}))
        notices = list(u.notes)
        if len(top) < n:
            notices.append(_shortfall(cat, st, filt, len(top), n))
        recs = [Recommendation(item_id=s.item_id, title=cat.label(cat.by_id[s.item_id]), score=round(s.score, 4),
                               components={k: round(v, 4) for k, v in s.components.items()},
                               item=cat.by_id[s.item_id]) for s in top]
        st.last_recommended = [r.item_id for r in recs]
        st.shown_items += [r.item_id for r in recs if r.item_id not in st.shown_items]
        st.focus_item = None
        yield Event(type="cards", data=[r.model_dump() for r in recs])
        yield from self._explain(cat, st, recs, top)
        body = _reply_text(cat, recs, notices)
        st.turns.append(Turn(role="assistant", text=body, item_ids=[r.item_id for r in recs]))
        yield Event(type="reply", data=Reply(session=session.id, text=body, intent="recommend", recommendations=recs,
                                             ranking=[s.item_id for s in ranked], reasoning=steps,
                                             state=session.snapshot(), notices=notices))

    def _explain(self, cat: Catalog, st: DialogueState, recs: list[Recommendation],
                 top: list[Scored]) -> Iterator[Event]:
        """Explanations stream into their cards: one model call for all cards (default), one per card (legacy), or
        templates only; each is checked against the item's facts and falls back to the template."""
        use = self.llm if self.settings.llm_explanations else None
        by_pos = {n: r for n, r in enumerate(recs)}
        if self.settings.explanation_calls == "one" or use is None:
            stream = explain_all(use, cat, [r.item for r in recs], st, [s.components for s in top], self.phrases)
        else:
            stream = ((n, piece, src) for n, (r, s) in enumerate(zip(recs, top))
                      for piece, src in explain(use, cat, r.item, st, st.turns[-1].text, s.components))
        for n, piece, from_llm in stream:
            r = by_pos[n]
            if from_llm is None:
                yield Event(type="explanation_delta", item_id=r.item_id, text=piece)
            else:
                r.explanation, r.explanation_source = piece, "llm" if from_llm else "template"
                self.explanation_stats[r.explanation_source] += 1
                yield Event(type="explanation", item_id=r.item_id, text=piece, data=r.explanation_source)

    def _fit_reply(self, session: Session, item_id: str, steps: list[Step]) -> Event:
        """"Would I like X?": where X would rank among this session's candidates, which limits it breaks, and the
        catalog's rating model's estimate from the session's stars and likes (when the catalog has ratings)."""
        cat, ranker = self._load(session.state.catalog)
        st = session.state
        t0 = time.perf_counter()
        filt = hard_filter(cat, st)
        asked = next((t.text for n, t in enumerate(st.turns[:-1]) if t.role == "user" and n + 1 < len(st.turns)
                      and st.turns[n + 1].item_ids == st.last_recommended and st.last_recommended), "")
        view = st.model_copy(update={"shown_items": []})  # having been shown must not count against it here
        qvec = self.embedder.embed([query_text(view, asked, cat)])[0]  # the request behind the last suggestions
        cands, _ = retrieve(self.index, cat, view, qvec, filt.allowed, self.settings.n_candidates)
        ranked = [s.item_id for s in ranker.rank(view, [*cands, item_id], query_vec=qvec, use_llm=False)]
        place = (ranked.index(item_id) + 1, len(ranked)) if item_id in ranked else None
        answer = answer_fit(cat, st, cat.by_id[item_id], place)
        steps.append(Step(name="fit", detail=f"ranked {cat.label(cat.by_id[item_id])} among {len(ranked)} candidates "
                          f"(place {place[0] if place else '-'}); rating model: "
                          f"{'yes' if cat.rating is not None else 'none in this catalog'}",
                          counts={"ms": round((time.perf_counter() - t0) * 1000, 1)}))
        st.turns.append(Turn(role="assistant", text=answer, item_ids=[item_id]))
        return Event(type="reply", data=Reply(session=session.id, text=answer, intent="fit", reasoning=steps,
                                              state=session.snapshot()))

    def _understood_step(self, u: Understanding, cat: Catalog, secs: float) -> Step:
        bits = []
        for label, ids in (("liked", u.liked_items), ("disliked", u.disliked_items), ("rejected", u.rejected_items),
                           ("owned", u.owned_items)):
            if ids:
                bits.append(f"{label}: " + ", ".join(cat.label(cat.by_id[i]) for i in ids))
        for k, c in u.constraint_changes.items():
            spec = cat.manifest.fields[k]
            bits.append("constraint " + c.describe(k, spec.unit))
        if u.removed_constraints:
            bits.append("relaxed " + ", ".join(u.removed_constraints))
        if u.liked_attributes:
            bits.append("wants " + ", ".join(u.liked_attributes))
        if u.disliked_attributes:
            bits.append("avoids " + ", ".join(u.disliked_attributes))
        if u.about_item:
            bits.append(f"asking about {cat.label(cat.by_id[u.about_item])}")
        detail = f"intent {u.intent}; " + ("; ".join(bits) or "no new preferences")
        return Step(name="understand", detail=detail + (f" (notes: {'; '.join(u.notes)})" if u.notes else ""),
                    counts={"seconds": round(secs, 2), "llm_used": float(u.llm_used)})


def _has_wishes(st: DialogueState) -> bool:
    return bool(st.liked_items or st.active_constraints() or st.liked_attributes.all() or st.soft_preferences
                or st.owned_items)


def _filter_detail(cat: Catalog, st: DialogueState, f: Any) -> str:
    cons = st.active_constraints()
    if not cons and not f.removed_feedback:
        return f"no hard constraints: all {len(cat.items)} {cat.manifest.item_noun_plural} allowed"
    parts = [f"{cons[k].describe(k, cat.manifest.fields[k].unit)} removed {v}" for k, v in f.removed_by.items() if k in cons]
    parts += [f"{v} lack a {k} value and were excluded" for k, v in f.missing_by.items()]
    if f.removed_feedback:
        parts.append(f"{f.removed_feedback} disliked or rejected removed")
    return f"{len(f.allowed)} of {len(cat.items)} allowed: " + "; ".join(parts)


def _shortfall(cat: Catalog, st: DialogueState, f: Any, got: int, want: int) -> str:
    noun = cat.manifest.item_noun_plural
    worst = max(f.removed_by.items(), key=lambda kv: kv[1], default=None)
    if worst:
        c = st.constraints[worst[0]]
        return (f"Only {got} {noun} satisfy everything you asked for. The strictest limit is "
                f"'{c.describe(worst[0], cat.manifest.fields[worst[0]].unit)}' (it rules out {worst[1]}): "
                f"say 'relax the {worst[0].replace('_', ' ')}' or edit it in the panel to see more.")
    return f"Only {got} {noun} are left after your feedback."


def _reply_text(cat: Catalog, recs: list[Recommendation], notices: list[str]) -> str:
    if not recs:
        return " ".join(notices) or f"I found no {cat.manifest.item_noun_plural} that fit."
    lines = [f"Here {'is' if len(recs) == 1 else 'are'} {len(recs)} {cat.manifest.item_noun if len(recs) == 1 else cat.manifest.item_noun_plural} for you:"]
    lines += [f"{n}. {r.title} - {r.explanation}" for n, r in enumerate(recs, 1)]
    lines += notices
    return "\n".join(lines)
