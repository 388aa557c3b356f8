"""Catalog format, manifest and `validate`: real shipped catalogs pass, broken ones are reported precisely."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chatrec.catalog.catalog import Catalog, validate_folder
from chatrec.catalog.manifest import Manifest
from chatrec.errors import CatalogError
from chatrec.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name,minimum", [("movies", 600), ("products", 200)])
def test_shipped_catalogs_are_valid_and_big_enough(name: str, minimum: int) -> None:
    assert validate_folder(ROOT / "catalog" / name) == []
    cat = Catalog.load(name, Settings())
    assert len(cat.items) >= minimum
    assert len(cat.by_id) == len(cat.items)


def test_movies_span_decades_and_genres() -> None:
    cat = Catalog.load("movies", Settings())
    decades = {it["year"] // 10 * 10 for it in cat.items}
    assert set(range(1940, 2030, 10)) <= decades
    genres = {g for it in cat.items for g in it["genres"]}
    assert genres == set(cat.manifest.fields["genres"].vocabulary or [])
    langs = {it.get("language") for it in cat.items}
    assert len(langs) >= 8, langs
    for it in cat.items:
        assert 8 <= len(it["keywords"]) <= 15, it["id"]
        assert 2 <= len([s for s in it["description"].split(". ") if s.strip()]) <= 6, it["id"]


def test_product_complements_make_bought_together_sense() -> None:
    cat = Catalog.load("products", Settings())
    for it in cat.items:
        assert it["id"] not in it["complements"]
        assert all(c in cat.by_id for c in it["complements"])
    cats = {it["category"] for it in cat.items}
    assert {"Soccer", "Thanksgiving", "Camping", "Birthday"} <= cats


def _write(tmp: Path, rows: list[str]) -> Path:
    d = tmp / "cat"
    d.mkdir()
    shutil.copy(ROOT / "catalog" / "movies" / "manifest.json", d / "manifest.json")
    (d / "items.jsonl").write_text("\n".join(rows) + "\n")
    return d


def test_validate_reports_file_line_and_field(tmp_path: Path) -> None:
    good = {"id": "a", "title": "A", "year": 1999, "genres": ["Drama"], "runtime_minutes": 100,
            "keywords": ["x"] * 8, "description": "Fine. Really."}
    rows = [json.dumps(good),
            json.dumps({**good, "id": "a"}),                       # duplicate id
            json.dumps({k: v for k, v in good.items() if k != "title"} | {"id": "b"}),  # missing title
            json.dumps({**good, "id": "c", "year": "1999"}),        # wrong type
            json.dumps({**good, "id": "d", "runtime_minutes": 2000}),  # bad unit (hours? seconds?)
            "{not json",
            json.dumps({**good, "id": "e", "genres": ["Drama", "Cowboy"]})]  # not in vocabulary
    problems = validate_folder(_write(tmp_path, rows))
    got = {(p.line, p.field) for p in problems}
    assert (2, "id") in got and (3, "title") in got and (4, "year") in got
    assert (5, "runtime_minutes") in got and (6, None) in got and (7, "genres") in got
    assert all(p.file.endswith("items.jsonl") for p in problems)
    assert len(problems) == 6  # the valid first row produces nothing, no row is silently dropped


def test_validate_cli_exit_codes(tmp_path: Path) -> None:
    ok = subprocess.run([sys.executable, "-m", "chatrec", "catalog", "validate", str(ROOT / "catalog" / "movies")],
                        capture_output=True, text=True, cwd=ROOT)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = _write(tmp_path, ['{"id": "x"}'])
    r = subprocess.run([sys.executable, "-m", "chatrec", "catalog", "validate", str(bad)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 1 and "items.jsonl:1 [title]" in r.stdout


def test_loading_a_broken_catalog_says_how_to_fix(tmp_path: Path) -> None:
    bad = _write(tmp_path, ['{"id": "x"}'])
    with pytest.raises(CatalogError, match="catalog validate"):
        Catalog.load(bad, Settings())
    with pytest.raises(CatalogError, match="known catalogs: .*movies"):
        Catalog.load("no-such-catalog", Settings())


def test_manifest_derives_filters() -> None:
    m = Manifest.model_validate_json((ROOT / "catalog" / "movies" / "manifest.json").read_text())
    f = m.filterable()
    assert f["runtime_minutes"].filter == "range" and f["runtime_minutes"].unit == "minutes"
    assert f["genres"].filter == "include_exclude" and "Horror" in (f["genres"].vocabulary or [])
    with pytest.raises(ValueError):
        Manifest.model_validate({**m.model_dump(), "fields": {"id": {"type": "string", "filter": "range"}}})


def test_dump_prints_every_record() -> None:
    r = subprocess.run([sys.executable, "-m", "chatrec", "catalog", "dump", "movies"], capture_output=True,
                       text=True, cwd=ROOT)
    rows = [json.loads(l) for l in r.stdout.splitlines()]
    assert len(rows) == len(Catalog.load("movies", Settings()).items)
    assert {"id", "title", "year", "genres", "runtime_minutes", "description"} <= set(rows[0])
