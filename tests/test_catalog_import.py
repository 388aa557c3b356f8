"""Bring your own catalog: CSV/JSONL with a mapping, MovieLens + TMDB/MeLU/Wikipedia, Wikipedia films.

The full ml-latest-small import (9,742 movies) runs once per module; every catalog goes to a temporary data_dir.
"""
from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
from conftest import ROOT, need_shared

from chatrec.candidates import violates
from chatrec.catalog import Catalog, CatalogError, validate_folder
from chatrec.catalog_import import (cooccurrence_neighbors, import_movielens, import_table, import_wikipedia,
                                    map_genres, parse_ml_title)
from chatrec.cli import main
from chatrec.settings import Settings
from chatrec.state import Constraint

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


# ---------------------------------------------------------------------------------------------------------------------
# MovieLens


def test_movielens_import_has_every_movie_and_enough_text(ml) -> None:
    res, cat = ml
    assert res.path == Path(cat.path) and res.path.parent.name == "catalogs"
    assert not res.path.resolve().is_relative_to(ROOT.resolve())
    assert sorted(p.name for p in res.path.iterdir()) == ["errata.json", "items.jsonl", "manifest.json",
                                                          "neighbors.json", "rating_model.json", "sequence_model.pt"]
    assert cat.sequence is not None and cat.sequence.item_ids == [it["id"] for it in cat.items]
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
    res, cat = ml
    spec = cat.manifest.fields["popularity"]
    assert spec.type == "number" and spec.display == "hidden" and not spec.embed and spec.filter is None
    with open(need_shared("ml-latest-small", "ratings.csv"), encoding="utf-8") as fh:
        counts = Counter(f"ml-{r['movieId']}" for r in csv.DictReader(fh))
    assert all(it["popularity"] == counts.get(it["id"], 0) for it in cat.items)
    assert cat.popularity("ml-356") == counts["ml-356"] == max(counts.values())  # Forrest Gump
    nb = json.loads((res.path / "neighbors.json").read_text())
    assert nb.keys() == cat.neighbors.keys() and len(nb) > 6000
    for iid, row in nb.items():
        assert 0 < len(row) <= 50 and iid in cat.by_id
        ws = [w for _, w in row]
        assert ws == sorted(ws, reverse=True) and all(0 < w <= 1 for w in ws)
        assert iid not in {o for o, _ in row} and all(o in cat.by_id for o, _ in row)
    assert len(nb["ml-1"]) == 50
    assert "ml-3114" in [o for o, _ in nb["ml-1"][:5]]  # Toy Story -> Toy Story 2


def test_movielens_cli_writes_to_data_dir(ml, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture) -> None:
    """The CLI path with no enrichment (fast), and the shared copy above is left alone."""
    monkeypatch.setenv("CHATREC_DATA_DIR", str(tmp_path))
    folder = need_shared("ml-latest-small")
    rc = main(["catalog", "import", "movielens", str(folder), "--name", "ml-bare", "--tmdb", "none", "--melu", "none",
               "--wikipedia", "none", "--neighbors", "5"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert out["items"] == 9742 and out["sources"] == {"tmdb": None, "melu": None, "wikipedia": None}
    cat = Catalog.load("ml-bare", Settings())
    assert cat.path == tmp_path / "catalogs" / "ml-bare"
    assert not any("runtime_minutes" in it or "description" in it for it in cat.items)
    assert max(len(v) for v in cat.neighbors.values()) == 5


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


def test_cooccurrence_is_symmetric_cosine() -> None:
    # users 0,1 like items 0 and 1; user 2 likes 1 and 2; item 3 has nobody
    nb = cooccurrence_neighbors([0, 0, 1, 1, 2, 2], [0, 1, 0, 1, 1, 2], 4, k=2, shrink=0)
    assert nb[0] == [(1, round(2 / (2 * 3) ** 0.5, 4))]
    assert [j for j, _ in nb[1]] == [0, 2] and nb[3] == []
    assert nb[2] == [(1, round(1 / 3 ** 0.5, 4))]


# ---------------------------------------------------------------------------------------------------------------------
# Wikipedia films


def test_wikipedia_import(data_settings: Settings) -> None:
    folder = need_shared("wikipedia-movie-data")
    res = import_wikipedia(folder, "wiki-films", data_settings)
    cat = Catalog.load("wiki-films", data_settings)
    assert validate_folder(res.path) == []
    assert 34000 <= len(cat.items) <= 34532
    assert all(it["description"] for it in cat.items) and len(cat.by_id) == len(cat.items)
    assert sum(1 for it in cat.items if it.get("genres")) > 33000
    kw = Counter(k for it in cat.items for k in it.get("keywords", []))
    assert kw["silent film"] > 5000 and kw["superhero"] > 100 and kw["film noir"] > 500
    noir = [it for it in cat.items if "film noir" in it.get("keywords", [])]
    assert all("Crime" in it["genres"] for it in noir)
    assert all(not str(c).startswith(("(", ")")) for it in cat.items for c in it.get("cast", []))
    ultron = [it for it in cat.items if it["title"] == "Avengers: Age of Ultron"]
    assert len(ultron) == 1 and ultron[0]["year"] == 2015 and "Robert Downey Jr." in ultron[0]["cast"]
    assert "superhero" in ultron[0]["keywords"] and "Action" in ultron[0]["genres"]


# ---------------------------------------------------------------------------------------------------------------------
# Generic tables


BOOKS = "\n".join([
    "name,release_year,genre,tags,blurb,price",
    'Dune,1965,Science Fiction,desert|empire|spice,"A young nobleman is thrust into the politics and ecology of a '
    'desert planet that produces the most valuable substance.",9.99',
    'Emma,1815,Romance,matchmaking|village,"A well-meaning young woman meddles in the love lives of her neighbours '
    'in a small English village, with comic results.",4.5',
    'Neuromancer,1984,science fiction,cyberspace|heist,"A washed-up hacker is hired for one last job that pulls '
    'him into a conspiracy involving artificial intelligences.",12',
    'Persuasion,1817,Romance,second chances,"Years after being persuaded to break off her engagement, a woman meets '
    'the naval captain she once refused.",5',
]) + "\n"


def test_csv_with_mapping_and_inferred_manifest(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path)
    (tmp_path / "books.csv").write_text(BOOKS)
    res = import_table(tmp_path / "books.csv", "books", {"title": "name", "year": "release_year",
                                                         "description": "blurb"}, settings=s, noun="book")
    cat = Catalog.load("books", s)
    assert res.path == tmp_path / "catalogs" / "books" and validate_folder(res.path) == []
    f = cat.manifest.fields
    assert (f["title"].type, f["title"].display, f["title"].required) == ("string", "title", True)
    assert (f["year"].type, f["year"].filter) == ("integer", "range")
    assert (f["price"].type, f["price"].filter) == ("number", "range")
    assert (f["tags"].type, f["tags"].filter) == ("list", "member")
    assert (f["description"].type, f["description"].embed) == ("text", True)
    assert cat.manifest.item_noun_plural == "books" and cat.manifest.name == "books"
    dune = cat.by_id["dune-1965"]
    assert dune == {"id": "dune-1965", "title": "Dune", "year": 1965, "genre": "Science Fiction",
                    "tags": ["desert", "empire", "spice"], "description": dune["description"], "price": 9.99}
    assert "Dune" in cat.document(dune) and "desert planet" in cat.document(dune)


def test_csv_with_given_manifest_coerces_and_reports(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path)
    (tmp_path / "books.csv").write_text(BOOKS)
    manifest = {"name": "whatever", "domain": "books", "item_noun": "book", "item_noun_plural": "books", "fields": {
        "id": {"type": "string", "required": True, "display": "hidden"},
        "title": {"type": "string", "required": True, "display": "title", "embed": True},
        "year": {"type": "integer", "filter": "range", "minimum": 1900, "maximum": 2030},
        "genre": {"type": "string", "filter": "include_exclude", "vocabulary": ["Science Fiction", "Fantasy"]},
        "tags": {"type": "list", "filter": "member", "embed": True},
        "description": {"type": "text", "required": True, "embed": True}}}
    (tmp_path / "m.json").write_text(json.dumps(manifest))
    res = import_table(tmp_path / "books.csv", "books2", {"title": "name", "year": "release_year",
                                                          "description": "blurb"}, tmp_path / "m.json", s)
    cat = Catalog.load("books2", s)
    assert cat.manifest.name == "books2" and set(cat.manifest.fields) == set(manifest["fields"])
    assert cat.by_id["neuromancer-1984"]["genre"] == "Science Fiction"  # vocabulary matched case-insensitively
    assert "year" not in cat.by_id["emma"] and "genre" not in cat.by_id["emma"]  # out of range / vocabulary
    assert any("price" in w for w in res.warnings)
    assert any(w.startswith("year: dropped 2") for w in res.warnings)
    assert any(w.startswith("genre: dropped 2") for w in res.warnings)


def test_jsonl_lists_and_failed_import_keeps_previous(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHATREC_DATA_DIR", str(tmp_path))
    rows = [{"sku": "A-1", "name": "Trail tent", "cats": ["Camping", "Hiking"], "usd": 120.0, "in_stock": True},
            {"sku": "A-2", "name": "Camp stove", "cats": ["Camping"], "usd": 45, "in_stock": False},
            {"sku": "A-3", "name": "Trekking poles", "cats": ["Hiking"], "usd": 60, "in_stock": "yes"}]
    src = tmp_path / "shop.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    assert main(["catalog", "import", "jsonl", str(src), "--name", "shop", "--map", "id=sku", "--map", "title=name",
                 "--map", "price_usd=usd", "--map", "categories=cats", "--noun", "product"]) == 0
    cat = Catalog.load("shop", Settings())
    assert [it["id"] for it in cat.items] == ["A-1", "A-2", "A-3"]
    assert cat.by_id["A-3"]["in_stock"] is True and cat.by_id["A-1"]["categories"] == ["Camping", "Hiking"]
    assert cat.manifest.fields["categories"].type == "list" and cat.manifest.fields["in_stock"].type == "boolean"
    # a broken re-import (duplicate ids) fails with the problems listed and leaves the old catalog in place
    src.write_text("\n".join(json.dumps({**r, "sku": "A-1"}) for r in rows) + "\n")
    with pytest.raises(CatalogError, match="duplicate id"):
        import_table(src, "shop", {"id": "sku", "title": "name"}, settings=Settings())
    assert [it["id"] for it in Catalog.load("shop", Settings()).items] == ["A-1", "A-2", "A-3"]
    assert sorted(p.name for p in (tmp_path / "catalogs").iterdir()) == ["shop"]
    with pytest.raises(CatalogError, match="not in shop.jsonl"):
        import_table(src, "shop", {"title": "nope"}, settings=Settings())
    assert main(["catalog", "import", "jsonl", str(src), "--name", "Bad Name"]) == 2


def test_never_writes_inside_the_repository(tmp_path: Path) -> None:
    (tmp_path / "books.csv").write_text(BOOKS)
    inside = ROOT / ".chatrec-test-data"
    with pytest.raises(CatalogError, match="inside the repository"):
        import_table(tmp_path / "books.csv", "books", {"title": "name"}, settings=Settings(data_dir=inside))
    assert not (inside / "catalogs" / "books").exists()
    with pytest.raises(CatalogError, match="already exists"):  # would be shadowed by the shipped catalog
        import_table(tmp_path / "books.csv", "products", {"title": "name"}, settings=Settings(data_dir=tmp_path))
    if inside.exists():
        import shutil

        shutil.rmtree(inside)


def test_movielens_rating_model_answers_would_i_like_it(ml) -> None:
    """The import fits the rating predictor on ratings.csv; "would I like X?" uses it with the session's stars."""
    import re

    from chatrec.answers import answer_fit, rating_history
    from chatrec.state import DialogueState

    _, cat = ml
    assert cat.rating is not None and (cat.path / "rating_model.json").exists()
    close = [j for j, s in sorted(cat.rating.neighbors["ml-1"].items(), key=lambda t: -t[1]) if s > 0][:5]
    fan = DialogueState(catalog=cat.name, stars_out_of_5={j: 5.0 for j in close})
    critic = DialogueState(catalog=cat.name, stars_out_of_5={j: 1.0 for j in close})
    assert len(close) == 5
    assert cat.rating.predict(rating_history(fan), "ml-1") > cat.rating.predict(rating_history(critic), "ml-1") + 0.5
    text = answer_fit(cat, fan, cat.by_id["ml-1"], None)
    assert re.search(r"about \d\.\d stars out of 5 for Toy Story \(1995\) \(from your 5 rated", text), text
    fresh = answer_fit(cat, DialogueState(catalog=cat.name), cat.by_id["ml-1"], None)
    assert "typical rater" in fresh and "no ratings" not in fresh
    unrated = [it["id"] for it in cat.items if it.get("popularity") == 0 and "audience_score" in it]
    assert all(i in cat.rating.item_bias for i in unrated)  # films nobody rated still get the feature prior
