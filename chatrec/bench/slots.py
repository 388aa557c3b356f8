"""What parallel slots buy on this machine: N chat completions of the same length sent at once to
deploy/llama_server.py with 1, 2 and 4 slots; prints tokens/s and when each request ended.

    .venv/bin/python -m chatrec.bench.slots [--model GGUF] [--requests 4] [--tokens 96]

The model defaults to the small 0.5B one (CHATREC_MODEL=small's file). Run it under the shared CPU lock.
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository root


def _chat(port: int, k: int, tokens: int, out: dict[int, tuple[float, int]]) -> None:
    body = {"model": "chatrec", "max_tokens": tokens, "temperature": 0, "ignore_eos": True,
            "messages": [{"role": "user", "content": f"List ten famous films of the {1950 + 10 * k}s, one per line."}]}
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/chat/completions", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=600) as r:
        got = json.load(r)
    out[k] = (time.perf_counter() - t, got["usage"]["completion_tokens"])


def run(model: str, slots: int, requests: int, tokens: int, reps: int = 2) -> None:
    from chatrec.bench.servers import ServerError, ServerProcess

    server = ServerProcess([sys.executable, str(ROOT / "deploy" / "llama_server.py"), "--model", model, "--port",
                            "{port}", "--parallel", str(slots), "--ctx", str(4096 * slots)], "/v1/models",
                           start_timeout=240, probe_timeout=1.0)
    try:
        server.start()
    except ServerError as e:
        raise SystemExit(str(e)) from None
    try:
        _chat(server.port, 9, tokens, {})  # warm-up
        for rep in range(reps):
            out: dict[int, tuple[float, int]] = {}
            t = time.perf_counter()
            threads = [threading.Thread(target=_chat, args=(server.port, k, tokens, out)) for k in range(requests)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            wall = time.perf_counter() - t
            n = sum(v[1] for v in out.values())
            ends = ", ".join(f"{v[0]:.1f}" for v in sorted(out.values()))
            print(f"slots={slots} run {rep + 1}: {requests} requests, {n} tokens in {wall:.2f} s = {n / wall:.1f} "
                  f"tokens/s; requests ended at {ends} s", flush=True)
    finally:
        server.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description="tokens/s of llama.cpp's server with 1, 2 and 4 slots")
    ap.add_argument("--model", help="a GGUF file (default: the small model)")
    ap.add_argument("--requests", type=int, default=4)
    ap.add_argument("--tokens", type=int, default=96)
    a = ap.parse_args()
    if not a.model:
        from chatrec.llm.files import resolve_model
        from chatrec.settings import Settings

        a.model = str(resolve_model("small", Settings().data_dir))
    for slots in (1, 2, 4):
        run(a.model, slots, a.requests, a.tokens)


if __name__ == "__main__":
    main()
