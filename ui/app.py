"""The chat page: Gradio Blocks over `chatrec.Recommender`. No recommendation logic lives here.

Layout: a status line (model/index loading progress), the chat (cards stream in as the core's `respond_stream` yields
them, each with like / dislike; a collapsed "How I chose" after each reply), and beside it the preference panel
(what chatrec believes now, each entry removable), the catalog selector, "New conversation", filters derived from
the catalog manifest and example prompts.

State: per browser tab, in `gr.State` (a dict with the core `Session` and this tab's turn log; deep-copyable). The
Recommender (model, embeddings, Chroma) is loaded once per process by `Runtime` and shared read-only.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import gradio as gr

from chatrec.present.suggestions import EXAMPLES as SUGGESTED_EXAMPLES
from chatrec.present.suggestions import PUSHBACK, WELCOME_HINTS

from .api import ApiBlocks, clean_text
from .api import register as register_api
from .cards import card_html, esc, preferences_html, reasoning_html, reply_html, status_html, text_html
from .filters import Control, constraints_from_values, controls_for, values_from_state
from .runtime import Runtime

log = logging.getLogger("chatrec.ui")
HERE = Path(__file__).resolve().parent
CSS = (HERE / "style.css").read_text(encoding="utf-8")
STREAM_EVERY_S = 0.15  # explanation tokens are batched into UI updates at most this often

# Queue and concurrency, on purpose:
# - The model runs on the CPU in-process and serialises itself, so running two turns at once only makes both
#   slower. Every model event (the page's turn, the API's chat, the MCP tool) shares one concurrency group with
#   limit 1 (see api.py and MODEL below); other events default to 1 per event listener (default_concurrency_limit).
# - Cheap state edits (feedback, remove, filters, new conversation) do not touch the model: no limit, so a click
#   never waits behind another user's 30-second turn. A per-conversation lock orders them against that tab's turn.
# - max_size (CHATREC_QUEUE_MAX_SIZE, 24): at ~7-16 s a turn on 2 cores, 24 waiting is already minutes; beyond that
#   a visitor is told at once that chatrec is busy (BUSY, in the chat itself) instead of an endless spinner, and the
#   message goes back in the box to send again; the API's callers get Gradio's 503 "queue is full".
#   Why in the chat and not as a gr.Error toast: Gradio 6's page client drops the `visible` flag of an error from a
#   non-queued event (show_pending runs with queue=False), so such a toast never shows; the visitor saw only an
#   "Error" badge over the chat and the box. So show_pending raises (which stops the .success chain: the turn is
#   never queued) and its .failure handler, also unqueued, draws BUSY as a chatrec message. The turn's own .failure
#   does the same for the rare race where the queue fills between the check and the turn joining it (Gradio's 503).
BUSY = ("chatrec is busy with other visitors right now. Please try again in a moment: your message is still in the "
        "box, just press Send again.")
DEFAULT_CONCURRENCY = 1
MODEL = {"concurrency_id": "model", "concurrency_limit": 1}
FREE = {"concurrency_limit": None}

# Example prompts and the welcome's hints come from chatrec/present/suggestions.py, where each phrase's promised state
# change is written down and tests/present/test_suggestions.py sends it.
EXAMPLES = {name: [[phrase] for phrase in phrases] for name, phrases in SUGGESTED_EXAMPLES.items()}

# Runs once when the preference panel mounts. Clicks are delegated from the page root (the document, or the shadow
# root when the app is embedded as <gradio-app>), so buttons inside chat messages work for every message, old or new.
PANEL_JS = r"""
const root = element.getRootNode();
const idOf = (el) => {
  const c = [...el.classList].find((x) => x.startsWith('cr-id-'));
  if (!c) return null;
  const hex = c.slice(6).match(/../g) || [];
  return new TextDecoder().decode(new Uint8Array(hex.map((h) => parseInt(h, 16))));
};
if (!root.__chatrecFeedback) {
  root.__chatrecFeedback = true;
  root.addEventListener('click', (ev) => {
    const t = ev.target instanceof Element ? ev.target.closest('button.cr-fb') : null;
    const id = t && idOf(t);
    if (!id) return;
    ev.preventDefault();
    ev.stopPropagation();
    const liked = t.classList.contains('cr-like');
    const card = t.closest('.cr-card');
    if (card) {
      card.querySelectorAll('button.cr-fb').forEach((b) => b.classList.remove('cr-on'));
      t.classList.add('cr-on');
      card.classList.toggle('cr-disliked', !liked);
      card.classList.toggle('cr-liked', liked);
    }
    trigger('feedback', {item_id: id, liked: liked});
  }, true);
}
element.addEventListener('click', (ev) => {
  const t = ev.target instanceof Element ? ev.target.closest('[data-cr-remove]') : null;
  if (!t) return;
  ev.preventDefault();
  const li = t.closest('li');
  if (li) li.classList.add('cr-removing');
  trigger('remove', {kind: t.dataset.crKind, value: t.dataset.crValue});
});
"""


# ----------------------------------------------------------------------------------------------------------------
# per-tab state
# ----------------------------------------------------------------------------------------------------------------
def new_ui(catalog: str) -> dict[str, Any]:
    """A tab's state: the core Session (created once the model is ready) and the turns shown in the chat."""
    return {"catalog": catalog, "session": None, "log": []}


class Page:
    """The Blocks and its handlers, bound to one shared Runtime."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.controls: dict[str, list[Control]] = {n: controls_for(c) for n, c in rt.catalogs.items()}

    # -- helpers ---------------------------------------------------------------------------------------------------
    def manifest(self, name: str) -> Any:
        return self.rt.catalogs[name].manifest

    def welcome(self, name: str) -> str:
        cat = self.rt.catalogs[name]
        m = cat.manifest
        n = self.rt.settings.n_recommendations
        limits = " or ".join(f"'{h}'" for h in WELCOME_HINTS.get(name, ()))
        hint = (f"a genre, a mood, a film you loved, or limits like {limits}" if name == "movies" else
                f"who it is for, the sport or occasion, or a budget like {limits}")
        push = ", ".join(f"'{p}'" for p in PUSHBACK.get(name, ()))
        return text_html(
            f"Hi! I'm chatrec. I recommend {m.item_noun_plural} from a catalog of {len(cat.items)} "
            f"({m.description.rstrip('.')}). Tell me what you're looking for: {hint}. I'll pick {n}, explain "
            f"each one (explanations are checked against the facts), and learn from your thumbs up and down. "
            f"Push back any time ({push}); everything I assume "
            f"shows in the panel on the right, where you can remove it.", "cr-welcome")

    def session(self, ui: dict[str, Any]) -> Any:
        """The tab's core Session, created on first use (the model must be ready)."""
        if ui.get("session") is None:
            if not self.rt.is_ready:
                raise gr.Error("chatrec is still preparing its model and index; one moment please")
            ui["session"] = self.rt.rec.new_session(catalog=ui["catalog"])
        return ui["session"]

    def titles(self, ui: dict[str, Any]) -> dict[str, str]:
        cat = self.rt.catalogs[ui["catalog"]]
        s = ui.get("session")
        if s is None:
            return {}
        st = s.state
        ids = {*st.liked_items, *st.disliked_items, *st.rejected_items, *st.owned_items}
        stars = st.stars_out_of_5
        return {i: cat.label(cat.by_id[i]) + (f" · {stars[i]:g}★" if i in stars else "") for i in ids if i in cat.by_id}

    def state_dict(self, ui: dict[str, Any]) -> dict[str, Any] | None:
        s = ui.get("session")
        return s.snapshot() if s is not None else None

    def prefs(self, ui: dict[str, Any], state: dict[str, Any] | None = None, note: str = "") -> str:
        state = state if state is not None else self.state_dict(ui)
        return preferences_html(state, self.manifest(ui["catalog"]), self.titles(ui), note)

    def render_chat(self, ui: dict[str, Any], pending: str | None = None) -> list[dict[str, Any]]:
        """The Chatbot value (messages format) rebuilt from the tab's turn log and the current feedback."""
        name = ui["catalog"]
        manifest = self.manifest(name)
        st = ui["session"].state if ui.get("session") is not None else None
        liked = set(st.liked_items) if st else set()
        disliked = set(st.disliked_items) | set(st.rejected_items) if st else set()
        msgs: list[dict[str, Any]] = [{"role": "assistant", "content": self.welcome(name)}]
        for t in ui["log"]:
            msgs.append({"role": "user", "content": text_html(t["user"], "cr-user")})
            if t["kind"] == "cards":
                cards = [card_html(r, manifest, *(t["expl"].get(r["item_id"]) or ("", None)),
                                   feedback="liked" if r["item_id"] in liked else
                                   "disliked" if r["item_id"] in disliked else None, rank=n)
                         for n, r in enumerate(t["recs"], 1)]
                content = reply_html(t["intro"], cards, t.get("notices") or [], t.get("status") or "")
            elif t["kind"] == "error":
                content = text_html(t["text"], "cr-error-msg")
            else:
                content = (text_html(t["text"]) if not t.get("status") else
                           reply_html(t["text"], [], [], t["status"]))
            msgs.append({"role": "assistant", "content": content})
            if t.get("steps"):
                msgs.append({"role": "assistant", "content": reasoning_html(t["steps"]),
                             "metadata": {"title": "How I chose", "status": "done"}})
        if pending is not None:
            msgs.append({"role": "user", "content": text_html(pending, "cr-user")})
            msgs.append({"role": "assistant", "content": reply_html("", [], [], "Waiting for my turn...")})
        return msgs

    def filter_values(self, ui: dict[str, Any]) -> list[Any]:
        """Values for every catalog's controls (the hidden catalogs' controls reset to 'no limit')."""
        st = self.state_dict(ui)
        out: list[Any] = []
        for name, ctrls in self.controls.items():
            cons = st["constraints"] if st and name == ui["catalog"] else None
            out += values_from_state(ctrls, cons)
        return out

    def everything(self, ui: dict[str, Any], note: str = "") -> tuple[Any, ...]:
        """Outputs of a full refresh: chat, tab state, preference panel, then every filter control."""
        return (self.render_chat(ui), ui, self.prefs(ui, note=note), *self.filter_values(ui))

    # -- handlers -----------------------------------------------------------------------------------------------
    def show_pending(self, text: str, ui: dict[str, Any]) -> tuple[Any, ...]:
        """Instant (no queue): show the user's message and clear the box while the turn waits for the model.
        A full queue raises BUSY at once: the box keeps the text and the turn (chained with .success) never starts."""
        if not (text or "").strip():
            return gr.skip(), gr.skip(), ""
        text = clean_text(text)
        queue = getattr(getattr(self, "demo", None), "_queue", None)
        if queue is not None and queue.max_size is not None and len(queue) >= queue.max_size:
            raise gr.Error(BUSY, title="Busy", print_exception=False)  # stops the chain; show_busy draws it
        return self.render_chat(ui, pending=text), "", {"text": text, "at": len(ui["log"])}

    def show_busy(self, text: str, ui: dict[str, Any]) -> tuple[Any, ...]:
        """Instant (no queue), after a send the full queue refused: the chat says so and the message goes back in
        the box."""
        text = clean_text(text or "")
        if not text.strip():
            return gr.skip(), gr.skip()
        msgs = self.render_chat(ui)
        msgs.append({"role": "user", "content": text_html(text, "cr-user")})
        msgs.append({"role": "assistant", "content": text_html(BUSY, "cr-busy")})
        return msgs, text

    def turn_refused(self, pending: dict[str, Any], ui: dict[str, Any]) -> tuple[Any, ...]:
        """After a failed turn event: if the turn never started (the queue filled between show_pending's check and
        the turn joining it: Gradio's 503), say busy; a turn that started ended with its own message."""
        if not isinstance(pending, dict) or len(ui.get("log") or []) > int(pending.get("at") or 0):
            return gr.skip(), gr.skip()
        return self.show_busy(str(pending.get("text") or ""), ui)

    def turn(self, pending: dict[str, Any] | str, ui: dict[str, Any]):  # noqa: ANN201 - a generator of updates
        """One chat turn, streamed: understood state -> cards -> explanations -> reply with "How I chose"."""
        from chatrec.errors import FaultError, InputError
        from chatrec.pipeline.events import Cards, Explanation, ExplanationDelta, Replied, Understood

        text = pending.get("text", "") if isinstance(pending, dict) else pending
        n_ctrl = sum(len(c) for c in self.controls.values())
        skip_ctrls = tuple(gr.skip() for _ in range(n_ctrl))
        if not (text or "").strip():
            yield (gr.skip(), gr.skip(), gr.skip(), *skip_ctrls)
            return
        entry: dict[str, Any] = {"user": text, "kind": "text", "text": "", "status": "Reading your message...",
                                 "recs": [], "expl": {}, "notices": [], "steps": []}
        ui["log"].append(entry)
        # First start: wait for the model and index, saying so in the chat.
        while not self.rt.ready.is_set():
            s = self.rt.status()
            entry["status"] = (f"chatrec is still preparing (first start): {s['stage']}. Your message will be "
                               f"answered as soon as it is ready.")
            yield (self.render_chat(ui), ui, gr.skip(), *skip_ctrls)
            self.rt.ready.wait(1.0)
        if self.rt.error:
            entry.update(kind="error", status="", text=f"Sorry, chatrec could not start: {self.rt.error}. "
                                                       "Please tell the site owner.")
            yield (self.render_chat(ui), ui, gr.skip(), *skip_ctrls)
            return
        session = self.session(ui)
        rec = self.rt.rec
        noun = self.manifest(ui["catalog"]).item_noun_plural
        with self.rt.session_lock(session.id):
            last = 0.0
            try:
                for ev in rec.respond_stream(session, text):
                    match ev:
                        case Understood():
                            entry["status"] = f"Looking for {noun} that fit..."
                            yield (self.render_chat(ui), ui, self.prefs(ui, ev.state), *skip_ctrls)
                        case Cards(recommendations=recs):
                            entry.update(kind="cards", recs=[r.model_dump() for r in recs],
                                         status="Writing the explanations...",
                                         intro=f"Here {'is' if len(recs) == 1 else 'are'} {len(recs)} "
                                               f"{noun if len(recs) != 1 else noun[:-1]} for you:")
                            yield (self.render_chat(ui), ui, gr.skip(), *skip_ctrls)
                            last = time.monotonic()
                        case ExplanationDelta():
                            cur = entry["expl"].get(ev.item_id) or ("", None)
                            entry["expl"][ev.item_id] = (cur[0] + ev.text, None)
                            if time.monotonic() - last >= STREAM_EVERY_S:
                                last = time.monotonic()
                                yield (self.render_chat(ui), ui, gr.skip(), *skip_ctrls)
                        case Explanation():
                            entry["expl"][ev.item_id] = (ev.text, ev.source)
                            last = time.monotonic()
                            yield (self.render_chat(ui), ui, gr.skip(), *skip_ctrls)
                        case Replied(reply=reply):
                            entry["steps"] = [s.model_dump() for s in reply.reasoning]
                            entry["status"] = ""
                            if reply.recommendations:
                                entry.update(kind="cards", recs=[r.model_dump() for r in reply.recommendations],
                                             notices=reply.notices,
                                             expl={r.item_id: (r.explanation, r.explanation_source)
                                                   for r in reply.recommendations})
                            else:
                                entry.update(kind="text", text=reply.text, recs=[])
            except InputError as e:  # the recommender has put the state back (a turn is a transaction)
                entry.update(kind="error", status="", text=f"{e}", steps=[])
            except FaultError as e:  # e.g. the Chroma server stopped answering: what happened and what to do
                log.warning("chat turn failed: %s", e)
                entry.update(kind="error", status="", steps=[],
                             text=f"Sorry, I cannot answer this one: {e}. Your conversation is unchanged.")
            except Exception as e:  # the page stays usable; details go to the server log, not the visitor
                log.exception("chat turn failed")
                entry.update(kind="error", status="", steps=[],
                             text=f"Sorry, something went wrong on my side ({type(e).__name__}). Your "
                                  "conversation is unchanged: try again, or start a new conversation.")
        yield self.everything(ui)

    def feedback(self, ui: dict[str, Any], evt: gr.EventData) -> tuple[Any, ...]:
        from chatrec.errors import InputError

        data = getattr(evt, "_data", None) or {}
        item_id, liked = data.get("item_id"), bool(data.get("liked"))
        session = self.session(ui)
        with self.rt.session_lock(session.id):
            try:
                self.rt.rec.feedback(session, item_id, liked)
            except InputError as e:
                raise gr.Error(str(e)) from None
        cat = self.rt.catalogs[ui["catalog"]]
        label = cat.label(cat.by_id[item_id]) if item_id in cat.by_id else item_id
        gr.Info(f"Noted: more like {label}." if liked else f"Noted: {label} won't be suggested again.")
        return self.everything(ui)

    def remove(self, ui: dict[str, Any], evt: gr.EventData) -> tuple[Any, ...]:
        """Remove one entry of the preference panel through update_state; the next turn uses the edited state."""
        from chatrec.errors import InputError

        data = getattr(evt, "_data", None) or {}
        kind, value = str(data.get("kind") or ""), data.get("value")
        session = self.session(ui)
        st = session.snapshot()
        if kind == "constraints":
            patch: dict[str, Any] = {"constraints": {k: v for k, v in st["constraints"].items() if k != value}}
        elif kind in ("liked_items", "disliked_items", "rejected_items", "owned_items", "soft_preferences"):
            patch = {kind: [v for v in st.get(kind) or [] if v != value]}
            if value in (st.get("stars_out_of_5") or {}):  # its stars go with it
                patch["stars_out_of_5"] = {k: v for k, v in st["stars_out_of_5"].items() if k != value}
        elif "." in kind and kind.split(".")[0] in ("liked_attributes", "disliked_attributes"):
            group, sub = kind.split(".", 1)
            attrs = dict(st[group])
            attrs[sub] = [v for v in attrs.get(sub) or [] if v != value]
            patch = {group: attrs}
        else:
            raise gr.Error(f"cannot remove {kind!r}")
        with self.rt.session_lock(session.id):
            try:
                self.rt.rec.update_state(session, patch)
            except InputError as e:
                raise gr.Error(str(e)) from None
        return self.everything(ui)

    def apply_filters(self, ui: dict[str, Any], *values: Any) -> tuple[Any, ...]:
        from chatrec.errors import InputError

        session = self.session(ui)
        name = ui["catalog"]
        offset = 0
        for n, ctrls in self.controls.items():
            if n == name:
                break
            offset += len(ctrls)
        ctrls = self.controls[name]
        mine = list(values[offset:offset + len(ctrls)])
        with self.rt.session_lock(session.id):
            cons = constraints_from_values(ctrls, mine, session.snapshot()["constraints"])
            try:
                self.rt.rec.update_state(session, {"constraints": cons})
            except InputError as e:
                raise gr.Error(str(e)) from None
        gr.Info("Filters applied: they hold for the next answers until you change them.")
        return self.everything(ui)

    def clear_filters(self, ui: dict[str, Any]) -> tuple[Any, ...]:
        from chatrec.errors import InputError

        session = self.session(ui)
        keep = {f for f in session.state.constraints if f not in {c.field for c in self.controls[ui["catalog"]]}}
        with self.rt.session_lock(session.id):
            try:
                self.rt.rec.update_state(session, {"constraints": {k: v for k, v in session.snapshot()["constraints"]
                                                                   .items() if k in keep}})
            except InputError as e:
                raise gr.Error(str(e)) from None
        return self.everything(ui)

    def new_conversation(self, catalog: str, ui: dict[str, Any]) -> tuple[Any, ...]:
        """A fresh conversation (and catalog): the old Session is dropped, nothing carries over."""
        name = catalog if catalog in self.rt.catalogs else self.rt.catalog_names[0]
        ui = new_ui(name)
        if self.rt.is_ready:
            ui["session"] = self.rt.rec.new_session(catalog=name)
        vis = [gr.update(visible=(n == name)) for n in self.rt.catalog_names]
        return (*self.everything(ui), *vis, *vis)

    def poll_status(self) -> tuple[Any, ...]:
        s = self.rt.status()
        html = status_html(s["stage"], s["done"], s["total"], s["ready"], s["error"], s["elapsed"])
        done = s["ready"] or bool(s["error"])
        return html, gr.Timer(active=not done)

    # -- layout -------------------------------------------------------------------------------------------------
    def build(self) -> gr.Blocks:
        rt = self.rt
        first = rt.catalog_names[0]
        with ApiBlocks(title="chatrec: conversational recommendations", fill_width=True) as demo:
            ui = gr.State(new_ui(first))
            pending = gr.State({})  # {"text": the message sent, "at": its place in the log}
            with gr.Row(elem_id="cr-header"):
                gr.HTML("<h1 class='cr-h1'>chatrec</h1><p class='cr-tagline'>Local conversational recommendations "
                        "with checked explanations</p>", elem_id="cr-brand")
                s = rt.status()
                status = gr.HTML(status_html(s["stage"], s["done"], s["total"], s["ready"], s["error"],
                                             s["elapsed"]), elem_id="cr-status")
            with gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=420):
                    chat = gr.Chatbot(value=[{"role": "assistant", "content": self.welcome(first)}],
                                      elem_id="cr-chat", height=640, show_label=False, latex_delimiters=[],
                                      sanitize_html=True, layout="bubble", group_consecutive_messages=False,
                                      buttons=["copy_all"], autoscroll=True)
                    with gr.Row(elem_id="cr-input-row"):
                        box = gr.Textbox(placeholder="What are you in the mood for?", show_label=False,
                                         elem_id="cr-input", scale=5, max_lines=4, autofocus=True,
                                         max_length=rt.settings.max_message_chars)
                        send = gr.Button("Send", variant="primary", elem_id="cr-send", scale=1, min_width=80)
                    example_groups = []
                    for name in rt.catalog_names:
                        with gr.Column(visible=(name == first), elem_classes=["cr-examples"]) as col:
                            gr.Examples(EXAMPLES.get(name, []), inputs=[box],
                                        label="Try a conversation (send these one after another to see it refine)")
                        example_groups.append(col)
                with gr.Column(scale=2, min_width=300, elem_id="cr-side"):
                    with gr.Row():
                        catalog = gr.Radio(rt.catalog_names, value=first, label="Catalog", elem_id="cr-catalog",
                                           scale=3)
                        reset = gr.Button("New conversation", elem_id="cr-reset", scale=2, min_width=120)
                    gr.Markdown("### What I know about you", elem_id="cr-prefs-title")
                    prefs = gr.HTML(preferences_html(None, None), elem_id="cr-prefs", js_on_load=PANEL_JS,
                                    apply_default_css=True)
                    with gr.Accordion("Filters (hard limits)", open=True, elem_id="cr-filters"):
                        ctrl_components: list[Any] = []
                        filter_groups = []
                        for name in rt.catalog_names:
                            with gr.Group(visible=(name == first), elem_classes=["cr-filter-group"]) as grp:
                                for c in self.controls[name]:
                                    eid = f"cr-f-{name}-{c.field}-{c.part}"
                                    if c.part in ("min", "max"):
                                        comp = gr.Slider(c.lo, c.hi, value=c.lo if c.part == "min" else c.hi,
                                                         step=c.step, label=c.label, elem_id=eid)
                                    else:
                                        comp = gr.Dropdown(c.choices, value=[], multiselect=True, label=c.label,
                                                           elem_id=eid)
                                    ctrl_components.append(comp)
                            filter_groups.append(grp)
                        with gr.Row():
                            apply = gr.Button("Apply filters", variant="secondary", elem_id="cr-apply")
                            clear = gr.Button("Clear filters", elem_id="cr-clear")
                    gr.Markdown("Likes, dislikes and filters change the next answer. Nothing leaves this server; "
                                "each browser tab is its own conversation.", elem_classes=["cr-muted"])

            full = [chat, ui, prefs, *ctrl_components]
            # Sending: show the message at once (no queue), then run the turn in the model's queue.
            # A full queue: show_pending raises, and show_busy says so in the chat (see BUSY).
            for k, trigger in enumerate((box.submit, send.click)):
                sent = trigger(self.show_pending, [box, ui], [chat, box, pending], queue=False,
                               **_private(f"ui_pending{k or ''}"))
                sent.failure(self.show_busy, [box, ui], [chat, box], queue=False, show_progress="hidden",
                             **_private(f"ui_busy{k or ''}"))
                sent.success(self.turn, [pending, ui], full, show_progress="minimal", **MODEL,
                             **_private(f"ui_turn{k or ''}")
                             ).failure(self.turn_refused, [pending, ui], [chat, box], queue=False,
                                       show_progress="hidden", **_private(f"ui_turn_busy{k or ''}"))
            prefs.feedback(self.feedback, [ui], full, show_progress="hidden", **FREE, **_private("ui_feedback"))
            prefs.remove(self.remove, [ui], full, show_progress="hidden", **FREE, **_private("ui_remove"))
            apply.click(self.apply_filters, [ui, *ctrl_components], full, **FREE, **_private("ui_apply_filters"))
            clear.click(self.clear_filters, [ui], full, **FREE, **_private("ui_clear_filters"))
            groups = [*filter_groups, *example_groups]
            reset.click(self.new_conversation, [catalog, ui], [*full, *groups], **FREE, **_private("ui_new"))
            catalog.change(self.new_conversation, [catalog, ui], [*full, *groups], **FREE,
                           **_private("ui_catalog"))
            timer = gr.Timer(1.0, active=not rt.is_ready)
            timer.tick(self.poll_status, None, [status, timer], queue=False, show_progress="hidden",
                       **_private("ui_status_tick"))
            demo.load(self.poll_status, None, [status, timer], queue=False, show_progress="hidden",
                      **_private("ui_status"))
            register_api(rt)
        demo.queue(default_concurrency_limit=DEFAULT_CONCURRENCY, max_size=rt.settings.queue_max_size)
        self.demo = demo
        return demo


def _private(name: str) -> dict[str, Any]:
    """Page-only events: named so they never take the public names (chat, feedback, reset), and hidden from the
    API docs, the clients and the MCP tools."""
    return {"api_name": name, "api_visibility": "private"}


def build_demo(rt: Runtime | None = None) -> gr.Blocks:
    """The Blocks for a Runtime (started here if it was not yet)."""
    rt = rt or Runtime()
    rt.start()
    return Page(rt).build()


def theme() -> gr.themes.Base:
    return gr.themes.Soft(primary_hue="indigo", secondary_hue="pink")


def launch(demo: gr.Blocks, host: str, port: int, mcp: bool = False, **kw: Any) -> Any:
    """Launch with the page's CSS and theme (Gradio 6 takes them in launch())."""
    return demo.launch(server_name=host, server_port=port, mcp_server=mcp, css=CSS, theme=theme(),
                       ssr_mode=False, show_error=False, run_history=False,
                       footer_links=["api", "gradio"], **kw)


__all__ = ["build_demo", "launch", "Page", "Runtime", "esc"]
