#!/usr/bin/env bash
# Fill Solara's CDN-proxy cache from the npm registry, so a Solara/SolaraViz page renders offline.
#
# Usage: tests/browser/fill_solara_assets.sh [CACHE_DIR]
#   CACHE_DIR defaults to $REFORMSIM_SOLARA_ASSETS, else $HOME/.cache/reformsim/solara-assets.
#
# Solara serves /_solara/cdn/<path> from $SOLARA_ASSETS_PROXY_CACHE_DIR/<path> and only falls
# back to the public CDN (unreachable here) when the file is missing. <path> starts with the
# package spec exactly as the page asks for it (e.g. "vega@5/build/vega.min.js"), so each
# package is unpacked to $CACHE/<spec>/, with the spec kept verbatim, even a range like "vega@5".
# Idempotent: a spec whose directory already holds a package.json is skipped.
set -euo pipefail

# Specs requested by solara 1.64.1 (templates/solara.html.j2, widgets/vue/*.vue) and by the app:
# its charts (vega), Mesa's SolaraViz in the harness test (vue-grid-layout) and the Chinese web
# font the app serves (viz/fonts.py). After a Solara upgrade, the server log's "Could not load
# URL" lines name new ones; extra specs can be passed in SOLARA_EXTRA_ASSETS (space separated).
SPECS=(
    "@widgetti/solara-vuetify-app@10.1.1"
    "@widgetti/solara-vuetify3-app@5.2.0"
    "requirejs@2.3.6"
    "font-awesome@4.5.0"
    "@widgetti/vue-grid-layout@2.3.13-alpha.2"
    "vega@5"
    "vega-lite@5"
    "vega-embed@6"
    "@fontsource/noto-sans-sc@5.3.0"
)
read -r -a EXTRA <<< "${SOLARA_EXTRA_ASSETS:-}"
SPECS+=("${EXTRA[@]}")

CACHE="${1:-${REFORMSIM_SOLARA_ASSETS:-$HOME/.cache/reformsim/solara-assets}}"
command -v npm >/dev/null || { echo "error: npm not found (apt-get install -y npm)" >&2; exit 1; }
mkdir -p "$CACHE"
CACHE="$(cd "$CACHE" && pwd)"

for spec in "${SPECS[@]}"; do
    dest="$CACHE/$spec"
    if [[ -f "$dest/package.json" ]]; then
        echo "skip   $spec (present)"
        continue
    fi
    work="$(mktemp -d "$CACHE/.fill.XXXXXX")"
    trap 'rm -rf "$work"' EXIT  # leave no scratch directory if npm or tar fails
    # npm pack resolves a range (vega@5) to the newest matching version and prints the tarball name.
    tarball="$(cd "$work" && npm pack "$spec" --silent | tail -n 1)"
    mkdir -p "$work/pkg"
    tar -xzf "$work/$tarball" -C "$work/pkg" --strip-components=1 --no-same-owner
    mkdir -p "$(dirname "$dest")"
    rm -rf "$dest"  # a half-filled directory from an interrupted run (no package.json)
    # Rename into place so a directory with package.json is always complete.
    mv "$work/pkg" "$dest"
    rm -rf "$work"
    trap - EXIT
    version="$(node -p "require(process.argv[1]).version" "$dest/package.json" 2>/dev/null || echo '?')"
    echo "filled $spec (version $version)"
done

echo "Solara asset cache ready: $(du -sh "$CACHE" | cut -f1) in $CACHE"
echo "export SOLARA_ASSETS_PROXY_CACHE_DIR=$CACHE"
