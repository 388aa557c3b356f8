"""`python -m chatrec eval rank|converse|replay|rating|tune ...` (registered by chatrec/cli/main.py; the harness is
chatrec/evaluation/)."""
from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any


def _users(v: str) -> int | None:
    return None if v in ("all", "0") else int(v)


def _turns(v: str) -> int | None:
    return None if v == "all" else int(v)


def add_parser(sub: Any) -> None:
    ev = sub.add_parser("eval", help="measure recommendation quality on public data (../shared/data)")
    es = ev.add_subparsers(dest="eval_cmd", required=True)
    r = es.add_parser("rank", help="LLMRank protocol: 20 candidates per user, NDCG/HR@1/5/10")
    r.add_argument("--dataset", choices=["games", "ml-latest-small"], default="games")
    r.add_argument("--users", type=_users, default=None, help="seeded sample of users (default: all)")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--json", type=Path, default=None, help="JSON output (method -> metrics)")
    r.add_argument("--out", type=Path, default=Path("eval-out"), help="folder for the Markdown report and plot")
    r.add_argument("--methods", default=None, help="comma-separated subset of: random,popularity,bm25,embedding,"
                                                   "cooc,ease,sasrec,blend,chatrec (with --llm: add llm for the LLM "
                                                   "alone)")
    r.add_argument("--llm", default=None, help="also run the LLM methods with this model: default, small, smoke or "
                                               "a GGUF path")
    r.add_argument("--llm-users", type=int, default=300, help="seeded sample for the LLM methods (default 300)")
    r.add_argument("--cold-items", type=float, default=None, metavar="FRACTION",
                   help="cold start: hold out this fraction of the test targets as new items (no interactions)")
    c = es.add_parser("converse", help="iEvaLM-style simulated seeker on ReDial: Recall@1/10/50")
    c.add_argument("--dialogues", type=_users, default=None, help="seeded sample of dialogues (default: all)")
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--json", type=Path, default=None)
    c.add_argument("--out", type=Path, default=Path("eval-out"))
    c.add_argument("--llm", default=None, help="model for the `chatrec` row (default, small, smoke, a GGUF path); "
                                               "without it only the rules-only `retrieval` ablation runs")
    c.add_argument("--llm-dialogues", type=int, default=30, help="seeded sample for the LLM row (default 30)")
    c.add_argument("--no-keyword-turn", action="store_true", help="the seeker never quotes a catalog keyword (the "
                                                                   "turn that carries most of the gain)")
    rp = es.add_parser("replay", help="the seekers' real ReDial messages through the product: Recall@1/10/50 of "
                                      "the recommender's next movie, candidate recall per source")
    rp.add_argument("--dialogues", type=_users, default=None, help="seeded sample of dialogues (default: all)")
    rp.add_argument("--seed", type=int, default=0)
    rp.add_argument("--json", type=Path, default=None)
    rp.add_argument("--out", type=Path, default=Path("eval-out"))
    rp.add_argument("--as-of-year", type=int, default=2018, help="the year the requests are made in (default 2018, "
                                                                 "when ReDial's test split was collected; 0: this "
                                                                 "year)")
    rp.add_argument("--half", choices=["all", "tune", "heldout"], default="all",
                    help="the test dialogues' half (seeded split; ranking weights for talk are tuned on 'tune')")
    rp.add_argument("--llm", default=None, help="also replay a sample with this model (default, small, smoke, a GGUF "
                                                "path; understanding_llm auto), paired with rules only")
    rp.add_argument("--llm-dialogues", type=int, default=10, help="seeded sample for --llm (default 10)")
    rp.add_argument("--no-talk-weights", action="store_true", help="rank with the rating-history weights only (the "
                                                                   "'before' of the conversation weights)")
    tt = es.add_parser("tune-talk", help="the ranking's conversation weights, tuned on the tuning half of the ReDial "
                                         "replay; writes the `conversation` overrides of ranking_weights.json")
    tt.add_argument("--dialogues", type=_users, default=None, help="seeded sample of the tuning half (default all)")
    tt.add_argument("--seed", type=int, default=0)
    tt.add_argument("--cache", type=Path, default=None, help="pickle of the captured rankings (reused if present)")
    tt.add_argument("--dry-run", action="store_true", help="print the weights instead of writing the file")
    n = es.add_parser("understand", help="phrasing benchmark: exact match of the state change per utterance, per "
                                         "category, rules only (and with --llm), and the reader's ms per message")
    n.add_argument("--bench", type=Path, default=None, help="JSONL benchmark (default tests/data/phrasings.jsonl)")
    n.add_argument("--json", type=Path, default=None)
    n.add_argument("--llm", default=None, help="also run with this model (default, small, smoke, a GGUF path)")
    n.add_argument("--llm-mode", choices=["auto", "always"], default="auto",
                   help="auto: the model only for unplaced words (the product's path); always: the legacy proposal")
    n.add_argument("--limit", type=int, default=None, help="only the first N utterances (of each set)")
    n.add_argument("--show-failures", action="store_true", help="the failing rows (never the held-out half's, "
                                                                  "unless --half heldout)")
    n.add_argument("--half", choices=["both", "dev", "heldout", "none"], default="both",
                   help="generated phrasings scored beside the regression rows (tests/data/generated; regenerate "
                        "with python -m chatrec.evaluation.phrasings): the dev half to fix the reader on, the "
                        "held-out half to measure it (default both; the headline is held-out)")
    n.add_argument("--turns", type=_turns, default=None, metavar="N|all|0",
                   help="generated rows per half also played as product turns for the inversion count (default "
                        "all; N: a seeded sample; 0: none)")
    n.add_argument("--seed", type=int, default=0, help="seed of the --turns sample")
    n.add_argument("--family", default=None, help="comma-separated generated families only (negation, controls, "
                                                  "negated-direction, open-bounds, multi-clause, two-turn, people, "
                                                  "languages)")
    t = es.add_parser("rating", help="rating prediction on ml-latest-small (per-user time split): RMSE, MAE")
    t.add_argument("--users", type=_users, default=None)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--json", type=Path, default=None)
    t.add_argument("--out", type=Path, default=Path("eval-out"))
    t.add_argument("--llm", default=None, help="also run the LLM predictor with this model")
    t.add_argument("--llm-ratings", type=int, default=200, help="seeded sample of held-out ratings for the LLM")
    u = es.add_parser("tune", help="tune the ranking weights on the validation splits and write the weights file")
    u.add_argument("--dataset", action="append", choices=["games", "ml-latest-small"], default=None)
    u.add_argument("--seed", type=int, default=0)
    u.add_argument("--dry-run", action="store_true", help="print the weights instead of writing the file")


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from chatrec.errors import DataMissing

    try:
        if args.eval_cmd == "rank":
            from chatrec.evaluation.rank_eval import run

            run(args.dataset, args.users, args.seed, args.json, args.out,
                methods=args.methods.split(",") if args.methods else None, llm=args.llm, llm_users=args.llm_users,
                cold=args.cold_items)
        elif args.eval_cmd == "converse":
            from chatrec.evaluation.converse_eval import run as run_c

            run_c(args.dialogues, args.seed, args.json, args.out, llm=args.llm, llm_dialogues=args.llm_dialogues,
                  keyword_turn=not args.no_keyword_turn)
        elif args.eval_cmd == "replay":
            from chatrec.evaluation.replay import run as run_p

            run_p(args.dialogues, args.seed, args.json, args.out, as_of_year=args.as_of_year or None, half=args.half,
                  llm=args.llm, llm_dialogues=args.llm_dialogues, talk_weights=not args.no_talk_weights)
        elif args.eval_cmd == "tune-talk":
            from chatrec.evaluation.replay_tune import run as run_tt

            run_tt(args.seed, args.dialogues, write=not args.dry_run, cache=args.cache)
        elif args.eval_cmd == "understand":
            from chatrec.errors import BenchError
            from chatrec.evaluation.understand_eval import run as run_u

            try:
                run_u(args.bench, args.json, llm=args.llm, llm_mode=args.llm_mode, limit=args.limit,
                      show_failures=args.show_failures, half=args.half,
                      turns=args.turns, seed=args.seed,
                      families=args.family.split(",") if args.family else None)
            except BenchError as e:
                print(f"error: {e}")
                return 2
        elif args.eval_cmd == "rating":
            from chatrec.evaluation.rating_eval import run as run_r

            run_r(args.users, args.seed, args.json, args.out, llm=args.llm, llm_ratings=args.llm_ratings)
        elif args.eval_cmd == "tune":
            from chatrec.evaluation.tune import run as run_t

            run_t(args.dataset or ["games", "ml-latest-small"], args.seed, write=not args.dry_run)
    except DataMissing as e:
        print(f"skipped: {e}")
        return 3
    return 0
