"""Indexing at scale: import + index ml-latest-small (~9.7k) and the Wikipedia films catalog (~34k); prints figures.

Not a test. For each catalog, in its own process (so peak memory is per catalog): import time, the embedding model's
raw throughput on a random sample of the catalog's own documents, a full `Index.sync` into a fresh Chroma folder
(items/s, total), a no-op re-sync, the same no-op through `python -m chatrec catalog index NAME` (the CLI at scale),
Chroma's size on disk, peak RSS, the time to load all vectors (`Index.matrix`) and query latency p50/p95 with and
without a metadata filter (genre exclusion + year range; `chroma_where` for Chroma), for `Index.query` (filtered queries
answered in memory) and for Chroma's own filtered search.

    HF_HUB_OFFLINE=1 .venv/bin/python -m chatrec.bench.index [--data ../shared/data] [--only ml|wiki]
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository root
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

QUERIES = ["a funny movie for tonight", "mind-bending science fiction with a twist", "something scary but not gory",
           "a heartwarming family film", "gritty crime drama about a heist", "a romantic comedy set in New York",
           "epic war movie", "animated adventure for kids", "a slow-burn mystery", "classic western with a showdown",
           "space exploration and survival", "a musical with great songs", "true story about a sports team",
           "a documentary about nature", "dark psychological thriller", "feel-good road trip movie",
           "superhero action", "a courtroom drama", "coming of age story", "zombie apocalypse"]


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def du_mib(path: Path) -> float:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) / 2**20


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def bench_one(which: str, data: Path, work: Path, n_raw: int, n_queries: int, limit: int | None = None) -> dict:
    from tqdm import tqdm

    from chatrec.candidates.allowed import chroma_where
    from chatrec.candidates.sources import hard_filter
    from chatrec.catalog.catalog import Catalog
    from chatrec.catalog.index import Embedder, Index
    from chatrec.dialogue.state import Constraint, DialogueState
    from chatrec.importers import import_movielens, import_wikipedia
    from chatrec.settings import Settings

    settings = Settings(data_dir=work / "data", chroma_path=work / f"chroma-{which}")
    out: dict = {"catalog": which}
    t = time.perf_counter()
    if which == "ml":
        res = import_movielens(data / "ml-latest-small", "bench-ml", settings)
    else:
        res = import_wikipedia(data / "wikipedia-movie-data", "bench-wiki", settings)
    out["import_s"] = time.perf_counter() - t
    if limit:  # smoke runs: keep the first `limit` items
        from chatrec.importers import write_catalog

        full = Catalog.load(res.name, settings)
        write_catalog(res.name, full.manifest.model_dump(exclude_none=True), full.items[:limit], settings)
    t = time.perf_counter()
    cat = Catalog.load(res.name, settings)
    out["load_validate_s"] = time.perf_counter() - t
    docs = [cat.document(it) for it in cat.items]
    out["items"] = len(docs)
    out["doc_words_mean"] = sum(len(d.split()) for d in docs) / len(docs)

    t = time.perf_counter()
    emb = Embedder()
    out["model_load_s"] = time.perf_counter() - t
    tok = emb.model.tokenizer
    random.seed(0)
    sample = random.sample(docs, min(n_raw, len(docs)))
    out["doc_tokens_mean"] = sum(len(tok(d)["input_ids"]) for d in sample) / len(sample)
    emb.embed(sample[:32])  # warm-up
    t = time.perf_counter()
    emb.model.encode(sample, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    out["raw_docs_per_s"] = len(sample) / (time.perf_counter() - t)

    index = Index(settings, emb)
    bar = tqdm(total=len(docs), unit="item", desc=f"indexing {cat.name}", mininterval=5)
    t = time.perf_counter()
    counts = index.sync(cat, progress=lambda d, n: (setattr(bar, "total", n), bar.update(d - bar.n)))
    bar.close()
    out["sync_s"] = time.perf_counter() - t
    out["sync_counts"] = counts
    out["sync_items_per_s"] = counts["added"] / out["sync_s"]
    out["load_during_sync"] = os.getloadavg()[1]  # 5-minute load average at the end of the sync
    t = time.perf_counter()
    emb.model.encode(sample, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    out["raw_docs_per_s_after"] = len(sample) / (time.perf_counter() - t)
    t = time.perf_counter()
    again = index.sync(cat)
    out["resync_noop_s"] = time.perf_counter() - t
    assert again["unchanged"] == len(docs), again
    out["chroma_mib"] = du_mib(settings.chroma_path)

    t = time.perf_counter()
    index._matrices.clear()
    pos, mat = index.matrix(cat)
    out["matrix_load_s"] = time.perf_counter() - t
    qtexts = [QUERIES[i % len(QUERIES)] + ("" if i < len(QUERIES) else f" #{i}") for i in range(n_queries)]
    lat_embed = []
    qvecs = []
    for q in qtexts:
        t = time.perf_counter()
        qvecs.append(emb.embed([q])[0])
        lat_embed.append(time.perf_counter() - t)
    cons = {"genres": Constraint(exclude=["Horror"]), "year": Constraint(min=1990, max=2010)}
    where = chroma_where(cat, cons)[0]
    allowed = hard_filter(cat, DialogueState(catalog=cat.name, constraints=cons)).allowed
    out["filter"] = where
    n = 2 * settings.n_candidates  # what candidates.retrieve asks for
    t = time.perf_counter()
    index.query(cat, qvecs[0], n, allowed)
    out["first_filtered_query_s"] = time.perf_counter() - t
    col = index.collection(cat)

    def chroma_query(v, w):  # Chroma's own filtered HNSW search, what Index.query did before
        return col.query(query_embeddings=[v.tolist()], n_results=n, where=w, include=["distances"])["ids"][0]

    overlap = []
    for label, fn, w in (("no_filter", lambda v, w: index.query(cat, v, n, w), None),
                         ("filter", lambda v, w: index.query(cat, v, n, allowed), where),
                         ("chroma_filter", chroma_query, where)):
        lat = []
        for v in qvecs:
            t = time.perf_counter()
            hits = fn(v, w)
            lat.append(time.perf_counter() - t)
        out[f"query_{label}_ms"] = {"p50": pct(lat, 50) * 1e3, "p95": pct(lat, 95) * 1e3, "n": n, "hits": len(hits)}
    for v in qvecs[:50]:  # recall of Chroma's approximate filtered search against the exact in-memory answer
        exact = {i for i, _ in index.query(cat, v, n, allowed)}
        if exact:
            overlap.append(len(exact & set(chroma_query(v, where))) / len(exact))
    out["chroma_filter_recall"] = sum(overlap) / len(overlap) if overlap else float("nan")
    out["query_embed_ms"] = {"p50": pct(lat_embed, 50) * 1e3, "p95": pct(lat_embed, 95) * 1e3}
    out["filter_allows"] = len(allowed)
    out["peak_rss_mib"] = rss_mib()

    env = {**os.environ, "CHATREC_DATA_DIR": str(settings.data_dir), "CHATREC_CHROMA_PATH": str(settings.chroma_path)}
    t = time.perf_counter()
    cli = subprocess.run([sys.executable, "-m", "chatrec", "catalog", "index", cat.name], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    out["cli_noop_s"] = time.perf_counter() - t
    out["cli_noop"] = cli.stdout.strip().splitlines()[-1] if cli.returncode == 0 else f"FAILED: {cli.stderr[-500:]}"
    return out


def report(r: dict) -> str:
    c = r["sync_counts"]
    raw = (r["raw_docs_per_s"] + r["raw_docs_per_s_after"]) / 2
    lines = [
        f"### {r['catalog']}: {r['items']:,} items (documents: {r['doc_words_mean']:.0f} words, "
        f"{r['doc_tokens_mean']:.0f} tokens on average; MiniLM truncates at 256)",
        f"- import: {r['import_s']:.1f} s; load + validate: {r['load_validate_s']:.1f} s; "
        f"model load: {r['model_load_s']:.1f} s",
        f"- raw embedding throughput (model.encode, batch 64, {min(r['items'], ARGS.raw)} random documents of the "
        f"catalog): {r['raw_docs_per_s']:.1f} docs/s before the index run, {r['raw_docs_per_s_after']:.1f} after",
        f"- full index (Index.sync into an empty Chroma folder): {c['added']:,} items in {r['sync_s'] / 60:.1f} min "
        f"= {r['sync_items_per_s']:.1f} items/s ({100 * r['sync_items_per_s'] / raw:.0f}% of the mean raw rate; "
        f"5-min load average at its end {r['load_during_sync']:.1f})",
        f"- no-op re-sync in process: {r['resync_noop_s']:.1f} s; through `python -m chatrec catalog index` "
        f"(process start, model load, validation included): {r['cli_noop_s']:.1f} s -> {r['cli_noop']}",
        f"- Chroma folder on disk: {r['chroma_mib']:.1f} MiB; all vectors into memory (Index.matrix): "
        f"{r['matrix_load_s']:.2f} s",
        f"- peak RSS (getrusage): {r['peak_rss_mib']:.0f} MiB",
        f"- query embedding: p50 {r['query_embed_ms']['p50']:.1f} ms, p95 {r['query_embed_ms']['p95']:.1f} ms",
        f"- top-{r['query_no_filter_ms']['n']} query, no filter: p50 {r['query_no_filter_ms']['p50']:.1f} ms, "
        f"p95 {r['query_no_filter_ms']['p95']:.1f} ms",
        f"- top-{r['query_filter_ms']['n']} query, genre exclusion + year range ({r['filter_allows']:,} items "
        f"pass), Index.query (exact, in memory): p50 {r['query_filter_ms']['p50']:.1f} ms, "
        f"p95 {r['query_filter_ms']['p95']:.1f} ms; first filtered query (loads metadata) "
        f"{r['first_filtered_query_s']:.2f} s",
        f"- the same through Chroma's filtered search (collection.query with where): "
        f"p50 {r['query_chroma_filter_ms']['p50']:.1f} ms, p95 {r['query_chroma_filter_ms']['p95']:.1f} ms; "
        f"its top-{r['query_filter_ms']['n']} overlap with the exact answer: {100 * r['chroma_filter_recall']:.1f}%",
        f"- filter: `{json.dumps(r['filter'])}`",
    ]
    return "\n".join(lines)


def _fresh(path: Path) -> str:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return str(path)


def main() -> int:
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    p.add_argument("--only", choices=["ml", "wiki"])
    p.add_argument("--raw", type=int, default=768, help="documents for the raw throughput measurement")
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--work", default=None, help="folder for data and Chroma (default: a temporary one)")
    p.add_argument("--keep", default=None, help="keep each catalog's data and Chroma in KEEP/ml and KEEP/wiki "
                                                "(e.g. to try `catalog index` on them afterwards)")
    p.add_argument("--limit", type=int, default=None, help="index only the first N items (smoke runs)")
    p.add_argument("--json", action="store_true", help="(internal) print one JSON result")
    ARGS = p.parse_args()
    data = Path(ARGS.data)
    if not data.exists():
        print(f"{data} is missing", file=sys.stderr)
        return 1
    if ARGS.only:
        work = Path(ARGS.work or tempfile.mkdtemp(prefix="chatrec-bench-"))
        r = bench_one(ARGS.only, data, work, ARGS.raw, ARGS.queries, ARGS.limit)
        print(json.dumps(r) if ARGS.json else report(r))
        return 0
    import torch

    print(f"## chatrec index benchmark, {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"machine: {os.cpu_count()} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} "
          f"GiB RAM, no GPU; Python {platform.python_version()}, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads); load average at start {os.getloadavg()[0]:.2f}")
    t0 = time.time()
    for which in ("ml", "wiki"):
        with contextlib.nullcontext(_fresh(Path(ARGS.keep) / which)) if ARGS.keep else \
                tempfile.TemporaryDirectory(prefix="chatrec-bench-") as work:
            got = subprocess.run([sys.executable, "-m", "chatrec.bench.index", "--only", which, "--json",
                                  "--data", str(data), "--raw", str(ARGS.raw), "--queries", str(ARGS.queries),
                                  "--work", work,
                                  *(["--limit", str(ARGS.limit)] if ARGS.limit else [])],
                                 stdout=subprocess.PIPE, text=True, cwd=ROOT)
            if got.returncode:
                print(f"### {which}: FAILED (exit {got.returncode})")
                continue
            print(report(json.loads(got.stdout.strip().splitlines()[-1])), flush=True)
    print(f"total: {(time.time() - t0) / 60:.1f} min; load average at end {os.getloadavg()[0]:.2f}")
    return 0


ARGS: argparse.Namespace
if __name__ == "__main__":
    raise SystemExit(main())
