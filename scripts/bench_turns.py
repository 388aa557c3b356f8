"""Benchmark a scripted multi-turn conversation on the shipped defaults: prints per-turn latency, time to the
first card, how many LLM explanations passed the fact check, and a Markdown transcript for the README.

    .venv/bin/python scripts/bench_turns.py [--catalog movies] [--out docs/transcript.md]
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

SCRIPTS = {
    "movies": ["something funny for tonight, nothing over 100 minutes", "I loved Heat and Collateral",
               "no horror, and make it anything up to 2 and a half hours", "more like the second one",
               "who's in the second one?", "not that one, something older"],
    "products": ["I'm hosting Thanksgiving for 12, what do I need?", "I already have a roasting pan",
                 "under $40 please", "what about the first one, how much is it?"],
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--catalog", default="movies")
    ap.add_argument("--out", default=None, help="write the transcript as Markdown here")
    args = ap.parse_args()
    from chatrec import Recommender

    t0 = time.perf_counter()
    rec = Recommender.from_settings()
    rec.catalog(args.catalog)
    load = time.perf_counter() - t0
    s = rec.new_session(catalog=args.catalog)
    rows, md = [], [f"Catalog `{args.catalog}`, default model, {time.strftime('%Y-%m-%d')}, "
                    f"{os.cpu_count()} CPU cores ({platform.machine()}), no GPU.\n"]
    for text in SCRIPTS[args.catalog]:
        start = time.perf_counter()
        first_card = None
        reply = None
        for ev in rec.respond_stream(s, text):
            if ev.type == "cards" and first_card is None:
                first_card = time.perf_counter() - start
            if ev.type == "reply":
                reply = ev.data
        total = time.perf_counter() - start
        rows.append((text, first_card, total, len(reply.recommendations)))
        md.append(f"**You:** {text}\n")
        md.append("**chatrec:** " + reply.text.replace("\n", "  \n") + "\n")
        understood = next((st.detail for st in reply.reasoning if st.name == "understand"), "")
        filt = next((st.detail for st in reply.reasoning if st.name == "filter"), "")
        md.append(f"<sub>understood: {understood}" + (f"; filter: {filt}" if filt else "") + "</sub>\n")
    print(f"startup (model + embedder + index sync): {load:.1f} s")
    print(f"{'turn':60s} {'first card s':>12s} {'total s':>8s} {'items':>5s}")
    for text, fc, total, n in rows:
        print(f"{text[:60]:60s} {('-' if fc is None else f'{fc:.1f}'):>12s} {total:8.1f} {n:5d}")
    rec_turns = [r for r in rows if r[1] is not None]
    if rec_turns:
        print(f"median first card {statistics.median(r[1] for r in rec_turns):.1f} s, "
              f"median turn {statistics.median(r[2] for r in rec_turns):.1f} s")
    st = rec.explanation_stats
    n = st["llm"] + st["template"]
    print(f"LLM explanations passing the fact check: {st['llm']}/{n} ({st['llm'] / max(1, n):.0%})")
    print(f"llama.cpp prefix cache: {getattr(rec.llm, 'stats', {})}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    if args.out:
        Path(args.out).write_text("\n".join(md), encoding="utf-8")
        print(f"transcript written to {args.out}")


if __name__ == "__main__":
    main()
