"""The held-out half of the generated phrasings (tests/data/generated/understand_heldout.jsonl) through the reader
(rules only) and through real product turns (a Recommender on the fake silent model): exact match per family and
INVERSIONS (a card with a value the user ruled out, or on the wrong side of a bound the user set).

The reader is fixed on the dev half only; this test prints the held-out figures, never its failures. It enforces
the exact-match target (>= 98%) and, for inversions, no more than the reader reached when this was written (2 rows
of 583, 8 cards, 2026-12-08): the issue's target is 0, not met yet, so any new inversion fails the run while the
last ones are being fixed. Lower INVERSION_ROWS_ALLOWED as they go; never raise it."""
from __future__ import annotations

from chatrec.evaluation.phrasings import load
from chatrec.evaluation.understand_eval import run_rows, run_turns

EXACT_TARGET = 0.98
INVERSIONS_TARGET = 0  # the target
INVERSION_ROWS_ALLOWED = 2  # reached 2026-12-08 (140 rows before the redesign); lower only


def test_heldout_half_targets(rules_rec) -> None:
    rows = load("heldout")
    r = run_rows(rows)
    t = run_turns(rows, rules_rec)
    print(f"\nheld-out generated phrasings, rules only: exact {r['accuracy']:.3f} of {r['n']} "
          f"({len(r['failures'])} failures, not shown); reader {r['ms_p50']:.1f} ms p50, {r['ms_p95']:.1f} ms p95")
    for fam, pc in r["per_category"].items():
        tc = t["per_category"].get(fam, {"rows": 0, "rows_with_inversions": 0, "inversions": 0})
        print(f"  {fam:<18} n {pc['n']:>4}  exact {pc['accuracy']:.3f}  inversions {tc['inversions']:>3} in "
              f"{tc['rows_with_inversions']} rows")
    print(f"  inversions {t['inversions']} ({t['by_kind']}) in {t['rows_with_inversions']} of {t['rows']} rows; "
          f"{t['avoided_shown']} cards with an avoided person or trait; turn {t['turn_ms_p95']:.0f} ms p95")
    print(f"  targets: exact >= {EXACT_TARGET:.0%} {'met' if r['accuracy'] >= EXACT_TARGET else 'NOT met'}, "
          f"inversions <= {INVERSIONS_TARGET} {'met' if t['inversions'] <= INVERSIONS_TARGET else 'NOT met'}")
    # what holds today
    assert r["n"] == len(rows) >= 300 and r["model_calls"] == 0
    assert r["ms_p95"] <= 20.0
    assert t["rows"] == len(rows) and t["rows_without_cards"] <= len(rows) // 50
    assert r["accuracy"] >= EXACT_TARGET  # the reader before issue 21's redesign scored 0.446 here
    assert t["rows_with_inversions"] <= INVERSION_ROWS_ALLOWED and t["by_kind"]["bound"] == 0
