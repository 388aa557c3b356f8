"""`python -m chatrec catalog validate|dump|index|import|interactions` and `prepare`: catalogs in, checked and
indexed."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    cat = sub.add_parser("catalog", help="validate, dump, index or import catalogs")
    csub = cat.add_subparsers(dest="action", required=True)
    v = csub.add_parser("validate")
    v.add_argument("path")
    d = csub.add_parser("dump")
    d.add_argument("name", nargs="?", default=None)
    ix = csub.add_parser("index")
    ix.add_argument("name", nargs="?", default=None)
    _add_import_parser(csub)
    from chatrec.importers.interactions import add_parser as add_interactions_parser

    add_interactions_parser(csub)
    sub.add_parser("prepare", help="assemble and verify the default model, index the shipped catalogs")


def run(args: argparse.Namespace) -> int:
    return prepare() if args.cmd == "prepare" else catalog(args)


def catalog(args: argparse.Namespace) -> int:
    from chatrec.catalog.catalog import Catalog, validate_folder
    from chatrec.settings import Settings

    s = Settings()
    if args.action == "validate":
        problems = validate_folder(args.path)
        for pr in problems:
            print(pr)
        print(f"{len(problems)} problem(s)" if problems else f"{args.path}: valid")
        return 1 if problems else 0
    if args.action == "import":
        return _run_import(args, s)
    if args.action == "interactions":
        from chatrec.importers.interactions import run

        return run(args, s)
    catalog = Catalog.load(args.name or s.catalog, s)
    if args.action == "dump":
        for it in catalog.items:
            print(json.dumps(it, ensure_ascii=False))
        return 0
    from tqdm import tqdm

    from chatrec.catalog.recovery import ResilientIndex, load_embedder

    emb = load_embedder(s.embedding_path)
    bars: list[Any] = []

    def progress(done: int, total: int) -> None:
        if not bars:  # first call: load the embedding model before the bar's clock starts, so its rate is honest
            if total:
                emb.embed(["warm up"])
            bars.append(tqdm(total=total, unit="item", desc=f"indexing {catalog.name}"))
        bars[0].update(done - bars[0].n)

    index = ResilientIndex(s, emb)
    try:
        counts = index.sync(catalog, progress=progress)
    finally:
        for b in bars:
            b.close()
    for note in index.recoveries:
        print(f"note: {note}", file=sys.stderr)
    print(json.dumps(counts))
    return 0


def prepare() -> int:
    from chatrec.llm.files import resolve_model
    from chatrec.settings import Settings

    s = Settings()
    print(f"model: {resolve_model(s.model, s.data_dir)}")
    for name in ("movies", "products"):
        try:
            catalog(argparse.Namespace(action="index", name=name))
        except Exception as e:  # noqa: BLE001 - report and continue with the other catalog
            print(f"could not index {name}: {e}", file=sys.stderr)
    return 0


def _add_import_parser(csub: Any) -> None:
    """`catalog import csv|tsv|jsonl|json|movielens|wikipedia`: the importers of `chatrec.importers`."""
    from chatrec.rank.signals.neighbors import RECIPES

    imp = csub.add_parser("import", help="import a catalog (CSV/JSONL with a mapping, MovieLens, Wikipedia films) "
                                         "into <data_dir>/catalogs/NAME")
    isub = imp.add_subparsers(dest="source", required=True)
    for fmt in ("csv", "tsv", "jsonl", "json"):
        t = isub.add_parser(fmt, help=f"a {fmt.upper()} table with a field mapping")
        t.add_argument("path")
        t.add_argument("--name", required=True, help="catalog name (folder under <data_dir>/catalogs)")
        t.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                       help="catalog field from a source column, e.g. --map title=name (repeatable)")
        t.add_argument("--manifest", help="manifest.json to follow (otherwise one is inferred from the values)")
        t.add_argument("--list-sep", default="|", help="separator of list values in text cells (default '|')")
        t.add_argument("--list", action="append", default=[], metavar="FIELD", help="treat FIELD as a list")
        t.add_argument("--only-mapped", action="store_true", help="keep only the --map'ped fields")
        t.add_argument("--domain", default="items")
        t.add_argument("--noun", default="item")
        t.add_argument("--noun-plural", default=None)
    ml = isub.add_parser("movielens", help="MovieLens folder (movies/links/tags/ratings.csv) + TMDB, MeLU, Wikipedia")
    ml.add_argument("folder")
    ml.add_argument("--name", default="movielens")
    for src, what in (("tmdb", "tmdb_5000_movies.csv"), ("melu", "movies_extrainfos.dat"),
                      ("wikipedia", "folder of movies-19x0s.json")):
        ml.add_argument(f"--{src}", default="auto", help=f"{what}; 'auto' (default) looks next to the MovieLens "
                                                         f"folder, 'none' skips it")
    ml.add_argument("--recipe", default="ml-latest-small", choices=sorted(RECIPES),
                    help="how neighbours and popularity are learned from the ratings (chatrec.rank.signals.neighbors."
                         "RECIPES, chosen on the evaluation's validation split; stored in the catalog folder)")
    ml.add_argument("--sequence-epochs", type=int, default=0,
                    help="train a sequence model on the ratings in time order with this many epochs (default 0: "
                         "none; on ml-latest-small it lowered validation NDCG@10, see docs/results.md)")
    wk = isub.add_parser("wikipedia", help="Wikipedia American films (movies-19x0s.json files)")
    wk.add_argument("folder")
    wk.add_argument("--name", default="wikipedia-films")
    wk.add_argument("--include-without-extract", action="store_true")


def _run_import(args: argparse.Namespace, settings: Any) -> int:
    from chatrec.errors import CatalogError
    from chatrec.importers import import_movielens, import_table, import_wikipedia

    if args.source == "movielens":
        def src(v: str) -> Path | bool:
            return True if v == "auto" else False if v == "none" else Path(v)
        res = import_movielens(Path(args.folder), args.name, settings, tmdb=src(args.tmdb), melu=src(args.melu),
                               wikipedia=src(args.wikipedia), recipe=args.recipe,
                               sequence_epochs=args.sequence_epochs)
    elif args.source == "wikipedia":
        res = import_wikipedia(Path(args.folder), args.name, settings,
                               require_extract=not args.include_without_extract)
    else:
        mapping: dict[str, str] = {}
        for m in args.map:
            if "=" not in m:
                raise CatalogError(f"--map {m!r}: write FIELD=COLUMN, e.g. --map title=name")
            k, c = m.split("=", 1)
            mapping[k.strip()] = c.strip()
        res = import_table(Path(args.path), args.name, mapping, Path(args.manifest) if args.manifest else None,
                           settings, fmt=args.source, list_sep=args.list_sep, list_fields=args.list,
                           only_mapped=args.only_mapped, domain=args.domain, noun=args.noun,
                           noun_plural=args.noun_plural)
    print(json.dumps(res.summary(), indent=2, ensure_ascii=False))
    print(f"next: python -m chatrec catalog index {res.name}", file=sys.stderr)
    return 0
