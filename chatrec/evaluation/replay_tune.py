"""`python -m chatrec eval tune-talk`: the ranking's conversation weights, chosen on ReDial's tuning half.

Why: the ranking weights were tuned on rating histories (`eval tune`), where co-occurrence carries the signal; in
talk the state is a few named films and words, and the ReDial replay found the ranking, not the candidates, holding
Recall@10 down (docs/results.md section 2b). The test dialogues are split in two by a fixed seed
(`replay.halves`, HALF_SEED): weights are chosen on the 'tune' half only and reported on the 'heldout' half and on
the whole split by `eval replay --half`.

1. The product replays the tuning half (rules only, as `eval replay`), and at each target the ranking it is scored
   against is recorded with every score component (`replay.recorded_rankings`: the code path is observed).
2. Coordinate ascent over a grid of weights for the components that matter in talk, maximising the number of
   targets in the top 10 (ties: top 50) when the recorded candidates are re-scored. This is an approximation of a
   full replay (other weights would show other cards, which changes later turns); the replay itself measures it.
3. The chosen values are written as the `conversation` overrides of chatrec/rank/ranking_weights.json, which the ranker
   applies to any state that holds the user's words (`Weights.for_state`), with the command, split, seed, date
   and tuning-half figures.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np

from chatrec.rank.ranker import WEIGHTS_FILE, TalkWeights, Weights

# Not tuned here: `disliked_similarity` and `already_shown` weigh the user's reactions to the product's own cards.
# A replayed seeker never sees those cards, so the replay cannot measure them (tuned, it learned to repeat shown
# cards, +0.1, and to ignore dislikes, 0.0); they keep the base weights so a thumbs-down and "others" still move.
TUNED = ("popularity", "public_popularity", "co_occurrence", "owned_co_occurrence", "semantic", "liked_similarity",
         "attribute_match", "era", "recent_release")
FEEDBACK = ("disliked_similarity", "already_shown")
COMPONENTS = ("semantic", "liked_similarity", "disliked_similarity", "attribute_match", "co_occurrence",
              "owned_co_occurrence", "popularity", "public_popularity", "sequence", "complement", "already_shown",
              "era", "not_yet_released", "recent_release", "cold_start")
GRID = (-1.0, -0.5, -0.25, 0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)
ROUNDS = 3


def capture(seed: int = 0, dialogues: int | None = None, half: str = "tune", settings: Any = None,
            progress: bool = True) -> tuple[list[tuple[list[str], np.ndarray, int]], int, dict[str, Any]]:
    """Replay one half rules only; per target: the component names, the candidates' component matrix and the
    target's row (-1: not a candidate). Returns the captures, the number of targets, and selection counts."""
    from tqdm import tqdm

    from chatrec.evaluation.catalogs import Core, movielens_catalog
    from chatrec.evaluation.data import redial_test, sample_users
    from chatrec.evaluation.replay import (
        HALF_SEED,
        build_dialogues,
        halves,
        play,
        popularity_order,
        recorded_rankings,
        recorded_sources,
    )
    from chatrec.recommender import Recommender
    from chatrec.settings import Settings

    core = Core((settings or Settings()).model_copy(update={"llm_explanations": False}))
    raw = redial_test()
    raw = [raw[i] for i in halves(len(raw), HALF_SEED)[half]]
    raw = [raw[i] for i in sample_users(len(raw), dialogues, seed)]
    catalog = movielens_catalog(core.settings)
    core.sync(catalog, progress=progress)
    chosen, stats = build_dialogues(raw, catalog)
    rec = Recommender(core.settings, None, core.embedder, core.index)
    pop_rank = {i: n for n, i in enumerate(popularity_order(catalog))}
    calls: list[Any] = []
    ranks: list[Any] = []
    caught: list[Any] = []
    names = list(COMPONENTS)
    out = []
    with recorded_sources(calls), recorded_rankings(ranks):
        for d in tqdm(chosen, desc=f"capture ({half})", unit="dialogue", disable=not progress):
            play(rec, catalog, d, pop_rank, calls, rank_log=ranks, captured=caught)
            for _, target, r in caught:  # as matrices at once: the component dicts are large
                ids, comps = r if r else ([], [])
                mat = np.array([[c.get(k, 0.0) for k in names] for c in comps], dtype=np.float32)
                mat = mat.reshape(-1, len(names))
                out.append((names, mat, ids.index(target) if target in ids else -1))
            ranks.clear()
            caught.clear()
            calls.clear()
    return out, len(out), stats


def hits(caps: list[tuple[list[str], np.ndarray, int]], w: dict[str, float]) -> tuple[int, int]:
    """Targets in the top 10 and top 50 when the recorded candidates are scored with weights `w`."""
    h10 = h50 = 0
    for names, mat, t in caps:
        if t < 0:
            continue
        s = mat @ np.array([w.get(k, 0.0) for k in names], dtype=np.float32)
        rank = int((s > s[t]).sum()) + 1
        h10 += rank <= 10
        h50 += rank <= 50
    return h10, h50


def ascend(caps: list[tuple[list[str], np.ndarray, int]], start: dict[str, float],
           keys: tuple[str, ...] = TUNED) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """Coordinate ascent on (hits@10, hits@50) over GRID for each key in turn, ROUNDS times."""
    w, log = dict(start), []
    best = hits(caps, w)
    for r in range(ROUNDS):
        changed = False
        for k in keys:
            for v in GRID:
                trial = {**w, k: v}
                h = hits(caps, trial)
                if h > best:
                    best, w, changed = h, trial, True
            log.append({"round": r, "key": k, "value": w.get(k, 0.0), "hits@10": best[0], "hits@50": best[1]})
        if not changed:
            break
    return w, log


def run(seed: int = 0, dialogues: int | None = None, write: bool = True, settings: Any = None,
        progress: bool = True, cache: Path | None = None) -> dict[str, Any]:
    """Capture the tuning half, tune, and write the conversation overrides (or print them with write=False)."""
    import pickle

    if cache is not None and cache.exists():
        caps, n, stats = pickle.loads(cache.read_bytes())
    else:
        caps, n, stats = capture(seed, dialogues, "tune", settings, progress)
        if cache is not None:
            cache.write_bytes(pickle.dumps((caps, n, stats)))
    base = Weights.load()
    start = {**base.weights, **{k: v for k, v in (base.conversation.weights if base.conversation else {}).items()
                                if k not in FEEDBACK}}
    w, log = ascend(caps, start)
    b10, b50 = hits(caps, start)
    a10, a50 = hits(caps, w)
    over = {k: v for k, v in w.items() if base.weights.get(k) != v}
    result = {"targets": n, "candidates_hold_target": sum(1 for _, _, t in caps if t >= 0),
              "base_recall@10": b10 / max(1, n), "base_recall@50": b50 / max(1, n),
              "tuned_recall@10": a10 / max(1, n), "tuned_recall@50": a50 / max(1, n), "overrides": over,
              "selection": stats, "steps": log}
    print(json.dumps({k: v for k, v in result.items() if k != "steps"}, indent=1))
    if write:
        cmd = "python -m chatrec eval tune-talk" + (f" --dialogues {dialogues}" if dialogues else "") + \
              (f" --seed {seed}" if seed else "")
        base.conversation = TalkWeights(
            weights=over, command=cmd, seed=seed, date=dt.date.today().isoformat(),
            split="ReDial test dialogues, 'tune' half of replay.halves(seed 2018); never the 'heldout' half",
            how="coordinate ascent over a grid on targets in the top 10 (ties: top 50) of the recorded candidates "
                "re-scored, rules-only replay of the tuning half (chatrec/evaluation/replay_tune.py)",
            tuning={k: v for k, v in result.items() if k not in ("steps", "overrides", "selection")})
        WEIGHTS_FILE.write_text(base.model_dump_json(indent=2, exclude_none=True) + "\n", encoding="utf-8")
        print(f"[tune-talk] wrote {WEIGHTS_FILE}")
    return result
