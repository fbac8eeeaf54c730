#!/usr/bin/env bash
# Build the site from content/ into output/ (arguments go to build.py, see --help).
# Creates the virtual environment .venv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
ensure_venv ""
exec .venv/bin/python build.py "$@"
