"""The load driver (chatrec/load.py) and the queue under pressure.

- The driver's checks on their own (no app): a limit breach, a rejected item coming back and a leak between
  conversations are each caught.
- Small load (4 conversations x 3 turns) against a real app process with the real default model (shared with
  test_hostile.py): no errors, no limit breaches, no rejected items back, no leaks; the figures are printed.
- A full queue (CHATREC_QUEUE_MAX_SIZE=1, the 135M smoke model: plumbing) answers at once: API callers get
  Gradio's "queue is full" within seconds while the accepted turns are served, and the app serves the next turn
  normally. (The page's own busy message, ui/app.py BUSY, has no browser test yet.)
"""
from __future__ import annotations

import time

import pytest
from reliability_support import shared_app

from chatrec.load import Conversation, Profile, _leaks, breaks, run_load, state_atoms, summary
from ui_support import AppProcess, wait_ready

ITEM = {"id": "x", "year": 1975, "genres": ["Comedy", "Drama"], "price_usd": 31.5, "language": "French"}


def test_breaks_reads_the_items_own_facts():
    assert breaks(ITEM, (("year", "min", 1970), ("year", "max", 1979))) == []
    assert breaks(ITEM, (("genres", "exclude", "Comedy"),)) == ["genres ['Comedy', 'Drama'] has Comedy"]
    assert breaks(ITEM, (("price_usd", "max", 30),)) == ["price_usd 31.5 > 30"]
    assert breaks(ITEM, (("language", "include", "French"), ("genres", "include", "Animation"))) == \
        ["genres ['Comedy', 'Drama'] lacks Animation"]
    assert breaks({"id": "y"}, (("year", "min", 1990),)) == ["year None < 1990"]  # a missing fact is a breach


def test_leaks_are_found_and_own_items_are_not_leaks():
    a = Conversation(0, Profile("a", "movies", "no comedy", (("genres", "exclude", "Comedy"),)), "u")
    b = Conversation(1, Profile("b", "movies", "1970s", (("year", "min", 1970),)), "u")
    a.liked, a.shown = {"alien-1979"}, {"alien-1979", "heat-1995"}
    b.disliked, b.shown = {"heat-1995"}, {"heat-1995"}
    a.states = [{"liked_items": ["alien-1979"], "disliked_items": ["heat-1995"],  # heat was shown to A: its own
                 "constraints": {"genres": {"exclude": ["Comedy"]}}}]
    b.states = [{"liked_items": ["alien-1979"], "disliked_items": ["heat-1995"],  # alien: A's, never B's
                 "constraints": {"genres": {"exclude": ["comedy"]}, "year": {"min": 1970}}}]
    found = _leaks([a, b])
    assert found == ["b turn 1: holds item alien-1979 from another conversation",
                     "b turn 1: holds another conversation's limit ('genres', 'exclude', 'comedy')"]
    assert state_atoms(b.states[0]) == {("genres", "exclude", "comedy"), ("year", "min", 1970.0)}


@pytest.mark.model
def test_small_load_against_the_app():
    app = shared_app()
    r = run_load([app.url], conversations=4, turns=3, timeout_s=900)
    print("\n" + summary(r))
    assert r["turns_done"] == 12, r["errors"]
    assert r["errors"] == [] and r["limit_breaks"] == [] and r["rejected_returned"] == [] and r["leaks"] == []
    assert r["wait_p95_s"] >= r["wait_p50_s"] >= 0 and r["turn_p95_s"] >= r["turn_p50_s"] > 0
    # 4 conversations on one model: somebody waited behind someone else's turn
    assert r["wait_p95_s"] > 0.5 * r["turn_p50_s"], r


@pytest.fixture(scope="module")
def tiny_queue_app():
    proc = AppProcess("tiny-queue-app", {"CHATREC_MODEL": "smoke", "CHATREC_LLM_EXPLANATIONS": None,
                                         "CHATREC_QUEUE_MAX_SIZE": "1"})
    try:
        proc.wait_http(180)
        from gradio_client import Client

        wait_ready(Client(proc.url, verbose=False), 600)
        yield proc
    finally:
        proc.stop()


def _flood(url: str, n: int) -> list:
    """n conversations send a turn at the same moment; returns (send time, job, {"t": time it ended}) for each."""
    from gradio_client import Client

    clients = [Client(url, verbose=False) for _ in range(n)]
    out = []
    for c in clients:
        ended: dict[str, float] = {}
        sent = time.perf_counter()
        job = c.submit("a thriller from the 1990s with a twist", "movies", api_name="/chat")
        job.future.add_done_callback(lambda _f, e=ended: e.setdefault("t", time.perf_counter()))
        out.append((sent, job, ended))
    return out


def test_full_queue_answers_busy_at_once_over_the_api(tiny_queue_app):
    from gradio_client.exceptions import AppError
    from gradio_client.utils import QueueError

    jobs = _flood(tiny_queue_app.url, 6)
    served, busy = 0, []
    for sent, job, ended in jobs:
        try:
            job.result(timeout=600)
            served += 1
        except QueueError as e:
            busy.append((str(e), ended["t"] - sent))
        except AppError as e:  # pragma: no cover - would be a real failure, shown with its message
            pytest.fail(f"a turn failed instead of being served or told busy: {e}")
    assert served >= 1 and busy, (served, busy)
    for msg, _ in busy:
        assert "try again" in msg.lower()
    # "at once": the refusals came back long before the served turns could have finished
    first_busy = min(t for _, t in busy)
    assert first_busy < 5.0, busy
    from gradio_client import Client

    after = Client(tiny_queue_app.url, verbose=False).predict("a comedy", "movies", api_name="/chat")
    assert after["done"] and after["recommendations"]  # the app serves normally afterwards
