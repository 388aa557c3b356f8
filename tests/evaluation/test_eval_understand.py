"""`eval understand`: the phrasing benchmark's labels, its scoring, the command, and the reader's figures."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chatrec.errors import BenchError
from chatrec.evaluation.understand_eval import BENCH, expected_facts, load_rows, run_rows

ROOT = Path(__file__).resolve().parents[2]


def test_labels_parse_into_facts() -> None:
    assert expected_facts("runtime_minutes<=90; genres!Horror,Comedy; +p:Tom Hanks; language=French") == \
        {"runtime_minutes<=90", "genres!Horror", "genres!Comedy", "+p:Tom Hanks", "language=French"}
    assert expected_facts("age_rating=PG-13,G,PG") == {"age_rating=G,PG,PG-13"}
    assert expected_facts("none") == set() and expected_facts("stars:heat-1995=4") == {"stars:heat-1995=4"}


def test_a_wrong_label_fails_and_says_what_differs() -> None:
    rows = [{"catalog": "movies", "category": "numbers", "text": "something under 2 hours", "line": 1,
             "expect": "runtime_minutes<=120"},
            {"catalog": "movies", "category": "numbers", "text": "something under 2 hours", "line": 2,
             "expect": "runtime_minutes<=90"},
            {"catalog": "movies", "category": "negation", "text": "no horror, something funny", "line": 3,
             "expect": "genres!Horror"}]  # the Comedy wish is missing from this label: an extra fact fails it
    r = run_rows(rows)
    assert r["per_category"] == {"negation": {"n": 1, "accuracy": 0.0}, "numbers": {"n": 2, "accuracy": 0.5}}
    assert [(f["line"], f["missing"], f["extra"]) for f in r["failures"]] == [
        (2, ["runtime_minutes<=90"], ["runtime_minutes<=120"]), (3, [], ["+g:Comedy"])]


def test_the_benchmark_is_varied_and_the_reader_is_fast_and_right_on_it() -> None:
    rows = load_rows()
    cats = {r["category"] for r in rows}
    assert len(rows) >= 300 and {r["catalog"] for r in rows} == {"movies", "products"} and len(cats) >= 12
    r = run_rows(rows)
    assert r["accuracy"] >= 0.95, [f for f in r["failures"]][:10]
    assert r["ms_p95"] <= 20.0 and r["model_calls"] == 0


def test_the_command_prints_and_writes_its_figures(tmp_path: Path) -> None:
    out = tmp_path / "u.json"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    p = subprocess.run([sys.executable, "-m", "chatrec", "eval", "understand", "--limit", "12", "--json", str(out)],
                       cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "rules only" in p.stdout and "ms p95" in p.stdout
    data = json.loads(out.read_text())
    assert data["rules"]["n"] == 12 and set(data["rules"]["per_category"]) == \
        {r["category"] for r in load_rows(BENCH)[:12]}
    bad = subprocess.run([sys.executable, "-m", "chatrec", "eval", "understand",
                          "--bench", str(tmp_path / "nope.jsonl")],
                         cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert bad.returncode == 2 and "cannot read the benchmark" in bad.stdout and "Traceback" not in bad.stderr


def test_a_broken_benchmark_line_is_named(tmp_path: Path) -> None:
    f = tmp_path / "b.jsonl"
    f.write_text('{"catalog": "movies", "category": "x", "text": "hi", "expect": "none"}\n{"catalog": "movies"}\n')
    with pytest.raises(BenchError, match=r"b.jsonl:2: missing category, text, expect"):
        load_rows(f)
