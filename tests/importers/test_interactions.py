"""`catalog interactions`: an interaction log attached to an imported catalog reaches the ranker as popularity,
neighbours and a sequence model; bad logs get messages that say what to do."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from chatrec.catalog.catalog import Catalog
from chatrec.errors import CatalogError
from chatrec.settings import ROOT, Settings


@pytest.fixture()
def shop(tmp_path: Path) -> tuple[Settings, list[str]]:
    """A copy of the shipped products catalog, imported under the data dir as `shop`."""
    from chatrec.importers import write_catalog

    s = Settings(data_dir=tmp_path / "data", chroma_path=tmp_path / "chroma")
    src = ROOT / "catalog" / "products"
    man = json.loads((src / "manifest.json").read_text())
    items = [json.loads(l) for l in (src / "items.jsonl").read_text().splitlines() if l.strip()]
    write_catalog("shop", man, items, s)
    return s, [it["id"] for it in items]


def _log(path: Path, ids: list[str], users: int = 150, seed: int = 0) -> None:
    """Shoppers who buy along a fixed path through the first 30 items (i then i+1), with timestamps."""
    rng = np.random.default_rng(seed)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["customer", "sku", "ts"])
        for u in range(users):
            start, n = int(rng.integers(0, 24)), int(rng.integers(3, 7))
            for k in range(n):
                w.writerow([f"u{u}", ids[start + k], 1_700_000_000 + 3600 * k + u])
        w.writerow(["u0", "no-such-sku", 1])


def test_attach_builds_what_the_ranker_reads(shop, tmp_path: Path) -> None:
    from chatrec.importers.interactions import attach

    s, ids = shop
    _log(tmp_path / "log.csv", ids)
    res = attach("shop", tmp_path / "log.csv", s, user_col="customer", item_col="sku", time_col="ts",
                 sequence_epochs=2)
    assert res["unknown_item_ids"] == 1 and res["unknown_examples"] == ["no-such-sku"]
    assert res["users"] == 150 and res["sequence_model"]["epochs_run"] == 2
    cat = Catalog.load("shop", s)
    assert cat.learned.sequence is not None and cat.learned.sequence.item_ids == ids
    assert cat.learned.sequence.seen[:30].any() and not cat.learned.sequence.seen[30:].any()  # only items in the log
    pops = [it["popularity"] for it in cat.items]
    assert sum(pops) == res["rows_used"] and all(p == 0 for p in pops[30:])
    assert ids[1] in dict(cat.learned.neighbors[ids[0]])  # bought together along the path
    assert cat.manifest.fields["popularity"].unit == "interactions"
    from chatrec.rank.signals.neighbors import RECIPE_FILE, RECIPES

    stored = json.loads((cat.path / RECIPE_FILE).read_text())  # the builder and recipe the evaluation uses
    assert res["neighbors_recipe"] == stored["recipe"] == "ml-latest-small"
    assert stored["params"] == RECIPES["ml-latest-small"].as_dict()


def test_bad_logs_say_what_to_do(shop, tmp_path: Path) -> None:
    from chatrec.importers.interactions import attach

    s, ids = shop
    (tmp_path / "cols.csv").write_text("who,what\nu1,x\n")
    with pytest.raises(CatalogError, match="--user-column"):
        attach("shop", tmp_path / "cols.csv", s)
    (tmp_path / "none.csv").write_text("user_id,item_id,timestamp\nu1,nope,1\n")
    with pytest.raises(CatalogError, match="must hold the catalog's `id` values"):
        attach("shop", tmp_path / "none.csv", s)
    (tmp_path / "time.csv").write_text(f"user_id,item_id,timestamp\nu1,{ids[0]},yesterday\n")
    with pytest.raises(CatalogError, match="not a number"):
        attach("shop", tmp_path / "time.csv", s)
    with pytest.raises(CatalogError, match="no such file"):
        attach("shop", tmp_path / "missing.csv", s)
    with pytest.raises(CatalogError, match="read-only"):
        attach("products", tmp_path / "none.csv", s)
    assert Catalog.load("shop", s).learned.sequence is None  # nothing half-written


def test_cli_reports_errors_without_a_traceback(shop, tmp_path: Path, monkeypatch, capsys) -> None:
    from chatrec.cli.main import main

    s, ids = shop
    monkeypatch.setenv("CHATREC_DATA_DIR", str(s.data_dir))
    (tmp_path / "cols.csv").write_text("who,what\nu1,x\n")
    assert main(["catalog", "interactions", "shop", str(tmp_path / "cols.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err and "--user-column" in err
    _log(tmp_path / "log.csv", ids, users=40)
    assert main(["catalog", "interactions", "shop", str(tmp_path / "log.csv"), "--user-column", "customer",
                 "--item-column", "sku", "--time-column", "ts", "--sequence-epochs", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["rows_used"] > 0
