#!/usr/bin/env bash
# Install everything the test suite needs, then run it. This is the README's test command and
# what CI runs: a virtual environment with the package and its test extras, Debian's Chromium
# for the browser tests, and Solara's front-end assets from the npm registry (the app's page
# loads them from a CDN otherwise, which an offline machine cannot reach).
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
    python=python3.12
fi
"$python" -c 'import sys; assert sys.version_info >= (3, 12), "reformsim needs Python >= 3.12"'

[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
bash tests/browser/install_chromium.sh
bash tests/browser/fill_solara_assets.sh >/dev/null
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
