"""`python -m chatrec eval rank`: the LLMRank protocol (Hou et al., ECIR 2024) on Games-6k and ml-latest-small.

Every method scores the same 20 candidates per user (the held-out next item and 19 negatives) from the same history
(the 50 most recent items); learned methods fit on the training sequences only. `chatrec` is the product's own
`Ranker.rank`, unchanged, with the committed weights file, on a catalog whose neighbours and popularity were learned
from the same training sequences (`catalogs.split_catalog`).
"""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import numpy as np

from chatrec.evaluation import baselines as B
from chatrec.evaluation.data import RankSplit, load_rank, sample_users
from chatrec.evaluation.metrics import paired, per_user, summarize
from chatrec.evaluation.report import machine, table, weights_sha256, write_outputs

ALL_METHODS = ["random", "popularity", "bm25", "embedding", "cooc", "ease", "sasrec", "blend", "chatrec"]
METRICS = ["ndcg@1", "ndcg@5", "ndcg@10", "hr@1", "hr@5", "hr@10"]
ANCHORS = {
    "games": {
        "SASRec fully trained (Hou et al.)": {"ndcg@10": 0.759},
        "GPT-4, 200 users (Hou et al.)": {"ndcg@10": 0.629},
        "ChatGPT recency-focused (Hou et al.)": {"ndcg@10": 0.535},
        "ChatGPT in-context (Hou et al.)": {"ndcg@10": 0.531},
        "UniSRec zero-shot (Hou et al.)": {"ndcg@10": 0.407},
        "BM25, character tokens (Hou et al.)": {"ndcg@10": 0.346},
    },
    "ml-latest-small": {"ChatGPT on ML-1M, other data (Hou et al.)": {"ndcg@10": 0.442}},
}
REFERENCE = {  # the figures from a correct harness on these exact files (not published)
    "games": {"popularity": 0.542, "bm25": 0.578, "cooc": 0.655, "blend": 0.720},
    "ml-latest-small": {"popularity": 0.630, "cooc": 0.725, "blend": 0.754},
}
GOAL = {"games": 0.78, "ml-latest-small": 0.80}
DATED_COMPONENTS = ("not_yet_released", "recent_release", "era")  # ablated where requests carry a date


def core_scores(ranker: Any, catalog: Any, ev: RankSplit, use_llm: bool = False, progress: bool = True,
                desc: str = "chatrec") -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Scores and components from the product's `Ranker.rank` for every user (state.liked_items = history)."""
    from tqdm import tqdm

    from chatrec.dialogue.state import DialogueState

    ids = ev.item_ids
    scores = np.zeros(ev.candidates.shape)
    comps: dict[str, np.ndarray] = {}
    for u in tqdm(range(len(ev.users)), desc=desc, unit="user", disable=not progress, mininterval=2):
        h, cands = ev.histories[u], ev.candidates[u]
        st = DialogueState(catalog=catalog.name, liked_items=[ids[i] for i in h],
                           as_of_year=ev.as_of_year[u] if ev.as_of_year is not None else None)
        got = {s.item_id: s for s in ranker.rank(st, [ids[int(c)] for c in cands], use_llm=use_llm)}
        for j, c in enumerate(cands):
            s = got[ids[int(c)]]
            scores[u, j] = s.score
            for k, v in s.components.items():
                comps.setdefault(k, np.full(ev.candidates.shape, np.nan))[u, j] = v
    return scores, comps


def _metrics(scores: np.ndarray, ev: RankSplit, seed: int, extra: dict[str, Any]) -> tuple[dict[str, Any], dict]:
    pu = per_user(scores, ev.target_pos)
    out = summarize(pu, seed=seed)
    out.update(extra)
    return out, pu


def run(dataset: str, users: int | None = None, seed: int = 0, json_path: Path | None = None,
        out_dir: Path = Path("eval-out"), methods: list[str] | None = None, llm: str | None = None,
        llm_users: int = 300, settings: Any = None, progress: bool = True,
        quiet: bool = False, tiny: int | None = None, cold: float | None = None) -> dict[str, dict[str, Any]]:
    """Run the ranking evaluation; `tiny` (smoke tests) shrinks the data to that many users and their items;
    `cold` holds out that fraction of the test targets as new items (`data.cold_items`)."""
    from chatrec.evaluation.catalogs import (
        SEQUENCE_IN_CATALOG,
        Core,
        base_catalog,
        eval_settings,
        sequence_for,
        split_catalog,
    )

    t0 = time.time()
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))
    llm_alone = methods is None or "llm" in methods  # `--methods chatrec` with --llm: only chatrec+llm
    methods = [m for m in (methods or ALL_METHODS) if m not in ("llm", "chatrec+llm")]  # both implied by --llm
    split = load_rank(dataset, "test")
    if tiny:
        from chatrec.evaluation.data import shrink

        split = shrink(split, tiny, seed)
    if cold:
        from chatrec.evaluation.data import cold_items

        split = cold_items(split, cold, seed)
    rows = sample_users(len(split.users), users, seed)
    ev = split.subset(rows)
    n = len(ev.users)
    wsha = weights_sha256()
    extra = {"users": n, "seed": seed, "dataset": split.dataset, "weights_sha256": wsha}
    results: dict[str, dict[str, Any]] = {}
    per: dict[str, dict[str, np.ndarray]] = {}
    timing: dict[str, float] = {}
    say(f"[rank] {split.dataset}: {n} users (seed {seed}), {split.n_items} items, "
        f"{len(split.train_sequences)} training sequences")

    def add(name: str, scores: np.ndarray, t: float) -> None:
        results[name], per[name] = _metrics(scores, ev, seed, extra)
        timing[name] = round(time.time() - t, 1)
        say(f"[rank] {name}: ndcg@10 {results[name]['ndcg@10']:.4f} ({timing[name]}s)")

    core = None
    need_core = any(m in methods for m in ("embedding", "chatrec", "blend")) or llm
    if need_core:
        from chatrec.settings import Settings

        core = Core(settings or Settings())
        base = base_catalog(split.dataset, core.settings, split.item_ids if tiny else None)
        core.sync(base, progress=progress)
        vectors = core.vectors(base, split.item_ids)
    if "random" in methods:
        t = time.time()
        add("random", B.random_scores(ev, seed), t)
    if "popularity" in methods:
        t = time.time()
        add("popularity", B.popularity_scores(ev), t)
    if "bm25" in methods:
        t = time.time()
        add("bm25", B.bm25_scores(ev), t)
    if "embedding" in methods:
        t = time.time()
        add("embedding", B.centroid_scores(ev, vectors), t)
    if "cooc" in methods:
        t = time.time()
        add("cooc", B.cooc_scores(ev), t)
    if "ease" in methods:
        t = time.time()
        add("ease", B.ease_scores(ev, lam=B.EASE_LAMBDA.get(split.dataset, 200.0)), t)
    seqm = None
    if "sasrec" in methods or ("chatrec" in methods or llm) and SEQUENCE_IN_CATALOG.get(split.dataset):
        # one model: the `sasrec` row and the catalog's (chatrec's `sequence` component)
        from chatrec.settings import Settings

        t = time.time()
        seqm = sequence_for(split, core.settings if core else eval_settings(settings or Settings()), seed,
                            log=None if quiet else say, epochs=3 if tiny else None)
        timing["sequence_model"] = round(time.time() - t, 1)
    if "sasrec" in methods:
        t = time.time()
        add("sasrec", np.take_along_axis(seqm.logits(ev.histories), ev.candidates, 1).astype(np.float64), t)
        results["sasrec"]["epochs"] = seqm.info.get("epochs_run")
    if "blend" in methods:
        t = time.time()
        w = B.tune_blend_on_validation(split.dataset, vectors) if not tiny else {"cooc": 1.0, "popularity": 0.5,
                                                                                   "embedding": 0.3, "bm25": 0.3}
        parts = {"cooc": B.cooc_scores(ev), "popularity": np.log1p(B.popularity_scores(ev)),
                 "embedding": B.centroid_scores(ev, vectors), "bm25": B.bm25_scores(ev)}
        add("blend", B.zblend(parts, w), t)
        results["blend"]["blend_weights"] = w
    ranker = cat = None
    if "chatrec" in methods or llm:
        t = time.time()
        cat = split_catalog(base, split, sequence=seqm if SEQUENCE_IN_CATALOG.get(split.dataset) else None)
        say(f"[rank] catalog for the test split: {sum(len(v) for v in cat.learned.neighbors.values()):,} neighbour "
            f"pairs ({time.time() - t:.0f}s)")
        ranker = core.ranker(cat)
    if "chatrec" in methods:
        t = time.time()
        s, comps = core_scores(ranker, cat, ev, use_llm=False, progress=progress)
        add("chatrec", s, t)
        if ev.as_of_year is not None:  # what each date-aware component adds (they do nothing without dates)
            for comp in DATED_COMPONENTS:
                t = time.time()
                off = ranker.weights.model_copy(update={"weights": {**ranker.weights.weights, comp: 0.0}})
                s, _ = core_scores(core.ranker(cat, weights=off), cat, ev, use_llm=False, progress=progress,
                                   desc=f"without {comp}")
                add(f"chatrec_without_{comp}", s, t)
    if llm:
        _llm_methods(llm, llm_users, seed, ev, split, core, cat, results, per, extra, say, progress,
                     alone=llm_alone)
    # cold targets: users whose held-out item had at most one training interaction
    pop = split.popularity()
    cold_mask = pop[ev.targets] <= 1
    for name, pu in per.items():
        results[name]["ndcg@10_cold"] = float(pu["ndcg@10"][cold_mask].mean()) if cold_mask.any() else None
        results[name]["users_cold"] = int(cold_mask.sum())
    if "chatrec" in per:
        for name in per:
            if name != "chatrec" and len(per[name]["ndcg@10"]) == n:
                d = paired(per["chatrec"]["ndcg@10"], per[name]["ndcg@10"], seed=seed)
                results["chatrec"][f"vs_{name}_ndcg@10_diff"] = d["mean"]
                results["chatrec"][f"vs_{name}_ndcg@10_se"] = d["se"]
    from chatrec.rank.ranker import Weights

    w = Weights.load()
    meta = {"dataset": split.dataset, "split": "test", "users": n, "seed": seed, "date": dt.date.today().isoformat(),
            "machine": machine(), "weights_file": "chatrec/rank/ranking_weights.json", "weights_sha256": wsha,
            "weights_provisional": w.provisional, "negatives": split.info.get("negatives"),
            "history": "up to the 50 most recent items", "candidates": 20, "seconds": timing,
            "neighbors_recipe": _recipe(split.dataset), "cold_target_users": int(cold_mask.sum()),
            "reference_figures_from_issue": REFERENCE.get(split.dataset), "goal_ndcg@10": GOAL.get(split.dataset),
            "sequence_model": {"config": seqm.config.model_dump(), **seqm.info} if seqm else None,
            "sequence_in_catalog": bool(SEQUENCE_IN_CATALOG.get(split.dataset)),
            "total_seconds": round(time.time() - t0)}
    notes = [f"{n} users, seed {seed}; LLM rows on their own seeded sample (see `users`).",
             "Ties count at their expected rank; intervals: 95% bootstrap over users (1,000 resamples).",
             f"Reference figures from the issue's harness (not published): {REFERENCE.get(split.dataset)}."]
    stem = f"rank-{split.dataset}" + ("-cold" if cold else "")
    if cold:
        meta["cold_start"] = {"fraction_of_distinct_targets": cold, "cold_items": split.info["cold_items"],
                              "how": "their interactions removed from training sequences and histories"}
        notes.insert(0, f"Cold start: {split.info['cold_items']} of the distinct test targets held out as new items "
                        f"(seed {seed}); only users whose target is one of them.")
    paths = write_outputs(results, json_path, Path(out_dir), stem, METRICS,
                          f"Ranking, {split.dataset} (LLMRank protocol), {n} users", meta, "ndcg@10",
                          ANCHORS.get(split.dataset), notes)
    if not quiet:
        print(table(results, ["ndcg@1", "ndcg@5", "ndcg@10", "hr@10"]))
        print(f"[rank] wrote {paths['json']}, {paths['markdown']}, {paths['png']} ({time.time() - t0:.0f}s)")
    return results


def _recipe(dataset: str) -> dict[str, Any]:
    from chatrec.evaluation.neighbors import RECIPES

    r = RECIPES.get(dataset)
    return r.as_dict() if r else {}


def _llm_methods(llm: str, llm_users: int, seed: int, ev: RankSplit, split: RankSplit, core: Any, cat: Any,
                 results: dict, per: dict, extra: dict, say: Any, progress: bool, alone: bool = True) -> None:
    """`llm` (Yes/No scores alone, recency-focused prompt; skipped when `alone` is False) and `chatrec+llm` (the
    core with its LLM stage) on a seeded sample, with the paired difference against `chatrec` on the same users."""
    from chatrec.evaluation.llm_rank import llm_scores, open_model

    rows = sample_users(len(ev.users), llm_users, seed + 1)
    sub = ev.subset(rows)
    model = open_model(core.settings, llm)
    ex = {**extra, "users": len(rows), "model": Path(model.name).name, "model_sha256": model.sha}
    t = time.time()
    per_llm = None
    if alone:
        s = llm_scores(sub, model, progress=progress)
        results["llm"], per_llm = _metrics(s, sub, seed, ex)
        say(f"[rank] llm: ndcg@10 {results['llm']['ndcg@10']:.4f} on {len(rows)} users ({time.time() - t:.0f}s)")
    from chatrec.rank.ranker import JUDGE_HEAD

    ranker = core.ranker(cat, llm=model, n_llm=core.settings.n_llm_scored or JUDGE_HEAD)  # the judge switched on
    t = time.time()
    s2, _ = core_scores(ranker, cat, sub, use_llm=True, progress=progress, desc="chatrec+llm")
    results["chatrec+llm"], pu2 = _metrics(s2, sub, seed, ex)
    if "chatrec" in per:
        base = per["chatrec"]["ndcg@10"][rows]
        d = paired(pu2["ndcg@10"], base, seed=seed)
        results["chatrec+llm"].update({"vs_chatrec_ndcg@10_diff": d["mean"], "vs_chatrec_ndcg@10_se": d["se"],
                                       "vs_chatrec_ndcg@10_ci95": d["ci95"],
                                       "chatrec_same_users_ndcg@10": float(base.mean())})
        if per_llm is not None:
            dl = paired(per_llm["ndcg@10"], base, seed=seed)
            results["llm"].update({"vs_chatrec_ndcg@10_diff": dl["mean"], "vs_chatrec_ndcg@10_se": dl["se"]})
    say(f"[rank] chatrec+llm: ndcg@10 {results['chatrec+llm']['ndcg@10']:.4f} ({time.time() - t:.0f}s; "
        f"{model.hits} cached, {model.misses} computed)")
