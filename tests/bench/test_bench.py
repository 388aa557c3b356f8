"""`python -m chatrec bench` end to end, for plumbing only (the 135M smoke model, one catalog): every figure the
speed issue asks for is printed and written; the speed itself is measured by running the bench, never asserted."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_prints_and_writes_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    md = tmp_path / "transcript.md"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "CHATREC_CHROMA_PATH": str(tmp_path / "chroma")}
    p = subprocess.run([sys.executable, "-m", "chatrec", "bench", "--model", "smoke", "--catalogs", "products",
                        "--json", str(out), "--transcript", str(md)], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=1200)
    assert p.returncode == 0, p.stderr[-3000:]
    text = p.stdout
    for needle in ("raw model rates in this run: prefill", "load average at start", "load average at end",
                   "scaled to 90/25", "new / legacy (p50, same run)", "model calls before the cards", "peak RSS",
                   "refers to the user", "stock phrases"):
        assert needle in text, needle
    r = json.loads(out.read_text())
    assert r["raw_prefill_tps"] > 0 and r["raw_decode_tps"] > 0
    new, legacy = r["pipelines"]["new"], r["pipelines"]["legacy"]
    assert new["summary"]["recommendation_turns"] == legacy["summary"]["recommendation_turns"] >= 3
    # the legacy pipeline asks the model before every card; the new one only about unplaced words
    assert legacy["summary"]["by_stage_per_turn"]["understanding"]["calls"] == 1.0
    assert legacy["summary"]["by_stage_per_turn"]["ranking"]["calls"] == 1.0
    assert new["summary"]["by_stage_per_turn"].get("ranking") is None
    assert 0 < new["summary"]["by_stage_per_turn"]["explanation"]["calls"] <= 1.0  # cached phrases need none
    assert legacy["summary"]["by_stage_per_turn"]["explanation"]["calls"] > 1.0
    for t in new["turns"]:
        if t["intent"] == "recommend":
            assert t["first_card_s"] <= t["total_s"] and t["scaled"]["total"] is not None
            assert all(set(e) >= {"passes_fact_check", "concrete_fact", "refers_to_user", "stock_phrase"}
                       for e in t["explanations"])
    assert set(r["ratios_new_over_legacy_p50"]) == {"first_card", "first_text", "total"}
    assert "**You:** I'm hosting Thanksgiving" in md.read_text()
