#!/usr/bin/env bash
# Scale-out on one host, the process list of deploy/README.md: one Chroma server, one llama.cpp OpenAI-compatible
# model server, N app processes (default 2) on consecutive ports, all on 127.0.0.1. Logs and pids in $RUN_DIR.
#
#   deploy/run.sh start [N]     start everything, wait until each answers, print the app URLs
#   deploy/run.sh stop          stop what `start` started (by the pids it wrote)
#
# Knobs (environment): CHATREC_MODEL (default | small | a GGUF path), RUN_DIR (default /tmp/chatrec-deploy),
# CHROMA_PORT (8000), LLM_PORT (8001), APP_PORT (7860, then 7861, ...), LLM_THREADS (all cores), LLM_SLOTS (2:
# requests llama.cpp's server decodes together; LLM_SLOTS=0 runs llama-cpp-python's server instead, one at a time).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
RUN_DIR=${RUN_DIR:-/tmp/chatrec-deploy}
CHROMA_PORT=${CHROMA_PORT:-8000}
LLM_PORT=${LLM_PORT:-8001}
APP_PORT=${APP_PORT:-7860}
LLM_THREADS=${LLM_THREADS:-$(nproc)}
LLM_SLOTS=${LLM_SLOTS:-2}
mkdir -p "$RUN_DIR"

wait_for() {  # url seconds what
  for _ in $(seq 1 "$2"); do
    if curl -fs -o /dev/null "$1"; then return 0; fi
    sleep 1
  done
  echo "$3 did not answer $1 within $2 s; see $RUN_DIR/*.log" >&2
  return 1
}

start() {
  local n=${1:-2}
  # 1. Chroma server: the one vector store every app process reads and `catalog index` writes.
  .venv/bin/chroma run --path "$RUN_DIR/chroma" --host 127.0.0.1 --port "$CHROMA_PORT" \
    >"$RUN_DIR/chroma.log" 2>&1 & echo $! >"$RUN_DIR/chroma.pid"
  wait_for "http://127.0.0.1:$CHROMA_PORT/api/v2/heartbeat" 60 "chroma run"
  # 2. Model server: llama.cpp's own server with LLM_SLOTS parallel slots (deploy/llama_server.py, from the pinned
  #    xllamacpp wheel), or llama-cpp-python's server when LLM_SLOTS=0; vLLM serves the same API, see README.
  local model
  model=$($PY -c "from chatrec.llm.files import resolve_model; from chatrec.settings import Settings; \
s = Settings(); print(resolve_model(s.model, s.data_dir))")
  if [ "$LLM_SLOTS" -gt 0 ]; then
    $PY deploy/llama_server.py --model "$model" --alias chatrec --host 127.0.0.1 --port "$LLM_PORT" \
      --parallel "$LLM_SLOTS" --ctx $((4096 * LLM_SLOTS)) --threads "$LLM_THREADS" >"$RUN_DIR/llm.log" 2>&1 &
  else
    $PY -m llama_cpp.server --model "$model" --model_alias chatrec --host 127.0.0.1 --port "$LLM_PORT" \
      --n_ctx 4096 --n_threads "$LLM_THREADS" >"$RUN_DIR/llm.log" 2>&1 &
  fi
  echo $! >"$RUN_DIR/llm.pid"
  wait_for "http://127.0.0.1:$LLM_PORT/v1/models" 120 "the model server"
  export CHATREC_CHROMA_HOST=127.0.0.1 CHATREC_CHROMA_PORT=$CHROMA_PORT
  export CHATREC_LLM_SERVER_URL=http://127.0.0.1:$LLM_PORT/v1
  # 3. Index once, before the apps start (they would each sync at start-up; this way none embeds anything).
  for cat in movies products; do $PY -m chatrec catalog index "$cat" >>"$RUN_DIR/index.log" 2>&1; done
  # 4. The app processes: same code, the servers chosen by the CHATREC_* settings exported above.
  local urls=()
  for k in $(seq 0 $((n - 1))); do
    local port=$((APP_PORT + k))
    CHATREC_DATA_DIR="$RUN_DIR/app$k" $PY app.py --host 127.0.0.1 --port "$port" \
      >"$RUN_DIR/app$k.log" 2>&1 & echo $! >"$RUN_DIR/app$k.pid"
    urls+=("http://127.0.0.1:$port")
  done
  for u in "${urls[@]}"; do wait_for "$u" 180 "app.py"; done
  (IFS=,; echo "${urls[*]}")
}

stop() {
  for f in "$RUN_DIR"/*.pid; do
    [ -e "$f" ] || continue
    kill "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
}

case "${1:-}" in
  start) start "${2:-2}" ;;
  stop) stop ;;
  *) echo "usage: deploy/run.sh start [N] | stop" >&2; exit 2 ;;
esac
