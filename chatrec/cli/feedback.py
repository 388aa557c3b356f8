"""`python -m chatrec feedback export`: the durable feedback log as an interactions CSV for `catalog interactions`."""
from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path
from typing import Any

from chatrec.dialogue.feedback import FeedbackLog, export_csv
from chatrec.settings import Settings


def add_parser(sub: Any) -> None:
    fb = sub.add_parser("feedback", help="the durable feedback log (likes, dislikes, stars)")
    fsub = fb.add_subparsers(dest="action", required=True)
    ex = fsub.add_parser("export", help="write the log as an interactions CSV for `catalog interactions`")
    ex.add_argument("--out", type=Path, default=None, help="CSV file to write (default: standard output)")
    ex.add_argument("--catalog", default=None, help="only this catalog's events (recommended: item ids are per "
                                                   "catalog)")
    ex.add_argument("--min-stars", type=float, default=3.5, help="stars at or above this count as a positive")


def run(args: argparse.Namespace, settings: Settings | None = None) -> int:
    s = settings or Settings()
    flog = FeedbackLog.from_settings(s)
    if not flog.path.exists():
        print(f"error: no feedback log at {flog.path} yet (it is written when someone likes, dislikes or rates an "
              f"item; set CHATREC_FEEDBACK_PATH if it lives elsewhere)", file=sys.stderr)
        return 2
    try:
        if args.out is None:
            counts = export_csv(flog, sys.stdout, args.catalog, args.min_stars)
        else:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            with open(args.out, "w", encoding="utf-8", newline="") as fh:
                counts = export_csv(flog, fh, args.catalog, args.min_stars)
    except sqlite3.DatabaseError as e:
        print(f"error: {flog.path} cannot be read as a feedback log ({e}); move it aside and the app starts a "
              f"new one", file=sys.stderr)
        return 2
    where = args.out or "standard output"
    print(f"{counts['rows']} interactions from {counts['events']} events ({counts['sessions']} sessions) written to "
          f"{where}", file=sys.stderr)
    if args.out is not None and args.catalog:
        print(f"next: python -m chatrec catalog interactions {args.catalog} {args.out} "
              f"--sequence-epochs 20", file=sys.stderr)
    return 0
