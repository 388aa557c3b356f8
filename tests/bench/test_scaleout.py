"""Scale out on existing engines, same code path chosen by settings: a Chroma server (`chroma run`) and two
OpenAI-compatible model servers with the small 0.5B model as fixtures (llama-cpp-python's `python -m llama_cpp.server`,
one request at a time, and llama.cpp's own C++ server with 2 parallel slots, `deploy/llama_server.py`); the index,
`catalog index`, a conversation, a Chroma server stopped mid-conversation and two app processes under the load driver
run against them. Plus the synthetic catalog-scale benchmark at 5k items.

The movies rows on the Chroma server are copied from the embedded store of the session's `rules_rec` (real MiniLM
and Chroma, no GGUF model): ids, vectors, documents, metadata with content hashes. Embedding 660 films again would
cost minutes on two cores, and the copy is what `catalog index movies` then checks item by item. The products catalog
is embedded from scratch on the server by `python -m chatrec catalog index products`.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, llama_server

from chatrec.bench import scale as bench_scale
from chatrec.bench.servers import ServerProcess
from chatrec.candidates.allowed import chroma_where, violates
from chatrec.catalog.index import Index, get_all
from chatrec.dialogue.state import Constraint as C
from chatrec.llm.files import resolve_model
from chatrec.settings import Settings

LIMITS = {
    "movies": [
        {"genres": C(exclude=["Horror"]), "year": C(min=1990, max=2010)},
        {"genres": C(include=["Comedy", "Romance"]), "runtime_minutes": C(max=95)},
        {"language": C(exclude=["English"])},
        {"age_rating": C(include=["PG-13"])},
    ],
    "products": [
        {"price_usd": C(min=10, max=60), "category": C(exclude=["Soccer", "Christmas"])},
        {"price_usd": C(max=30)},
    ],
}
QUERIES = ["a tense story with a surprising ending", "something light and funny", "gear for a weekend outdoors"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATREC_")}
    return {**env, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "ANONYMIZED_TELEMETRY": "False",
            **extra}


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """`chroma run` on 127.0.0.1 (a free port, a fresh folder), ready once its heartbeat answers."""
    d = tmp_path_factory.mktemp("chroma-server")
    with bench_scale.chroma_server(d / "db", log=d / "chroma.log") as server:
        yield server.port


@pytest.fixture(scope="module")
def server_settings(chroma: int, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("server-data"), chroma_host="127.0.0.1", chroma_port=chroma)


def _copy_movies(rules_rec, index: Index) -> None:  # noqa: ANN001 - conftest's Recommender
    """The movies rows of the session's embedded store (ids, vectors, documents, metadata with hashes) upserted
    into `index`'s store: what `catalog index movies` would write, without embedding 660 films again."""
    movies = rules_rec.catalog("movies")
    got = get_all(rules_rec.index.collection(movies), ["embeddings", "documents", "metadatas"])
    col = index.collection(movies)
    for s in range(0, len(got["ids"]), 200):
        col.upsert(ids=got["ids"][s:s + 200], embeddings=np.asarray(got["embeddings"][s:s + 200]).tolist(),
                   documents=got["documents"][s:s + 200], metadatas=got["metadatas"][s:s + 200])


@pytest.fixture(scope="module")
def server_index(rules_rec, server_settings: Settings) -> Index:  # noqa: ANN001 - conftest, no GGUF model
    """The server's store, holding both shipped catalogs: movies copied row by row from the embedded store, then
    `catalog index` (a subprocess, through CHATREC_CHROMA_HOST/PORT) embeds products and checks movies."""
    index = Index(server_settings, rules_rec.embedder)
    movies = rules_rec.catalog("movies")
    _copy_movies(rules_rec, index)
    env = _env(CHATREC_CHROMA_HOST="127.0.0.1", CHATREC_CHROMA_PORT=str(server_settings.chroma_port),
               CHATREC_DATA_DIR=str(server_settings.data_dir))
    counts = {}
    for name in ("products", "movies"):
        r = subprocess.run([sys.executable, "-m", "chatrec", "catalog", "index", name], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr[-2000:]
        counts[name] = json.loads(r.stdout.strip().splitlines()[-1])
    n_products, n_movies = len(rules_rec.catalog("products").items), len(movies.items)
    assert counts["products"] == {"added": n_products, "changed": 0, "removed": 0, "unchanged": 0,
                                  "total": n_products}
    assert counts["movies"]["unchanged"] == counts["movies"]["total"] == n_movies
    assert not (server_settings.data_dir / "chroma").exists(), "the CLI used the server, not a local folder"
    return index


def test_index_on_chroma_server_matches_embedded_store(rules_rec, server_index: Index) -> None:  # noqa: ANN001
    """Same top-k on the server as in the embedded folder: the app's path (allowed set, in-memory vectors fetched
    over HTTP) and Chroma's own filtered search (`chroma_where`); the unfiltered HNSW search finds at least 17 of
    the exact top 20 in both."""
    embedded = Index(rules_rec.settings, rules_rec.embedder)  # the plain index on the session's folder
    for name, limits in LIMITS.items():
        cat = rules_rec.catalog(name)
        assert server_index.sync(cat)["unchanged"] == len(cat.items)  # in process too: nothing to embed
        spos, smat = server_index.matrix(cat)
        epos, emat = embedded.matrix(cat)
        cat_ids = {n: i for i, n in epos.items()}
        assert set(spos) == set(epos) == set(cat.by_id)
        assert np.allclose(smat[[spos[i] for i in cat.by_id]], emat[[epos[i] for i in cat.by_id]], atol=1e-6)
        for text in QUERIES:
            q = rules_rec.embedder.embed([text])[0]
            # unfiltered: each store's own HNSW graph (built in a different order), so approximate in both
            exact = {cat_ids[t] for t in np.argsort(-(emat @ q))[:20]}
            for store in (server_index, embedded):
                assert len({i for i, _ in store.query(cat, q, 20)} & exact) >= 17, (name, text)
            for cons in limits:
                allowed = {it["id"] for it in cat.items if not any(violates(it, k, c, cat) for k, c in cons.items())}
                assert allowed, cons
                on_server = server_index.query(cat, q, 30, allowed)
                in_folder = embedded.query(cat, q, 30, allowed)
                assert [i for i, _ in on_server] == [i for i, _ in in_folder], (name, cons)
                assert {i for i, _ in on_server} <= allowed and len(on_server) == min(30, len(allowed))
                where, exact = chroma_where(cat, cons)
                assert where is not None and exact, cons
                s_ids = [i for i, _ in server_index.query(cat, q, 30, where)]
                e_ids = [i for i, _ in embedded.query(cat, q, 30, where)]
                assert s_ids == e_ids and set(s_ids) <= allowed, (name, cons)


@pytest.fixture(scope="module")
def llm_server(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama.cpp's OpenAI-compatible server with the small (0.5B) model, on a free port; yields its /v1 URL."""
    log = tmp_path_factory.mktemp("llm-server") / "server.log"
    with llama_server(resolve_model("small", settings.data_dir), "--model_alias", "chatrec", "--n_ctx", "4096",
                      log=log) as url:
        yield url


@pytest.fixture(scope="module")
def slots_server(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """llama.cpp's own server with 2 parallel slots (deploy/llama_server.py: the C++ server that the pinned xllamacpp
    wheel embeds), the small model, 4096 tokens a slot; yields its /v1 URL and its log."""
    log = tmp_path_factory.mktemp("slots-server") / "server.log"
    with ServerProcess([sys.executable, str(ROOT / "deploy" / "llama_server.py"), "--model",
                        str(resolve_model("small", settings.data_dir)), "--port", "{port}", "--parallel", "2", "--ctx",
                        "8192"], "/v1/models", log=log, start_timeout=240, stop_timeout=15, poll_s=0.3) as server:
        yield server.url + "/v1", log


def test_conversation_through_model_server_with_logprob_scores(llm_server: str, server_index: Index,
                                                              server_settings: Settings) -> None:
    """A conversation with the model behind the server and the index on the Chroma server; with the Yes/No stage
    turned on, its scores come from the completion's top log-probabilities of 'Yes' and 'No'."""
    from chatrec import Recommender

    s = server_settings.model_copy(update={"llm_server_url": llm_server, "n_llm_scored": 3})
    rec = Recommender.from_settings(s)
    assert type(rec.llm).__name__ == "OpenAIServerModel"
    session = rec.new_session("movies")
    first = rec.respond(session, "a tense thriller, nothing before 1990")
    assert len(first.recommendations) == s.n_recommendations
    cat = rec.catalog("movies")
    for r in first.recommendations:
        assert cat.by_id[r.item_id]["year"] >= 1990
    probs = [r.components["llm_yes_probability"] for r in first.recommendations
             if "llm_yes_probability" in r.components]
    assert probs and all(0.0 < p < 1.0 for p in probs)
    # absent logprobs would give log-odds 0 for every question (p = 0.5 exactly): these came from the server
    assert any(abs(p - 0.5) > 1e-3 for p in probs), probs
    second = rec.respond(session, "no horror please")
    assert second.recommendations and second.text.strip()
    for r in second.recommendations:
        it = cat.by_id[r.item_id]
        assert it["year"] >= 1990 and "Horror" not in it.get("genres", [])
    assert rec.llm.usage.snapshot().get("explanation", {}).get("calls", 0) >= 1


def test_chroma_server_stopped_mid_conversation(llm_server: str, rules_rec, tmp_path: Path) -> None:  # noqa: ANN001
    """A Chroma server of its own, stopped (SIGTERM) after the first turn: the conversation goes on from the vectors
    held in memory (limits, feedback and an unfiltered search included); what needs the server itself (a catalog
    not loaded yet, Chroma's own filtered search, a fresh start) gets ServerDownError, whose text says what
    happened and how to start the server or leave it."""
    from chatrec import Recommender
    from chatrec.errors import ServerDownError

    with bench_scale.chroma_server(tmp_path / "db", log=tmp_path / "chroma.log") as server:
        port = server.port
        s = Settings(data_dir=tmp_path / "data", chroma_host="127.0.0.1", chroma_port=port, llm_server_url=llm_server,
                     feedback_path=tmp_path / "feedback.sqlite3")
        _copy_movies(rules_rec, Index(s, rules_rec.embedder))
        rec = Recommender.from_settings(s)
        cat = rec.catalog("movies")
        session = rec.new_session("movies")
        first = rec.respond(session, "a tense thriller, nothing before 1990")
        assert first.recommendations
        server.stop()
        q = rec.embedder.embed(["a heist that goes wrong"])[0]
        with pytest.raises(ServerDownError) as down:  # really down: Chroma's own filtered search needs it
            rec.index.query(cat, q, 5, {"year": {"$gte": 1990}})
        second = rec.respond(session, "no horror please")
        assert second.recommendations and second.text.strip()
        for r in second.recommendations:
            it = cat.by_id[r.item_id]
            assert it["year"] >= 1990 and "Horror" not in it.get("genres", []), r.title
        gone = second.recommendations[0].item_id
        rec.feedback(session, gone, False)
        third = rec.respond(session, "something else please")
        assert third.recommendations and gone not in [r.item_id for r in third.recommendations]
        assert all(cat.by_id[r.item_id]["year"] >= 1990 for r in third.recommendations)
        assert len(rec.index.query(cat, q, 5)) == 5  # unfiltered search (Chroma's HNSW): exact, from memory
        msg = str(down.value)
        assert f"the search index server at 127.0.0.1:{port} is not answering" in msg, msg
        assert f"chroma run --path DIR --host 127.0.0.1 --port {port}" in msg and "unset CHATREC_CHROMA_HOST" in msg
        with pytest.raises(ServerDownError, match="is not answering.*catalog index products"):
            rec.new_session("products")  # never loaded: its vectors are on the server only
        with pytest.raises(ServerDownError, match="is not answering.*start chatrec again"):
            Recommender.from_settings(s)


def test_two_app_processes_share_model_and_chroma_servers(slots_server: tuple[str, Path], server_index: Index,
                                                          server_settings: Settings,
                                                          tmp_path: Path) -> None:
    """Two `python app.py` processes, one model server with 2 parallel slots (llama.cpp's own server), one Chroma
    server: the load driver's conversations, spread over both apps, all finish with no errors, no broken limits, no
    rejected item back and no leak, and the server's log shows both slots at work."""
    llm_server, server_log = slots_server
    apps: list[ServerProcess] = []
    try:
        for k in range(2):
            env = _env(CHATREC_LLM_SERVER_URL=llm_server, CHATREC_CHROMA_HOST="127.0.0.1",
                       CHATREC_CHROMA_PORT=str(server_settings.chroma_port), CHATREC_DATA_DIR=str(tmp_path / f"d{k}"))
            apps.append(ServerProcess([sys.executable, "app.py", "--port", "{port}"], "/", env=env, cwd=ROOT,
                                      log=tmp_path / f"app{k}.log", start_timeout=180, stop_timeout=15,
                                      poll_s=0.3).launch())
        for app in apps:  # both start at once; then each must answer
            app.wait()
        urls = [app.url for app in apps]
        out_json = tmp_path / "load.json"
        r = subprocess.run([sys.executable, "-m", "chatrec", "load", "--url", ",".join(urls), "--conversations", "4",
                            "--turns", "2", "--json", str(out_json), "--timeout", "600"], cwd=ROOT, env=_env(),
                           capture_output=True, text=True, timeout=900)
        assert out_json.exists(), r.stdout[-2000:] + r.stderr[-3000:]
        report = json.loads(out_json.read_text())
        assert r.returncode == 0, r.stdout[-3000:]
        assert report["turns_done"] == 8 and report["errors"] == [], report["errors"]
        assert report["limit_breaks"] == [] and report["rejected_returned"] == [] and report["leaks"] == []
        assert sorted(report["per_url_turns"].values()) == [4, 4]
        for k in range(2):
            assert not (tmp_path / f"d{k}" / "chroma").exists(), "app used a local Chroma folder"
        for app in apps:
            log = app.log_path.read_text()
            assert app.proc.poll() is None, log[-2000:]
            assert not re.search(r"Traceback", log), log[-3000:]
        launched, busy, most = Counter(), set(), 0  # slots decoding at the same moment, from the server's log
        for m in re.finditer(r"slot +(launch_slot_|release): id +(\d+)", server_log.read_text()):
            if m[1] == "release":
                busy.discard(m[2])
            else:
                launched[m[2]] += 1
                busy.add(m[2])
                most = max(most, len(busy))
        print(f"\nmodel server: {sum(launched.values())} tasks, by slot {dict(sorted(launched.items()))}, "
              f"at most {most} at once")
        assert set(launched) == {"0", "1"} and most == 2, server_log.read_text()[-2000:]
    finally:
        for app in apps:
            app.stop()


def test_scale_benchmark_small(tmp_path: Path) -> None:
    """The catalog-scale benchmark at 5k synthetic items: it fills the server, resumes, and reports sane figures."""
    reports = bench_scale.run(5000, tmp_path / "db", batch_size=2000, report_at=[2000], n_queries=10,
                              json_path=tmp_path / "scale.jsonl", log=lambda s: None)
    assert [r["n"] for r in reports] == [2000, 5000] and reports[-1]["count"] == 5000
    last = reports[-1]
    assert set(last["latency"]) == set(bench_scale.FILTERS)
    assert last["latency"]["none"]["mean_hits"] == 80
    # ~0.3% of 5000 match genre g03 and price <= 30: fewer hits than k, and every hit must match
    assert 0 < last["latency"]["genre+price (~0.3%)"]["mean_hits"] < 80
    assert last["server_rss_mib"] > 20 and last["disk_mib"] > 5 and last["insert_items_per_s"] > 0
    assert len((tmp_path / "scale.jsonl").read_text().splitlines()) == 2
    # a second run on the same folder resumes: nothing left to insert below 5000, one more batch up to 6000
    again = bench_scale.run(6000, tmp_path / "db", batch_size=2000, n_queries=3, log=lambda s: None)
    assert again[-1]["count"] == 6000


def test_scale_batches_are_deterministic_and_filters_hold(tmp_path: Path) -> None:
    """Seeded batches (what makes a resumed run the same collection) and Chroma's filtered hits obey the filter."""
    a, b = bench_scale.batch(4000, 50), bench_scale.batch(4000, 50)
    assert a[0] == b[0] and np.array_equal(a[1], b[1]) and a[2] == b[2]
    assert np.allclose(np.linalg.norm(a[1], axis=1), 1.0, atol=1e-5)
    import chromadb

    with bench_scale.chroma_server(tmp_path / "db") as server:
        col = chromadb.HttpClient(host="127.0.0.1", port=server.port).get_or_create_collection(
            "scale-test", embedding_function=None, metadata={"hnsw:space": "cosine"})
        ids, vecs, metas = bench_scale.batch(0, 3000)
        col.add(ids=ids, embeddings=vecs, metadatas=metas)
        by_id = dict(zip(ids, metas))
        where = bench_scale.FILTERS["genre+price (~0.3%)"]
        want = {i for i, m in by_id.items() if m["genre"] == "g03" and m["price"] <= 30}
        got = col.query(query_embeddings=[vecs[0].tolist()], n_results=80, where=where)["ids"][0]
        assert want and set(got) == want
