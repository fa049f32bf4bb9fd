# Sourced by scripts/demo and scripts/test: make .venv with escrutinio installed.
# Usage: setup_venv EXTRAS   (e.g. "" or "test")
set -euo pipefail

setup_venv() {
    local extras="$1" root
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    cd "$root"
    local python="${PYTHON:-python3}"
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "escrutinio needs Python 3.11 or newer as '$python' (set PYTHON=/path/to/python3.11)." >&2
        exit 1
    fi
    if [ ! -x .venv/bin/python ]; then
        if ! "$python" -m venv .venv 2>/dev/null; then
            rm -rf .venv
            if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
                echo "Installing Debian's python3-venv …" >&2
                apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
                "$python" -m venv .venv
            else
                echo "Cannot create a virtual environment: install python3-venv (sudo apt-get install python3-venv)." >&2
                exit 1
            fi
        fi
    fi
    local spec="." stamp=".venv/.installed-${extras:-base}"
    [ -n "$extras" ] && spec=".[$extras]"
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        echo "Installing escrutinio${extras:+ with $extras extras} into .venv …" >&2
        .venv/bin/python -m pip install -q --upgrade pip >/dev/null
        .venv/bin/python -m pip install -q -e "$spec"
        touch "$stamp"
    fi
}
