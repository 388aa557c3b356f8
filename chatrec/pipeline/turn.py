"""A turn as a short sequence of named stages over one TurnContext (as smolagents does with its step classes):

    read -> answer -> filter -> retrieve -> rank -> show -> explain -> finish

Each stage reads what earlier stages left on the context, adds its reasoning Step, and yields typed events
(chatrec/pipeline/events.py). A stage that answers the message itself (a question, "would I like X?", small talk) sets
`ctx.reply` and the turn ends there. The session's state is changed only through chatrec/dialogue/transitions.py."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from chatrec.candidates.sources import Filtered, hard_filter, query_text, retrieve
from chatrec.catalog.catalog import Catalog
from chatrec.dialogue.feedback import state_events
from chatrec.dialogue.state import DialogueState
from chatrec.dialogue.transitions import apply_understanding, record_shown, record_turn
from chatrec.dialogue.understanding import Understanding
from chatrec.explain.stream import explain, explain_all
from chatrec.pipeline.context import TurnContext
from chatrec.pipeline.events import Cards, Explanation, ExplanationDelta, Replied, TurnEvent, Understood
from chatrec.pipeline.reply import Recommendation, Step
from chatrec.present.answers import answer_fit, answer_question
from chatrec.present.suggestions import relax_phrase
from chatrec.read.commands import read_commands
from chatrec.read.understand import understand, without_talk

Stage = Callable[[TurnContext], Iterator[TurnEvent]]


def read(ctx: TurnContext) -> Iterator[TurnEvent]:
    """Commands ('relax the runtime'), then the reader; the reading is folded into the state."""
    t0 = time.perf_counter()
    cat, st = ctx.cat, ctx.state
    cmd = read_commands(ctx.text, cat)
    if cmd.rest.strip():
        ctx.u = understand(cmd.rest, st, cat, ctx.deps.llm, llm_mode=ctx.deps.settings.understanding_llm)
        ctx.request = without_talk(cmd.rest, st, cat, ctx.u)  # before the state changes, as understand read it
    if cmd.relax:
        ctx.u.removed_constraints += [f for f in cmd.relax if f not in ctx.u.removed_constraints]
        if ctx.u.intent == "other":
            ctx.u.intent = "recommend"  # "relax the year, thanks": show what the wider limits let in
    u = ctx.u
    apply_understanding(u, st)
    ctx.deps.feedback_log.record(*state_events(ctx.session.id, cat.name, u.liked_items,
                                              [*u.disliked_items, *u.rejected_items], u.stars, "chat"))
    record_turn(st, "user", ctx.text)
    ctx.steps.append(_understood_step(u, cat, time.perf_counter() - t0))
    yield Understood(state=ctx.session.snapshot(), understanding=u.model_dump())


def answer(ctx: TurnContext) -> Iterator[TurnEvent]:
    """Messages answered without a list: a question about an item, 'would I like X?', small talk."""
    u, cat, st = ctx.u, ctx.cat, ctx.state
    if u.intent == "question" and u.about_item:
        item = cat.by_id[u.about_item]
        ctx.steps.append(Step(name="answer", detail=f"answered from the catalog record of {cat.label(item)}"))
        yield ctx.finish(answer_question(ctx.text, cat, item), "question", [u.about_item])
    elif u.intent == "fit" and u.about_item:
        yield _fit(ctx, u.about_item)
    elif u.intent == "other" and not st.last_recommended and not _has_wishes(st):
        yield ctx.finish(f"Tell me what kind of {cat.manifest.item_noun} you are in the mood for: a genre, a mood, "
                         f"something you loved, or limits like length or year.", "other")


def filter_(ctx: TurnContext) -> Iterator[TurnEvent]:
    """The hard limits and the feedback decide which items are allowed at all."""
    cat, st = ctx.cat, ctx.state
    ctx.filt = f = hard_filter(cat, st)
    ctx.steps.append(Step(name="filter", detail=_filter_detail(cat, st, f),
                          counts={"catalog": len(cat.items), "allowed": len(f.allowed),
                                  "removed_by_feedback": f.removed_feedback,
                                  **{f"removed_by_{k}": v for k, v in f.removed_by.items()},
                                  **{f"missing_{k}": v for k, v in f.missing_by.items()}}))
    yield from ()


def retrieve_(ctx: TurnContext) -> Iterator[TurnEvent]:
    """Candidates within the allowed set, from every source (see candidates.candidate_sources)."""
    t1 = time.perf_counter()
    assert ctx.filt is not None
    ctx.qvec = ctx.deps.embedder.embed([query_text(ctx.state, ctx.request, ctx.cat)])[0]  # talk never queries
    ctx.cands, sources = retrieve(ctx.deps.index, ctx.cat, ctx.state, ctx.qvec, ctx.filt.allowed,
                                  ctx.deps.settings.n_candidates)
    ctx.steps.append(Step(name="retrieve", detail=f"{len(ctx.cands)} candidates within the constraints "
                          f"({', '.join(f'{v} from {k}' for k, v in sources.items()) or 'none'})",
                          counts={"candidates": len(ctx.cands), "ms": round((time.perf_counter() - t1) * 1000, 1),
                                  **{f"from_{k}": v for k, v in sources.items()}}))
    yield from ()


def rank(ctx: TurnContext) -> Iterator[TurnEvent]:
    t2 = time.perf_counter()
    cat = ctx.cat
    ctx.ranked = ctx.ranker.rank(ctx.state, ctx.cands, query_vec=ctx.qvec)
    ctx.steps.append(Step(name="rank", detail="; ".join(
        f"{cat.label(cat.by_id[s.item_id])}: {s.score:.2f} (" + ", ".join(
            f"{k} {v:.2f}" for k, v in s.components.items() if abs(v) > 1e-9) + ")" for s in ctx.top),
        counts={"ranked": len(ctx.ranked), "llm_scored": sum("llm_yes_probability" in s.components for s in ctx.ranked),
                "ms": round((time.perf_counter() - t2) * 1000, 1)}))
    yield from ()


def show(ctx: TurnContext) -> Iterator[TurnEvent]:
    """The cards, as soon as ranking is done; the state remembers them ('the second one')."""
    cat, n = ctx.cat, ctx.deps.settings.n_recommendations
    ctx.notices = list(ctx.u.notes)
    if len(ctx.top) < n:
        assert ctx.filt is not None
        ctx.notices.append(_shortfall(cat, ctx.state, ctx.filt, len(ctx.top), n))
    ctx.recs = [Recommendation(item_id=s.item_id, title=cat.label(cat.by_id[s.item_id]), score=round(s.score, 4),
                               components={k: round(v, 4) for k, v in s.components.items()},
                               item=cat.by_id[s.item_id]) for s in ctx.top]
    record_shown(ctx.state, [r.item_id for r in ctx.recs])
    yield Cards(recommendations=[r.model_copy(deep=True) for r in ctx.recs])


def explain_(ctx: TurnContext) -> Iterator[TurnEvent]:
    """Explanations stream into their cards: one model call for all cards (default), one per card (legacy), or
    templates only; each is checked against the item's facts and falls back to the template."""
    rec, cat, st = ctx.deps, ctx.cat, ctx.state
    use = rec.llm if rec.settings.llm_explanations else None
    by_pos = dict(enumerate(ctx.recs))
    if rec.settings.explanation_calls == "one" or use is None:
        stream = explain_all(use, cat, [r.item for r in ctx.recs], st, [s.components for s in ctx.top], rec.phrases)
    else:
        stream = ((n, piece, src) for n, (r, s) in enumerate(zip(ctx.recs, ctx.top))
                  for piece, src in explain(use, cat, r.item, st, st.turns[-1].text, s.components))
    for n, piece, from_llm in stream:
        r = by_pos[n]
        if from_llm is None:
            yield ExplanationDelta(item_id=r.item_id, text=piece)
        else:
            r.explanation, r.explanation_source = piece, "llm" if from_llm else "template"
            rec.explanation_stats[r.explanation_source] += 1
            yield Explanation(item_id=r.item_id, text=piece, source=r.explanation_source)


def finish(ctx: TurnContext) -> Iterator[TurnEvent]:
    yield ctx.finish(_reply_text(ctx.cat, ctx.recs, ctx.notices), "recommend", [r.item_id for r in ctx.recs],
                     recommendations=ctx.recs, ranking=[s.item_id for s in ctx.ranked], notices=ctx.notices)


STAGES: tuple[Stage, ...] = (read, answer, filter_, retrieve_, rank, show, explain_, finish)


def run(ctx: TurnContext) -> Iterator[TurnEvent]:
    """The stages in order, until one of them has replied."""
    for stage in STAGES:
        yield from stage(ctx)
        if ctx.reply is not None:
            return


def _fit(ctx: TurnContext, item_id: str) -> Replied:
    """"Would I like X?": where X would rank among this session's candidates, which limits it breaks, and the
    catalog's rating model's estimate from the session's stars and likes (when the catalog has ratings)."""
    rec, cat, st = ctx.deps, ctx.cat, ctx.state
    t0 = time.perf_counter()
    filt = hard_filter(cat, st)
    asked = next((t.text for n, t in enumerate(st.turns[:-1]) if t.role == "user" and n + 1 < len(st.turns)
                  and st.turns[n + 1].item_ids == st.last_recommended and st.last_recommended), "")
    view = st.model_copy(update={"shown_items": []})  # having been shown must not count against it here
    qvec = rec.embedder.embed([query_text(view, asked, cat)])[0]  # the request behind the last suggestions
    cands, _ = retrieve(rec.index, cat, view, qvec, filt.allowed, rec.settings.n_candidates)
    ranked = [s.item_id for s in ctx.ranker.rank(view, [*cands, item_id], query_vec=qvec, use_llm=False)]
    place = (ranked.index(item_id) + 1, len(ranked)) if item_id in ranked else None
    text = answer_fit(cat, st, cat.by_id[item_id], place)
    ctx.steps.append(Step(name="fit", detail=f"ranked {cat.label(cat.by_id[item_id])} among {len(ranked)} candidates "
                          f"(place {place[0] if place else '-'}); rating model: "
                          f"{'yes' if cat.learned.rating is not None else 'none in this catalog'}",
                          counts={"ms": round((time.perf_counter() - t0) * 1000, 1)}))
    return ctx.finish(text, "fit", [item_id])


def _understood_step(u: Understanding, cat: Catalog, secs: float) -> Step:
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


def _filter_detail(cat: Catalog, st: DialogueState, f: Filtered) -> str:
    cons = st.active_constraints()
    if not cons and not f.removed_feedback:
        return f"no hard constraints: all {len(cat.items)} {cat.manifest.item_noun_plural} allowed"
    parts = [f"{cons[k].describe(k, cat.manifest.fields[k].unit)} removed {v}"
             for k, v in f.removed_by.items() if k in cons]
    parts += [f"{v} lack a {k} value and were excluded" for k, v in f.missing_by.items()]
    if f.removed_feedback:
        parts.append(f"{f.removed_feedback} disliked or rejected removed")
    return f"{len(f.allowed)} of {len(cat.items)} allowed: " + "; ".join(parts)


def _shortfall(cat: Catalog, st: DialogueState, f: Filtered, got: int, want: int) -> str:
    noun = cat.manifest.item_noun_plural
    worst = max(f.removed_by.items(), key=lambda kv: kv[1], default=None)
    if worst:
        c, spec = st.constraints[worst[0]], cat.manifest.fields[worst[0]]
        return (f"Only {got} {noun} satisfy everything you asked for. The strictest limit is "
                f"'{c.describe(worst[0], spec.unit)}' (it rules out {worst[1]}): "
                f"say '{relax_phrase(worst[0], spec)}' or edit it in the panel to see more.")
    return f"Only {got} {noun} are left after your feedback."


def _reply_text(cat: Catalog, recs: list[Recommendation], notices: list[str]) -> str:
    if not recs:
        return " ".join(notices) or f"I found no {cat.manifest.item_noun_plural} that fit."
    noun = cat.manifest.item_noun if len(recs) == 1 else cat.manifest.item_noun_plural
    lines = [f"Here {'is' if len(recs) == 1 else 'are'} {len(recs)} {noun} for you:"]
    lines += [f"{n}. {r.title} - {r.explanation}" for n, r in enumerate(recs, 1)]
    lines += notices
    return "\n".join(lines)
