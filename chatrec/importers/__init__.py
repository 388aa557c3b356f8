"""Bring your own catalog: one module per source, the generic table importer apart, neighbours apart.

- `table`: CSV / TSV / JSONL / JSON with a field mapping (any domain);
- `movielens`: MovieLens enriched with `tmdb`, `melu` and `wikipedia` where they match;
- `wikipedia`: Wikipedia American films on their own;
- `neighbors`: the collaborative signals learned from interactions;
- `common`: writing a validated catalog folder, the movies manifest, genre mapping and text helpers.

The command line (`python -m chatrec catalog import ...`) is in `chatrec.cli.main`.
"""
from __future__ import annotations

from chatrec.importers.common import ImportResult, catalogs_dir, map_genres, movie_manifest, write_catalog
from chatrec.importers.movielens import import_movielens, parse_ml_title
from chatrec.importers.table import import_table, infer_manifest, read_rows
from chatrec.importers.wikipedia import import_wikipedia

__all__ = ["ImportResult", "catalogs_dir", "import_movielens", "import_table", "import_wikipedia", "infer_manifest",
           "map_genres", "movie_manifest", "parse_ml_title", "read_rows", "write_catalog"]
