"""Generic tables (`chatrec.importers.table`): CSV / JSONL with a mapping, a manifest given or inferred, and the
catalog folder writing every importer shares (`chatrec.importers.common`)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT

from chatrec.catalog.catalog import Catalog, validate_folder
from chatrec.cli.main import main
from chatrec.errors import CatalogError
from chatrec.importers import import_table
from chatrec.settings import Settings

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
