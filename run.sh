#!/usr/bin/env bash
# Set up (first run only) and start the chatrec app on the default catalog and model.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
exec .venv/bin/python app.py "$@"
