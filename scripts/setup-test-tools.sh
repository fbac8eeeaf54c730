#!/usr/bin/env bash
# Installs what the browser checks (tests/test_browser_checks.py) need:
# Debian's Chromium, a Java runtime for the Nu Html Checker, and the pinned
# npm packages in tests/browser. Idempotent and quick when all is present.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_updated=""
apt_install() {
    if [[ $(id -u) -ne 0 ]]; then
        echo "missing $1: install it with: sudo apt-get update && sudo apt-get install -y --no-install-recommends $1" >&2
        exit 1
    fi
    if [[ -z $apt_updated ]]; then
        apt-get update
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$1"
}

# Debian's build, not Playwright's browser download: only package registries are reachable.
[[ -x /usr/bin/chromium ]] || apt_install chromium
command -v java >/dev/null || apt_install default-jre-headless
command -v npm >/dev/null || { echo "missing node/npm (Node 20+ is needed)" >&2; exit 1; }

# Reinstall only when the lock file changed since the last install.
# --ignore-scripts: vnu-jar's postinstall would download a JDK from outside the
# package registries; the system Java above is used instead.
cd tests/browser
if [[ ! -d node_modules || package-lock.json -nt node_modules ]]; then
    npm ci --no-audit --no-fund --ignore-scripts
    touch node_modules
fi
