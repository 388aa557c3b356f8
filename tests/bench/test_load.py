"""The load driver (chatrec/bench/driver.py) and the queue under pressure.

- The driver's checks on their own (no app): a limit breach, a rejected item coming back and a leak between
  conversations are each caught.
- Small load (4 conversations x 3 turns) against a real app process with the real default model (shared with
  test_hostile.py): no errors, no limit breaches, no rejected items back, no leaks; the figures are printed.
- A full queue (CHATREC_QUEUE_MAX_SIZE=1, the 135M smoke model: plumbing) answers at once: API callers get
  Gradio's "queue is full" within seconds while the accepted turns are served, and the app serves the next turn
  normally; in Chromium, a visitor who sends while API callers hold the queue full reads ui/app.py's BUSY in the
  chat at once, finds the message still in the box, and gets cards when sending it again later.
"""
from __future__ import annotations

import threading
import time

import pytest
from reliability_support import shared_app
from ui_support import AppProcess, wait_ready

from chatrec.bench.driver import Conversation, Profile, _leaks, breaks, run_load, state_atoms, summary

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


class _Flood:
    """API callers that keep the tiny queue full (a new turn every 0.3 s from each of 4 clients) until stopped; the
    refused ones end at once, the accepted ones run. `drain` waits for every accepted turn to end."""

    def __init__(self, url: str) -> None:
        from gradio_client import Client

        self.clients = [Client(url, verbose=False) for _ in range(4)]
        self.jobs: list = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            for c in self.clients:
                self.jobs.append(c.submit("a comedy from the 1980s", "movies", api_name="/chat"))
            time.sleep(0.3)

    def drain(self) -> None:
        self.stop.set()
        self.thread.join(10)
        for job in self.jobs:
            try:
                job.result(timeout=300)
            except Exception:  # noqa: BLE001 - refused ("queue is full") or served: either way it is over
                pass


def test_full_queue_says_busy_in_the_page(browser, tiny_queue_app):  # noqa: F811
    """The visitor's own words, not an "Error" badge: Gradio 6 never shows a non-queued gr.Error as a toast, so the
    page draws BUSY in the chat (ui/app.py show_busy); the message stays in the box; later it is answered."""
    from ui.app import BUSY

    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    page.goto(tiny_queue_app.url + "/", wait_until="domcontentloaded")
    page.wait_for_selector("#cr-status [data-cr-ready='1']", timeout=120_000)
    flood = _Flood(tiny_queue_app.url)
    try:
        tries, seen = 0, None
        time.sleep(2.0)  # the first accepted turn is running, the next one waits: the queue of 1 is full
        while seen is None and tries < 4:  # the flood refills within 0.3 s; a send may slip into a gap
            tries += 1
            cards = page.locator("#cr-chat .cr-cards").count()
            page.fill("#cr-input textarea", "a western please")
            t0 = time.perf_counter()
            page.click("#cr-send")
            page.wait_for_function("document.querySelector('#cr-chat .cr-busy') || "
                                   f"document.querySelectorAll('#cr-chat .cr-cards').length > {cards}",
                                   timeout=120_000)
            if page.locator("#cr-chat .cr-busy").count():
                seen = time.perf_counter() - t0
            else:  # it got in and was answered: wait for the rest of that turn, then try again
                page.wait_for_function("!document.querySelector('#cr-chat .cr-status')", timeout=300_000)
        assert seen is not None, f"never told busy in {tries} sends while the queue was held full"
        print(f"\nbusy shown {seen:.2f} s after Send (try {tries})")
        assert seen < 5.0
        chat = page.inner_text("#cr-chat")
        assert BUSY in chat and "a western please" in chat
        assert page.input_value("#cr-input textarea") == "a western please"  # nothing lost
        # no bare "Error" badge over the chat or the box, no error message in the chat
        assert page.locator("#cr-chat .cr-error-msg").count() == 0
        assert not page.evaluate("document.body.innerText.split('\\n').some((l) => l.trim() === 'Error')")
        page.screenshot(path=str(tiny_queue_app.log_path.parent / "queue-busy-page.png"), full_page=True)
    finally:
        flood.drain()
    cards = page.locator("#cr-chat .cr-cards").count()
    page.click("#cr-send")  # the same words, sent again once the queue has room
    page.wait_for_function(f"document.querySelectorAll('#cr-chat .cr-cards').length > {cards} && "
                           "!document.querySelector('#cr-chat .cr-status')", timeout=300_000)
    assert page.locator("#cr-chat .cr-busy").count() == 0  # the busy note was transient
    assert page.locator("#cr-chat .cr-error-msg").count() == 0
    assert page.input_value("#cr-input textarea") == ""
    ctx.close()
