"""The app's named API (chat, feedback, reset) and the MCP tool (recommend).

Every endpoint is a plain typed function registered with `gr.api`: Gradio derives the API docs (the page's "Use via
API" link, `Client.view_api()`) and the MCP tool schemas from the type hints and the docstrings below.

Conversation state for API callers lives in a server-side store keyed by Gradio's `session_hash`: one
`gradio_client.Client` (Python) or `Client.connect(...)` (JavaScript) is one conversation, and no caller sees
another's state. `recommend` is stateless (one fresh session per call), which is what a tool-calling agent expects.

(No `from __future__ import annotations` here on purpose: Gradio reads these annotations at runtime, and the
catalog `Literal` is built from the catalogs actually installed.)
"""
import html
import inspect
import json
import logging
import re
import typing
from collections.abc import Iterator
from typing import Any, Literal

import gradio as gr

from .cards import fmt_value
from .runtime import Runtime

log = logging.getLogger("chatrec.ui")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
WAIT_FOR_MODEL_S = 600.0
INTERNAL = "internal error ({}); your conversation is unchanged. Please try again"


def clean_text(text: Any) -> Any:
    """Text as a caller sent it, made safe to store and send back: control characters (other than tab and newline)
    become spaces and lone surrogates (valid in JSON, not in UTF-8) become U+FFFD. Non-text passes through for the
    core's own "the message must be text"."""
    if not isinstance(text, str):
        return text
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return _CONTROL.sub(" ", text)


# What a raw caller can send to each public endpoint, for the message that answers a wrong number of values.
EXAMPLES = {"chat": ["a funny movie under 2 hours, no horror", "movies"], "feedback": ["<item_id from chat>", True],
            "reset": ["movies"], "recommend": ["a heist movie like Heat", "movies", 4], "status": []}


def _kind(annotation: Any) -> str:
    """A parameter's type as a caller reads it."""
    if typing.get_origin(annotation) is Literal:
        return "one of " + ", ".join(json.dumps(a) for a in typing.get_args(annotation))
    return {str: "text", bool: "true or false", int: "a whole number", float: "a number"}.get(annotation, "a value")


def arity_message(api_name: str, fn: Any, got: int) -> str:
    """Says what an endpoint takes, in order, and what was sent: Gradio's own refusal of a short `data` list has an
    empty message, and an overlong one is silently cut."""
    params = [p for p in inspect.signature(fn).parameters.values() if p.annotation is not gr.Request]
    hints = typing.get_type_hints(fn)
    parts = [f"{p.name} ({_kind(hints.get(p.name, p.annotation))}"
             + ("" if p.default is inspect.Parameter.empty else f", default {json.dumps(p.default)}") + ")"
             for p in params]
    example = EXAMPLES.get(api_name, [])
    if not params:
        return f"/{api_name} takes no values; this call sent {got}. Send {json.dumps({'data': []})}"
    return (f"/{api_name} takes {len(params)} value{'s' if len(params) != 1 else ''} in \"data\", in this order: "
            f"{'; '.join(parts)}; this call sent {got}. Send all of them, e.g. {json.dumps({'data': example})} "
            f"(gradio_client and @gradio/client fill in the defaults)")


class ApiBlocks(gr.Blocks):
    """gr.Blocks whose public endpoints answer a wrong number of values with `arity_message` (a raw HTTP caller
    sending {"data": []}), instead of Gradio's error event with an empty message (show_error is off so that no
    internal exception text reaches a visitor). The page's own events keep Gradio's check."""

    def validate_inputs(self, block_fn: Any, inputs: list[Any]) -> None:  # noqa: D102 - see the class
        public = getattr(block_fn, "api_visibility", "private") != "private" and block_fn.api_name in EXAMPLES
        if public and isinstance(inputs, list) and len(inputs) != len(block_fn.inputs):
            raise gr.Error(arity_message(block_fn.api_name, block_fn.fn, len(inputs)), print_exception=False)
        super().validate_inputs(block_fn, inputs)


def _recommendation(rec: dict[str, Any], manifest: Any) -> dict[str, Any]:
    """A recommendation for API callers: the core's fields plus `facts`, the card's badges as display strings."""
    item = rec.get("item") or {}
    facts = {k: fmt_value(spec, item.get(k)) for k, spec in manifest.fields.items()
             if spec.display == "badge" and item.get(k) not in (None, "", [])}
    return {"item_id": rec["item_id"], "title": rec["title"], "score": rec.get("score"),
            "explanation": rec.get("explanation") or "", "explanation_source": rec.get("explanation_source"),
            "facts": {k: html.unescape(v) for k, v in facts.items()}, "components": rec.get("components") or {},
            "item": item}


def register(rt: Runtime) -> dict[str, Any]:
    """Register the endpoints in the current Blocks context; returns the functions by name (for tests)."""
    names = tuple(rt.catalog_names)
    CatalogName = Literal[names]  # type: ignore[valid-type]
    default = rt.settings.catalog if rt.settings.catalog in names else names[0]

    def _rec() -> Any:
        try:
            if not rt.wait(WAIT_FOR_MODEL_S):
                raise gr.Error("chatrec is still loading its model and index; try again in a minute")
        except RuntimeError as e:
            raise gr.Error(str(e)) from None
        return rt.rec

    def _catalog(name: Any) -> str:
        """Gradio does not enforce the Literal: an unknown catalog gets a message naming the real ones."""
        if not isinstance(name, str) or name not in names:
            raise gr.Error(f"unknown catalog {str(name)[:80]!r}; use one of: {', '.join(names)}")
        return name

    def _new_session(rec: Any, catalog: str) -> Any:
        """A fresh conversation; loading a catalog can meet a fault (a Chroma server down) whose text names the fix."""
        from chatrec.errors import FaultError

        try:
            return rec.new_session(catalog=catalog)
        except FaultError as e:
            raise gr.Error(str(e)) from None

    def _key(request: gr.Request | None) -> str:
        key = getattr(request, "session_hash", None) if request is not None else None
        if not key:
            raise gr.Error("no session: call this endpoint through gradio_client or @gradio/client")
        return str(key)

    def chat(message: str, catalog: CatalogName = default,  # type: ignore[valid-type]
             request: gr.Request = None) -> Iterator[dict[str, Any]]:  # type: ignore[assignment]
        """Send one chat message and get recommendations; the conversation continues on the next call.

        Streams partial results: first the understood state, then the ranked cards (empty explanations), then the
        cards with their explanations, and last the full reply (`done: true`). `Client.predict` returns the last.
        Follow-ups ("no horror", "shorter", "more like the second one") refine the same conversation.

        Args:
            message: What the user says, e.g. "a funny movie under 2 hours, no horror" (at most 2,000 characters).
            catalog: Catalog to recommend from; a catalog other than the conversation's starts a new conversation.

        Returns:
            dict: done, stage, reply, intent, recommendations, reasoning, notices, state (see the README).
        """
        from chatrec.errors import FaultError, InputError
        from chatrec.pipeline.events import Cards, Explanation, Replied, Understood

        catalog = _catalog(catalog)
        message = clean_text(message)
        rec = _rec()
        key = _key(request)
        session = rt.api_sessions.get(key)
        if session is None or session.state.catalog != catalog:
            session = _new_session(rec, catalog)
            rt.api_sessions.put(key, session)
        manifest = rec.catalog(catalog).manifest
        with rt.session_lock(session.id):
            out: dict[str, Any] = {"session": session.id, "catalog": catalog, "done": False, "stage": "started",
                                   "reply": "", "intent": None, "recommendations": [], "reasoning": [],
                                   "notices": [], "state": session.snapshot()}
            try:
                for ev in rec.respond_stream(session, message):
                    match ev:
                        case Understood():
                            out.update(stage="understood", state=ev.state, intent=ev.intent)
                            yield dict(out)
                        case Cards():
                            out.update(stage="cards", recommendations=[_recommendation(r.model_dump(), manifest)
                                                                       for r in ev.recommendations])
                            yield dict(out)
                        case Explanation():
                            for r in out["recommendations"]:
                                if r["item_id"] == ev.item_id:
                                    r.update(explanation=ev.text, explanation_source=ev.source)
                            out["stage"] = "explanation"
                            yield dict(out)
                        case Replied(reply=reply):
                            out.update(done=True, stage="reply", reply=reply.text, intent=reply.intent,
                                       recommendations=[_recommendation(r.model_dump(), manifest)
                                                        for r in reply.recommendations],
                                       reasoning=[s.model_dump() for s in reply.reasoning], notices=reply.notices,
                                       state=reply.state)
                            yield dict(out)
            except InputError as e:  # the recommender has put the state back (a turn is a transaction)
                raise gr.Error(str(e)) from None
            except FaultError as e:  # e.g. the Chroma server stopped answering: the message names the fix
                log.warning("chat API turn failed: %s", e)
                raise gr.Error(f"{e}; your conversation is unchanged") from None
            except gr.Error:
                raise
            except Exception as e:
                log.exception("chat API turn failed")
                raise gr.Error(INTERNAL.format(type(e).__name__)) from None

    def feedback(item_id: str, liked: bool, request: gr.Request = None) -> dict[str, Any]:  # type: ignore[assignment]
        """Thumbs up or down on a recommended item; the next chat turn uses it.

        A disliked item never comes back and pulls similar items down; a liked one pulls similar items up.

        Args:
            item_id: The item_id of a recommendation from this conversation's chat replies.
            liked: true for thumbs up, false for thumbs down.

        Returns:
            dict: the updated state (liked_items, disliked_items, constraints, ...).
        """
        from chatrec.errors import InputError

        if not isinstance(liked, bool):
            raise gr.Error(f"liked must be true (thumbs up) or false (thumbs down), not {str(liked)[:40]!r}")
        if not isinstance(item_id, str) or len(item_id) > 300:
            raise gr.Error("item_id must be an item_id from this conversation's chat replies (short text), not "
                           + (f"{len(item_id):,} characters" if isinstance(item_id, str) else type(item_id).__name__))
        rec = _rec()
        key = _key(request)
        session = rt.api_sessions.get(key)
        if session is None:
            raise gr.Error("no conversation yet: call chat first, then give feedback on its item_ids")
        with rt.session_lock(session.id):
            try:
                rec.feedback(session, item_id, liked)
            except InputError as e:
                raise gr.Error(str(e)) from None
        return session.snapshot()

    def reset(catalog: CatalogName = default, request: gr.Request = None) -> dict[str, Any]:  # type: ignore
        """Forget this conversation and start a new one.

        Args:
            catalog: The catalog the new conversation recommends from.

        Returns:
            dict: the fresh, empty state of the new conversation.
        """
        catalog = _catalog(catalog)
        rec = _rec()
        key = _key(request)
        session = _new_session(rec, catalog)
        rt.api_sessions.put(key, session)
        return session.snapshot()

    def recommend(request: str, catalog: CatalogName = default,  # type: ignore[valid-type]
                  max_results: int = 4) -> dict[str, Any]:
        """Recommend movies or products from chatrec's local catalogs for a request in plain words.

        Stateless: every call is a fresh conversation. Put everything that matters in the request, e.g.
        "a mind-bending sci-fi movie like Inception, under 2 hours, no horror" or "a gift for a 10-year-old who
        plays soccer, under $40". Each result has a short explanation checked against the item's facts.

        Args:
            request: What the user wants, in plain words (preferences, things they liked, limits).
            catalog: "movies" (films, 1940s-2020s) or "products" (sports, outdoor, party and holiday supplies).
            max_results: How many recommendations to return (1-10).

        Returns:
            dict: reply (text), recommendations (item_id, title, explanation, facts, score), constraints, notices.
        """
        from chatrec.errors import FaultError, InputError

        catalog = _catalog(catalog)
        if max_results is None:
            max_results = 4
        if isinstance(max_results, bool) or not isinstance(max_results, (int, float)) or max_results != max_results:
            raise gr.Error(f"max_results must be a whole number from 1 to 10, not {str(max_results)[:40]!r}")
        request = clean_text(request)
        rec = _rec()
        session = _new_session(rec, catalog)
        try:
            reply = rec.respond(session, request)
        except (InputError, FaultError) as e:
            raise gr.Error(str(e)) from None
        except Exception as e:
            log.exception("recommend tool failed")
            raise gr.Error(INTERNAL.format(type(e).__name__)) from None
        manifest = rec.catalog(catalog).manifest
        n = int(max(1, min(max_results, 10)))
        recs = [_recommendation(r.model_dump(), manifest) for r in reply.recommendations[:n]]
        for r in recs:
            r.pop("item", None)
            r.pop("components", None)
        return {"catalog": catalog, "reply": reply.text, "recommendations": recs,
                "constraints": reply.state.get("constraints", {}), "notices": reply.notices}

    def status() -> dict[str, Any]:
        """Whether the model and index are loaded yet (ready), and what is being prepared (stage, done, total)."""
        return rt.status()

    # One CPU model serialises turns anyway: every event that runs the model shares the "model" concurrency group
    # with limit 1, so turns queue (and the queue shows their position) instead of interleaving on two cores.
    gr.api(chat, api_name="chat", concurrency_id="model", concurrency_limit=1)
    gr.api(recommend, api_name="recommend", concurrency_id="model", concurrency_limit=1)
    # State edits never touch the model: they run at once (the per-session lock orders them against a turn).
    gr.api(feedback, api_name="feedback", concurrency_limit=None)
    gr.api(reset, api_name="reset", concurrency_limit=None)
    # Not a tool for agents and not in the docs, but callable (the widget and the tests poll it while loading).
    gr.api(status, api_name="status", queue=False, api_visibility="undocumented")
    return {"chat": chat, "feedback": feedback, "reset": reset, "recommend": recommend, "status": status}
