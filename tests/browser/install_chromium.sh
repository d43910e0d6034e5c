#!/usr/bin/env bash
# Install Debian's Chromium at /usr/bin/chromium for the browser tests.
# Idempotent: does nothing when it is already there. Playwright's own browser download
# cannot be used (only PyPI, Debian apt and npm are reachable), so we use Debian's package.
set -euo pipefail

if [[ -x /usr/bin/chromium ]]; then
    echo "chromium already installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
    exit 0
fi

# Root on the project's machines; fall back to sudo for a developer running as a user.
if [[ $(id -u) -eq 0 ]]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    echo "error: need root or sudo to apt-get install chromium" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update
"${SUDO[@]}" apt-get install -y chromium
echo "installed: $(/usr/bin/chromium --version)"
