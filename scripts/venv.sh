# Sourced by build.sh and test.sh: make .venv and install the project into it when needed.
# Reinstalls only when pyproject.toml changed since the last install, so reruns are quick.
ensure_venv() {
    local extras=$1 stamp=.venv/.installed${1:+-$1}
    if [[ ! -x .venv/bin/python ]]; then
        local python=${PYTHON:-python3}
        "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
            echo "koosloome-site needs Python 3.11 or newer ($python is older); set PYTHON=..." >&2
            exit 1
        }
        "$python" -m venv .venv
    fi
    if [[ ! -f $stamp || pyproject.toml -nt $stamp ]]; then
        .venv/bin/python -m pip install --quiet --disable-pip-version-check \
            --editable ".${extras:+[$extras]}"
        # The package's bytecode, which Python writes itself on the first run unless
        # PYTHONDONTWRITEBYTECODE is set (some CI images); without it every build would
        # compile the package from source again (40-60 ms).
        .venv/bin/python -m compileall -q koosloome_site >/dev/null
        touch "$stamp"
    fi
}
