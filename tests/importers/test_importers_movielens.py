"""MovieLens enriched with TMDB, MeLU and Wikipedia (`chatrec.importers.movielens`), on the real ml-latest-small.

The full import (9,742 movies) runs once per module; every catalog goes to a temporary data_dir.
"""
from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
from conftest import ROOT, need_shared

from chatrec.candidates.sources import violates
from chatrec.catalog.catalog import Catalog, validate_folder
from chatrec.cli.main import main
from chatrec.dialogue.state import Constraint
from chatrec.importers import import_movielens, map_genres, parse_ml_title
from chatrec.settings import Settings

VOCAB = json.loads((ROOT / "catalog" / "movies" / "manifest.json").read_text())["fields"]["genres"]["vocabulary"]


def _empty(v: object) -> bool:
    return v is None or v == "" or v == []


@pytest.fixture(scope="module")
def data_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("data"), chroma_path=tmp_path_factory.mktemp("chroma"))


@pytest.fixture(scope="module")
def ml(data_settings: Settings):
    folder = need_shared("ml-latest-small")
    for p in ("tmdb-5000", "ml-1m-meta-melu", "wikipedia-movie-data"):
        need_shared(p)
    res = import_movielens(folder, "ml-small", data_settings, sequence_epochs=1)
    return res, Catalog.load("ml-small", data_settings)


def test_movielens_import_has_every_movie_and_enough_text(ml) -> None:
    res, cat = ml
    assert res.path == Path(cat.path) and res.path.parent.name == "catalogs"
    assert not res.path.resolve().is_relative_to(ROOT.resolve())
    assert sorted(p.name for p in res.path.iterdir()) == ["errata.json", "items.jsonl", "manifest.json",
                                                          "neighbors.json", "neighbors_recipe.json",
                                                          "rating_model.json", "sequence_model.pt"]
    assert cat.learned.sequence is not None and cat.learned.sequence.item_ids == [it["id"] for it in cat.items]
    assert res.stats["sequence_model"]["epochs_run"] == 1
    assert json.loads((res.path / "errata.json").read_text()) == []
    assert validate_folder(res.path) == []
    with open(need_shared("ml-latest-small", "movies.csv"), encoding="utf-8") as fh:
        movie_ids = [r["movieId"] for r in csv.DictReader(fh)]
    assert len(cat.items) == len(movie_ids) == 9742
    assert [it["id"] for it in cat.items] == [f"ml-{m}" for m in movie_ids]
    described = [it for it in cat.items if len(str(it.get("description", "")).split()) >= 20]
    assert len(described) >= 7000, len(described)
    for it in cat.items:  # fields a source lacks are omitted, never empty
        assert not [k for k, v in it.items() if _empty(v)], it


def test_movielens_titles_genres_and_joins(ml) -> None:
    _, cat = ml
    toy = cat.by_id["ml-1"]
    assert toy["title"] == "Toy Story" and toy["year"] == 1995
    assert set(toy["genres"]) >= {"Adventure", "Animation", "Family", "Comedy", "Fantasy"}  # Children -> Family
    assert toy["runtime_minutes"] == 81 and toy["language"] == "English"  # TMDB via links.csv tmdbId 862
    assert toy["audience_score"] == 7.7 and toy["audience_votes"] == 5269  # TMDB's vote average and count
    assert toy["directors"] == ["John Lasseter"] and "Tom Hanks" in toy["cast"]  # MeLU by movieId
    assert toy["age_rating"] == "G"
    assert "Science Fiction" in cat.by_id["ml-2571"]["genres"]  # Sci-Fi, The Matrix
    assert cat.by_id["ml-318"]["title"] == "The Shawshank Redemption"
    assert cat.find_title("the shawshank redemption") == "ml-318"
    amelie = cat.by_id["ml-4973"]
    assert amelie["title"].startswith("Am") and "(" not in amelie["title"]  # alternative title stripped
    with open(need_shared("ml-latest-small", "movies.csv"), encoding="utf-8") as fh:
        raw = {f"ml-{r['movieId']}": r["genres"].split("|") for r in csv.DictReader(fh)}
    genres = Counter(g for it in cat.items for g in it.get("genres", []))
    assert set(genres) <= set(VOCAB)
    for src, dst in (("Sci-Fi", "Science Fiction"), ("Children", "Family"), ("Musical", "Music"),
                     ("Film-Noir", "Crime")):
        having = [i for i, g in raw.items() if src in g]
        assert having and all(dst in cat.by_id[i]["genres"] for i in having), src
    noir = next(i for i, g in raw.items() if "Film-Noir" in g)
    assert "film noir" in cat.by_id[noir]["keywords"]
    # no TMDB row -> no runtime (and the recommender treats the empty field as not matching a runtime limit)
    with open(need_shared("ml-latest-small", "links.csv"), encoding="utf-8") as fh:
        no_tmdb = [f"ml-{r['movieId']}" for r in csv.DictReader(fh) if not r["tmdbId"]]
    assert len(no_tmdb) == 8 and all("runtime_minutes" not in cat.by_id[i] for i in no_tmdb)
    assert all("audience_score" not in cat.by_id[i] for i in no_tmdb)
    assert violates(cat.by_id[no_tmdb[0]], "runtime_minutes", Constraint(max=120), cat) == "missing"
    assert 3000 <= sum(1 for it in cat.items if "runtime_minutes" in it) <= 3537
    # Wikipedia: a 2018 film that TMDB 5000 and MeLU do not have gets its extract
    deadpool = cat.by_id["ml-187593"]
    assert "runtime_minutes" not in deadpool and "Deadpool" in deadpool["description"]
    assert "Ryan Reynolds" in deadpool["cast"]


def test_movielens_popularity_and_neighbors(ml) -> None:
    """Every rating is an interaction, as in the evaluation: popularity counts them all, and the neighbours come from
    the evaluation's builder with the ml-latest-small recipe (named in the folder)."""
    from chatrec.rank.signals.neighbors import RECIPE_FILE, RECIPES

    res, cat = ml
    spec = cat.manifest.fields["popularity"]
    assert spec.type == "number" and spec.display == "hidden" and not spec.embed and spec.filter is None
    with open(need_shared("ml-latest-small", "ratings.csv"), encoding="utf-8") as fh:
        counts = Counter(f"ml-{r['movieId']}" for r in csv.DictReader(fh))
    assert all(it["popularity"] == counts.get(it["id"], 0) for it in cat.items)
    assert cat.popularity("ml-356") == counts["ml-356"] == max(counts.values())  # Forrest Gump
    assert cat.manifest.public_popularity == "audience_votes"  # TMDB's vote count: what people know today
    assert res.stats["neighbors_recipe"] == "ml-latest-small"
    assert json.loads((res.path / RECIPE_FILE).read_text())["params"] == RECIPES["ml-latest-small"].as_dict()
    nb = json.loads((res.path / "neighbors.json").read_text())
    assert nb.keys() == cat.learned.neighbors.keys() and len(nb) > 9000
    k = RECIPES["ml-latest-small"].k
    for iid, row in list(nb.items())[::50]:
        assert 0 < len(row) <= k and iid in cat.by_id
        ws = [w for _, w in row]
        assert ws == sorted(ws, reverse=True) and all(0 < w < 1 for w in ws)
        assert iid not in {o for o, _ in row} and all(o in cat.by_id for o, _ in row)
    assert "ml-3114" in [o for o, _ in nb["ml-1"][:5]]  # Toy Story -> Toy Story 2


def test_movielens_cli_writes_to_data_dir(ml, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture) -> None:
    """The CLI path with no enrichment (fast), and the shared copy above is left alone."""
    monkeypatch.setenv("CHATREC_DATA_DIR", str(tmp_path))
    folder = need_shared("ml-latest-small")
    rc = main(["catalog", "import", "movielens", str(folder), "--name", "ml-bare", "--tmdb", "none", "--melu", "none",
               "--wikipedia", "none", "--recipe", "ml-latest-small"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert out["items"] == 9742 and out["sources"] == {"tmdb": None, "melu": None, "wikipedia": None}
    cat = Catalog.load("ml-bare", Settings())
    assert cat.path == tmp_path / "catalogs" / "ml-bare"
    assert not any("runtime_minutes" in it or "description" in it for it in cat.items)
    assert json.loads((cat.path / "neighbors_recipe.json").read_text())["recipe"] == out["neighbors_recipe"] == \
        "ml-latest-small"


def test_title_parsing_and_genre_mapping() -> None:
    assert parse_ml_title("City of Lost Children, The (Cité des enfants perdus, La) (1995)") == (
        "The City of Lost Children", 1995, ["La Cité des enfants perdus"])
    assert parse_ml_title("Death Note: Desu nôto (2006–2007)") == ("Death Note: Desu nôto", 2006, [])
    assert parse_ml_title("Babylon 5") == ("Babylon 5", None, [])
    assert parse_ml_title("Birdman: Or (The Unexpected Virtue of Ignorance) (2014)")[0] == \
        "Birdman: Or (The Unexpected Virtue of Ignorance)"
    assert parse_ml_title("Mesrine: Killer Instinct (L'instinct de mort) (2008)")[2] == ["L'instinct de mort"]
    assert map_genres(["Sci-Fi", "Children", "Musical", "Film-Noir", "IMAX", "(no genres listed)", "Drama"], VOCAB) \
        == (["Science Fiction", "Family", "Music", "Crime", "Drama"], ["musical", "film noir"])
    assert map_genres(["Superhero", "Noir", "Animated", "Sports"], VOCAB) == (
        ["Action", "Crime", "Animation"], ["superhero", "film noir", "sports"])


def test_movielens_rating_model_answers_would_i_like_it(ml) -> None:
    """The import fits the rating predictor on ratings.csv; "would I like X?" uses it with the session's stars."""
    import re

    from chatrec.dialogue.state import DialogueState
    from chatrec.present.answers import answer_fit, rating_history

    _, cat = ml
    assert cat.learned.rating is not None and (cat.path / "rating_model.json").exists()
    close = [j for j, s in sorted(cat.learned.rating.neighbors["ml-1"].items(), key=lambda t: -t[1]) if s > 0][:5]
    fan = DialogueState(catalog=cat.name, stars_out_of_5={j: 5.0 for j in close})
    critic = DialogueState(catalog=cat.name, stars_out_of_5={j: 1.0 for j in close})
    assert len(close) == 5
    rating = cat.learned.rating
    assert rating.predict(rating_history(fan), "ml-1") > rating.predict(rating_history(critic), "ml-1") + 0.5
    text = answer_fit(cat, fan, cat.by_id["ml-1"], None)
    assert re.search(r"about \d\.\d stars out of 5 for Toy Story \(1995\) \(from your 5 rated", text), text
    fresh = answer_fit(cat, DialogueState(catalog=cat.name), cat.by_id["ml-1"], None)
    assert "typical rater" in fresh and "no ratings" not in fresh
    unrated = [it["id"] for it in cat.items if it.get("popularity") == 0 and "audience_score" in it]
    assert all(i in cat.learned.rating.item_bias for i in unrated)  # films nobody rated still get the feature prior
