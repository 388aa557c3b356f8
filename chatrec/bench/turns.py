"""`python -m chatrec bench`: the turn benchmark, measured the same way every time.

Scripted conversations on both shipped catalogs run in one process through `Recommender.respond_stream`, first with
the product's pipeline (`new`) and then with the legacy one (model JSON understanding on every turn, Yes/No on the
top 6, one explanation call per card) on the same conversations. Per turn: time to the first card, to the first
explanation text and to the whole reply; model calls, prompt tokens evaluated (after prefix reuse) and tokens
generated, by stage; time outside the model. The model's raw prefill and decode rates are measured in the same run
and every time is also printed scaled to a reference machine of 90 / 25 tokens/s (model seconds replaced by
tokens / reference rate), so figures from different or busy machines compare. Speed is printed, never asserted.
"""
from __future__ import annotations

import json
import os
import platform
import resource
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

REF_PREFILL, REF_DECODE = 90.0, 25.0  # tokens/s of the reference 2-core machine (README)

# (message, or ("like"|"dislike", card index)) per catalog: follow-ups, feedback, a question, unplaced words
SCRIPTS: dict[str, list[str | tuple[str, int]]] = {
    "movies": ["something funny for tonight, nothing over 100 minutes", "I loved Heat and Collateral",
               ("dislike", 0), "no horror, and make it anything up to 2 and a half hours", "more like the second one",
               "who's in the second one?", "not that one, something older",
               "a cozy film for a rainy sunday afternoon"],
    "products": ["I'm hosting Thanksgiving for 12, what do I need?", "I already have a roasting pan",
                 ("like", 1), "under $40 please", "what about the first one, how much is it?",
                 "something for a kid who just started playing soccer"],
}
PIPELINES = {
    "new": {},
    "legacy": {"understanding_llm": "always", "n_llm_scored": 6, "explanation_calls": "per_item"},
}


class TurnResult(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pipeline: str
    catalog: str
    message: str
    intent: str
    first_card_s: float | None = None
    first_text_s: float | None = None
    total_s: float
    scaled: dict[str, float | None] = Field(default_factory=dict)
    model_s: float = 0.0
    by_stage: dict[str, dict[str, float]] = Field(default_factory=dict)
    explanations: list[dict[str, Any]] = Field(default_factory=list)
    reply: str = ""
    understood: str = ""


def measure_rates(llm: Any) -> tuple[float, float]:
    """Raw prefill (a fixed 512-token prompt) and decode (64 single-token steps) rates of the in-process model."""
    m = llm.llm
    toks = (m.tokenize(("The quick brown fox jumps over the lazy dog. " * 60).encode(), add_bos=False))[:512]
    with llm.lock:
        m.reset()
        m.n_tokens = 0
        t0 = time.perf_counter()
        m.eval(toks)
        prefill = len(toks) / (time.perf_counter() - t0)
        t0 = time.perf_counter()
        for t in toks[:64]:
            m.eval([t])
        decode = 64 / (time.perf_counter() - t0)
        m.reset()
        m.n_tokens = 0
    return prefill, decode


def _diff(after: dict[str, dict[str, float]], before: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    out = {}
    for stage, row in after.items():
        d = {k: v - before.get(stage, {}).get(k, 0) for k, v in row.items()}
        if d["calls"]:
            out[stage] = d
    return out


def _scale(t: float | None, used: dict[str, dict[str, float]]) -> float | None:
    """The time with the model's measured seconds replaced by what its tokens take at the reference rates."""
    if t is None:
        return None
    secs = sum(r["seconds"] for r in used.values())
    ref = sum(r["prompt_tokens"] / REF_PREFILL + r["generated_tokens"] / REF_DECODE for r in used.values())
    return t - secs + ref


def run_conversation(rec: Any, pipeline: str, catalog: str, script: list[str | tuple[str, int]]) -> list[TurnResult]:
    from chatrec.explain.quality import judge
    from chatrec.pipeline.events import Cards, Explanation, ExplanationDelta, Replied

    usage = rec.llm.usage if rec.llm is not None else None
    session = rec.new_session(catalog)
    out = []
    for step in script:
        if isinstance(step, tuple):
            rec.feedback(session, session.state.last_recommended[step[1]], step[0] == "like")
            continue
        before = usage.snapshot() if usage else {}
        start = time.perf_counter()
        marks: dict[str, tuple[float, dict[str, dict[str, float]]]] = {}
        reply = None
        for ev in rec.respond_stream(session, step):
            now = time.perf_counter() - start
            if isinstance(ev, Cards) and "card" not in marks:
                marks["card"] = (now, usage.snapshot() if usage else {})
            if isinstance(ev, ExplanationDelta | Explanation) and "text" not in marks:
                marks["text"] = (now, usage.snapshot() if usage else {})
            if isinstance(ev, Replied):
                reply = ev.reply
        total = time.perf_counter() - start
        used = _diff(usage.snapshot(), before) if usage else {}
        scaled = {"total": _scale(total, used)}
        for k, (t, snap) in marks.items():
            scaled[k] = _scale(t, _diff(snap, before))
        cat = rec.catalog(catalog)
        expl = [{"item_id": r.item_id, "text": r.explanation, "source": r.explanation_source,
                 **judge(r.explanation, r.item, session.state, cat).model_dump()} for r in reply.recommendations]
        out.append(TurnResult(pipeline=pipeline, catalog=catalog, message=step, intent=reply.intent,
                              first_card_s=marks.get("card", (None,))[0], first_text_s=marks.get("text", (None,))[0],
                              total_s=total, scaled=scaled, by_stage=used,
                              model_s=sum(r["seconds"] for r in used.values()), explanations=expl,
                              reply=reply.text if not reply.recommendations else "",
                              understood=next((x.detail for x in reply.reasoning if x.name == "understand"), "")))
    return out


def _pct(xs: list[float], q: float) -> float | None:
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    k = (len(xs) - 1) * q
    lo = int(k)
    return xs[lo] + (xs[min(lo + 1, len(xs) - 1)] - xs[lo]) * (k - lo)


def _f(x: float | None, w: int = 6) -> str:
    return f"{x:{w}.1f}" if x is not None else f"{'-':>{w}}"


def summarise(turns: list[TurnResult]) -> dict[str, Any]:
    """p50/p95 of the recommendation turns (measured and scaled), model work per stage, explanation shares."""
    recs = [t for t in turns if t.intent == "recommend"]
    s: dict[str, Any] = {"turns": len(turns), "recommendation_turns": len(recs)}
    for key, attr in (("first_card", "first_card_s"), ("first_text", "first_text_s"), ("total", "total_s")):
        xs = [getattr(t, attr) for t in recs]
        sx = [t.scaled.get("card" if key == "first_card" else "text" if key == "first_text" else "total")
              for t in recs]
        s[key] = {"p50": _pct(xs, 0.5), "p95": _pct(xs, 0.95), "scaled_p50": _pct(sx, 0.5),
                  "scaled_p95": _pct(sx, 0.95)}
    stages: dict[str, dict[str, float]] = {}
    for t in turns:
        for st, row in t.by_stage.items():
            agg = stages.setdefault(st, {"calls": 0, "prompt_tokens": 0, "generated_tokens": 0, "seconds": 0.0})
            for k, v in row.items():
                agg[k] += v
    s["by_stage_per_turn"] = {st: {k: v / max(1, len(recs)) for k, v in row.items()} for st, row in stages.items()}
    s["calls_before_cards_p50"] = _pct([float(t.by_stage.get("understanding", {}).get("calls", 0)
                                               + t.by_stage.get("ranking", {}).get("calls", 0)) for t in recs], 0.5)
    s["generated_per_turn_p50"] = _pct([sum(r["generated_tokens"] for r in t.by_stage.values()) for t in recs], 0.5)
    s["outside_model_p50"] = _pct([t.total_s - t.model_s for t in recs], 0.5)
    ex = [e for t in recs for e in t.explanations]
    llm_ex = [e for e in ex if e["source"] == "llm"]
    n = max(1, len(ex))
    s["explanations"] = {
        "shown": len(ex), "written_by_model": len(llm_ex),
        "model_passing_fact_check": None,  # filled by the caller from the recommender's counters
        "concrete_fact": sum(e["concrete_fact"] for e in ex) / n,
        "refers_to_user": sum(e["refers_to_user"] for e in ex) / n,
        "stock_phrase": sum(e["stock_phrase"] for e in ex) / n,
        "model_concrete_fact": sum(e["concrete_fact"] for e in llm_ex) / max(1, len(llm_ex)),
        "model_refers_to_user": sum(e["refers_to_user"] for e in llm_ex) / max(1, len(llm_ex)),
        "model_stock_phrase": sum(e["stock_phrase"] for e in llm_ex) / max(1, len(llm_ex)),
    }
    return s


def print_turns(turns: list[TurnResult]) -> None:
    print(f"{'pipeline':8s} {'catalog':8s} {'message':44s} {'card':>6s} {'text':>6s} {'whole':>6s} | scaled "
          f"{'card':>6s} {'text':>6s} {'whole':>6s} | calls u/r/e  prompt tok  gen tok")
    for t in turns:
        st = t.by_stage
        calls = "/".join(str(int(st.get(k, {}).get("calls", 0))) for k in ("understanding", "ranking", "explanation"))
        pt = int(sum(r["prompt_tokens"] for r in st.values()))
        gt = int(sum(r["generated_tokens"] for r in st.values()))
        print(f"{t.pipeline:8s} {t.catalog:8s} {t.message[:44]:44s} {_f(t.first_card_s)} {_f(t.first_text_s)} "
              f"{_f(t.total_s)} |        {_f(t.scaled.get('card'))} {_f(t.scaled.get('text'))} "
              f"{_f(t.scaled.get('total'))} | {calls:>11s} {pt:11d} {gt:8d}")


def print_summary(name: str, s: dict[str, Any]) -> None:
    print(f"\n[{name}] {s['recommendation_turns']} recommendation turns of {s['turns']}")
    for key in ("first_card", "first_text", "total"):
        r = s[key]
        print(f"  {key:10s} p50 {_f(r['p50'])} s  p95 {_f(r['p95'])} s   scaled to 90/25: p50 {_f(r['scaled_p50'])} s"
              f"  p95 {_f(r['scaled_p95'])} s")
    print(f"  model calls before the cards (p50): {s['calls_before_cards_p50']}; tokens generated per turn (p50): "
          f"{s['generated_per_turn_p50']}; time outside the model (p50): {_f(s['outside_model_p50'])} s")
    for st, row in s["by_stage_per_turn"].items():
        print(f"  {st:13s} per turn: {row['calls']:.2f} calls, {row['prompt_tokens']:.0f} prompt tokens evaluated, "
              f"{row['generated_tokens']:.0f} generated, {row['seconds']:.1f} s")
    e = s["explanations"]
    fc = e["model_passing_fact_check"]
    print(f"  explanations shown {e['shown']}, written by the model {e['written_by_model']}; model sentences passing "
          f"the fact check {'-' if fc is None else f'{fc:.0%}'} (target >= 95%)")
    print(f"  shown: concrete item fact {e['concrete_fact']:.0%} (>= 90%), refers to the user {e['refers_to_user']:.0%}"
          f" (>= 80%), stock phrases {e['stock_phrase']:.0%} (<= 5%)")
    print(f"  model-written only: concrete {e['model_concrete_fact']:.0%}, refers to the user "
          f"{e['model_refers_to_user']:.0%}, stock {e['model_stock_phrase']:.0%}")


def transcript(turns: list[TurnResult], rec: Any) -> str:
    """The conversation as Markdown, exactly as the product answered it (for the README)."""
    md = []
    for t in turns:
        md.append(f"**You:** {t.message}\n")
        if t.explanations:
            cat = rec.catalog(t.catalog)
            lines = [f"{n}. {cat.label(cat.by_id[e['item_id']])} - {e['text']}"
                     + ("" if e["source"] == "llm" else " *(template)*") for n, e in enumerate(t.explanations, 1)]
            md.append(f"**chatrec:** Here are {len(lines)} for you:  \n" + "  \n".join(lines) + "\n")
        else:
            md.append(f"**chatrec:** {t.reply}\n")
        md.append(f"<sub>{t.understood}; first card {_f(t.first_card_s, 0).strip()} s, whole turn "
                  f"{_f(t.total_s, 0).strip()} s</sub>\n")
    return "\n".join(md)


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"


def run(model: str = "default", pipelines: list[str] | None = None, catalogs: list[str] | None = None,
        concurrent: int = 0, json_path: Path | None = None, transcript_path: Path | None = None) -> dict[str, Any]:
    """Run the benchmark and print everything; returns the figures (also written to `json_path`)."""
    from chatrec.recommender import Recommender
    from chatrec.settings import Settings

    pipelines = pipelines or ["new", "legacy"]
    catalogs = catalogs or list(SCRIPTS)
    load0 = os.getloadavg()
    print(f"chatrec bench, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {_machine()}")
    print(f"load average at start: {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}")
    t0 = time.perf_counter()
    settings = Settings(model=model)
    if settings.feedback_path is None:  # scripted likes are not users': keep them out of the real feedback log
        settings = settings.model_copy(update={"feedback_path": Path(settings.data_dir) / "bench" / "feedback.sqlite3"})
    base = Recommender.from_settings(settings)
    for c in catalogs:
        base.catalog(c)
    startup = time.perf_counter() - t0
    prefill, decode = measure_rates(base.llm) if hasattr(base.llm, "llm") else (float("nan"), float("nan"))
    print(f"model {Path(str(base.llm.name)).name}; start-up (model, embedder, index sync) {startup:.1f} s")
    print(f"raw model rates in this run: prefill {prefill:.1f} tokens/s (512-token prompt), decode {decode:.1f} "
          f"tokens/s (64 steps); reference 90 / 25")
    results: dict[str, Any] = {"machine": _machine(), "model": model, "startup_s": startup,
                               "raw_prefill_tps": prefill, "raw_decode_tps": decode, "pipelines": {}}
    all_turns: list[TurnResult] = []
    for p in pipelines:
        rec = Recommender(base.settings.model_copy(update=PIPELINES[p]), base.llm, base.embedder, base.index)
        turns = [t for c in catalogs for t in run_conversation(rec, p, c, SCRIPTS[c])]
        s = summarise(turns)
        st = rec.explanation_stats
        tried = st["llm"] + st["template"] if rec.settings.llm_explanations else 0
        s["explanations"]["model_passing_fact_check"] = st["llm"] / tried if tried else None
        results["pipelines"][p] = {"summary": s, "turns": [t.model_dump() for t in turns]}
        if transcript_path and p == pipelines[0]:
            first = [t for t in turns if t.catalog == catalogs[0]]
            transcript_path.write_text(transcript(first, rec), encoding="utf-8")
        all_turns += turns
    print()
    print_turns(all_turns)
    for p in pipelines:
        print_summary(p, results["pipelines"][p]["summary"])
    if "new" in results["pipelines"] and "legacy" in results["pipelines"]:
        a, b = results["pipelines"]["new"]["summary"], results["pipelines"]["legacy"]["summary"]
        ratios = {k: (a[k]["p50"] / b[k]["p50"]) if a[k]["p50"] and b[k]["p50"] else None
                  for k in ("first_card", "first_text", "total")}
        results["ratios_new_over_legacy_p50"] = ratios
        print("\nnew / legacy (p50, same run): " + ", ".join(f"{k} {_f(v, 4) if v is None else f'{v:.2f}x'}"
                                                            for k, v in ratios.items()))
    if concurrent:
        from chatrec.bench.load import run_load

        load = run_load(concurrent, model)
        new = results["pipelines"].get("new", {}).get("summary", {}).get("total", {})
        if new.get("p50") and new.get("scaled_p50") and load.get("service_s_per_turn"):
            # the same model work at the reference rates: N visitors sending at once, the last waits N turns
            load["service_s_per_turn_scaled"] = load["service_s_per_turn"] * new["scaled_p50"] / new["p50"]
            load["visitors_at_10s_scaled"] = int(10 // load["service_s_per_turn_scaled"])
            print(f"scaled to 90/25: {load['service_s_per_turn_scaled']:.1f} s of the model per turn, so about "
                  f"{load['visitors_at_10s_scaled']} visitors sending at the same moment all get their reply within "
                  f"10 s on a reference 2-core machine")
        results["concurrent"] = load
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load1 = os.getloadavg()
    results.update(peak_rss_mib=rss, load_start=load0, load_end=load1)
    print(f"\npeak RSS {rss:.0f} MiB; load average at end: {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
        print(f"figures written to {json_path}")
    return results

