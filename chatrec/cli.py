"""Command line: `python -m chatrec chat [--jsonl]`, `catalog validate|dump|index`, `eval ...`."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO


def _chat_jsonl(rec: Any, catalog: str | None, inp: TextIO, out: TextIO) -> None:
    """One JSON line out per line in; sessions keyed by the caller's id live only in this call."""
    from .reply import InputError

    sessions: dict[str, Any] = {}

    def emit(obj: dict[str, Any]) -> None:
        out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        out.flush()

    for raw in inp:
        if not raw.strip():
            continue
        sid = None
        try:
            try:
                msg = json.loads(raw)
            except json.JSONDecodeError as e:
                raise InputError(f"not valid JSON ({e.msg} at column {e.colno}); "
                                 "send one JSON object per line") from None
            if not isinstance(msg, dict):
                raise InputError('each line must be a JSON object like {"session": "s1", "message": "..."}')
            sid = msg.get("session")
            if not isinstance(sid, (str, int)) or isinstance(sid, bool) or str(sid) == "":
                sid = None
                raise InputError('missing "session": give each conversation an id, e.g. {"session": "s1", ...}')
            sid = str(sid)
            if sid not in sessions:
                sessions[sid] = rec.new_session(catalog=msg.get("catalog", catalog))
            session = sessions[sid]
            if "feedback" in msg:
                fb = msg["feedback"]
                if not isinstance(fb, dict) or not isinstance(fb.get("liked"), bool):
                    raise InputError('feedback must be {"item_id": ID, "liked": true|false}')
                state = rec.feedback(session, fb.get("item_id"), fb["liked"])
                emit({"session": sid, "ok": True, "state": state.model_dump(mode="json", exclude={"turns"})})
                continue
            if "message" not in msg:
                raise InputError('a line needs "message" (text) or "feedback"')
            reply = rec.respond(session, msg["message"])
            emit({"session": sid, "reply": reply.text, "intent": reply.intent,
                  "recommendations": [r.model_dump(mode="json") for r in reply.recommendations],
                  "ranking": reply.ranking, "reasoning": [s.model_dump() for s in reply.reasoning],
                  "notices": reply.notices, "state": reply.state})
        except InputError as e:
            emit({"session": sid, "error": str(e)})
        except Exception as e:  # the stream must go on whatever one line does
            emit({"session": sid, "error": f"internal error ({type(e).__name__}: {e}); the session is unchanged"})


def _chat_terminal(rec: Any, catalog: str | None) -> None:
    from .events import Cards, Explanation, Replied
    from .reply import InputError

    session = rec.new_session(catalog=catalog)
    cat = rec.catalog(session.state.catalog)
    print(f"chatrec ({cat.name}): tell me what you're in the mood for. Commands: /like N, /dislike N, /state, /quit")
    while True:
        try:
            text = input("> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if text in ("/quit", "/exit"):
            return
        if text == "/state":
            print(json.dumps(session.snapshot(), indent=2))
            continue
        if text.startswith(("/like", "/dislike")):
            try:
                n = int(text.split()[1]) - 1
                item_id = session.state.last_recommended[n]
                rec.feedback(session, item_id, text.startswith("/like"))
                print(f"noted: {'liked' if text.startswith('/like') else 'disliked'} {cat.label(cat.by_id[item_id])}")
            except (IndexError, ValueError):
                print("usage: /like N or /dislike N, where N is a number from the last list")
            continue
        try:
            for ev in rec.respond_stream(session, text):
                match ev:
                    case Cards(recommendations=recs):
                        for n, r in enumerate(recs, 1):
                            print(f"  {n}. {r.title}")
                    case Explanation(text=explanation):
                        print(f"     - {explanation}")
                    case Replied(reply=reply) if reply.intent != "recommend":
                        print(reply.text)
                    case Replied(reply=reply):
                        for note in reply.notices:
                            print(f"  ({note})")
        except InputError as e:
            print(f"! {e}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m chatrec")
    sub = p.add_subparsers(dest="cmd", required=True)
    chat = sub.add_parser("chat", help="talk to the recommender")
    chat.add_argument("--jsonl", action="store_true", help="JSON lines on stdin, one JSON reply per line")
    chat.add_argument("--catalog", default=None)
    cat = sub.add_parser("catalog", help="validate, dump, index or import catalogs")
    csub = cat.add_subparsers(dest="action", required=True)
    v = csub.add_parser("validate")
    v.add_argument("path")
    d = csub.add_parser("dump")
    d.add_argument("name", nargs="?", default=None)
    ix = csub.add_parser("index")
    ix.add_argument("name", nargs="?", default=None)
    _add_import_parser(csub)
    from .interactions import add_parser as add_interactions_parser

    add_interactions_parser(csub)
    sub.add_parser("prepare", help="assemble and verify the default model, index the shipped catalogs")
    b = sub.add_parser("bench", help="time scripted conversations (new vs legacy pipeline), print raw and scaled "
                                     "figures, model work per stage and explanation quality")
    b.add_argument("--model", default=None, help="default, small, smoke or a GGUF path (default: the setting)")
    b.add_argument("--pipelines", default="new,legacy", help="comma-separated: new, legacy")
    b.add_argument("--catalogs", default="movies,products")
    b.add_argument("--concurrent", type=int, default=0, help="also run N concurrent conversations over HTTP")
    b.add_argument("--json", type=Path, default=None, help="write every figure and turn here")
    b.add_argument("--transcript", type=Path, default=None, help="write the first pipeline's first conversation "
                                                                 "as Markdown here")
    from .evaluation.cli import add_eval_parser  # `eval` subcommand: chatrec/evaluation/

    add_eval_parser(sub)
    from .feedback import add_parser as add_feedback_parser  # `feedback export`: chatrec/feedback.py

    add_feedback_parser(sub)
    from .load import add_parser as add_load_parser  # `load`: chatrec/load.py

    add_load_parser(sub)
    args = p.parse_args(argv)

    from .catalog import CatalogError
    from .faults import FaultError
    from .model_files import ModelError

    try:
        if args.cmd == "catalog":
            return _catalog(args)
        if args.cmd == "prepare":
            return _prepare()
        if args.cmd == "bench":
            from .bench import run as run_bench
            from .settings import Settings

            run_bench(args.model or Settings().model, args.pipelines.split(","), args.catalogs.split(","),
                      args.concurrent, args.json, args.transcript)
            return 0
        if args.cmd == "eval":
            from .evaluation.cli import run_eval

            return run_eval(args)
        if args.cmd == "feedback":
            from .feedback import run as run_feedback

            return run_feedback(args)
        if args.cmd == "load":
            from .load import run as run_load

            return run_load(args)
        from .agent import Recommender

        rec = Recommender.from_settings()
        if args.jsonl:
            _chat_jsonl(rec, args.catalog, sys.stdin, sys.stdout)
        else:
            _chat_terminal(rec, args.catalog)
        return 0
    except CatalogError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (ModelError, FaultError) as e:  # model file, embedding model, Chroma store, disk: the fix is in the text
        print(f"error: {e}", file=sys.stderr)
        return 3


def _catalog(args: argparse.Namespace) -> int:
    from .catalog import Catalog, validate_folder
    from .settings import Settings

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
        from .interactions import run

        return run(args, s)
    catalog = Catalog.load(args.name or s.catalog, s)
    if args.action == "dump":
        for it in catalog.items:
            print(json.dumps(it, ensure_ascii=False))
        return 0
    from tqdm import tqdm

    from .faults import ResilientIndex, load_embedder

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


def _prepare() -> int:
    from .model_files import resolve_model
    from .settings import Settings

    s = Settings()
    print(f"model: {resolve_model(s.model, s.data_dir)}")
    for name in ("movies", "products"):
        try:
            _catalog(argparse.Namespace(action="index", name=name))
        except Exception as e:  # noqa: BLE001 - report and continue with the other catalog
            print(f"could not index {name}: {e}", file=sys.stderr)
    return 0


def _add_import_parser(csub: Any) -> None:
    """`catalog import csv|tsv|jsonl|json|movielens|wikipedia`: the importers of `chatrec.importers`."""
    from .importers.neighbors import RECIPES

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
                    help="how neighbours and popularity are learned from the ratings (chatrec.importers.neighbors."
                         "RECIPES, chosen on the evaluation's validation split; stored in the catalog folder)")
    ml.add_argument("--sequence-epochs", type=int, default=0,
                    help="train a sequence model on the ratings in time order with this many epochs (default 0: "
                         "none; on ml-latest-small it lowered validation NDCG@10, see docs/results.md)")
    wk = isub.add_parser("wikipedia", help="Wikipedia American films (movies-19x0s.json files)")
    wk.add_argument("folder")
    wk.add_argument("--name", default="wikipedia-films")
    wk.add_argument("--include-without-extract", action="store_true")


def _run_import(args: argparse.Namespace, settings: Any) -> int:
    from .catalog import CatalogError
    from .importers import import_movielens, import_table, import_wikipedia

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
