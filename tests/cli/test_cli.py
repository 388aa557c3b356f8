"""`python -m chatrec chat --jsonl`: interleaved sessions stay independent, bad lines get clear errors."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from chatrec.cli.chat import chat_jsonl

ROOT = Path(__file__).resolve().parents[2]


def run_lines(rec, lines: list[object]) -> list[dict]:
    inp = io.StringIO("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    out = io.StringIO()
    chat_jsonl(rec, None, inp, out)
    return [json.loads(l) for l in out.getvalue().splitlines()]


def _ids(reply: dict) -> list[str]:
    return [r["item_id"] for r in reply["recommendations"]]


def test_interleaved_sessions_match_each_run_alone(rec) -> None:
    a = [{"session": "A", "message": "a gripping movie tonight, no horror"},
         {"session": "A", "message": "something from the 80s"}]
    b = [{"session": "B", "message": "only horror, I want to be scared"},
         {"session": "B", "message": "shorter than 100 minutes"}]
    alone_a, alone_b = run_lines(rec, a), run_lines(rec, b)
    mixed = run_lines(rec, [a[0], b[0], a[1], b[1]])
    assert [_ids(x) for x in mixed if x["session"] == "A"] == [_ids(x) for x in alone_a]
    assert [_ids(x) for x in mixed if x["session"] == "B"] == [_ids(x) for x in alone_b]
    assert all("Horror" not in r["item"]["genres"] for x in mixed if x["session"] == "A" for r in x["recommendations"])
    assert all("Horror" in r["item"]["genres"] for x in mixed if x["session"] == "B" for r in x["recommendations"])
    assert mixed[-1]["state"]["constraints"]["genres"]["include"] == ["Horror"]
    assert mixed[-2]["state"]["constraints"]["genres"]["exclude"] == ["Horror"]


def test_bad_lines_get_errors_and_the_stream_goes_on(rec) -> None:
    out = run_lines(rec, ["{not json", {"message": "hi"}, {"session": "s", "message": ""},
                          {"session": "s", "message": "x" * 100_000}, {"session": "s", "message": 42},
                          {"session": "s", "feedback": {"item_id": "nope-1900", "liked": False}},
                          {"session": "s", "feedback": {"item_id": "heat-1995"}},
                          {"session": "s", "message": "a comedy"},
                          {"session": "s", "feedback": {"item_id": "heat-1995", "liked": False}}])
    assert len(out) == 9
    assert out[0]["session"] is None and "not valid JSON" in out[0]["error"]
    assert out[1]["session"] is None and "session" in out[1]["error"]
    assert "empty" in out[2]["error"]
    assert "100,000 characters" in out[3]["error"] and "2,000" in out[3]["error"]
    assert "text" in out[4]["error"]
    assert "unknown item id" in out[5]["error"]
    assert "liked" in out[6]["error"]
    assert out[7]["recommendations"] and "error" not in out[7]
    assert out[8]["ok"] is True and "heat-1995" in out[8]["state"]["disliked_items"]


def test_cli_process_with_smoke_model(tmp_path: Path) -> None:
    """Plumbing through a real process (tiny model): one JSON line out per line in."""
    env = {**os.environ, "CHATREC_MODEL": "smoke", "CHATREC_CHROMA_PATH": str(tmp_path / "chroma"),
           "CHATREC_LLM_EXPLANATIONS": "false"}
    lines = [{"session": 1, "message": "a family animation"}, "oops", {"session": 1, "message": "the first one?"}]
    p = subprocess.run([sys.executable, "-m", "chatrec", "chat", "--jsonl"], cwd=ROOT, env=env, text=True,
                       input="\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n",
                       capture_output=True, timeout=600)
    out = [json.loads(l) for l in p.stdout.splitlines()]
    assert len(out) == 3, p.stderr[-2000:]
    assert out[0]["recommendations"] and "error" in out[1]
