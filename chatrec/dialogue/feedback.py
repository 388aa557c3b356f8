"""Durable feedback: every like, dislike and star rating a user gives is appended to an SQLite log (WAL mode) under
the data folder at the moment it is given, so it outlives the process, and `python -m chatrec feedback export`
turns it into the interactions CSV that `catalog interactions` reads (the loop from use back to ranking).

Each event is its own committed transaction with `synchronous=FULL`: a process killed with SIGKILL loses at most
the event it was writing. A write that fails (disk full, read-only folder) never fails the user's click: the event
is kept in memory, retried with the next one, and the failure is logged with what to do.
"""
from __future__ import annotations

import csv
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from chatrec.settings import Settings

log = logging.getLogger("chatrec.dialogue.feedback")
Kind = Literal["like", "dislike", "stars"]
SCHEMA = """CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time REAL NOT NULL,
  session TEXT NOT NULL,
  catalog TEXT NOT NULL,
  item_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('like', 'dislike', 'stars')),
  value REAL,
  source TEXT NOT NULL DEFAULT ''
)"""
CSV_COLUMNS = ["user_id", "item_id", "timestamp", "catalog", "kind", "value"]


@dataclass(frozen=True)
class Event:
    """One piece of feedback: `value` is the stars (0.5-5) for kind 'stars', None for a like or dislike."""

    time: float
    session: str
    catalog: str
    item_id: str
    kind: Kind
    value: float | None = None
    source: str = ""


def default_path(settings: Settings) -> Path:
    return settings.feedback_path or settings.data_dir / "feedback.sqlite3"


class FeedbackLog:
    """Append-only event log in one SQLite file; one connection per process, writes serialised by a lock."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self.pending: list[Event] = []  # events not yet written (the last write failed)
        self.last_error: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> "FeedbackLog":
        return cls(default_path(settings))

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, check_same_thread=False, timeout=10, isolation_level=None)
            try:
                mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise sqlite3.OperationalError(f"journal_mode is {mode}, not wal")
                conn.execute("PRAGMA synchronous=FULL")
                conn.execute(SCHEMA)
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def record(self, *events: Event) -> bool:
        """Append events (with any left over from a failed write); True when all are on disk."""
        with self._lock:
            batch = [*self.pending, *events]
            if not batch:
                return True
            try:
                conn = self._connect()
                for ev in batch:  # one transaction each: a kill loses at most the one in flight
                    conn.execute("INSERT INTO events (time, session, catalog, item_id, kind, value, source) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?)", (ev.time, ev.session, ev.catalog, ev.item_id,
                                                                  ev.kind, ev.value, ev.source))
                    batch = batch[1:]
                self.pending, self.last_error = [], None
                return True
            except (sqlite3.Error, OSError) as e:
                self.pending = batch
                self.last_error = (f"could not write feedback to {self.path} ({e}); {len(batch)} event(s) are kept "
                                   f"in memory and retried with the next one. Free disk space or set "
                                   f"CHATREC_FEEDBACK_PATH to a writable file")
                log.warning(self.last_error)
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
                return False

    def events(self, catalog: str | None = None) -> list[Event]:
        """Every event on disk, oldest first (optionally one catalog's)."""
        if not self.path.exists():
            return []
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10)
        try:
            sql = "SELECT time, session, catalog, item_id, kind, value, source FROM events"
            rows = conn.execute(sql + (" WHERE catalog = ?" if catalog else "") + " ORDER BY id",
                                (catalog,) if catalog else ()).fetchall()
        finally:
            conn.close()
        return [Event(*r) for r in rows]

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def state_events(session: str, catalog: str, liked: list[str], disliked: list[str],
                 stars: dict[str, float], source: str) -> list[Event]:
    """Events for what one action said about items (a click, or what a chat message was read as)."""
    now = time.time()
    return ([Event(now, session, catalog, i, "like", None, source) for i in liked]
            + [Event(now, session, catalog, i, "dislike", None, source) for i in disliked]
            + [Event(now, session, catalog, i, "stars", float(v), source) for i, v in stars.items()])


def interactions(events: list[Event], min_stars: float = 3.5) -> list[dict[str, Any]]:
    """Positive interactions for `catalog interactions`: per session and item the latest verdict counts, and it
    is kept when it is a like or at least `min_stars` stars (a dislike after a like withdraws the like)."""
    latest: dict[tuple[str, str, str], Event] = {}
    for ev in events:
        latest[(ev.catalog, ev.session, ev.item_id)] = ev
    rows = [{"user_id": ev.session, "item_id": ev.item_id, "timestamp": f"{ev.time:.3f}", "catalog": ev.catalog,
             "kind": ev.kind, "value": "" if ev.value is None else f"{ev.value:g}"}
            for ev in latest.values()
            if ev.kind == "like" or (ev.kind == "stars" and ev.value is not None and ev.value >= min_stars)]
    return sorted(rows, key=lambda r: (float(r["timestamp"]), r["user_id"], r["item_id"]))


def export_csv(log_: FeedbackLog, out: Any, catalog: str | None = None, min_stars: float = 3.5) -> dict[str, int]:
    """Write the interactions CSV (header: user_id,item_id,timestamp,catalog,kind,value) to a text stream."""
    evs = log_.events(catalog)
    rows = interactions(evs, min_stars)
    w = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return {"events": len(evs), "rows": len(rows), "sessions": len({r["user_id"] for r in rows}),
            "catalogs": len({r["catalog"] for r in rows})}
