"""Each evaluation runs end to end on a tiny sample (real embedder, real Chroma in a temp folder, smoke model)."""
from __future__ import annotations

import json
import math

import pytest
from conftest import need_shared


@pytest.fixture(scope="module")
def eval_settings(tmp_path_factory: pytest.TempPathFactory):
    from chatrec.settings import Settings

    d = tmp_path_factory.mktemp("eval")
    return Settings(data_dir=d, chroma_path=d / "chroma", n_threads=2)


def _check(res: dict, keys: list[str]) -> None:
    assert "chatrec" in res
    for name, m in res.items():
        for k in keys:
            if k in m and m[k] is not None:
                assert 0.0 <= m[k] <= 5.0 and not math.isnan(m[k]), (name, k, m[k])


def test_rank_games_tiny(eval_settings, tmp_path) -> None:
    need_shared("amazon-games-llmrank", "Games-6k.random")
    from chatrec.evaluation.rank_eval import run

    out = tmp_path / "games.json"
    res = run("games", users=None, seed=1, json_path=out, out_dir=tmp_path, settings=eval_settings, tiny=12,
              methods=["random", "popularity", "bm25", "embedding", "cooc", "ease", "sasrec", "chatrec", "llm"],
              llm="smoke", llm_users=2, quiet=True, progress=False)
    data = json.loads(out.read_text())
    assert set(data) >= {"random", "popularity", "bm25", "embedding", "cooc", "ease", "sasrec", "chatrec", "llm",
                         "chatrec+llm"}
    for m in data.values():
        assert {"ndcg@1", "ndcg@5", "ndcg@10", "hr@1", "hr@5", "hr@10", "users", "seed", "weights_sha256"} <= set(m)
        assert m["ndcg@10"] <= m["hr@10"] + 1e-9 and m["ndcg@1"] == pytest.approx(m["hr@1"])
    assert data["chatrec"]["users"] == 12 and data["llm"]["users"] == 2
    assert "vs_chatrec_ndcg@10_se" in data["chatrec+llm"]
    assert (tmp_path / "rank-games.md").exists() and (tmp_path / "rank-games.png").stat().st_size > 1000
    _check(res, ["ndcg@10", "hr@10"])


def test_rank_movielens_tiny(eval_settings, tmp_path) -> None:
    need_shared("ml-latest-small", "ratings.csv")
    from chatrec.evaluation.rank_eval import run

    res = run("ml-latest-small", seed=0, json_path=tmp_path / "ml.json", out_dir=tmp_path, settings=eval_settings,
              tiny=4, methods=["popularity", "cooc", "chatrec"], quiet=True, progress=False)
    assert res["chatrec"]["users"] == 4 and res["popularity"]["dataset"] == "ml-latest-small"
    for comp in ("not_yet_released", "recent_release", "era"):  # dated requests: each such component ablated
        assert res[f"chatrec_without_{comp}"]["users"] == 4
        assert f"vs_chatrec_without_{comp}_ndcg@10_diff" in res["chatrec"]


def test_movielens_requests_are_dated_by_the_last_history_rating() -> None:
    """The request's year (for 'not out yet' and new releases) comes from the history, never from the target."""
    need_shared("ml-latest-small", "ratings.csv")
    import datetime as dt

    from chatrec.evaluation.data import cold_items, load_rank, movielens_ratings, shrink

    ratings = movielens_ratings()
    for split, cut in (("test", 1), ("valid", 2)):
        ev = load_rank("ml-latest-small", split)
        assert ev.as_of_year is not None and len(ev.as_of_year) == len(ev.users)
        for u in (0, len(ev.users) // 2, len(ev.users) - 1):
            rows = ratings[int(ev.users[u])]
            assert f"ml-{rows[-cut - 1][1]}" == ev.item_ids[ev.histories[u][-1]]
            assert ev.as_of_year[u] == dt.datetime.fromtimestamp(rows[-cut - 1][0], dt.timezone.utc).year
    tiny = shrink(ev, 8, 0)
    assert tiny.as_of_year == [ev.as_of_year[ev.users.index(x)] for x in tiny.users]
    cold = cold_items(tiny, 0.5, seed=0)
    assert cold.as_of_year == [ev.as_of_year[ev.users.index(x)] for x in cold.users]


def test_rank_cold_items_tiny(eval_settings, tmp_path) -> None:
    """Held-out new items have no interactions anywhere the methods can learn from, and only their users count."""
    need_shared("ml-latest-small", "ratings.csv")
    from chatrec.evaluation.data import cold_items, load_rank, shrink
    from chatrec.evaluation.rank_eval import run

    split = shrink(load_rank("ml-latest-small", "test"), 8, 0)
    cold = cold_items(split, 0.5, seed=0)
    held = set(cold.targets.tolist())
    assert 0 < len(cold.users) < 8 and len(held) == cold.info["cold_items"]
    assert not any(i in held for s in cold.train_sequences for i in s)
    assert not any(i in held for h in cold.histories for i in h)
    assert cold.popularity()[cold.targets].sum() == 0
    res = run("ml-latest-small", seed=0, json_path=tmp_path / "cold.json", out_dir=tmp_path, settings=eval_settings,
              tiny=8, cold=0.5, methods=["popularity", "bm25", "chatrec"], quiet=True, progress=False)
    assert res["chatrec"]["users"] == len(cold.users)
    assert res["popularity"]["ndcg@10_cold"] == pytest.approx(res["popularity"]["ndcg@10"])  # every target is cold
    assert (tmp_path / "rank-ml-latest-small-cold.md").exists()
    from chatrec.evaluation.catalogs import sequence_for

    seq = sequence_for(cold, eval_settings, seed=0, epochs=3)  # what the harness trains on this split
    assert not seq.seen[sorted(held)].any() and seq.seen.sum() > 0  # it never saw a held-out item


def test_rating_tiny(tmp_path) -> None:
    need_shared("ml-latest-small", "ratings.csv")
    from chatrec.evaluation.rating_eval import run

    res = run(users=15, seed=0, json_path=tmp_path / "rating.json", out_dir=tmp_path, quiet=True, progress=False)
    data = json.loads((tmp_path / "rating.json").read_text())
    assert set(data) >= {"global_mean", "user_mean", "item_mean", "bias", "chatrec"}
    assert all(0 < m["mae"] <= m["rmse"] < 2.5 for m in data.values())
    _check(res, ["rmse", "mae"])


def test_rating_llm_rows_tiny(eval_settings, tmp_path) -> None:
    """The LLM rating path end to end (plumbing: the smoke model): its rows, the same-ratings row and the blend."""
    need_shared("ml-latest-small", "ratings.csv")
    from chatrec.evaluation.rating_eval import run

    res = run(users=15, seed=0, json_path=tmp_path / "rating.json", out_dir=tmp_path, llm="smoke", llm_ratings=4,
              settings=eval_settings, quiet=True, progress=False)
    for k in ("llm", "chatrec_same_ratings", "blend"):
        assert res[k]["ratings"] == 4 and 1 <= res[k]["users"] <= 4 and 0 < res[k]["rmse"] < 5


def test_converse_tiny(eval_settings, tmp_path) -> None:
    need_shared("redial", "test_data.jsonl")
    need_shared("ml-latest-small", "movies.csv")
    from chatrec.evaluation.converse_eval import run

    res = run(dialogues=2, seed=0, json_path=tmp_path / "conv.json", out_dir=tmp_path, settings=eval_settings,
              tiny=True, quiet=True, progress=False)
    data = json.loads((tmp_path / "conv.json").read_text())
    assert {"recall@1", "recall@10", "recall@50"} <= set(data["chatrec"]) and data["retrieval"]["dialogues"] == 2
    lines = (tmp_path / "converse-transcripts.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    assert len(first["ranks"]) == 5 and len(first["messages"]) == 5
    _check(res, ["recall@10"])


def test_seeker_reveals_in_fixed_order() -> None:
    from pathlib import Path

    from chatrec.catalog.catalog import Catalog
    from chatrec.catalog.manifest import Manifest
    from chatrec.evaluation.converse_eval import reveals

    man = Manifest.model_validate({"name": "t", "domain": "films", "item_noun": "movie", "item_noun_plural": "movies",
                                   "fields": {"id": {"type": "string"}, "title": {"type": "string"},
                                              "year": {"type": "integer"}, "genres": {"type": "list"},
                                              "keywords": {"type": "list"}, "cast": {"type": "list"}}})
    it = {"id": "a", "title": "Heat", "year": 1995, "genres": ["Crime", "Thriller"],
          "keywords": ["heat wave", "bank robbery"], "cast": ["Al Pacino", "Robert De Niro"]}
    cat = Catalog("t", Path("."), man, [it])
    assert reveals(cat, it) == ["I'd like something in the crime genre.", "Preferably from the 1990s.",
                                "Something about bank robbery.", "Maybe with Al Pacino in it."]
