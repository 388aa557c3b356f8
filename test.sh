#!/usr/bin/env bash
# Set up (first run only) and run the whole test suite, serially (one model process at a time).
set -euo pipefail
cd "$(dirname "$0")"
t0=$(date +%s)
bash scripts/setup.sh
echo "[test] setup took $(( $(date +%s) - t0 ))s"
t1=$(date +%s)
.venv/bin/python -m pytest -p no:cacheprovider -q --durations=15 tests "$@"
echo "[test] tests took $(( $(date +%s) - t1 ))s"
