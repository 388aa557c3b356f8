"""Attach an interaction log (who bought, watched or rated which item, when) to an imported catalog.

`python -m chatrec catalog interactions NAME FILE.csv` turns the log into what the ranker's collaborative
components read: `popularity` per item, `neighbors.json` (with the recipe that made them), and the sequence model
(`sequence_model.pt`, `chatrec.rank.signals.sequence`) that reads the order of what a user liked. Rows naming items
the catalog
does not have are counted and reported, never guessed. Shipped catalogs (inside the repository) are read-only:
import a copy first.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path
from typing import Any

from chatrec.catalog.catalog import Catalog
from chatrec.errors import CatalogError
from chatrec.settings import ROOT, Settings

POPULARITY_FIELD = {"type": "number", "required": False, "display": "hidden", "embed": False, "minimum": 0,
                    "unit": "interactions"}


def read_log(path: Path, user_col: str = "user_id", item_col: str = "item_id",
             time_col: str | None = "timestamp") -> list[tuple[str, str, float]]:
    """(user, item, time) rows of a CSV with a header; time is optional (file order is then the order)."""
    if not path.exists():
        raise CatalogError(f"{path}: no such file (give a CSV with a header row: {user_col},{item_col},{time_col})")
    with open(path, encoding="utf-8", newline="") as fh:
        rd = csv.DictReader(fh)
        cols = rd.fieldnames or []
        missing = [c for c in (user_col, item_col) if c not in cols]
        if missing:
            raise CatalogError(f"{path}: no column {missing[0]!r} (columns: {', '.join(cols) or 'none'}); "
                               f"name the right ones with --user-column / --item-column")
        use_time = time_col is not None and time_col in cols
        rows = []
        for n, r in enumerate(rd):
            try:
                t = float(r[time_col]) if use_time else float(n)
            except (TypeError, ValueError):
                raise CatalogError(f"{path} line {n + 2}: time {r.get(time_col)!r} is not a number (seconds since "
                                   f"1970, or leave the column out)") from None
            if r[user_col] and r[item_col]:
                rows.append((r[user_col].strip(), r[item_col].strip(), t))
    return rows


def attach(name: str, path: Path, settings: Settings | None = None, user_col: str = "user_id",
           item_col: str = "item_id", time_col: str | None = "timestamp", sequence_epochs: int = 20,
           recipe: str = "ml-latest-small", log: Any = None) -> dict[str, Any]:
    """Rewrite catalog `name` with popularity, neighbours (the builder and named recipe the evaluation uses,
    `importers.neighbors`) and, if `sequence_epochs` > 0, a sequence model."""
    from chatrec.importers import write_catalog
    from chatrec.rank.signals.neighbors import build, popularity_value, sequences_by_user, train_sequence

    t0 = time.time()
    settings = settings or Settings()
    cat = Catalog.load(name, settings)
    if Path(cat.path).resolve().is_relative_to(ROOT.resolve()):
        raise CatalogError(f"{name!r} ships with chatrec and is read-only; import a copy under another name "
                           f"(python -m chatrec catalog import ...) and attach the interactions to that")
    rows = read_log(Path(path), user_col, item_col, time_col)
    pos = {it["id"]: n for n, it in enumerate(cat.items)}
    known = [(u, pos[i], t) for u, i, t in rows if i in pos]
    unknown = sorted({i for _, i, _ in rows if i not in pos})
    if not known:
        raise CatalogError(f"{path}: none of its {len(rows)} rows names an item id of catalog {name!r} "
                           f"(first unknown: {unknown[:3]}); the item column must hold the catalog's `id` values")
    seqs = sequences_by_user(known)  # time order, ties by catalog order
    ids = [it["id"] for it in cat.items]
    col = build(seqs, ids, recipe)
    counts = [0] * len(ids)
    for _, i, _ in known:
        counts[i] += 1
    items = [{**it, "popularity": popularity_value(p)} for it, p in zip(cat.items, col.popularity)]
    neighbors = col.neighbors
    sequence = train_sequence(seqs, ids, sequence_epochs, log=log) if sequence_epochs > 0 else None
    man = cat.manifest.model_dump()
    man["fields"].setdefault("popularity", POPULARITY_FIELD)
    dest = write_catalog(name, man, items, settings, neighbors, sequence, recipe=col.recipe_json())
    return {"catalog": name, "path": str(dest), "rows": len(rows), "rows_used": len(known),
            "unknown_item_ids": len(unknown), "unknown_examples": unknown[:5], "users": len(seqs),
            "items_with_interactions": sum(1 for c in counts if c), "with_neighbors": len(neighbors),
            "neighbors_recipe": col.recipe,
            "sequence_model": sequence.info if sequence is not None else None, "seconds": round(time.time() - t0, 1)}


def add_parser(csub: Any) -> None:
    p = csub.add_parser("interactions", help="attach an interaction log (CSV: user, item, time) to an imported "
                                             "catalog: popularity, neighbours and a sequence model for the ranker")
    p.add_argument("name", help="an imported catalog (see `catalog import`)")
    p.add_argument("file", help="CSV with a header row")
    p.add_argument("--user-column", default="user_id")
    p.add_argument("--item-column", default="item_id", help="holds the catalog's item ids")
    p.add_argument("--time-column", default="timestamp", help="numbers; without it the file order is the order")
    p.add_argument("--sequence-epochs", type=int, default=20, help="0: no sequence model")
    from chatrec.rank.signals.neighbors import RECIPES

    p.add_argument("--recipe", default="ml-latest-small", choices=sorted(RECIPES),
                   help="how neighbours and popularity are learned (chatrec.rank.signals.neighbors.RECIPES; "
                        "'games' was chosen on sparse purchases, 'ml-latest-small' on ratings)")


def run(args: argparse.Namespace, settings: Settings | None = None) -> int:
    res = attach(args.name, Path(args.file), settings, args.user_column, args.item_column, args.time_column,
                 args.sequence_epochs, args.recipe, log=lambda m: print(m, file=sys.stderr))
    print(json.dumps(res, indent=2, ensure_ascii=False))
    print(f"next: python -m chatrec catalog index {args.name}", file=sys.stderr)
    return 0
