"""`python -m chatrec eval converse`: a deterministic simulated seeker on ReDial (the iEvaLM protocol, fixed here).

Dialogues: ReDial's test split. The target is the first movie (in order of mention) that the recommender suggested
and the seeker's own questionnaire (`initiatorQuestions`) marks liked, and that maps to the imported ml-latest-small
catalog by normalised title and year (+-1). Dialogues whose opening seeker messages already name the target are left
out (it would be a liked item, never a candidate).

Turn 1: the seeker's own messages before the recommender's first movie suggestion, with @mentions written as titles;
the movies named there are given to the product as liked (disliked where the seeker's questionnaire says so) through
`Recommender.feedback`. Turns 2-5 each reveal exactly one more attribute of the target in this order, skipping an
attribute the target lacks: its first genre (catalog order), its decade, one keyword (the first that does not repeat
a word of the title), its first cast member; each also rejects by name ("Not X.") every shown item that is not the
target. The seeker never gives the title, the year, a director or a plot detail.

Success@k: the target is within the top k of the full ranking the core computed for a turn (`Reply.ranking`), at any
of the 5 turns (all 5 are always played, so runs reproduce). Recall@k is the share of dialogues with success@k.
`retrieval` runs the product with llm=None (rules only); `chatrec` with the model (when --llm is given) on a seeded
sample, with `retrieval` on the same dialogues beside it (`retrieval_same_dialogues`) and the paired difference.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from chatrec.catalog.catalog import Catalog, norm_title
from chatrec.evaluation.data import need, sample_users
from chatrec.evaluation.metrics import paired, summarize
from chatrec.evaluation.report import machine, table, weights_sha256, write_outputs

KS = (1, 10, 50)
TURNS = 5
ANCHORS = {"ChatGPT (iEvaLM, LLM seeker, their catalog)": {"recall@10": 0.536},
           "UniCRS (iEvaLM)": {"recall@10": 0.238}, "KBRD (iEvaLM)": {"recall@10": 0.196}}
MENTION = re.compile(r"@(\d+)")


@dataclass
class Dialogue:
    conv_id: str
    target: str
    opening: str
    liked: list[str] = field(default_factory=list)
    disliked: list[str] = field(default_factory=list)


def _title_year(raw: str) -> tuple[str, int | None]:
    m = re.match(r"^(.*?)\s*\((\d{4})\)\s*$", raw.strip())
    return (m.group(1).strip(), int(m.group(2))) if m else (raw.strip(), None)


def resolver(catalog: Catalog) -> Any:
    by_title: dict[str, list[str]] = {}
    for it in catalog.items:
        by_title.setdefault(norm_title(catalog.title(it)), []).append(it["id"])

    def resolve(raw: str) -> str | None:
        title, year = _title_year(raw)
        ids = by_title.get(norm_title(title), [])
        if year is not None:
            ids = [i for i in ids if catalog.by_id[i].get("year") and abs(int(catalog.by_id[i]["year"]) - year) <= 1]
        if not ids:
            return None
        return max(ids, key=lambda i: float(catalog.by_id[i].get("popularity") or 0))
    return resolve


def load_dialogues(catalog: Catalog) -> tuple[list[Dialogue], dict[str, int]]:
    resolve = resolver(catalog)
    out: list[Dialogue] = []
    stats = {"dialogues": 0, "with_liked_suggestion": 0, "target_in_catalog": 0, "target_named_in_opening": 0}
    with open(need("redial", "test_data.jsonl"), encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            d = json.loads(line)
            stats["dialogues"] += 1
            seeker = d["initiatorWorkerId"]
            q = d.get("initiatorQuestions") or {}
            mentions = d.get("movieMentions") or {}
            order: list[str] = []
            for m in d["messages"]:
                order += [x for x in MENTION.findall(m["text"]) if x not in order]
            liked_sugg = [x for x in order if isinstance(q.get(x), dict) and q[x].get("suggested") == 1
                          and q[x].get("liked") == 1]
            if not liked_sugg:
                continue
            stats["with_liked_suggestion"] += 1
            target = next((resolve(mentions[x]) for x in liked_sugg if x in mentions and resolve(mentions[x])), None)
            if target is None:
                continue
            stats["target_in_catalog"] += 1
            opening: list[str] = []
            named: list[str] = []
            for m in d["messages"]:
                if m["senderWorkerId"] != seeker:
                    if MENTION.search(m["text"]):
                        break  # the recommender's first suggestion ends the opening
                    continue
                ids = MENTION.findall(m["text"])
                named += ids
                opening.append(MENTION.sub(lambda mm: _title_year(mentions.get(mm.group(1), ""))[0] or "a movie",
                                           m["text"]).strip())
            resolved = {x: resolve(mentions[x]) for x in named if x in mentions}
            if target in resolved.values():
                stats["target_named_in_opening"] += 1
                continue
            text = " ".join(t for t in opening if t) or "Hi! Can you recommend a movie?"
            disliked = [i for x, i in resolved.items() if i and isinstance(q.get(x), dict) and q[x].get("liked") == 0]
            liked = [i for x, i in resolved.items()
                     if i and not (isinstance(q.get(x), dict) and q[x].get("liked") == 0)]
            out.append(Dialogue(str(d["conversationId"]), target, text[:1500], list(dict.fromkeys(liked)),
                                list(dict.fromkeys(disliked))))
    stats["eligible"] = len(out)
    return out, stats


def reveals(catalog: Catalog, target: dict[str, Any], keyword_turn: bool = True) -> list[str]:
    """The seeker's attribute sentences for turns 2.. in the fixed order (missing attributes skipped). Without
    `keyword_turn` the seeker never quotes a catalog keyword (a person would paraphrase it): the figure a reader
    would expect for real talk."""
    out: list[str] = []
    if target.get("genres"):
        out.append(f"I'd like something in the {target['genres'][0].lower()} genre.")
    if target.get("year"):
        out.append(f"Preferably from the {int(target['year']) // 10 * 10}s.")
    title_words = set(norm_title(catalog.title(target)).split())
    kw = next((k for k in target.get("keywords") or [] if not set(norm_title(k).split()) & title_words
               and not re.search(r"\d{4}", k) and k.strip()), None)
    if kw and keyword_turn:
        out.append(f"Something about {kw}.")
    if target.get("cast"):
        out.append(f"Maybe with {target['cast'][0]} in it.")
    return out


def play(rec: Any, catalog: Catalog, dlg: Dialogue, keyword_turn: bool = True) -> dict[str, Any]:
    """Five turns; returns the target's rank per turn (None when it was not ranked) and the messages sent."""
    session = rec.new_session(catalog.name)
    for i in dlg.liked:
        rec.feedback(session, i, True)
    for i in dlg.disliked:
        rec.feedback(session, i, False)
    target = catalog.by_id[dlg.target]
    later = reveals(catalog, target, keyword_turn)
    msgs, ranks, shown_all = [dlg.opening], [], []
    revealed = 0
    for turn in range(TURNS):
        if turn > 0:
            rejected = [i for i in shown_all[-1] if i != dlg.target] if shown_all else []
            parts = [f"Not {catalog.title(catalog.by_id[i])}." for i in rejected]
            if revealed < len(later):
                parts.append(later[revealed])
                revealed += 1
            msgs.append(" ".join(parts) or "Something else, please.")
        reply = rec.respond(session, msgs[-1])
        ranking = list(reply.ranking)
        ranks.append(ranking.index(dlg.target) + 1 if dlg.target in ranking else None)
        shown_all.append([r.item_id for r in reply.recommendations])
    return {"conversation": dlg.conv_id, "target": dlg.target, "ranks": ranks, "messages": msgs, "shown": shown_all}


def _tiny_catalog(settings: Any, n: int, seed: int) -> tuple[Catalog, list[Dialogue], dict[str, int]]:
    from chatrec.evaluation.catalogs import ML_NAME, _basic_movies
    from chatrec.importers import write_catalog

    man, items = _basic_movies(ML_NAME)
    full = Catalog(ML_NAME, Path("."), man, items)
    dl, stats = load_dialogues(full)
    dl = [dl[i] for i in sample_users(len(dl), n, seed)]
    keep = {i for d in dl for i in [d.target, *d.liked, *d.disliked]}
    rng = np.random.default_rng(seed)
    keep |= {items[i]["id"] for i in rng.choice(len(items), size=min(150, len(items)), replace=False)}
    name = f"{ML_NAME}-tiny"
    path = write_catalog(name, man.model_dump(exclude_none=True), [it for it in items if it["id"] in keep], settings)
    return Catalog.load(path, settings), dl, {**stats, "tiny": len(keep)}


def per_dialogue(played: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    best = np.array([min([r for r in p["ranks"] if r is not None], default=10 ** 9) for p in played], dtype=float)
    return {f"recall@{k}": (best <= k).astype(float) for k in KS}


def turns_to_success(played: list[dict[str, Any]], k: int) -> float | None:
    t = [next((n + 1 for n, r in enumerate(p["ranks"]) if r is not None and r <= k), None) for p in played]
    t = [x for x in t if x is not None]
    return float(np.mean(t)) if t else None


def _run_mode(rec: Any, catalog: Catalog, dialogues: list[Dialogue], desc: str, progress: bool,
              keyword_turn: bool = True) -> list[dict]:
    from tqdm import tqdm

    return [play(rec, catalog, d, keyword_turn)
            for d in tqdm(dialogues, desc=desc, unit="dialogue", disable=not progress)]


def run(dialogues: int | None = None, seed: int = 0, json_path: Path | None = None,
        out_dir: Path = Path("eval-out"), llm: str | None = None, llm_dialogues: int = 30, settings: Any = None,
        quiet: bool = False, progress: bool = True, tiny: bool = False,
        keyword_turn: bool = True) -> dict[str, dict[str, Any]]:
    """Run the conversation evaluation; `tiny` (smoke tests) uses a small catalog from movies.csv alone;
    `keyword_turn` False: the seeker never quotes a catalog keyword (results marked `keyword_turn: false`)."""
    from chatrec.evaluation.catalogs import Core, movielens_catalog
    from chatrec.recommender import Recommender
    from chatrec.settings import Settings

    t0 = time.time()
    core = Core((settings or Settings()).model_copy(update={"llm_explanations": False}))
    if tiny:
        catalog, all_d, stats = _tiny_catalog(core.settings, dialogues or 3, seed)
        rows = np.arange(len(all_d))
    else:
        catalog = movielens_catalog(core.settings)
        all_d, stats = load_dialogues(catalog)
        rows = sample_users(len(all_d), dialogues, seed)
    core.sync(catalog, progress=progress)
    chosen = [all_d[i] for i in rows]
    rec = Recommender(core.settings, None, core.embedder, core.index)
    played = _run_mode(rec, catalog, chosen, "retrieval (no LLM)", progress, keyword_turn)
    extra = {"dialogues": len(chosen), "seed": seed, "weights_sha256": weights_sha256(), "turns": TURNS,
             "keyword_turn": keyword_turn}
    results: dict[str, dict[str, Any]] = {}

    def summ(p: list[dict]) -> dict[str, Any]:
        out = summarize(per_dialogue(p), seed=seed)
        for k in KS:
            out[f"turns_to_success@{k}"] = turns_to_success(p, k)
        return out

    results["retrieval"] = {**summ(played), **extra, "llm": "none"}
    sample: list[dict] = []
    if llm:
        from chatrec.evaluation.llm_rank import open_model

        model = open_model(core.settings, llm)
        rec_llm = Recommender(core.settings, model, core.embedder, core.index)
        sub = sample_users(len(chosen), llm_dialogues, seed + 1)
        sample = _run_mode(rec_llm, catalog, [chosen[i] for i in sub], f"chatrec ({llm})", progress, keyword_turn)
        ex = {**extra, "dialogues": len(sub), "llm": Path(model.name).name, "model_sha256": model.sha}
        results["chatrec"] = {**summ(sample), **ex}
        same = [played[i] for i in sub]
        results["retrieval_same_dialogues"] = {**summ(same), **ex, "llm": "none"}
        a, b = per_dialogue(sample), per_dialogue(same)
        for k in KS:
            d = paired(a[f"recall@{k}"], b[f"recall@{k}"], seed=seed)
            results["chatrec"][f"vs_retrieval_recall@{k}_diff"] = d["mean"]
            results["chatrec"][f"vs_retrieval_recall@{k}_se"] = d["se"]
    else:
        results["chatrec"] = {**results["retrieval"], "note": "no --llm: the product with rules only"}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "converse-transcripts.jsonl", "w", encoding="utf-8") as fh:
        for mode, ps in (("retrieval", played), ("chatrec", sample)):
            for p in ps:
                fh.write(json.dumps({"mode": mode, **p}, ensure_ascii=False) + "\n")
    meta = {"data": "ReDial test split (Li et al., NeurIPS 2018), catalog: ml-latest-small imported by "
                    "chatrec.importers", "selection": stats, "dialogues": len(chosen), "seed": seed,
            "date": dt.date.today().isoformat(), "machine": machine(), "weights_sha256": weights_sha256(),
            "turns": TURNS, "seconds": round(time.time() - t0)}
    notes = ["Deterministic seeker, protocol fixed in the module docstring; transcripts in converse-transcripts.jsonl.",
             "iEvaLM's figures use an LLM-played seeker and their own catalog: context, not a like-for-like bar."]
    metrics = [f"recall@{k}" for k in KS]
    paths = write_outputs(results, json_path, out_dir, "converse-redial", metrics,
                          f"Conversation, ReDial simulated seeker, {len(chosen)} dialogues", meta, "recall@10",
                          ANCHORS, notes, count_key="dialogues")
    if not quiet:
        print(table(results, metrics))
        print(f"[converse] wrote {paths['json']}, {paths['markdown']}, {paths['png']}")
    return results
