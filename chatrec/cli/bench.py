"""`python -m chatrec bench` (scripted conversations through the product, timed) and `python -m chatrec load`
(many checked conversations against running apps over HTTP)."""
from __future__ import annotations

from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    b = sub.add_parser("bench", help="time scripted conversations (new vs legacy pipeline), print raw and scaled "
                                     "figures, model work per stage and explanation quality")
    b.add_argument("--model", default=None, help="default, small, smoke or a GGUF path (default: the setting)")
    b.add_argument("--pipelines", default="new,legacy", help="comma-separated: new, legacy")
    b.add_argument("--catalogs", default="movies,products")
    b.add_argument("--concurrent", type=int, default=0, help="also run N concurrent conversations over HTTP")
    b.add_argument("--json", type=Path, default=None, help="write every figure and turn here")
    b.add_argument("--transcript", type=Path, default=None, help="write the first pipeline's first conversation "
                                                                 "as Markdown here")
    _add_load(sub)


def run(args: Any) -> int:
    if args.cmd == "load":
        return _run_load(args)
    from chatrec.bench.turns import run as run_bench
    from chatrec.settings import Settings

    run_bench(args.model or Settings().model, args.pipelines.split(","), args.catalogs.split(","),
              args.concurrent, args.json, args.transcript)
    return 0


def _add_load(sub: Any) -> None:
    p = sub.add_parser("load", help="drive running apps with concurrent checked conversations over HTTP")
    p.add_argument("--url", required=True, help="app address(es), comma-separated: conversations are spread")
    p.add_argument("--conversations", type=int, default=16)
    p.add_argument("--turns", type=int, default=10)
    p.add_argument("--json", default=None, help="write the full report here")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds one turn may take, queue included")


def _run_load(args: Any) -> int:
    from chatrec.bench.driver import main

    return main(args.url, args.conversations, args.turns, args.json, args.timeout)
