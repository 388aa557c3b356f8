"""What the web app shares between all visitors: one Recommender (model, embeddings, index) loaded once in a
background thread, and the bookkeeping that keeps every visitor's state separate.

Nothing per user lives here except the API's sessions, which are keyed by Gradio's `session_hash` (one per
`gradio_client.Client` / `@gradio/client` connection), bounded in number and expired when idle.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chatrec.catalog.catalog import Catalog
from chatrec.settings import Settings

log = logging.getLogger("chatrec.ui")


def catalog_names(settings: Settings, wanted: list[str] | None = None) -> list[str]:
    """The catalogs the page offers: `wanted` if given (e.g. `--catalogs movies,my-shop`), else the shipped ones
    (the folders in settings.catalog_dirs: movies, products) plus the default catalog if it is elsewhere.

    Imported catalogs under <data_dir>/catalogs are not offered unless asked for: every offered catalog is indexed
    at start-up, and an imported one can hold thousands of items (minutes of embedding on a small CPU)."""
    if wanted:
        names = list(dict.fromkeys(wanted))
    else:
        names = []
        for d in settings.catalog_dirs:
            d = Path(d)
            if d.is_dir():
                names += [c.name for c in sorted(d.iterdir()) if (c / "manifest.json").exists() and c.name not in names]
        if settings.catalog not in names:
            names.append(settings.catalog)
    if settings.catalog in names:  # the default first
        names.remove(settings.catalog)
        names.insert(0, settings.catalog)
    return names


class Runtime:
    """Loads the Recommender once (in a thread, so the page is up at once and can show progress) and shares it."""

    def __init__(self, settings: Settings | None = None, catalogs: list[str] | None = None) -> None:
        self.settings = settings or Settings()
        self.catalog_names = catalog_names(self.settings, catalogs)
        # Catalog files are small JSON: read them now so the page can build its filters before the model is up.
        self.catalogs: dict[str, Catalog] = {n: Catalog.load(n, self.settings) for n in self.catalog_names}
        self.rec: Any = None
        self.error: str | None = None
        self.stage, self.done, self.total = "waiting to start", 0, 0
        self.started = time.monotonic()
        self.ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._session_locks: OrderedDict[str, threading.Lock] = OrderedDict()
        self._locks_guard = threading.Lock()
        self.api_sessions = SessionStore()

    # -- loading ------------------------------------------------------------------------------------------------
    def start(self) -> "Runtime":
        if self._thread is None:
            self._thread = threading.Thread(target=self._load, name="chatrec-loader", daemon=True)
            self._thread.start()
        return self

    def _progress(self, stage: str, done: int = 0, total: int = 0) -> None:
        self.stage, self.done, self.total = stage, done, total
        log.info("loading: %s %s/%s", stage, done, total)

    def _load(self) -> None:
        try:
            from chatrec import Recommender

            self._progress("loading the language model and the embedding model", 1, 3 + len(self.catalog_names))
            rec = Recommender.from_settings(self.settings)
            steps = 2 + len(self.catalog_names)
            for n, name in enumerate(self.catalog_names):
                cat = self.catalogs[name]
                base = 2 + n

                def cb(done: int, total: int, name: str = name, base: int = base) -> None:
                    frac = done / total if total else 1.0
                    self._progress(f"indexing the {name} catalog ({done}/{total} new items embedded)",
                                   int(100 * (base + frac)), 100 * (steps + 1))

                # Sync with progress first; the Recommender's own sync then finds nothing left to embed.
                rec.index.sync(cat, progress=cb)
                rec.catalog(name)
            self.rec = rec
            n_items = ", ".join(f"{n} ({len(c.items)} items)" for n, c in self.catalogs.items())
            model = Path(str(getattr(rec.llm, "name", "") or "")).name or "no model"
            self._progress(f"Ready: model {model}; catalogs {n_items}", 1, 1)
        except Exception as e:  # shown on the page; the process stays up so the message can be read
            log.exception("chatrec failed to load")
            self.error = f"{type(e).__name__}: {e}"
        finally:
            self.ready.set()

    def wait(self, timeout: float | None = None) -> bool:
        """True when the Recommender is usable; False on timeout. Raises RuntimeError if loading failed."""
        ok = self.ready.wait(timeout)
        if ok and self.error:
            raise RuntimeError(f"chatrec could not start: {self.error}")
        return ok and self.rec is not None

    @property
    def is_ready(self) -> bool:
        return self.ready.is_set() and self.rec is not None

    def status(self) -> dict[str, Any]:
        return {"ready": self.is_ready, "stage": self.stage, "done": self.done, "total": self.total,
                "error": self.error, "elapsed": time.monotonic() - self.started}

    # -- per-session locks ---------------------------------------------------------------------------------------
    @contextmanager
    def session_lock(self, session_id: str) -> Iterator[None]:
        """One event at a time per conversation: a thumbs-down clicked while a turn streams waits for the turn,
        so the two never edit the same state at once. Different conversations never wait for each other here."""
        with self._locks_guard:
            lock = self._session_locks.get(session_id)
            if lock is None:
                lock = self._session_locks[session_id] = threading.Lock()
            self._session_locks.move_to_end(session_id)
            while len(self._session_locks) > 5000:  # old conversations' locks; never one in use (LRU end)
                oldest, old = next(iter(self._session_locks.items()))
                if old.locked():
                    break
                self._session_locks.pop(oldest)
        with lock:
            yield


class SessionStore:
    """API sessions keyed by Gradio's session hash: bounded (LRU) and expired after `ttl` seconds idle."""

    def __init__(self, max_sessions: int = 1000, ttl: float = 2 * 3600) -> None:
        self.max_sessions, self.ttl = max_sessions, ttl
        self._data: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        with self._lock:
            self._expire()
            hit = self._data.get(key)
            if hit is None:
                return None
            self._data[key] = (time.monotonic(), hit[1])
            self._data.move_to_end(key)
            return hit[1]

    def put(self, key: str, session: Any) -> None:
        with self._lock:
            self._data[key] = (time.monotonic(), session)
            self._data.move_to_end(key)
            self._expire()

    def drop(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def __len__(self) -> int:
        return len(self._data)

    def _expire(self) -> None:
        now = time.monotonic()
        while self._data and (len(self._data) > self.max_sessions
                              or now - next(iter(self._data.values()))[0] > self.ttl):
            self._data.popitem(last=False)
