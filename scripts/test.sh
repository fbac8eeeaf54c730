#!/usr/bin/env bash
# The whole test suite: lint, types, unit and end-to-end tests, HTML validation and axe-core
# in headless Chromium. Installs what it needs first (Python extras in .venv, Debian's
# chromium and a Java runtime when run as root, the npm tools in tests/browser).
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
ensure_venv test
scripts/setup-test-tools.sh

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy"
.venv/bin/mypy
echo "== pytest"
.venv/bin/pytest "$@"
