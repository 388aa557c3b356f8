"""Load driver: many concurrent conversations against running chatrec apps over their HTTP API (`/chat`,
`/feedback`), each checked by code against the catalog's own facts.

`python -m chatrec load --url http://127.0.0.1:7860[,URL...] --conversations 16 --turns 10 [--json out.json]`

Every conversation has its own hard limits (no comedy, only 1970s films, under $30, ...), likes and dislikes (sent
through `/feedback`). After every turn the driver checks, without trusting the app:
- limits: each recommended item's facts, read from the local catalog files, meet that conversation's limits;
- rejections: no recommended item is one the conversation disliked earlier (or one the app itself recorded as
  rejected in that conversation's state);
- isolation: the conversation's state holds no item another conversation gave feedback on (and it did not) and no
  limit that only another conversation asked for.
It reports errors, those three counts (goal 0 each) and p50/p95 of the queue wait (sent -> the server starts the
turn) and of the turn (start -> last streamed update). With several URLs the conversations are spread over them
round-robin, so two app processes can share one load.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Item = dict[str, Any]
Atom = tuple[str, str, Any]  # (field, "min" | "max" | "include" | "exclude", value): one hard limit


@dataclass(frozen=True)
class Profile:
    """One conversation's script: its catalog, the opening message that sets its limits, and the limits as code."""

    name: str
    catalog: str
    opening: str
    limits: tuple[Atom, ...]


PROFILES: tuple[Profile, ...] = (
    Profile("no-comedy", "movies", "a movie for tonight, but no comedy please", (("genres", "exclude", "Comedy"),)),
    Profile("1970s", "movies", "only films from the 1970s", (("year", "min", 1970), ("year", "max", 1979))),
    Profile("under-30-usd", "products", "a gift under $30", (("price_usd", "max", 30),)),
    Profile("short", "movies", "something under 100 minutes long", (("runtime_minutes", "max", 100),)),
    Profile("no-horror-1990+", "movies", "no horror, and nothing before 1990",
            (("genres", "exclude", "Horror"), ("year", "min", 1990))),
    Profile("camping-under-50", "products", "camping gear under $50", (("price_usd", "max", 50),)),
    Profile("french", "movies", "a film in French", (("language", "include", "French"),)),
    Profile("animation", "movies", "only animated films", (("genres", "include", "Animation"),)),
    Profile("party-under-20", "products", "something for a birthday party, under $20", (("price_usd", "max", 20),)),
    Profile("2000s-no-drama", "movies", "a movie from the 2000s, no drama",
            (("year", "min", 2000), ("year", "max", 2009), ("genres", "exclude", "Drama"))),
    Profile("no-halloween-under-40", "products", "no halloween stuff, under $40",
            (("price_usd", "max", 40), ("category", "exclude", "Halloween"))),
    Profile("2h-no-thriller", "movies", "nothing longer than 2 hours and no thrillers",
            (("runtime_minutes", "max", 120), ("genres", "exclude", "Thriller"))),
    Profile("soccer-over-25", "products", "soccer gear over $25", (("price_usd", "min", 25),)),
    Profile("scifi", "movies", "only science fiction", (("genres", "include", "Science Fiction"),)),
    Profile("10-to-25-usd", "products", "something between $10 and $25",
            (("price_usd", "min", 10), ("price_usd", "max", 25))),
    Profile("2011+-no-romance", "movies", "a movie released after 2010, no romance",
            (("year", "min", 2011), ("genres", "exclude", "Romance"))),
)
# Later turns refine without touching the limits, so every limit must hold on every turn.
FOLLOW_UPS = {
    "movies": ["more like the first one", "something else please", "show me a few others",
               "anything with a great story?", "the second one looks good, more like it",
               "something for a quiet evening", "what else do you have?", "something a bit more upbeat",
               "one more round of ideas"],
    "products": ["more like the first one", "something else please", "show me a few others",
                 "what else do you have?", "the second one looks good, more like it", "something that lasts",
                 "any other ideas?", "something a bit different", "one more round of ideas"],
}


def percentile(xs: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..1); None for no data."""
    if not xs:
        return None
    xs = sorted(xs)
    k = (len(xs) - 1) * q
    lo = int(k)
    return xs[lo] + (xs[min(lo + 1, len(xs) - 1)] - xs[lo]) * (k - lo)


def run_together(jobs: list[Callable[[], None]]) -> float:
    """Run the jobs in one thread each, all at once; returns the wall time until the last ends."""
    threads = [threading.Thread(target=j, daemon=True) for j in jobs]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return time.perf_counter() - t0


def breaks(item: Item, limits: tuple[Atom, ...]) -> list[str]:
    """The limits an item's own facts break, as readable strings (empty: it meets them all)."""
    out = []
    for fld, kind, want in limits:
        v = item.get(fld)
        vals = [str(x).lower() for x in v] if isinstance(v, list) else [str(v).lower()] if v is not None else []
        if kind == "min" and not (isinstance(v, (int, float)) and v >= want):
            out.append(f"{fld} {v} < {want}")
        elif kind == "max" and not (isinstance(v, (int, float)) and v <= want):
            out.append(f"{fld} {v} > {want}")
        elif kind == "include" and str(want).lower() not in vals:
            out.append(f"{fld} {v} lacks {want}")
        elif kind == "exclude" and str(want).lower() in vals:
            out.append(f"{fld} {v} has {want}")
    return out


def state_atoms(state: dict[str, Any]) -> set[Atom]:
    """The hard limits a state holds, as atoms comparable with Profile.limits."""
    out: set[Atom] = set()
    for fld, c in (state.get("constraints") or {}).items():
        for kind in ("min", "max"):
            if c.get(kind) is not None:
                out.add((fld, kind, float(c[kind])))
        for kind in ("include", "exclude"):
            out |= {(fld, kind, str(v).lower()) for v in c.get(kind) or []}
    return out


def _norm(a: Atom) -> Atom:
    fld, kind, v = a
    return (fld, kind, float(v)) if kind in ("min", "max") else (fld, kind, str(v).lower())


def state_items(state: dict[str, Any]) -> set[str]:
    """Every item id a state holds as a preference (liked, disliked, rejected, owned, starred)."""
    keys = ("liked_items", "disliked_items", "rejected_items", "owned_items")
    return {i for k in keys for i in state.get(k) or []} | set(state.get("stars_out_of_5") or {})


@dataclass
class Conversation:
    """What one conversation did and saw; filled in by its thread."""

    k: int
    profile: Profile
    url: str
    shown: set[str] = field(default_factory=set)
    liked: set[str] = field(default_factory=set)
    disliked: set[str] = field(default_factory=set)
    states: list[dict[str, Any]] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)
    turns: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    limit_breaks: list[str] = field(default_factory=list)
    rejected_back: list[str] = field(default_factory=list)


def _timed_chat(client: Any, message: str, catalog: str, timeout_s: float) -> tuple[dict[str, Any], float, float]:
    """One /chat turn: (final output, queue wait, turn time). The wait ends when the server starts the event: the
    time of the first "process_starts"/"process_generating" status the client received (gradio_client keeps every
    status update, with its time, in the job's update queue)."""
    from gradio_client.utils import Status

    running = {Status.PROCESSING, Status.ITERATING, Status.PROGRESS}
    t0 = time.time()
    job = client.submit(message, catalog, api_name="/chat")
    while not job.done():
        if time.time() - t0 > timeout_s:
            job.cancel()
            raise TimeoutError(f"no reply within {timeout_s:.0f} s")
        time.sleep(0.02)
    end = time.time()
    out = job.result()
    started = end
    updates = getattr(getattr(job, "communicator", None), "updates", None)
    while updates is not None and not updates.empty():
        u = updates.get_nowait()
        if getattr(u, "code", None) in running and u.time is not None:
            started = min(started, u.time.timestamp())
    started = max(started, t0)
    return out, started - t0, end - started


def _converse(conv: Conversation, n_turns: int, catalogs: dict[str, Any], timeout_s: float) -> None:
    from gradio_client import Client

    p = conv.profile
    try:
        client = Client(conv.url, verbose=False)
    except Exception as e:  # noqa: BLE001 - counted and reported
        conv.errors.append(f"connect: {type(e).__name__}: {e}")
        return
    msgs = [p.opening, *FOLLOW_UPS[p.catalog]]
    prev_rejected: set[str] = set()
    for t in range(n_turns):
        msg = msgs[t % len(msgs)]
        try:
            out, wait, turn = _timed_chat(client, msg, p.catalog, timeout_s)
        except Exception as e:  # noqa: BLE001 - an error is a result of the load, counted per turn
            conv.errors.append(f"turn {t + 1}: {type(e).__name__}: {e}")
            continue
        conv.waits.append(wait)
        conv.turns.append(turn)
        recs = [r["item_id"] for r in out.get("recommendations") or []]
        by_id = catalogs[p.catalog]
        for i in recs:
            item = by_id.get(i)
            bad = breaks(item, p.limits) if item is not None else [f"not in the catalog {p.catalog}"]
            if bad:
                conv.limit_breaks.append(f"turn {t + 1} {i}: {'; '.join(bad)}")
            if i in conv.disliked or i in prev_rejected:
                conv.rejected_back.append(f"turn {t + 1} {i}")
        conv.shown.update(recs)
        state = out.get("state") or {}
        conv.states.append(state)
        prev_rejected = set(state.get("rejected_items") or []) | set(state.get("disliked_items") or [])
        if not recs:
            continue
        # Likes and dislikes through /feedback, on a schedule that differs between conversations.
        try:
            step = (t + conv.k) % 3
            if step == 0:
                client.predict(recs[0], True, api_name="/feedback")
                conv.liked.add(recs[0])
            elif step == 1:
                client.predict(recs[-1], False, api_name="/feedback")
                conv.disliked.add(recs[-1])
        except Exception as e:  # noqa: BLE001
            conv.errors.append(f"feedback after turn {t + 1}: {type(e).__name__}: {e}")


def _leaks(convs: list[Conversation]) -> list[str]:
    """Items or limits of one conversation found in another's state, where the latter never had them itself."""
    out = []
    limits = {c.k: {_norm(a) for a in c.profile.limits} for c in convs}
    for c in convs:
        others_items = set().union(*[(o.liked | o.disliked) for o in convs if o.k != c.k]) if len(convs) > 1 else set()
        others_limits = set().union(*[limits[o.k] for o in convs if o.k != c.k]) if len(convs) > 1 else set()
        own = c.shown | c.liked | c.disliked
        for n, st in enumerate(c.states, 1):
            for i in sorted((state_items(st) - own) & others_items):
                out.append(f"{c.profile.name} turn {n}: holds item {i} from another conversation")
            for a in sorted((state_atoms(st) - limits[c.k]) & others_limits, key=str):
                out.append(f"{c.profile.name} turn {n}: holds another conversation's limit {a}")
    return out


def run_load(urls: list[str], conversations: int = 16, turns: int = 10, timeout_s: float = 900.0,
             catalog_dirs: list[Path] | None = None) -> dict[str, Any]:
    """Drive `conversations` concurrent conversations of `turns` turns over the apps at `urls`; returns the report.

    The apps must be up (their model may still be loading: the first turns then wait in the queue). Catalog facts
    for the checks come from the local catalog files (`catalog_dirs`, default: the settings' folders)."""
    from chatrec.catalog.catalog import Catalog
    from chatrec.settings import Settings

    s = Settings() if catalog_dirs is None else Settings(catalog_dirs=catalog_dirs)
    needed = {PROFILES[k % len(PROFILES)].catalog for k in range(conversations)}
    catalogs = {name: Catalog.load(name, s).by_id for name in needed}
    convs = [Conversation(k, PROFILES[k % len(PROFILES)], urls[k % len(urls)]) for k in range(conversations)]
    wall = run_together([lambda c=c: _converse(c, turns, catalogs, timeout_s) for c in convs])
    waits = [w for c in convs for w in c.waits]
    tturns = [x for c in convs for x in c.turns]
    whole = [w + x for c in convs for w, x in zip(c.waits, c.turns)]
    leaks = _leaks(convs)
    report = {
        "urls": urls, "conversations": conversations, "turns_per_conversation": turns,
        "turns_done": len(tturns), "wall_s": round(wall, 1),
        "errors": [f"{c.profile.name}#{c.k} {e}" for c in convs for e in c.errors],
        "limit_breaks": [f"{c.profile.name}#{c.k} {e}" for c in convs for e in c.limit_breaks],
        "rejected_returned": [f"{c.profile.name}#{c.k} {e}" for c in convs for e in c.rejected_back],
        "leaks": leaks,
        "wait_p50_s": percentile(waits, 0.5), "wait_p95_s": percentile(waits, 0.95),
        "turn_p50_s": percentile(tturns, 0.5), "turn_p95_s": percentile(tturns, 0.95),
        "wait_plus_turn_p50_s": percentile(whole, 0.5), "wait_plus_turn_p95_s": percentile(whole, 0.95),
        "turns_per_minute": round(60 * len(tturns) / wall, 2) if wall else None,
        "per_url_turns": {u: sum(len(c.turns) for c in convs if c.url == u) for u in urls},
    }
    return report


def summary(r: dict[str, Any]) -> str:
    """The report in a few lines."""
    def f(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.1f}"

    lines = [f"{r['conversations']} conversations x {r['turns_per_conversation']} turns over {len(r['urls'])} "
             f"app(s): {r['turns_done']} turns in {r['wall_s']} s ({r['turns_per_minute']} turns/min)",
             f"errors {len(r['errors'])}, turns breaking their own limits {len(r['limit_breaks'])}, rejected items "
             f"back {len(r['rejected_returned'])}, leaks between conversations {len(r['leaks'])} (goal 0 each)",
             f"wait p50 {f(r['wait_p50_s'])} s p95 {f(r['wait_p95_s'])} s; turn p50 {f(r['turn_p50_s'])} s "
             f"p95 {f(r['turn_p95_s'])} s; wait + turn p50 {f(r['wait_plus_turn_p50_s'])} s "
             f"p95 {f(r['wait_plus_turn_p95_s'])} s"]
    for key in ("errors", "limit_breaks", "rejected_returned", "leaks"):
        lines += [f"  {key}: {x}" for x in r[key][:10]]
    return "\n".join(lines)


def main(urls: str, conversations: int, turns: int, json_path: str | None, timeout_s: float,
         echo: Callable[[str], None] = print) -> int:
    """CLI entry: run, print the summary, write JSON if asked; exit 1 when any goal-0 count is not 0."""
    r = run_load([u.strip().rstrip("/") for u in urls.split(",") if u.strip()], conversations, turns, timeout_s)
    echo(summary(r))
    if json_path:
        Path(json_path).write_text(json.dumps(r, indent=1), encoding="utf-8")
    return int(bool(r["errors"] or r["limit_breaks"] or r["rejected_returned"] or r["leaks"]))
