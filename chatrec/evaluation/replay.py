"""`python -m chatrec eval replay`: the seekers' real words of ReDial's test split, replayed through the product.

Why: the simulated seeker (`converse_eval`) speaks in the catalog's own vocabulary; real people do not. This is the
standard conversational-recommendation task on ReDial, zero-shot and rules only.

Protocol. Each test dialogue is replayed in order. Every seeker message goes, alone, to `Recommender.respond` (llm=None,
template explanations: the product's own understanding, hard filter, candidates and ranking), with each @mention
written as ReDial's movie list names it ("American Pie (1999)"); the recommender's messages are never sent. The
request's year is 2018, when the test split was collected (`DialogueState.as_of_year`; `--as-of-year 0`: this
year, the product's default). Each time the human
recommender names a movie of the catalog (title + year +-1) for the first time, that movie is a target, scored
against the product's current full ranking (`Reply.ranking` of the last reply that recommended; none yet = a miss);
a movie the seeker named already is skipped. Recall@k is hits over all targets; its interval resamples dialogues.

Also in the same run: `popularity` (the catalog by rating count, minus the movies named earlier in the dialogue) and
candidate recall: the target among the ranked candidates, and in each source's own list (`candidates.
candidate_sources`, recorded as the product calls it: the code path is observed, not re-implemented).
"""
from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from chatrec.catalog.catalog import Catalog
from chatrec.evaluation.converse_eval import resolver
from chatrec.evaluation.data import REDIAL_MENTION, redial_name, redial_test, redial_text, sample_users
from chatrec.evaluation.report import machine, table, weights_sha256, write_outputs

KS = (1, 10, 50)
HALF_SEED = 2018  # the tuning / held-out halves of the test dialogues (`halves`); fixed so tuning never sees held-out
AS_OF_YEAR = 2018  # ReDial's test split was collected 2018-05-05 .. 2018-06-15 (its datasheet)
ANCHORS = {"KGSF (trained on ReDial, own ~6.9k catalog, recommender turns in context)":
           {"recall@1": 0.039, "recall@10": 0.183, "recall@50": 0.378},
           "KBRD (same)": {"recall@10": 0.18}}


@dataclass
class ReplayDialogue:
    """One dialogue as steps: ("say", seeker text) or ("target", catalog id)."""

    conv_id: str
    steps: list[tuple[str, str]] = field(default_factory=list)
    named: list[str] = field(default_factory=list)  # every catalog id the dialogue names, in order (popularity)

    @property
    def targets(self) -> list[str]:
        return [v for k, v in self.steps if k == "target"]


def build_dialogues(raw: list[dict[str, Any]], catalog: Catalog) -> tuple[list[ReplayDialogue], dict[str, int]]:
    """The replay steps of each dialogue and selection counts (how many recommender mentions became targets)."""
    resolve = resolver(catalog)
    out: list[ReplayDialogue] = []
    st = {"dialogues": 0, "recommender_mentions": 0, "not_in_catalog": 0, "named_by_seeker_first": 0,
          "repeated": 0, "targets": 0}
    for d in raw:
        st["dialogues"] += 1
        seeker, mentions = d["initiatorWorkerId"], d.get("movieMentions") or {}
        dl = ReplayDialogue(str(d["conversationId"]))
        by_seeker: set[str] = set()
        by_rec: set[str] = set()
        for m in d["messages"]:
            ids = [resolve(redial_name(mentions, x)) if redial_name(mentions, x) else None
                   for x in REDIAL_MENTION.findall(m["text"])]
            dl.named += [i for i in ids if i and i not in dl.named]
            if m["senderWorkerId"] == seeker:
                text = redial_text(m["text"], mentions)
                if text:
                    dl.steps.append(("say", text))
                by_seeker |= {i for i in ids if i}
                continue
            for cid in ids:
                st["recommender_mentions"] += 1
                if cid is None:
                    st["not_in_catalog"] += 1
                elif cid in by_seeker:
                    st["named_by_seeker_first"] += 1
                elif cid in by_rec:
                    st["repeated"] += 1
                else:
                    by_rec.add(cid)
                    dl.steps.append(("target", cid))
                    st["targets"] += 1
        out.append(dl)
    st["dialogues_with_targets"] = sum(1 for x in out if x.targets)
    return out, st


@contextmanager
def recorded_sources(log: list[tuple[dict[str, list[str]], float]]) -> Iterator[None]:
    """Record what `candidates.candidate_sources` returns each time the product calls it (and its ms); the function
    itself runs unchanged."""
    from chatrec.candidates import sources as candidates

    orig = candidates.candidate_sources

    def spy(*a: Any, **k: Any) -> dict[str, list[str]]:
        t = time.perf_counter()
        out = orig(*a, **k)
        log.append((out, (time.perf_counter() - t) * 1000))
        return out

    candidates.candidate_sources = spy  # type: ignore[assignment]
    try:
        yield
    finally:
        candidates.candidate_sources = orig  # type: ignore[assignment]


@contextmanager
def recorded_rankings(log: list[tuple[list[str], list[dict[str, float]]]]) -> Iterator[None]:
    """Record the ids and score components of every `Ranker.rank` call (the ranking runs unchanged): what
    `eval tune-talk` re-weighs."""
    from chatrec.rank.ranker import Ranker

    orig = Ranker.rank

    def spy(self: Any, *a: Any, **k: Any) -> Any:
        out = orig(self, *a, **k)
        log.append(([s.item_id for s in out], [s.components for s in out]))
        return out

    Ranker.rank = spy  # type: ignore[method-assign]
    try:
        yield
    finally:
        Ranker.rank = orig  # type: ignore[method-assign]


@contextmanager
def _as_shipped() -> Iterator[None]:
    yield


@contextmanager
def _history_weights() -> Iterator[None]:
    """The ranker without its conversation overrides (`talk_weights=False`): the 'before' of a paired comparison."""
    from chatrec.rank.ranker import Weights

    orig = Weights.for_state
    Weights.for_state = lambda self, state: self.weights  # type: ignore[method-assign]
    try:
        yield
    finally:
        Weights.for_state = orig  # type: ignore[method-assign]


def halves(n: int, seed: int) -> dict[str, np.ndarray]:
    """Dialogue rows split in two by a seeded permutation: 'tune' (weights are chosen on it) and 'heldout'."""
    perm = np.random.default_rng(seed).permutation(n)
    return {"tune": np.sort(perm[: n // 2]), "heldout": np.sort(perm[n // 2:]), "all": np.arange(n)}


def popularity_order(catalog: Catalog) -> list[str]:
    return sorted((it["id"] for it in catalog.items), key=lambda i: (-catalog.popularity(i), i))


def play(rec: Any, catalog: Catalog, dlg: ReplayDialogue, pop_rank: dict[str, int],
         log: list[tuple[dict[str, list[str]], float]], as_of_year: int | None = AS_OF_YEAR,
         rank_log: list[Any] | None = None, captured: list[Any] | None = None) -> dict[str, Any]:
    """Replay one dialogue; per target: its rank in the product's ranking and in popularity, and its sources.
    With `rank_log` (filled by `recorded_rankings`), `captured` gets (target, ids, components) of the ranking each
    target is scored against."""
    from chatrec.errors import InputError

    session = rec.new_session(catalog.name)
    session.state.as_of_year = as_of_year
    limit = rec.settings.max_message_chars
    ranking: list[str] | None = None
    ranked: tuple[list[str], list[dict[str, float]]] | None = None
    sources: dict[str, list[str]] = {}
    turns, targets, ms, named_so_far = [], [], [], set()
    named = iter(dlg.named)
    for kind, value in dlg.steps:
        if kind == "say":
            try:
                n_log, n_rank = len(log), len(rank_log or [])
                reply = rec.respond(session, value[:limit])
            except InputError as e:
                turns.append({"say": value, "error": str(e)})
                continue
            retrieve_ms = next((s.counts.get("ms") for s in reply.reasoning if s.name == "retrieve"), None)
            if reply.intent == "recommend" and len(log) > n_log:
                ranking, (sources, sms) = list(reply.ranking), log[-1]
                ms.append((sms, retrieve_ms))
                if rank_log is not None and len(rank_log) > n_rank:
                    ranked = rank_log[-1]
            turns.append({"say": value, "intent": reply.intent, "understood": reply.reasoning[0].detail,
                          "llm_used": bool(reply.reasoning[0].counts.get("llm_used")),
                          "shown": [r.title for r in reply.recommendations], "candidates": len(reply.ranking)})
            continue
        # the movies named before this point (by either side) are not popularity's to suggest again
        for i in named:
            if i == value:
                break
            named_so_far.add(i)
        before = sum(1 for i in named_so_far if pop_rank.get(i, 1 << 30) < pop_rank[value])
        rank = ranking.index(value) + 1 if ranking and value in ranking else None
        if captured is not None:
            captured.append((dlg.conv_id, value, ranked))
        targets.append({"target": value, "title": catalog.label(catalog.by_id[value]), "rank": rank,
                        "popularity_rank": pop_rank[value] + 1 - before, "had_ranking": ranking is not None,
                        "sources": [s for s, ids in sources.items() if value in ids] if ranking is not None else [],
                        "after_turn": len(turns)})
        turns.append({"target": catalog.label(catalog.by_id[value]), "rank": rank})
        named_so_far.add(value)
    return {"conversation": dlg.conv_id, "targets": targets, "turns": turns, "ms": ms}


def per_dialogue(played: list[dict[str, Any]], key: str, source_names: list[str]) -> dict[str, np.ndarray]:
    """Per dialogue: number of targets and hits at each k (by `key`: rank or popularity_rank), and source hits."""
    out: dict[str, list[float]] = {"n": [], **{f"recall@{k}": [] for k in KS}, "candidate_recall": [],
                                   **{f"candidate_recall_{s}": [] for s in source_names}}
    for p in played:
        ts = p["targets"]
        out["n"].append(len(ts))
        for k in KS:
            out[f"recall@{k}"].append(sum(1 for t in ts if t[key] is not None and t[key] <= k))
        out["candidate_recall"].append(sum(1 for t in ts if t["rank"] is not None))
        for s in source_names:
            out[f"candidate_recall_{s}"].append(sum(1 for t in ts if s in t["sources"]))
    return {k: np.asarray(v, dtype=float) for k, v in out.items()}


def ratio_summary(counts: dict[str, np.ndarray], n_boot: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Hits over all targets, with a 95% percentile interval from resampling dialogues (a cluster bootstrap)."""
    n = counts["n"]
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(n), size=(n_boot, len(n))) if len(n) else np.zeros((0, 0), dtype=int)
    out: dict[str, Any] = {"targets": int(n.sum()), "dialogues": int(len(n))}
    for k, v in counts.items():
        if k == "n":
            continue
        out[k] = float(v.sum() / n.sum()) if n.sum() else float("nan")
        if len(n) > 1 and n.sum():
            boot = v[idx].sum(1) / np.maximum(n[idx].sum(1), 1)
            out[f"{k}_ci95"] = [float(np.quantile(boot, 0.025)), float(np.quantile(boot, 0.975))]
    return out


def _llm_rows(results: dict[str, dict[str, Any]], core: Any, catalog: Catalog, chosen: list[ReplayDialogue],
             played: list[dict[str, Any]], pop_rank: dict[str, int], llm: str, n: int, seed: int,
             source_names: list[str], as_of_year: int | None, progress: bool) -> list[dict[str, Any]]:
    """The product with the model (understanding_llm 'auto': asked only about words the rules could not place) on a
    seeded sample of the dialogues with targets; rules only on the same dialogues; the paired difference."""
    from tqdm import tqdm

    from chatrec.evaluation.llm_rank import open_model
    from chatrec.evaluation.metrics import paired
    from chatrec.recommender import Recommender

    model = open_model(core.settings, llm)
    rec = Recommender(core.settings.model_copy(update={"understanding_llm": "auto"}), model, core.embedder,
                      core.index)
    with_targets = [i for i, d in enumerate(chosen) if d.targets]
    sub = [with_targets[i] for i in sample_users(len(with_targets), n, seed + 1)]
    calls: list[tuple[dict[str, list[str]], float]] = []
    t = time.time()
    with recorded_sources(calls):
        out = [play(rec, catalog, chosen[i], pop_rank, calls, as_of_year)
               for i in tqdm(sub, desc=f"replay ({llm})", unit="dialogue", disable=not progress)]
    msgs = sum(1 for p in out for x in p["turns"] if "say" in x)
    ex = {"dialogues_sampled": len(sub), "llm": Path(model.name).name, "llm_mode": "auto", "seed": seed,
          "seconds_per_message": (time.time() - t) / max(1, msgs),
          "model_calls": sum(1 for p in out for x in p["turns"] if x.get("llm_used"))}
    a, b = per_dialogue(out, "rank", source_names), per_dialogue([played[i] for i in sub], "rank", source_names)
    results["chatrec_llm"] = {**ratio_summary(a, seed=seed), **ex}
    results["rules_same_dialogues"] = {**ratio_summary(b, seed=seed), **ex, "llm": "none"}
    for k in [*(f"recall@{k}" for k in KS), "candidate_recall"]:
        d = paired(a[k] / np.maximum(a["n"], 1), b[k] / np.maximum(b["n"], 1), seed=seed)
        results["chatrec_llm"][f"vs_rules_{k}_diff"], results["chatrec_llm"][f"vs_rules_{k}_se"] = d["mean"], d["se"]
    results["chatrec_llm"]["vs_rules_hits@10"] = int(a["recall@10"].sum() - b["recall@10"].sum())
    return out


def _tiny_catalog(settings: Any, raw: list[dict[str, Any]], seed: int) -> Catalog:
    """A small catalog for smoke tests: the movies the sampled dialogues name plus 150 seeded others, from movies.csv
    with popularity = rating count (the full import embeds 9,742 films: minutes)."""
    from chatrec.evaluation.catalogs import ML_NAME, _basic_movies
    from chatrec.evaluation.data import movielens_ratings
    from chatrec.importers import write_catalog

    man, items = _basic_movies(ML_NAME)
    full = Catalog(ML_NAME, Path("."), man, items)
    resolve = resolver(full)
    keep = {resolve(redial_name(d.get("movieMentions") or {}, x)) for d in raw for x in (d.get("movieMentions") or {})}
    rng = np.random.default_rng(seed)
    keep |= {items[i]["id"] for i in rng.choice(len(items), size=min(150, len(items)), replace=False)}
    counts: dict[str, int] = {}
    for rows in movielens_ratings().values():
        for _, m, _ in rows:
            counts[f"ml-{m}"] = counts.get(f"ml-{m}", 0) + 1
    small = [{**it, "popularity": counts.get(it["id"], 0)} for it in items if it["id"] in keep]
    path = write_catalog(f"{ML_NAME}-replay-tiny", man.model_dump(exclude_none=True), small, settings)
    return Catalog.load(path, settings)


def run(dialogues: int | None = None, seed: int = 0, json_path: Path | None = None,
        out_dir: Path = Path("eval-out"), settings: Any = None, quiet: bool = False, progress: bool = True,
        tiny: bool = False, as_of_year: int | None = AS_OF_YEAR, half: str = "all", llm: str | None = None,
        llm_dialogues: int = 10, talk_weights: bool = True) -> dict[str, dict[str, Any]]:
    """Replay a seeded sample of ReDial test dialogues (all when `dialogues` is None) of one half (`halves`,
    HALF_SEED; 'all' = the whole split); `tiny` for smoke tests; `as_of_year` None = the product's default (this
    year). With `llm`, the product with that model (understanding_llm 'auto': asked only about unplaced words) also
    plays a seeded `llm_dialogues` of the chosen dialogues, paired against rules only on the same ones."""
    from tqdm import tqdm

    from chatrec.evaluation.catalogs import Core, movielens_catalog
    from chatrec.recommender import Recommender
    from chatrec.settings import Settings

    t0 = time.time()
    core = Core((settings or Settings()).model_copy(update={"llm_explanations": False}))
    raw = redial_test()
    raw = [raw[i] for i in halves(len(raw), HALF_SEED)[half]]
    raw = [raw[i] for i in sample_users(len(raw), dialogues, seed)]
    catalog = _tiny_catalog(core.settings, raw, seed) if tiny else movielens_catalog(core.settings)
    core.sync(catalog, progress=progress)
    chosen, stats = build_dialogues(raw, catalog)
    rec = Recommender(core.settings, None, core.embedder, core.index)
    order = popularity_order(catalog)
    pop_rank = {i: n for n, i in enumerate(order)}
    calls: list[tuple[dict[str, list[str]], float]] = []
    t1 = time.time()
    with recorded_sources(calls), (_history_weights() if not talk_weights else _as_shipped()):
        played = [play(rec, catalog, d, pop_rank, calls, as_of_year)
                  for d in tqdm(chosen, desc="replay (rules only)", unit="dialogue", disable=not progress)]
    secs = time.time() - t1
    source_names = sorted({s for c, _ in calls for s in c})
    scored = [p for p in played if p["targets"]]
    extra = {"seed": seed, "weights_sha256": weights_sha256(), "as_of_year": as_of_year, "llm": "none", "half": half,
             "talk_weights": talk_weights}
    results = {"chatrec": {**ratio_summary(per_dialogue(scored, "rank", source_names), seed=seed), **extra},
               "popularity": {**ratio_summary(per_dialogue(scored, "popularity_rank", []), seed=seed), **extra}}
    played_llm: list[dict[str, Any]] = []
    if llm:
        played_llm = _llm_rows(results, core, catalog, chosen, played, pop_rank, llm, llm_dialogues, seed,
                               source_names, as_of_year, progress)
    del results["popularity"]["candidate_recall"]
    results["popularity"].pop("candidate_recall_ci95", None)
    ts = [t for p in scored for t in p["targets"]]
    c = results["chatrec"]
    c["targets_before_any_ranking"] = sum(1 for t in ts if not t["had_ranking"])
    c["candidates_mean"] = float(np.mean([len(set().union(*s.values())) for s, _ in calls])) if calls else 0.0
    c["candidates_per_source_mean"] = {s: float(np.mean([len(x.get(s, [])) for x, _ in calls])) for s in source_names}
    c["only_source_recall"] = {s: sum(1 for t in ts if t["sources"] == [s]) / max(1, len(ts)) for s in source_names}
    sms = np.array([m for p in played for m, _ in p["ms"]])
    rms = np.array([r for p in played for _, r in p["ms"] if r is not None])
    c["candidate_sources_ms_p50"], c["candidate_sources_ms_p95"] = (
        (float(np.percentile(sms, 50)), float(np.percentile(sms, 95))) if len(sms) else (None, None))
    c["retrieve_step_ms_p50"], c["retrieve_step_ms_p95"] = (
        (float(np.percentile(rms, 50)), float(np.percentile(rms, 95))) if len(rms) else (None, None))
    c["seconds_per_message"] = secs / max(1, sum(1 for p in played for t in p["turns"] if "say" in t))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "replay-transcripts.jsonl", "w", encoding="utf-8") as fh:  # ReDial text: never commit
        for mode, ps in (("rules", played), ("llm", played_llm)):
            for p in ps:
                fh.write(json.dumps({"mode": mode, **p}, ensure_ascii=False) + "\n")
    meta = {"data": "ReDial test split (Li et al., NeurIPS 2018); catalog: ml-latest-small imported by "
                    "chatrec.importers" + (" (tiny smoke catalog)" if tiny else ""),
            "selection": stats, "dialogues": len(chosen), "seed": seed, "half": half, "half_seed": HALF_SEED,
            "date": dt.date.today().isoformat(),
            "machine": machine(), "weights_sha256": weights_sha256(), "as_of_year": as_of_year,
            "catalog_items": len(catalog.items), "seconds": round(time.time() - t0)}
    notes = ["Protocol in chatrec/evaluation/replay.py; transcripts in replay-transcripts.jsonl (ReDial text, not "
             "for the repository).",
             "Published anchors are trained on ReDial, rank their own catalog and see the recommender's turns: "
             "context, not a like-for-like bar."]
    metrics = [f"recall@{k}" for k in KS] + ["candidate_recall"]
    paths = write_outputs(results, json_path, out_dir, "replay-redial", metrics,
                          f"ReDial replay of the seekers' words, {stats['targets']} targets", meta, "recall@10",
                          ANCHORS, notes, count_key="targets")
    if not quiet:
        print(table(results, metrics))
        print("candidate recall per source: " + ", ".join(
            f"{s} {c[f'candidate_recall_{s}']:.3f} (only it {c['only_source_recall'][s]:.3f}, "
            f"{c['candidates_per_source_mean'][s]:.0f} per turn)" for s in source_names))
        print(f"targets {c['targets']} in {c['dialogues']} dialogues ({c['targets_before_any_ranking']} before any "
              f"ranking); candidates per turn {c['candidates_mean']:.0f}; candidate_sources "
              f"p50 {c['candidate_sources_ms_p50']} ms, p95 {c['candidate_sources_ms_p95']} ms; retrieve step "
              f"p50 {c['retrieve_step_ms_p50']} ms; {c['seconds_per_message']:.3f} s per message")
        for name, a in ANCHORS.items():
            print(f"published: {name}: " + ", ".join(f"{k} {v:.3f}" for k, v in a.items()))
        print(f"[replay] wrote {paths['json']}, {paths['markdown']}, {paths['png']}")
    return results
