#!/usr/bin/env bash
# Install PlanQA into .venv (first time only) and start the app on http://127.0.0.1:7860.
# The index of the bundled plans builds itself on first start, with a progress bar.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh requirements.txt
exec .venv/bin/python -m ui "$@"
