"""`python -m chatrec eval tune`: fit the ranking weights on the VALIDATION splits and write
chatrec/rank/ranking_weights.json.

1. For each data set, the validation split's catalog (neighbours and popularity from the sequences before each
   validation target) goes through the product's `Ranker.rank` once, which returns every score component.
2. The co-occurrence shape (`co_occurrence_recency`, `co_occurrence_power`) and the weights of `co_occurrence`,
   `popularity` and `sequence` (the catalog's sequence model, trained on the validation split's sequences) are
   chosen by coordinate ascent on the mean validation NDCG@10 over the data sets (the co-occurrence component for
   other shapes is recomputed exactly by `neighbors.core_collab`, which mirrors the core's sum).
   `semantic` stays 1.0 and `liked_similarity` 0.8, the chat product's values: in a conversation they carry what
   the user asks for, which history-only data cannot measure. The other weights are kept as they are.
3. The product's ranker is run again on the validation splits with the chosen weights; those are the validation
   figures written into the file, with the command, split, seed and date. The test split is never read.
"""
from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

import numpy as np

from chatrec.evaluation.metrics import per_user
from chatrec.rank.ranker import WEIGHTS_FILE, Weights

FIXED = {"semantic": 1.0, "liked_similarity": 0.8, "not_yet_released": -2.0}
RECENCY = (1.0, 0.9, 0.8, 0.7, 0.6)
POWER = (1.0, 0.7, 0.5, 0.35, 0.25)
SHOWN = ("co_occurrence", "popularity", "sequence", "era", "recent_release", "co_occurrence_recency",
         "co_occurrence_power")
GRID = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0)


def _ndcg(scores: np.ndarray, target_pos: np.ndarray) -> float:
    return float(per_user(scores, target_pos, ks=(10,))["ndcg@10"].mean())


def collect(dataset: str, core: Any, progress: bool = True, seed: int = 0) -> dict[str, Any]:
    """Validation components from the core, plus the exact co-occurrence component for every recency value."""
    from chatrec.evaluation.catalogs import SEQUENCE_IN_CATALOG, base_catalog, for_split, sequence_for
    from chatrec.evaluation.data import load_rank
    from chatrec.evaluation.neighbors import RECIPES, core_collab, learn, recency_popularity, to_neighbors
    from chatrec.evaluation.rank_eval import core_scores

    val = load_rank(dataset, "valid")
    p = RECIPES[dataset]
    m = learn(val.train_sequences, val.n_items, p)
    base = base_catalog(dataset, core.settings)
    core.sync(base, progress=progress)
    cat = for_split(base, val, to_neighbors(m, val.item_ids),
                    recency_popularity(val.train_sequences, val.n_items, p.popularity_recency),
                    sequence_for(val, core.settings, seed) if SEQUENCE_IN_CATALOG.get(dataset) else None)
    w = Weights.load()
    probe = w.model_copy(update={"weights": {**w.weights, "co_occurrence_recency": 1.0, "co_occurrence_power": 1.0,
                                             "cold_start_imputation": 0.0,  # the simulation has no imputation
                                             "sequence": 1.0, "era": 1.0}})
    _, comps = core_scores(core.ranker(cat, weights=probe), cat, val, progress=progress, desc=f"{dataset} valid")
    co = {r: core_collab(m, val.histories, val.candidates, decay=r) for r in RECENCY}
    gap = float(np.nanmax(np.abs(co[1.0] - comps["co_occurrence"])))
    if gap > 1e-4:
        raise RuntimeError(f"the co-occurrence simulation differs from the core by {gap}")
    return {"split": val, "catalog": cat, "comps": comps, "co": co}


def score(d: dict[str, Any], w: dict[str, float]) -> np.ndarray:
    c = d["comps"]
    co = d["co"][w["co_occurrence_recency"]]
    p = w["co_occurrence_power"]
    s = w["co_occurrence"] * (co if p == 1.0 else np.maximum(co, 0) ** p)
    for k, v in c.items():
        if k != "co_occurrence" and k in w:
            s = s + w[k] * np.nan_to_num(v)
    return s


def fit(data: dict[str, dict[str, Any]], start: dict[str, float],
        free: tuple[str, ...] = ("co_occurrence", "popularity", "sequence", "era", "recent_release"),
        log: Any = print) -> tuple[dict[str, float], dict[str, float]]:
    w = dict(start)

    def obj(ww: dict[str, float]) -> tuple[float, dict[str, float]]:
        per = {k: _ndcg(score(d, ww), d["split"].target_pos) for k, d in data.items()}
        return float(np.mean(list(per.values()))), per

    best, per = obj(w)
    for rnd in range(3):
        improved = False
        for key, grid in [("co_occurrence_recency", RECENCY), ("co_occurrence_power", POWER),
                          *[(k, GRID) for k in free]]:
            for g in grid:
                if g == w[key]:
                    continue
                cand = {**w, key: g}
                v, pv = obj(cand)
                if v > best + 1e-5:
                    best, per, w, improved = v, pv, cand, True
        log(f"[tune] round {rnd + 1}: mean validation ndcg@10 {best:.4f} {per} with "
            f"{ {k: w[k] for k in SHOWN} }")
        if not improved:
            break
    return w, per


def run(datasets: list[str], seed: int = 0, write: bool = True, progress: bool = True) -> dict[str, Any]:
    from chatrec.evaluation.catalogs import Core
    from chatrec.evaluation.neighbors import RECIPES
    from chatrec.evaluation.rank_eval import core_scores
    from chatrec.settings import Settings

    core = Core(Settings())
    data = {ds: collect(ds, core, progress, seed) for ds in datasets}
    cur = Weights.load()
    start = {**cur.weights, **FIXED, "co_occurrence_recency": cur.weights.get("co_occurrence_recency", 1.0),
             "co_occurrence_power": cur.weights.get("co_occurrence_power", 1.0),
             "sequence": cur.weights.get("sequence", 0.0), "era": cur.weights.get("era", 0.0),
             "recent_release": cur.weights.get("recent_release", 0.0)}
    if len(data) > 1:
        for ds in data:  # each data set alone, for the record (not written)
            fit({ds: data[ds]}, start, log=lambda m, ds=ds: print(f"[tune] alone {ds}: {m}"))
    w, per_sim = fit(data, start)
    new = Weights(weights={k: float(v) for k, v in w.items()}, provisional=False,
                  conversation=Weights.load().conversation,  # the talk overrides are eval tune-talk's
                  how=("co_occurrence, popularity, sequence, era and recent_release weights and the co-occurrence "
                       "shape (recency, power) "
                       "tuned by coordinate ascent on mean validation NDCG@10 of the LLMRank protocol over "
                       f"{', '.join(datasets)}; semantic 1.0 and liked_similarity 0.8 kept for conversation; "
                       "not_yet_released fixed at -2.0 (an item released after the request's year is not out yet); "
                       "catalog neighbours, popularity and sequence model learned from training sequences only "
                       "(chatrec.evaluation.neighbors.RECIPES, catalogs.sequence_for); cold_start_imputation kept at "
                       f"{w.get('cold_start_imputation', 0.0)} (not tuned: on these protocols larger values score "
                       "higher only because held-out targets are more often new than random negatives are)"),
                  command=" ".join(["python -m chatrec eval tune", *[f"--dataset {d}" for d in datasets],
                                    f"--seed {seed}"]),
                  split="validation: Games-6k.valid.inter (6,000 users of Games-6k.random, 19 uniform random "
                        "negatives, seed 2024); ml-latest-small: each user's second-to-last item (19 unrated "
                        "negatives, seed 2025)",
                  seed=seed, date=dt.date.today().isoformat(), validation={})
    val: dict[str, Any] = {}
    for ds, d in data.items():  # the product's ranker itself, with the new weights, on the validation split
        s, _ = core_scores(core.ranker(d["catalog"], weights=new), d["catalog"], d["split"], progress=progress,
                           desc=f"{ds} check")
        pu = per_user(s, d["split"].target_pos)
        val[ds] = {"ndcg@10": round(float(pu["ndcg@10"].mean()), 4), "hr@10": round(float(pu["hr@10"].mean()), 4),
                   "users": len(d["split"].users), "neighbors_recipe": RECIPES[ds].as_dict()}
        seq = d["catalog"].learned.sequence
        val[ds]["sequence_model"] = {"config": seq.config.model_dump(), **seq.info} if seq is not None else None
        print(f"[tune] {ds}: validation ndcg@10 with the product's ranker {val[ds]['ndcg@10']:.4f}")
    new.validation = val
    text = json.dumps(new.model_dump(), indent=2) + "\n"
    if write:
        WEIGHTS_FILE.write_text(text, encoding="utf-8")
        print(f"[tune] wrote {WEIGHTS_FILE}")
    else:
        sys.stdout.write(text)
    return new.model_dump()
