"""Durable feedback (chatrec/dialogue/feedback.py): the SQLite log in WAL mode, what the real Recommender writes to it
(thumbs and what a chat message says), a SIGKILL in the middle of writing, and the loop back to ranking:
`feedback export` -> `catalog interactions` (the product's own commands, in subprocesses)."""
from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

from chatrec.dialogue.feedback import Event, FeedbackLog, export_csv, interactions, state_events


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT), **extra}


def test_log_is_wal_and_survives_a_new_process(tmp_path: Path) -> None:
    path = tmp_path / "fb" / "feedback.sqlite3"
    log = FeedbackLog(path)
    assert log.record(*state_events("s1", "movies", ["a"], ["b"], {"c": 4.5}, "button"))
    log.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    out = subprocess.run([sys.executable, "-c", "import sys; from chatrec.dialogue.feedback import FeedbackLog; "
                          "print([(e.session, e.item_id, e.kind, e.value) for e in FeedbackLog(sys.argv[1]).events()])",
                          str(path)], env=_env(), cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[('s1', 'a', 'like', None), ('s1', 'b', 'dislike', None), ('s1', 'c', 'stars', 4.5)]"


def test_a_failed_write_is_kept_and_retried(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the log's folder should be")
    log = FeedbackLog(blocker / "feedback.sqlite3")
    assert not log.record(Event(1.0, "s1", "movies", "a", "like"))
    assert len(log.pending) == 1 and "CHATREC_FEEDBACK_PATH" in (log.last_error or "")
    blocker.unlink()
    assert log.record(Event(2.0, "s1", "movies", "b", "like"))
    assert [e.item_id for e in log.events()] == ["a", "b"] and not log.pending and log.last_error is None


def test_export_keeps_each_sessions_latest_positive_verdict() -> None:
    evs = [Event(1, "s1", "movies", "a", "like"), Event(2, "s1", "movies", "a", "dislike"),  # withdrawn
           Event(3, "s1", "movies", "b", "stars", 4.0), Event(4, "s1", "movies", "c", "stars", 2.0),
           Event(5, "s2", "movies", "a", "like"), Event(6, "s2", "products", "p", "like")]
    rows = interactions(evs)
    assert [(r["user_id"], r["item_id"], r["kind"]) for r in rows] == [("s1", "b", "stars"), ("s2", "a", "like"),
                                                                      ("s2", "p", "like")]


KILL_WRITER = """
import sys, time
from chatrec.dialogue.feedback import Event, FeedbackLog
log = FeedbackLog(sys.argv[1])
n = 0
while True:
    n += 1
    assert log.record(Event(time.time(), "s%d" % (n % 7), "movies", "item-%s-%d" % (sys.argv[2], n), "like"))
    print(n, flush=True)
"""


def test_sigkill_while_writing_loses_at_most_the_event_in_flight(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    total = 0
    for round_ in range(3):  # three kills at different moments, each appending to the same log
        proc = subprocess.Popen([sys.executable, "-c", KILL_WRITER, str(path), str(round_)], env=_env(), cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        acked, t0 = 0, time.time()
        while acked < 40 + 30 * round_ and time.time() - t0 < 60:
            line = proc.stdout.readline()
            if not line:
                break
            acked = int(line)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        rest = proc.stdout.read()  # lines printed before the kill that were not read yet: acknowledged too
        acked = max([acked, *(int(x) for x in rest.split("\n") if x.strip().isdigit())])
        proc.stdout.close()
        err = proc.stderr.read()
        proc.stderr.close()
        assert proc.returncode == -signal.SIGKILL, err[-2000:]
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            n = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        # every acknowledged event is on disk; at most the one being written when the kill came is missing
        assert total + acked <= n <= total + acked + 1, (round_, total, acked, n)
        total = n
    assert len({e.item_id for e in FeedbackLog(path).events()}) == total >= 40 + 70 + 100


def test_recommender_logs_clicks_and_chat_and_the_export_feeds_catalog_interactions(rec, movies,
                                                                                      tmp_path: Path) -> None:
    """Real Recommender (1.5B model, MiniLM, Chroma): thumbs and a chat message with stars are on disk at once;
    the export is accepted by `catalog interactions` and changes what the ranker reads (popularity, neighbours)."""
    from chatrec.catalog.catalog import Catalog
    from chatrec.importers import write_catalog
    from chatrec.settings import Settings

    log = rec.feedback_log
    assert log.path == rec.settings.feedback_path
    before = len(log.events())
    ids = [it["id"] for it in movies.items]
    alien = next(it["id"] for it in movies.items if it["title"] == "Alien")
    sessions = [rec.new_session("movies") for _ in range(4)]
    for n, s in enumerate(sessions):  # each session likes a pair of films; all of them like ids[0]
        rec.feedback(s, ids[0], True)
        rec.feedback(s, ids[1 + n], True)
        rec.feedback(s, ids[100 + n], False)
    rec.feedback(sessions[0], ids[1], False)  # changed its mind: the like is withdrawn
    reply = rec.respond(sessions[1], "I'd give Alien 4 stars. Something like it, please")
    assert alien in reply.state["liked_items"]
    evs = FeedbackLog(log.path).events()[before:]  # a second reader sees them: they are on disk, not in memory
    assert len(evs) == 4 * 3 + 1 + 2
    assert {(e.kind, e.value, e.source) for e in evs if e.item_id == alien} == {("like", None, "chat"),
                                                                                ("stars", 4.0, "chat")}
    assert {e.session for e in evs} == {s.id for s in sessions} and {e.catalog for e in evs} == {"movies"}

    data = tmp_path / "data"
    out = tmp_path / "export.csv"
    env = _env(CHATREC_DATA_DIR=str(data), CHATREC_FEEDBACK_PATH=str(log.path))
    ex = subprocess.run([sys.executable, "-m", "chatrec", "feedback", "export", "--catalog", "movies", "--out",
                         str(out)], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert ex.returncode == 0, ex.stderr[-2000:]
    rows = list(csv.DictReader(open(out, encoding="utf-8")))
    mine = [r for r in rows if r["user_id"] in {s.id for s in sessions}]
    # 4 x ids[0] + 3 second likes (session 0 withdrew ids[1]) + Alien's 4 stars; no dislikes
    assert len(mine) == 8 and not {r["item_id"] for r in mine} & set(ids[100:104] + [ids[1]])

    # the loop back to ranking: an imported copy of the catalog takes the CSV with the product's own command
    write_catalog("films", movies.manifest.model_dump(exclude_none=True), movies.items, Settings(data_dir=data))
    imp = subprocess.run([sys.executable, "-m", "chatrec", "catalog", "interactions", "films", str(out),
                          "--sequence-epochs", "1"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert imp.returncode == 0, imp.stderr[-2000:]
    res = json.loads(imp.stdout)
    assert res["rows"] == len(rows) and res["rows_used"] == len(rows) and res["unknown_item_ids"] == 0
    films = Catalog.load("films", Settings(data_dir=data))
    assert films.by_id[ids[0]]["popularity"] >= 4 and films.by_id[ids[2]]["popularity"] >= 1
    assert ids[2] in {o for o, _ in films.learned.neighbors[ids[0]]}  # liked together in one session
    assert films.learned.sequence is not None


def test_export_without_a_log_says_where_it_looked(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "chatrec", "feedback", "export"], cwd=ROOT, capture_output=True,
                       text=True, env=_env(CHATREC_FEEDBACK_PATH=str(tmp_path / "none.sqlite3")), timeout=60)
    assert r.returncode == 2 and "no feedback log at" in r.stderr and "Traceback" not in r.stderr


def test_export_to_stdout_matches_the_function(tmp_path: Path) -> None:
    log = FeedbackLog(tmp_path / "f.sqlite3")
    log.record(Event(10.0, "s1", "products", "tent", "like"), Event(11.0, "s1", "products", "stove", "stars", 5))
    buf = io.StringIO()
    export_csv(log, buf)
    r = subprocess.run([sys.executable, "-m", "chatrec", "feedback", "export"], cwd=ROOT, capture_output=True,
                       text=True, env=_env(CHATREC_FEEDBACK_PATH=str(log.path)), timeout=60)
    assert r.returncode == 0 and r.stdout == buf.getvalue()
    assert r.stdout.splitlines() == ["user_id,item_id,timestamp,catalog,kind,value",
                                     "s1,tent,10.000,products,like,", "s1,stove,11.000,products,stars,5"]


@pytest.mark.parametrize("garbage", [b"not a database at all" * 100])
def test_export_of_a_corrupt_log_names_the_fix(tmp_path: Path, garbage: bytes) -> None:
    p = tmp_path / "f.sqlite3"
    p.write_bytes(garbage)
    r = subprocess.run([sys.executable, "-m", "chatrec", "feedback", "export"], cwd=ROOT, capture_output=True,
                       text=True, env=_env(CHATREC_FEEDBACK_PATH=str(p)), timeout=60)
    assert r.returncode == 2 and "move it aside" in r.stderr and "Traceback" not in r.stderr
