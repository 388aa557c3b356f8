"""Many visitors, one CPU: N concurrent conversations through the app's HTTP API (`/chat`), timed from the moment a
message is sent to its last streamed update (queue wait + turn). Part of `python -m chatrec bench --concurrent N`."""
from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from chatrec.bench.driver import percentile as _pct
from chatrec.bench.driver import run_together
from chatrec.bench.servers import ServerProcess, free_port

ROOT = Path(__file__).resolve().parents[2]  # the repo root, where app.py is
CONVERSATIONS = [
    ("movies", ["a thriller under 2 hours", "something older", "no crime please"]),
    ("movies", ["a family animation", "more like the first one", "shorter"]),
    ("products", ["gear for a beginner runner", "under $30", "something for camping instead"]),
    ("movies", ["a western from the 60s", "I loved the second one", "any decade"]),
]


def run_load(n: int, model: str = "default", timeout_s: float = 900.0) -> dict[str, Any]:
    """Start `python app.py` on a free port, warm it up with one turn, then run `n` conversations at once."""
    from gradio_client import Client

    env = {**os.environ, "CHATREC_MODEL": model, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    port = free_port()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"chatrec-bench-app-{port}.log"
    cmd = [sys.executable, str(ROOT / "app.py"), "--host", "127.0.0.1", "--port", "{port}"]
    with ServerProcess(cmd, "/", port=port, env=env, cwd=ROOT, log=log, start_timeout=timeout_s, poll_s=1.0) as app:
        url = app.url
        t0 = time.perf_counter()
        Client(url, verbose=False).predict("a comedy", "movies", api_name="/chat")  # waits for model + index
        warm = time.perf_counter() - t0
        times: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()

        def visitor(k: int) -> None:
            catalog, msgs = CONVERSATIONS[k % len(CONVERSATIONS)]
            try:
                c = Client(url, verbose=False)
                for m in msgs:
                    s = time.perf_counter()
                    c.predict(m, catalog, api_name="/chat")
                    with lock:
                        times.append(time.perf_counter() - s)
            except Exception as e:  # noqa: BLE001 - counted and reported
                with lock:
                    errors.append(f"{type(e).__name__}: {e}")

        wall = run_together([lambda k=k: visitor(k) for k in range(n)])
    out = {"visitors": n, "turns": len(times), "errors": errors, "warm_up_s": warm, "wall_s": wall,
           "p50_s": _pct(times, 0.5) if times else None, "p95_s": _pct(times, 0.95) if times else None,
           "turns_per_minute": 60 * len(times) / wall if wall else None}
    service = wall / max(1, len(times))  # seconds of the one model per turn, measured under this load
    out["service_s_per_turn"] = service
    out["visitors_at_10s_p95"] = int(10 // service) if service else None
    print(f"\n{n} concurrent conversations through /chat: {len(times)} turns in {wall:.1f} s, errors {len(errors)}; "
          f"wait + turn p50 {out['p50_s'] or float('nan'):.1f} s, p95 {out['p95_s'] or float('nan'):.1f} s; "
          f"{service:.1f} s of the model per turn, so about {out['visitors_at_10s_p95']} visitors sending at once "
          f"get their reply within 10 s (the model queue serialises turns)")
    return out
