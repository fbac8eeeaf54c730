# Sourced by build.sh and test.sh: make .venv and install the project into it when needed.
# Reinstalls only when pyproject.toml changed since the last install, so reruns are quick.
ensure_venv() {
    local extras=$1 stamp=.venv/.installed${1:+-$1}
    if [[ ! -x .venv/bin/python ]]; then
        local python
        python=$(pick_python python3 /usr/bin/python3 /usr/local/bin/python3) || {
            echo "koosloome-site needs Python 3.11 or newer with its venv module;" \
                "none found (set PYTHON=...)" >&2
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

# The interpreter for a new .venv: $PYTHON when set, else the first of the candidates given
# that is Python 3.11+ and can make a venv, preferring one whose executable has the
# interpreter linked in over one that loads it from libpython*.so. A build is nearly all
# time in the interpreter's own functions, and a shared libpython calls them through the
# PLT unless built with -fno-semantic-interposition (configure --enable-optimizations):
# pyenv's default python3 took a quarter more CPU for the same build than Debian's
# /usr/bin/python3 (benchmarks/README.md, "The interpreter").
pick_python() {
    if [[ -n ${PYTHON:-} ]]; then
        "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || return 1
        echo "$PYTHON"
        return
    fi
    local candidate usable=""
    for candidate in "$@"; do
        command -v "$candidate" >/dev/null || continue
        # 0: usable, interpreter linked in; 3: usable, through libpython*.so; else unusable
        "$candidate" -c '
import sys
if sys.version_info < (3, 11):
    sys.exit(1)
import ensurepip, venv  # Debian has them only with its python3-venv package
try:
    with open("/proc/self/maps") as maps:  # Linux: the libraries this process has loaded
        sys.exit(3 if "/libpython" in maps.read() else 0)
except OSError:
    sys.exit(0)
' 2>/dev/null
        case $? in
            0) echo "$candidate"; return ;;
            3) usable=${usable:-$candidate} ;;
        esac
    done
    [[ -n $usable ]] && echo "$usable"
}
