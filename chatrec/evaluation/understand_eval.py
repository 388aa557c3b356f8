"""`python -m chatrec eval understand`: the phrasing benchmark, exact match of the state change per utterance.

Each row of tests/data/phrasings.jsonl is one message on a shipped catalog, the state before it (optional), and
the expected change written as facts separated by ';':
  runtime_minutes<=90 | year>=2016 | genres=Comedy,Drama (include) | genres!Horror (exclude) | rm:year (lifted)
  +g:Comedy / -g:Horror (wanted / avoided vocabulary value) | +p:Tom Hanks | -k:superhero (keyword) | +m:cozy (mood)
  like:heat-1995 | dislike:... | own:... | reject:... | stars:heat-1995=4 | intent:other | about:heat-1995 | none
A row passes when the facts read from the state change equal the expected facts exactly (nothing missing, nothing
extra). The reader's time per message (rules only) is measured on the same rows.
"""
from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

from chatrec.catalog.catalog import Catalog
from chatrec.dialogue.state import DialogueState
from chatrec.dialogue.understanding import Understanding
from chatrec.errors import BenchError
from chatrec.read.understand import apply, understand
from chatrec.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "tests" / "data" / "phrasings.jsonl"
KINDS = {"genres": "g", "people": "p", "keywords": "k", "moods": "m"}
AS_OF_YEAR = 2026  # relative dates ('the last ten years') are labelled against this year


def expected_facts(spec: str) -> set[str]:
    """The label as a set of facts; 'genres!A,B' is two facts, 'genres=A,B' one (the include set)."""
    out: set[str] = set()
    for tok in (t.strip() for t in spec.split(";")):
        if not tok or tok == "none":
            continue
        if "!" in tok and not tok.startswith(("+", "-")):
            field, values = tok.split("!", 1)
            out.update(f"{field}!{v.strip()}" for v in values.split(","))
        elif "=" in tok and ":" not in tok.split("=")[0] and not tok.startswith(("<", ">")) and \
                not tok.split("=")[0].endswith(("<", ">")):
            field, values = tok.split("=", 1)
            out.add(f"{field}=" + ",".join(sorted(v.strip() for v in values.split(","))))
        else:
            out.add(tok.replace(" <=", "<=").replace(" >=", ">="))
    return out


def _num(x: float) -> str:
    return f"{x:g}"


def observed_facts(before: DialogueState, after: DialogueState, u: Understanding) -> set[str]:
    """The same kind of facts, read from what one message changed."""
    out: set[str] = set()
    for field, c in after.constraints.items():
        old = before.constraints.get(field)
        if c.min is not None and (old is None or old.min != c.min):
            out.add(f"{field}>={_num(c.min)}")
        if c.max is not None and (old is None or old.max != c.max):
            out.add(f"{field}<={_num(c.max)}")
        if c.include and (old is None or old.include != c.include):
            out.add(f"{field}=" + ",".join(sorted(c.include)))
        out.update(f"{field}!{v}" for v in c.exclude if old is None or v not in old.exclude)
    out.update(f"rm:{f}" for f, c in before.constraints.items() if not c.is_empty() and
               (f not in after.constraints or after.constraints[f].is_empty()))
    for sign, b, a in (("+", before.liked_attributes, after.liked_attributes),
                       ("-", before.disliked_attributes, after.disliked_attributes)):
        for kind, letter in KINDS.items():
            out.update(f"{sign}{letter}:{v}" for v in getattr(a, kind) if v not in getattr(b, kind))
    for name, lst in (("like", "liked_items"), ("dislike", "disliked_items"), ("own", "owned_items"),
                      ("reject", "rejected_items")):
        out.update(f"{name}:{i}" for i in getattr(after, lst) if i not in getattr(before, lst))
    out.update(f"stars:{i}={_num(v)}" for i, v in after.stars_out_of_5.items() if before.stars_out_of_5.get(i) != v)
    if u.intent != "recommend":
        out.add(f"intent:{u.intent}")
    if u.about_item and u.intent in ("question", "fit"):
        out.add(f"about:{u.about_item}")
    return out


def load_rows(path: Path = BENCH) -> list[dict[str, Any]]:
    rows = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise BenchError(f"cannot read the benchmark {path}: {e.strerror}") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise BenchError(f"{path}:{n}: not valid JSON ({e.msg})") from None
        missing = [k for k in ("catalog", "category", "text", "expect") if k not in row]
        if missing:
            raise BenchError(f"{path}:{n}: missing {', '.join(missing)}")
        rows.append({**row, "line": n})
    return rows


def run_rows(rows: list[dict[str, Any]], llm: Any = None, llm_mode: str = "never",
             settings: Settings | None = None) -> dict[str, Any]:
    """Exact-match accuracy per category and overall, the failures, and the reader's time per message."""
    settings = settings or Settings()
    catalogs: dict[str, Catalog] = {}
    per: dict[str, list[bool]] = {}
    failures, times, calls = [], [], 0
    for row in rows:
        cat = catalogs.get(row["catalog"]) or catalogs.setdefault(row["catalog"],
                                                                   Catalog.load(row["catalog"], settings))
        before = DialogueState(catalog=cat.name, as_of_year=AS_OF_YEAR, **row.get("before", {}))
        after = before.model_copy(deep=True)
        t0 = time.perf_counter()
        u = understand(row["text"], after, cat, llm, llm_mode=llm_mode)  # type: ignore[arg-type]
        times.append((time.perf_counter() - t0) * 1000)
        calls += u.llm_used
        apply(u, after)
        want, got = expected_facts(row["expect"]), observed_facts(before, after, u)
        per.setdefault(row["category"], []).append(want == got)
        if want != got:
            failures.append({"line": row["line"], "category": row["category"], "text": row["text"],
                             "missing": sorted(want - got), "extra": sorted(got - want)})
    ok = [x for v in per.values() for x in v]
    times.sort()
    return {"n": len(ok), "accuracy": sum(ok) / max(1, len(ok)), "model_calls": calls,
            "per_category": {k: {"n": len(v), "accuracy": sum(v) / len(v)} for k, v in sorted(per.items())},
            "ms_p50": statistics.median(times) if times else 0.0,
            "ms_p95": times[min(len(times) - 1, int(0.95 * len(times)))] if times else 0.0, "failures": failures}


def run(path: Path | None, json_out: Path | None, llm: str | None = None, llm_mode: str = "auto",
        limit: int | None = None, show_failures: bool = False) -> dict[str, Any]:
    """Rules only always; with `llm`, also the product's path with that model (llm_mode 'auto' or 'always')."""
    rows = load_rows(path or BENCH)[:limit] if limit else load_rows(path or BENCH)
    settings = Settings()
    for c in sorted({r["catalog"] for r in rows}):  # warm up (word tables, lazy imports): timings are per message
        cat = Catalog.load(c, settings)
        understand("a warm-up message, no horor, under 2 hours", DialogueState(catalog=cat.name), cat, None,
                   llm_mode="never")
    result: dict[str, Any] = {"benchmark": str(path or BENCH), "rules": run_rows(rows, settings=settings)}
    if llm:
        from chatrec.evaluation.llm_rank import open_model

        result["llm"] = {"model": llm, "llm_mode": llm_mode,
                         **run_rows(rows, open_model(settings, llm), llm_mode, settings)}
    _print(result, show_failures)
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def _print(result: dict[str, Any], show_failures: bool) -> None:
    runs = [("rules only", result["rules"])] + ([(f"with {result['llm']['model']} ({result['llm']['llm_mode']})",
                                                  result["llm"])] if "llm" in result else [])
    cats = sorted(result["rules"]["per_category"])
    print(f"phrasing benchmark: {result['rules']['n']} utterances ({result['benchmark']})")
    print(f"{'category':<16}{'n':>5}" + "".join(f"{name[:28]:>30}" for name, _ in runs))
    for c in cats:
        print(f"{c:<16}{result['rules']['per_category'][c]['n']:>5}" +
              "".join(f"{r['per_category'][c]['accuracy']:>30.3f}" for _, r in runs))
    print(f"{'all':<16}{result['rules']['n']:>5}" + "".join(f"{r['accuracy']:>30.3f}" for _, r in runs))
    for name, r in runs:
        print(f"{name}: reader {r['ms_p50']:.1f} ms p50, {r['ms_p95']:.1f} ms p95 per message; "
              f"model calls {r['model_calls']}; {len(r['failures'])} failures")
    if show_failures:
        for name, r in runs:
            for f in r["failures"]:
                print(f"  [{name}] {f['category']} line {f['line']}: {f['text']!r} missing {f['missing']} "
                      f"extra {f['extra']}")
