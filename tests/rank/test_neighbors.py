"""One builder for the collaborative signals (`chatrec.rank.signals.neighbors`): what the evaluation measures is what
the product's own import ships. A catalog made by `python -m chatrec catalog import movielens` from a split's
training ratings, ranked by the product's ranker, gets the NDCG@10 of the evaluation's own catalog for that split."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import need_shared

from chatrec.rank.signals.neighbors import RECIPE_FILE, RECIPES, NeighborParams, build, sequences_by_user


def test_build_weights_popularity_and_recipe() -> None:
    # three users: 0 -> 1 -> 2, 0 -> 1, 2 -> 0; item 3 nobody
    seqs = sequences_by_user([("b", 0, 1.0), ("a", 1, 5.0), ("a", 0, 2.0), ("a", 2, 9.0), ("b", 1, 1.0),
                              ("c", 2, 0.0), ("c", 0, 3.0)])
    assert seqs == [[0, 1, 2], [0, 1], [2, 0]]  # users sorted, time order, ties by item position
    p = NeighborParams(window=2, gap_decay=0.5, backward=0.25, alpha=0.5, shrink=0.0, popularity_recency=0.5)
    col = build(seqs, ["i0", "i1", "i2", "i3"], p)
    nb = {k: dict(v) for k, v in col.neighbors.items()}
    n = np.array([3, 2, 2, 0]) + 1.0  # item counts (+1)
    # 0 -> 1: forward in two sequences; 1 -> 0: backward (0.25) in two
    assert nb["i0"]["i1"] == pytest.approx(2 / np.sqrt(n[0] * n[1]), abs=1e-6)
    assert nb["i1"]["i0"] == pytest.approx(0.5 / np.sqrt(n[1] * n[0]), abs=1e-6)
    # 0 -> 2: gap 2 in [0,1,2] (0.5) plus backward of 2 -> 0 in [2,0] (0.25)
    assert nb["i0"]["i2"] == pytest.approx(0.75 / np.sqrt(n[0] * n[2]), abs=1e-6)
    assert "i3" not in col.neighbors and list(col.neighbors["i0"]) == sorted(col.neighbors["i0"], key=lambda t: -t[1])
    # popularity: each interaction weighs 0.5 ** (items after it in its sequence)
    assert col.popularity.tolist() == [0.25 + 0.5 + 1.0, 0.5 + 1.0, 1.0 + 0.5, 0.0]
    assert col.recipe == "custom" and col.recipe_json()["params"]["gap_decay"] == 0.5
    named = build(seqs, ["i0", "i1", "i2", "i3"], "ml-latest-small")
    assert named.recipe_json()["recipe"] == "ml-latest-small" and named.params == RECIPES["ml-latest-small"]


def _write_movielens(folder: Path, split, movies_csv: Path) -> None:
    """A MovieLens folder holding only the split's items and its TRAINING sequences as ratings (time = position)."""
    folder.mkdir()
    keep = set(split.item_ids)
    with open(movies_csv, encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if f"ml-{r['movieId']}" in keep]
    assert [f"ml-{r['movieId']}" for r in rows] == split.item_ids
    with open(folder / "movies.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["movieId", "title", "genres"])
        w.writeheader()
        w.writerows(rows)
    with open(folder / "ratings.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["userId", "movieId", "rating", "timestamp"])
        for u, seq in enumerate(split.train_sequences):
            for t, i in enumerate(seq):
                w.writerow([u + 1, split.item_ids[i][3:], 4.0, 1_000_000 + t])


def test_product_import_ranks_like_the_evaluation_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture) -> None:
    movies_csv = need_shared("ml-latest-small", "movies.csv")
    need_shared("ml-latest-small", "ratings.csv")
    from chatrec.catalog.catalog import Catalog
    from chatrec.cli.main import main
    from chatrec.evaluation.catalogs import Core, base_catalog, split_catalog
    from chatrec.evaluation.data import load_rank, shrink
    from chatrec.evaluation.metrics import per_user
    from chatrec.evaluation.rank_eval import core_scores
    from chatrec.settings import Settings

    split = shrink(load_rank("ml-latest-small", "test"), 25, seed=0, max_train=1500)
    _write_movielens(tmp_path / "ml", split, movies_csv)
    monkeypatch.setenv("CHATREC_DATA_DIR", str(tmp_path / "data"))
    assert main(["catalog", "import", "movielens", str(tmp_path / "ml"), "--name", "ml-from-train", "--tmdb", "none",
                 "--melu", "none", "--wikipedia", "none"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["neighbors_recipe"] == "ml-latest-small"
    settings = Settings(data_dir=tmp_path / "data", chroma_path=tmp_path / "chroma")
    imported = Catalog.load("ml-from-train", settings)
    stored = json.loads((imported.path / RECIPE_FILE).read_text())
    assert stored["recipe"] == "ml-latest-small" and stored["params"] == RECIPES["ml-latest-small"].as_dict()

    core = Core(settings)
    base = base_catalog("ml-latest-small", core.settings, split.item_ids)
    evaluated = split_catalog(base, split)
    got, want = imported.learned.neighbors, evaluated.learned.neighbors
    assert got.keys() == want.keys() and len(got) > 100
    for k, row in want.items():
        assert [i for i, _ in got[k]] == [i for i, _ in row], k
        assert np.allclose([w for _, w in got[k]], [w for _, w in row], atol=1e-6)
    assert [it["popularity"] for it in imported.items] == pytest.approx([it["popularity"] for it in evaluated.items])

    ndcg = {}
    for name, cat in (("imported", imported), ("evaluation", evaluated)):
        core.sync(cat, progress=False)
        scores, _ = core_scores(core.ranker(cat), cat, split, progress=False)
        ndcg[name] = float(per_user(scores, split.target_pos)["ndcg@10"].mean())
    print(f"NDCG@10 on {len(split.users)} users: imported {ndcg['imported']:.4f}, evaluation {ndcg['evaluation']:.4f}")
    assert abs(ndcg["imported"] - ndcg["evaluation"]) <= 0.001, ndcg
    assert ndcg["evaluation"] > 0.3  # the ranker does rank (random is ~0.2 on 20 candidates)
