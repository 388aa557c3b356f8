"""Catalog scale on a Chroma server: N synthetic items (random unit 384-d vectors, MiniLM's width, with a year, a
genre-like and a price-like field), inserted in batches, then top-k query latency with and without a metadata filter,
the server's RSS and its folder's size on disk. Also `chroma_server`, the `chroma run` process the scale-out tests use.

    python -m chatrec.bench.scale --n 1000000 --report-at 100000,300000,1000000 --json docs/bench/scale.json

Not a test (tests/bench/test_scaleout.py runs it at 5k). Vectors are seeded per batch, so a stopped run resumes where it
left off when pointed at the same folder (`--path`).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from chatrec.bench.servers import ServerProcess

DIM = 384
GENRES = [f"g{i:02d}" for i in range(20)]
# Filters by selectivity: none, about 10% of items (one decade), about 0.3% (one genre of 20 and a low price).
FILTERS: dict[str, dict[str, Any] | None] = {
    "none": None,
    "decade (~10%)": {"$and": [{"year": {"$gte": 1990}}, {"year": {"$lte": 1999}}]},
    "genre+price (~0.3%)": {"$and": [{"genre": {"$eq": "g03"}}, {"price": {"$lte": 30.0}}]},
}


def chroma_bin() -> str:
    """The `chroma` CLI installed beside this interpreter (chromadb's console script)."""
    exe = Path(sys.executable).parent / "chroma"
    return str(exe) if exe.exists() else (shutil.which("chroma") or "chroma")


@contextlib.contextmanager
def chroma_server(path: Path, port: int | None = None, log: Path | None = None,
                  timeout_s: float = 60.0) -> Iterator[ServerProcess]:
    """`chroma run --path PATH` on 127.0.0.1, ready once its heartbeat answers; stopped (SIGTERM, then KILL) on exit.
    Yields the ServerProcess (`.port`, `.pid`, `.stop()`)."""
    with ServerProcess([chroma_bin(), "run", "--path", str(path), "--host", "127.0.0.1", "--port", "{port}"],
                       "/api/v2/heartbeat", name="chroma run", port=port, log=log, start_timeout=timeout_s,
                       poll_s=0.2, probe_timeout=2.0) as server:
        yield server


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children (from /proc), MiB."""
    total = 0
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for p in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def disk_mib(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def batch(start: int, size: int, seed: int = 7) -> tuple[list[str], np.ndarray, list[dict[str, Any]]]:
    """Items start..start+size-1; the same numbers every run (seeded by the batch's start)."""
    rng = np.random.default_rng(seed * 1_000_003 + start)
    vecs = rng.standard_normal((size, DIM)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    years = rng.integers(1920, 2026, size)
    genres = rng.integers(0, len(GENRES), size)
    prices = np.round(rng.uniform(1.0, 500.0, size), 2)
    ids = [f"i{start + k:07d}" for k in range(size)]
    metas = [{"year": int(y), "genre": GENRES[g], "price": float(p)} for y, g, p in zip(years, genres, prices)]
    return ids, vecs, metas


def _pct(xs: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(xs), q * 100))


def measure(col: Any, k: int = 80, n_queries: int = 50, seed: int = 11) -> dict[str, dict[str, float]]:
    """p50/p95 ms of top-k queries over HTTP for each filter (a few warm-up queries first) and mean hits returned."""
    rng = np.random.default_rng(seed)
    qs = rng.standard_normal((n_queries + 3, DIM)).astype(np.float32)
    qs /= np.linalg.norm(qs, axis=1, keepdims=True)
    out: dict[str, dict[str, float]] = {}
    for name, where in FILTERS.items():
        times, hits = [], []
        for i, q in enumerate(qs):
            t0 = time.perf_counter()
            res = col.query(query_embeddings=[q.tolist()], n_results=k, where=where, include=["distances"])
            if i >= 3:
                times.append((time.perf_counter() - t0) * 1000)
                hits.append(len(res["ids"][0]))
        out[name] = {"p50_ms": round(_pct(times, 0.5), 1), "p95_ms": round(_pct(times, 0.95), 1),
                     "mean_hits": round(float(np.mean(hits)), 1)}
    return out


def run(n: int, path: Path, batch_size: int = 5000, report_at: list[int] | None = None, k: int = 80,
        n_queries: int = 50, json_path: Path | None = None, log: Any = print) -> list[dict[str, Any]]:
    """Fill a fresh or partly filled server folder up to n items; a report (latency, RSS, disk) at each of report_at."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    marks = sorted({m for m in (report_at or []) if m < n} | {n})
    reports: list[dict[str, Any]] = []
    path.mkdir(parents=True, exist_ok=True)
    with chroma_server(path, log=path.parent / f"{path.name}.chroma.log") as server:
        pid, port = server.pid, server.port
        client = chromadb.HttpClient(host="127.0.0.1", port=port, settings=ChromaSettings(anonymized_telemetry=False))
        col = client.get_or_create_collection("scale", embedding_function=None, metadata={"hnsw:space": "cosine"})
        have = col.count()
        have -= have % batch_size  # resume at a batch boundary (an upsert of a partial batch is idempotent)
        log(f"chroma server pid {pid} port {port}, {path}: {col.count()} items present, inserting up to {n}")
        took, inserted = 0.0, 0  # insertion seconds only (batch generation and upserts, not the measurements)
        for s in range(have, n, batch_size):
            t0 = time.perf_counter()
            ids, vecs, metas = batch(s, min(batch_size, n - s))
            col.upsert(ids=ids, embeddings=vecs, metadatas=metas)
            inserted += len(ids)
            took += time.perf_counter() - t0
            done = s + len(ids)
            log(f"{done:>9,} items  {took:8.1f} s  {inserted / took:7.0f} items/s  rss {rss_mib(pid):7.0f} MiB")
            if done in marks:
                rep = {"n": done, "count": col.count(), "insert_s": round(took, 1),
                       "insert_items_per_s": round(inserted / took), "k": k, "queries": n_queries,
                       "latency": measure(col, k, n_queries), "server_rss_mib": round(rss_mib(pid)),
                       "disk_mib": round(disk_mib(path)), "machine": machine()}
                reports.append(rep)
                log(json.dumps(rep))
                if json_path:
                    with open(json_path, "a") as f:
                        f.write(json.dumps(rep) + "\n")
    return reports


def machine() -> str:
    load = os.getloadavg()
    mem = next((ln.split()[1] for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")),
               "0")
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {int(mem) / 2**20:.0f} GiB, "
            f"load {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m chatrec.bench.scale", description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=100_000, help="items in the collection")
    p.add_argument("--batch", type=int, default=5000, help="items per upsert")
    p.add_argument("--report-at", default="", help="comma-separated sizes to measure at on the way (besides --n)")
    p.add_argument("--k", type=int, default=80, help="results per query")
    p.add_argument("--queries", type=int, default=50, help="timed queries per filter")
    p.add_argument("--path", type=Path, default=None, help="server folder (default: a fresh temp folder, removed)")
    p.add_argument("--json", type=Path, default=None, help="append each report as a JSON line")
    a = p.parse_args(argv)
    marks = [int(x) for x in a.report_at.split(",") if x.strip()]
    if a.path:
        run(a.n, a.path, a.batch, marks, a.k, a.queries, a.json, log=lambda s: print(s, flush=True))
        return 0
    with tempfile.TemporaryDirectory(prefix="chatrec-scale-") as tmp:
        run(a.n, Path(tmp) / "chroma", a.batch, marks, a.k, a.queries, a.json, log=lambda s: print(s, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
