#!/usr/bin/env bash
# Creates the project environment from uv.lock on a fresh machine (Python 3.11 + the package index).
# Installs uv into .tools/ with pip if it is not on PATH; byte-compiles (imports twice as fast).
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.9
python=""
for candidate in "${DTIMON_PYTHON:-}" python3.11 python3; do
  [ -n "$candidate" ] || continue
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    python=$(command -v "$candidate"); break
  fi
done
[ -n "$python" ] || { echo "dtimon needs Python 3.11 (set DTIMON_PYTHON to its path)" >&2; exit 1; }

if command -v uv >/dev/null 2>&1; then
  uv=$(command -v uv)
else
  if [ ! -x .tools/bin/uv ]; then
    echo "installing uv $UV_VERSION into .tools/"
    "$python" -m venv .tools
    .tools/bin/pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
  fi
  uv=.tools/bin/uv
fi

# extra arguments go to `uv sync` (`make bench` passes `--group bench`)
"$uv" sync --frozen --compile-bytecode --python "$python" --quiet "$@"
touch .venv/.dtimon-installed
