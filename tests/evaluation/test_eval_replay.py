"""`eval replay`: the protocol's selection rules on a hand-made dialogue, then end to end on a tiny ReDial sample
(real embedder, real Chroma in a temp folder, no LLM)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import need_shared


def _catalog():
    from chatrec.catalog.catalog import Catalog
    from chatrec.catalog.manifest import Manifest

    man = Manifest.model_validate({"name": "t", "domain": "movies", "item_noun": "movie", "item_noun_plural": "movies",
                                   "description": "test", "title_field": "title",
                                   "fields": {"id": {"type": "string", "required": True},
                                              "title": {"type": "string", "required": True},
                                              "year": {"type": "integer"},
                                              "popularity": {"type": "number"}}})
    items = [{"id": "a", "title": "Alien", "year": 1979, "popularity": 5},
             {"id": "b", "title": "Heat", "year": 1995, "popularity": 9},
             {"id": "c", "title": "Casablanca", "year": 1942, "popularity": 1}]
    return Catalog("t", Path("."), man, items)


def test_targets_are_first_recommender_mentions_the_seeker_had_not_named() -> None:
    from chatrec.evaluation.replay import build_dialogues

    raw = [{"conversationId": 1, "initiatorWorkerId": 10,
            "movieMentions": {"1": "Alien (1979)", "2": "Heat  (1995)", "3": "Casablanca (1942)", "4": "Nope (2031)"},
            "messages": [{"senderWorkerId": 11, "text": "hi"},
                         {"senderWorkerId": 10, "text": "I loved @1"},
                         {"senderWorkerId": 11, "text": "Then @1 again, or @2? Also @4"},
                         {"senderWorkerId": 10, "text": ""},
                         {"senderWorkerId": 11, "text": "@2 for sure, and @3"}]}]
    (d,), st = build_dialogues(raw, _catalog())
    assert d.steps == [("say", "I loved Alien (1979)"), ("target", "b"), ("target", "c")]
    assert st["named_by_seeker_first"] == 1 and st["repeated"] == 1 and st["not_in_catalog"] == 1
    assert st["targets"] == 2 and d.named == ["a", "b", "c"]


def test_ratio_summary_counts_hits_over_all_targets() -> None:
    import numpy as np

    from chatrec.evaluation.replay import ratio_summary

    out = ratio_summary({"n": np.array([1.0, 3.0]), "recall@1": np.array([1.0, 0.0])}, n_boot=200)
    assert out["recall@1"] == pytest.approx(0.25) and out["targets"] == 4
    lo, hi = out["recall@1_ci95"]
    assert 0.0 <= lo <= 0.25 <= hi <= 1.0


@pytest.mark.model  # the --llm row loads the smallest GGUF model (plumbing only)
def test_replay_tiny_end_to_end(tmp_path: Path) -> None:
    need_shared("redial", "test_data.jsonl")
    need_shared("ml-latest-small", "ratings.csv")
    from chatrec.candidates import sources as candidates
    from chatrec.evaluation.replay import KS, run
    from chatrec.settings import Settings

    orig = candidates.candidate_sources
    s = Settings(data_dir=tmp_path / "data", chroma_path=tmp_path / "chroma", n_threads=2)
    run(dialogues=3, seed=0, json_path=tmp_path / "r.json", out_dir=tmp_path, settings=s, quiet=True,
        progress=False, tiny=True, llm="smoke", llm_dialogues=1)  # the smallest model: plumbing only
    assert candidates.candidate_sources is orig  # the observer is removed after the run
    data = json.loads((tmp_path / "r.json").read_text())
    assert set(data) == {"chatrec", "popularity", "chatrec_llm", "rules_same_dialogues"}
    m, r = data["chatrec_llm"], data["rules_same_dialogues"]
    assert m["dialogues"] == r["dialogues"] == 1 and m["targets"] == r["targets"] > 0 and m["llm_mode"] == "auto"
    assert m["vs_rules_recall@10_diff"] == pytest.approx(m["recall@10"] - r["recall@10"])
    c, p = data["chatrec"], data["popularity"]
    assert c["targets"] == p["targets"] > 0 and c["llm"] == "none" and c["as_of_year"] == 2018
    for m in (c, p):
        vals = [m[f"recall@{k}"] for k in KS]
        assert all(0.0 <= v <= 1.0 for v in vals) and vals == sorted(vals)
    assert c["recall@50"] <= c["candidate_recall"] <= 1.0
    per_source = {k: v for k, v in c.items() if k.startswith("candidate_recall_") and not k.endswith("_ci95")}
    assert "candidate_recall_query" in per_source
    assert all(0.0 <= v <= c["candidate_recall"] + 1e-9 for v in per_source.values())
    assert c["candidate_sources_ms_p50"] is not None and c["candidate_sources_ms_p50"] < 1000
    rows = [json.loads(line) for line in (tmp_path / "replay-transcripts.jsonl").read_text().splitlines()]
    assert [r["mode"] for r in rows] == ["rules"] * 3 + ["llm"]
    rows = rows[:3]
    assert sum(len(r["targets"]) for r in rows) == c["targets"]
    for r in rows:
        for t in r["targets"]:
            assert t["rank"] is None or t["rank"] >= 1 and t["popularity_rank"] >= 1
    assert (tmp_path / "replay-redial.md").exists() and (tmp_path / "replay-redial.png").stat().st_size > 1000


def test_halves_are_disjoint_and_fixed() -> None:
    import numpy as np

    from chatrec.evaluation.replay import HALF_SEED, halves

    h = halves(1342, HALF_SEED)
    assert len(h["tune"]) == 671 and len(h["heldout"]) == 671 and not set(h["tune"]) & set(h["heldout"])
    assert np.array_equal(h["tune"], halves(1342, HALF_SEED)["tune"])


def test_tune_talk_scores_recorded_candidates_and_climbs() -> None:
    """Re-scoring recorded components: the target ranks by the weighted sum; ascent finds the weight that lifts
    targets (here popularity) and never ends worse than it started."""
    import numpy as np

    from chatrec.evaluation.replay_tune import ascend, hits

    rng = np.random.default_rng(0)
    names = ["semantic", "popularity"]
    caps = []
    for _ in range(40):
        mat = rng.random((60, 2)).astype(np.float32)
        mat[0, 1] = 1.0  # the target is the most popular candidate, semantic says nothing
        caps.append((names, mat, 0))
    caps.append((names, np.zeros((0, 2), dtype=np.float32), -1))  # a target never among the candidates
    assert hits(caps, {"semantic": 0.0, "popularity": 1.0}) == (40, 40)
    before = hits(caps, {"semantic": 1.0, "popularity": 0.0})
    w, log = ascend(caps, {"semantic": 1.0, "popularity": 0.0}, keys=("popularity", "semantic"))
    assert before < hits(caps, w) == (40, 40) and w["popularity"] > 0 and log


def test_conversation_weights_apply_only_to_talk() -> None:
    from chatrec.dialogue.state import DialogueState, Turn
    from chatrec.rank.ranker import TalkWeights, Weights

    w = Weights(weights={"popularity": 0.25, "semantic": 1.0}, conversation=TalkWeights(weights={"popularity": 2.0}))
    history = DialogueState(catalog="movies", liked_items=["heat-1995"])
    talk = DialogueState(catalog="movies", turns=[Turn(role="user", text="a comedy")])
    assert w.for_state(history)["popularity"] == 0.25
    assert w.for_state(talk) == {"popularity": 2.0, "semantic": 1.0}
    shipped = Weights.load()
    assert shipped.conversation is None or set(shipped.conversation.weights) <= set(shipped.weights) | {"sequence"}
