#!/usr/bin/env bash
# Install what the browser tests (tests/test_browser.py) need, quickly and idempotently:
#   - Debian's chromium and the Noto CJK fonts (apt-get, only as root and only when missing);
#   - the playwright Python package in the project venv (it drives that chromium; we never
#     run `playwright install`, which would download a browser build);
#   - Leaflet, jQuery, Leaflet.awesome-markers and Leaflet.markercluster from npm into .browser/
#     (git-ignored), which the tests serve in place of the CDN files folium references.
# Each step is skipped when already done, so a second run takes about a second.
# Example:
#   bash scripts/browser-setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${VENV:-.venv}"
PY="$VENV/bin/python"
BROWSER_DIR=".browser"
NPM_PACKAGES=(leaflet@1.9.3 jquery@3.7.1 drmonty-leaflet-awesome-markers leaflet.markercluster@1.1.0)

say() { printf 'browser-setup: %s\n' "$*"; }

# --- system packages -----------------------------------------------------------
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
if ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
    missing+=(fonts-noto-cjk)
fi
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        say "installing ${missing[*]} with apt-get"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" fontconfig >/dev/null
    else
        say "missing ${missing[*]}; install them as root (apt-get install ${missing[*]})"
        say "browser tests will be skipped"
    fi
else
    say "chromium and fonts-noto-cjk present"
fi

# --- playwright (Python) -------------------------------------------------------
if [ -x "$PY" ]; then
    if ! "$PY" -c "import playwright.sync_api" >/dev/null 2>&1; then
        say "installing playwright into $VENV"
        "$PY" -m pip install -q "playwright>=1.45"
    else
        say "playwright present"
    fi
else
    say "no virtualenv at $VENV (run make install first); skipping playwright"
fi

# --- npm assets ------------------------------------------------------------------
have_assets() {
    [ -f "$BROWSER_DIR/node_modules/leaflet/dist/leaflet.js" ] &&
        [ -f "$BROWSER_DIR/node_modules/jquery/dist/jquery.min.js" ] &&
        [ -d "$BROWSER_DIR/node_modules/drmonty-leaflet-awesome-markers" ] &&
        [ -f "$BROWSER_DIR/node_modules/leaflet.markercluster/dist/leaflet.markercluster.js" ]
}
if have_assets; then
    say "leaflet, jquery, awesome-markers and markercluster present in $BROWSER_DIR"
elif command -v npm >/dev/null 2>&1; then
    say "installing ${NPM_PACKAGES[*]} into $BROWSER_DIR"
    mkdir -p "$BROWSER_DIR"
    npm install --prefix "$BROWSER_DIR" --no-audit --no-fund --silent "${NPM_PACKAGES[@]}"
else
    say "npm not found; browser tests will be skipped"
fi
