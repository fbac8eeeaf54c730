#!/usr/bin/env bash
# Screenshots of the main page kinds (home, a programme, topics, a topic, the month overview,
# search with results, the calendar how-to, 404) at phone (375 px) and desktop (1280 px) width,
# full page, with Debian's Chromium (scripts/setup-test-tools.sh installs it and the Node tools).
#
# Usage: scripts/screenshots.sh [--output DIR] [build.py options, e.g. --content DIR --now TIME]
# Writes DIR/<page>-375.png and DIR/<page>-1280.png (default DIR: screenshots).
set -euo pipefail
cd "$(dirname "$0")/.."
out=screenshots
args=()
while (($#)); do
    case $1 in
        --output) out=$2; shift 2 ;;
        --output=*) out=${1#*=}; shift ;;
        *) args+=("$1"); shift ;;
    esac
done
source scripts/venv.sh
ensure_venv ""
site=$(mktemp -d)
trap 'rm -rf "$site"' EXIT
.venv/bin/python build.py build --output "$site/site" "${args[@]}"
node tests/browser/screenshots.mjs "$site/site" "$out"
