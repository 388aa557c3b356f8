"""Wikipedia American films as a catalog of their own (`chatrec.importers.wikipedia`), on the real data."""
from __future__ import annotations

from collections import Counter

import pytest
from conftest import need_shared

from chatrec.catalog.catalog import Catalog, validate_folder
from chatrec.importers import import_wikipedia
from chatrec.settings import Settings


@pytest.fixture(scope="module")
def data_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("data"))


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
