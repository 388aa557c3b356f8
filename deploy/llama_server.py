"""llama.cpp's own HTTP server, with several parallel slots, from a pinned PyPI wheel: `python deploy/llama_server.py
--model X.gguf --parallel 2`.

Why not `python -m llama_cpp.server`: llama-cpp-python 0.3.36's server wraps one `Llama` object behind a lock and has
no parallel slots (no `n_parallel` setting), so requests from several app processes queue there one at a time.
llama.cpp's own server (`llama-server -np N`) decodes N requests together (continuous batching). PyPI has no wheel
of the `llama-server` binary for CPU Linux x86_64 (see README "Deployment"), but `xllamacpp` (a prebuilt CPU wheel,
MIT) embeds that same C++ server, HTTP endpoints included; this script starts it and waits. The endpoints are
llama.cpp's: `/v1/chat/completions`, `/v1/models`, `/health`, `/slots`; set CHATREC_LLM_SERVER_URL to
`http://HOST:PORT/v1`.

The context is split between the slots (llama.cpp's rule): `--ctx 8192 --parallel 2` gives each slot 4096 tokens.
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="a GGUF file")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--parallel", type=int, default=2, help="slots: requests decoded together")
    ap.add_argument("--ctx", type=int, default=8192, help="total context, split evenly between the slots")
    ap.add_argument("--threads", type=int, default=-1, help="CPU threads (-1: all cores)")
    ap.add_argument("--alias", default="chatrec", help="the model name /v1/models reports")
    a = ap.parse_args(argv)
    try:
        import xllamacpp as xlc
    except ImportError:
        print("error: xllamacpp is not installed; run pip install -r requirements.txt (scripts/setup.sh)",
              file=sys.stderr)
        return 3
    p = xlc.CommonParams()
    p.model.path = a.model
    p.n_ctx = a.ctx
    p.n_parallel = a.parallel
    p.hostnames = [a.host]
    p.port = a.port
    p.model_alias = {a.alias}
    p.cpuparams.n_threads = a.threads
    p.cpuparams_batch.n_threads = a.threads
    p.endpoint_slots = True
    server = xlc.Server(p)  # loads the model and starts the HTTP threads
    print(f"llama.cpp server ({a.parallel} slots, {a.ctx // a.parallel} tokens each) listening on "
          f"{server.listening_address}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    del server
    return 0


if __name__ == "__main__":
    sys.exit(main())
