#!/usr/bin/env bash
# Set up (first run only) and run the whole test suite, serially (one model process at a time).
set -euo pipefail
cd "$(dirname "$0")"
t0=$(date +%s)
bash scripts/setup.sh
echo "[test] setup took $(( $(date +%s) - t0 ))s"
lint=0
.venv/bin/ruff check . || lint=$?  # lint first (a second), reported again after the tests so none are hidden
t1=$(date +%s)
.venv/bin/python -m pytest -p no:cacheprovider -q --durations=15 tests "$@"
echo "[test] tests took $(( $(date +%s) - t1 ))s"
if [ "$lint" != 0 ]; then echo "[test] ruff check failed (see its report above): run .venv/bin/ruff check ." >&2; exit "$lint"; fi
