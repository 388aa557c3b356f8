"""`python -m chatrec eval understand`: the phrasing benchmark, exact match of the state change per utterance.

Each row of tests/data/phrasings.jsonl is one message on a shipped catalog, the state before it (optional), and
the expected change written as facts separated by ';':
  runtime_minutes<=90 | year>=2016 | genres=Comedy,Drama (include) | genres!Horror (exclude) | rm:year (lifted)
  +g:Comedy / -g:Horror (wanted / avoided vocabulary value) | +p:Tom Hanks | -k:superhero (keyword) | +m:cozy (mood)
  like:heat-1995 | dislike:... | own:... | reject:... | stars:heat-1995=4 | intent:other | about:heat-1995 | none
  ask:p:Joel Coen|Ethan Coen (a surname two people share: the reader asks which, naming both, and adds neither)
A row passes when the facts read from the state change equal the expected facts exactly (nothing missing, nothing
extra). The reader's time per message (rules only) is measured on the same rows. A row may carry `turns`: earlier
messages of the same conversation, read first; its facts are then what the whole conversation changed.

Beside the regression rows, the generated halves (chatrec/evaluation/phrasings.py, tests/data/generated/) are scored
the same way per family, and their rows are also played as real product turns (a Recommender on the fake silent
model, rules only) to count INVERSIONS: a recommended item that has a value the user ruled out, lies on the wrong
side of a bound the user set, or is not one of the only values the user allowed, checked on the item's record
(phrasings.breaks). The headline is the held-out half.
"""
from __future__ import annotations

import json
import random
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


def asked_people(u: Understanding, catalog: Catalog | None) -> set[str]:
    """'ask:p:A|B' when the reading asks which of two or more people sharing a surname was meant: the question (a
    `clarify` or `question` field, where the Understanding has one, or a note) names them all."""
    if catalog is None:
        return set()
    texts = [*u.notes, *(str(getattr(u, k, None) or "") for k in ("clarify", "question", "ask"))]
    out = set()
    for t in texts:
        by_surname: dict[str, list[str]] = {}
        for name in catalog.people_in(t):
            by_surname.setdefault(name.split()[-1].lower(), []).append(name)
        out.update("ask:p:" + "|".join(sorted(ns)) for ns in by_surname.values() if len(ns) >= 2)
    return out


def observed_facts(before: DialogueState, after: DialogueState, u: Understanding,
                   catalog: Catalog | None = None) -> set[str]:
    """The same kind of facts, read from what one message (or a conversation: `before` its start) changed."""
    out: set[str] = asked_people(u, catalog)
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
    from chatrec.evaluation.phrasings import load_catalog

    settings = settings or Settings()
    catalogs: dict[str, Catalog] = {}
    per: dict[str, list[bool]] = {}
    failures, times, calls = [], [], 0
    for row in rows:
        cat = catalogs.get(row["catalog"]) or catalogs.setdefault(row["catalog"],
                                                                   load_catalog(row["catalog"], settings))
        before = DialogueState(catalog=cat.name, as_of_year=AS_OF_YEAR, **row.get("before", {}))
        after = before.model_copy(deep=True)
        for earlier in row.get("turns", []):  # the conversation so far, read the same way
            apply(understand(earlier, after, cat, llm, llm_mode=llm_mode), after)  # type: ignore[arg-type]
        t0 = time.perf_counter()
        u = understand(row["text"], after, cat, llm, llm_mode=llm_mode)  # type: ignore[arg-type]
        times.append((time.perf_counter() - t0) * 1000)
        calls += u.llm_used
        apply(u, after)
        want, got = expected_facts(row["expect"]), observed_facts(before, after, u, cat)
        per.setdefault(row["category"], []).append(want == got)
        if want != got:
            failures.append({"line": row["line"], "category": row["category"], "text": row["text"],
                             **({"turns": row["turns"]} if row.get("turns") else {}),
                             "missing": sorted(want - got), "extra": sorted(got - want)})
    ok = [x for v in per.values() for x in v]
    times.sort()
    return {"n": len(ok), "accuracy": sum(ok) / max(1, len(ok)), "model_calls": calls,
            "per_category": {k: {"n": len(v), "accuracy": sum(v) / len(v)} for k, v in sorted(per.items())},
            "ms_p50": statistics.median(times) if times else 0.0,
            "ms_p95": times[min(len(times) - 1, int(0.95 * len(times)))] if times else 0.0, "failures": failures}


def product(settings: Settings | None = None) -> Any:
    """The real product on rules only: a Recommender on the fake silent model (as tests/conftest.py `rules_rec`),
    evaluation folders for its index and feedback log, template explanations."""
    from chatrec.evaluation.catalogs import eval_settings
    from chatrec.llm.fake import FakeChatModel
    from chatrec.recommender import Recommender

    s = eval_settings(settings).model_copy(update={"llm_explanations": False})
    return Recommender.from_settings(s, llm=FakeChatModel.silent())


def run_turns(rows: list[dict[str, Any]], rec: Any, sample: int | None = None, seed: int = 0) -> dict[str, Any]:
    """Each row played as real turns (its earlier `turns`, then its text) in a new session; every recommended item
    of the last turn is checked against the limits its label states (phrasings.breaks). An INVERSION is an item
    with a value the user ruled out, on the wrong side of a bound, or outside the only values allowed; items with a
    person or trait the user avoids are counted apart ('avoided_shown': the product ranks those, it does not
    filter them). `sample`: a seeded sample of that many rows (None: all)."""
    from chatrec.evaluation.phrasings import TEST_CATALOGS, breaks, limits_of

    chosen = rows if sample is None or sample >= len(rows) else \
        [rows[i] for i in sorted(random.Random(seed).sample(range(len(rows)), sample))]
    per: dict[str, dict[str, int]] = {}
    kinds = {"excluded": 0, "bound": 0, "include": 0}
    times: list[float] = []
    examples: list[dict[str, Any]] = []
    avoided = no_cards = items = 0
    for row in chosen:
        sess = rec.new_session(str(TEST_CATALOGS.get(row["catalog"], row["catalog"])))
        sess.state.as_of_year = AS_OF_YEAR
        cat = rec.catalog(sess.state.catalog)
        reply = None
        for text in [*row.get("turns", []), row["text"]]:
            t0 = time.perf_counter()
            reply = rec.respond(sess, text)
            ms = (time.perf_counter() - t0) * 1000
        times.append(ms)
        lim = limits_of(expected_facts(row["expect"]))
        fam = per.setdefault(row["category"], {"rows": 0, "rows_with_inversions": 0, "inversions": 0})
        fam["rows"] += 1
        recs = reply.recommendations if reply is not None else []
        no_cards += not recs
        items += len(recs)
        bad = []
        for r in recs:
            why = breaks(r.item, lim, cat.manifest)
            avoided += any(k == "avoided" for k, _ in why)
            hard = [(k, d) for k, d in why if k != "avoided"]
            for k, _ in hard:
                kinds[k] += 1
            if hard:
                bad.append(f"{r.item_id}: {'; '.join(d for _, d in hard)}")
        if bad:
            fam["rows_with_inversions"] += 1
            fam["inversions"] += len(bad)
            if len(examples) < 40:
                examples.append({"id": row.get("id", row.get("line")), "category": row["category"],
                                 "text": row["text"], **({"turns": row["turns"]} if row.get("turns") else {}),
                                 "expect": row["expect"], "shown": bad})
    times.sort()
    return {"rows": len(chosen), "of": len(rows), "sample": sample if sample is not None and sample < len(rows)
            else None, "seed": seed, "items_shown": items, "rows_without_cards": no_cards,
            "inversions": sum(f["inversions"] for f in per.values()),
            "rows_with_inversions": sum(f["rows_with_inversions"] for f in per.values()), "by_kind": kinds,
            "avoided_shown": avoided, "per_category": dict(sorted(per.items())),
            "turn_ms_p50": statistics.median(times) if times else 0.0,
            "turn_ms_p95": times[min(len(times) - 1, int(0.95 * len(times)))] if times else 0.0,
            "examples": examples}


def generated_rows(half: str, limit: int | None = None, families: list[str] | None = None) -> list[dict[str, Any]]:
    """One generated half (tests/data/generated/understand_<half>.jsonl), optionally some families only."""
    from chatrec.evaluation.phrasings import FILES

    rows = load_rows(FILES[half])
    if families:
        rows = [r for r in rows if r["category"] in families]
    return rows[:limit] if limit else rows


def run(path: Path | None, json_out: Path | None, llm: str | None = None, llm_mode: str = "auto",
        limit: int | None = None, show_failures: bool = False, half: str = "both", turns: int | None = None,
        seed: int = 0, families: list[str] | None = None) -> dict[str, Any]:
    """Rules only always; with `llm`, also the product's path with that model (llm_mode 'auto' or 'always').
    `half`: the generated halves scored beside the regression rows ('both', 'dev', 'heldout' or 'none'); `turns`:
    how many rows per half to play as product turns for the inversion count (None: all, 0: none; a seeded sample
    otherwise); `families`: only these generated families; `limit`: the first N rows of each set."""
    rows = load_rows(path or BENCH)[:limit] if limit else load_rows(path or BENCH)
    halves = {"both": ["dev", "heldout"], "none": []}.get(half, [half])
    gen = {h: generated_rows(h, limit, families) for h in halves}
    settings = Settings()
    from chatrec.evaluation.phrasings import load_catalog

    used = sorted({r["catalog"] for r in rows} | {r["catalog"] for g in gen.values() for r in g})
    for c in used:  # warm up (word tables, lazy imports): timings are per message
        cat = load_catalog(c, settings)
        understand("a warm-up message, no horor, under 2 hours", DialogueState(catalog=cat.name), cat, None,
                   llm_mode="never")
    result: dict[str, Any] = {"benchmark": str(path or BENCH), "rules": run_rows(rows, settings=settings)}
    if llm:
        from chatrec.evaluation.llm_rank import open_model

        result["llm"] = {"model": llm, "llm_mode": llm_mode,
                         **run_rows(rows, open_model(settings, llm), llm_mode, settings)}
    if gen:
        result["generated"] = {h: run_rows(g, settings=settings) for h, g in gen.items()}
        if turns != 0:
            rec = product(settings)
            for h, g in gen.items():
                result["generated"][h]["turns"] = run_turns(g, rec, turns, seed)
        if "heldout" in gen and half != "heldout":  # the reader is fixed on dev: held-out failures stay unseen
            hid = result["generated"]["heldout"]
            hid["failures_hidden"] = len(hid.pop("failures"))
            if "turns" in hid:
                hid["turns"]["examples_hidden"] = len(hid["turns"].pop("examples"))
        head = result["generated"].get("heldout") or result["generated"].get("dev")
        assert head is not None
        result["headline"] = {"half": "heldout" if "heldout" in gen else "dev", "n": head["n"],
                              "exact": head["accuracy"], "reader_ms_p95": head["ms_p95"],
                              **({"inversions": head["turns"]["inversions"],
                                  "rows_with_inversions": head["turns"]["rows_with_inversions"],
                                  "rows_played": head["turns"]["rows"]} if "turns" in head else {})}
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
    gen = result.get("generated") or {}
    if gen:
        _print_generated(gen, show_failures)
    if "headline" in result:
        h = result["headline"]
        inv = (f"; inversions {h['inversions']} (in {h['rows_with_inversions']} of {h['rows_played']} rows played)"
               if "inversions" in h else "")
        print(f"HEADLINE ({h['half']}, generated phrasings, rules only): exact {h['exact']:.3f} of {h['n']}{inv}; "
              f"reader {h['reader_ms_p95']:.1f} ms p95")


def _print_generated(gen: dict[str, Any], show_failures: bool) -> None:
    halves = list(gen)
    fams = sorted({c for r in gen.values() for c in r["per_category"]})
    print("\ngenerated phrasings (chatrec/evaluation/phrasings.py), rules only: exact match per family, and "
          "inversions in real turns")
    print(f"{'family':<20}" + "".join(f"{h + ' n':>12}{'exact':>8}{'inv rows':>10}" for h in halves))
    for fam in fams:
        line = f"{fam:<20}"
        for h in halves:
            pc = gen[h]["per_category"].get(fam)
            tc = (gen[h].get("turns") or {}).get("per_category", {}).get(fam)
            line += (f"{pc['n']:>12}{pc['accuracy']:>8.3f}" if pc else f"{'-':>12}{'-':>8}") + \
                (f"{tc['rows_with_inversions']:>5}/{tc['rows']:<4}" if tc else f"{'-':>10}")
        print(line)
    line = f"{'all':<20}"
    for h in halves:
        t = gen[h].get("turns")
        line += f"{gen[h]['n']:>12}{gen[h]['accuracy']:>8.3f}" + \
            (f"{t['rows_with_inversions']:>5}/{t['rows']:<4}" if t else f"{'-':>10}")
    print(line)
    for h in halves:
        r = gen[h]
        print(f"{h}: reader {r['ms_p50']:.1f} ms p50, {r['ms_p95']:.1f} ms p95 per message; model calls "
              f"{r['model_calls']}; {r.get('failures_hidden', len(r.get('failures', [])))} failures")
        t = r.get("turns")
        if t:
            how = (f"seeded sample of {t['rows']} of {t['of']} rows (seed {t['seed']})" if t["sample"]
                   else f"all {t['rows']} rows")
            print(f"{h}: turns played on {how}: {t['inversions']} inversions ({t['by_kind']['excluded']} excluded "
                  f"value, {t['by_kind']['bound']} wrong side of a bound, {t['by_kind']['include']} outside an "
                  f"only-list) in {t['rows_with_inversions']} rows, of {t['items_shown']} cards; "
                  f"{t['avoided_shown']} cards with an avoided person or trait (soft); {t['rows_without_cards']} "
                  f"rows without cards; turn {t['turn_ms_p50']:.0f} ms p50, {t['turn_ms_p95']:.0f} ms p95")
    if show_failures:
        for h in halves:
            if "failures_hidden" in gen[h]:
                print(f"  [{h}] {gen[h]['failures_hidden']} failures not shown: the reader is fixed on the dev half "
                      f"only (see them with --half heldout when measuring, never while fixing)")
                continue
            for f in gen[h]["failures"]:
                turns = f" after {f['turns']!r}" if f.get("turns") else ""
                print(f"  [{h}] {f['category']} {f['line']}: {f['text']!r}{turns} missing {f['missing']} "
                      f"extra {f['extra']}")
            for e in (gen[h].get("turns") or {}).get("examples", []):
                print(f"  [{h} inversion] {e['category']}: {e['text']!r} ({e['expect']}) showed {e['shown']}")
