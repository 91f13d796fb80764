#!/usr/bin/env bash
# Refresh the map's scripts and styles vendored in routeplan/present/vendor/ from npm.
#
# `routeplan plan/map --offline-assets` copies these files into PLAN_DIR/assets/ so the
# map works in a closed network. They are the versions folium's map references on the
# CDN (check with: python -c "import folium; print(folium.Map.default_js)"); change the
# versions below when folium moves on, run this script, run the tests, commit the result.
#
# Needs npm and the npm registry (npm pack downloads each package's tarball), or
# --from DIR with an npm node_modules folder holding these exact versions, e.g. the
# browser tests' copies:
#   bash scripts/vendor-map-assets.sh
#   bash scripts/vendor-map-assets.sh --from .browser/node_modules
set -euo pipefail
cd "$(dirname "$0")/.."

LEAFLET=1.9.3
JQUERY=3.7.1
MARKERCLUSTER=1.1.0
DEST=routeplan/present/vendor

say() { printf 'vendor-map-assets: %s\n' "$*"; }

from=""
if [ "${1:-}" = "--from" ]; then
    from="${2:?--from needs a node_modules folder}"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# fetch PACKAGE VERSION: leave the package's files in $work/PACKAGE
fetch() {
    local name="$1" version="$2"
    mkdir -p "$work/$name"
    if [ -n "$from" ]; then
        local have
        have="$(sed -n 's/^[[:space:]]*"version": *"\([^"]*\)".*/\1/p' "$from/$name/package.json" | head -1)"
        if [ "$have" != "$version" ]; then
            say "$from/$name is $have, need $version"
            exit 1
        fi
        cp -R "$from/$name/." "$work/$name/"
    else
        (cd "$work" && npm pack --silent "$name@$version" >/dev/null)
        tar -xzf "$work/$name-$version.tgz" -C "$work/$name" --strip-components=1
    fi
}

fetch leaflet "$LEAFLET"
fetch jquery "$JQUERY"
fetch leaflet.markercluster "$MARKERCLUSTER"

rm -rf "$DEST"
mkdir -p "$DEST/leaflet/images" "$DEST/jquery" "$DEST/markercluster"
cp "$work/leaflet/dist/leaflet.js" "$work/leaflet/dist/leaflet.css" "$work/leaflet/LICENSE" \
    "$DEST/leaflet/"
cp "$work"/leaflet/dist/images/*.png "$DEST/leaflet/images/"
cp "$work/jquery/dist/jquery.min.js" "$work/jquery/LICENSE.txt" "$DEST/jquery/"
cp "$work/leaflet.markercluster/dist/leaflet.markercluster.js" \
    "$work/leaflet.markercluster/dist/MarkerCluster.css" \
    "$work/leaflet.markercluster/dist/MarkerCluster.Default.css" \
    "$work/leaflet.markercluster/MIT-LICENCE.txt" "$DEST/markercluster/"

{
    echo "# Vendored map assets"
    echo
    echo "Written by scripts/vendor-map-assets.sh; do not edit by hand. Copied into"
    echo "PLAN_DIR/assets/ by \`routeplan plan/map --offline-assets\`."
    echo
    echo "| package | version | licence | files |"
    echo "|---|---|---|---|"
    echo "| leaflet | $LEAFLET | BSD-2-Clause (leaflet/LICENSE) | leaflet.js, leaflet.css, images/*.png |"
    echo "| jquery | $JQUERY | MIT (jquery/LICENSE.txt) | jquery.min.js |"
    echo "| leaflet.markercluster | $MARKERCLUSTER | MIT (markercluster/MIT-LICENCE.txt) | leaflet.markercluster.js, MarkerCluster.css, MarkerCluster.Default.css |"
    echo
    echo "Sizes in bytes:"
    echo
    echo '```'
    (cd "$DEST" && find . -type f ! -name README.md | sort | xargs wc -c)
    echo '```'
} >"$DEST/README.md"
say "wrote $DEST ($(du -sk "$DEST" | cut -f1) KiB)"
