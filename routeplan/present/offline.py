"""The scripts and styles the map loads: from the CDN, or from the plan folder.

folium's map references about ten CDN files; the map routeplan draws needs
four of them: Leaflet (script and style), jQuery (folium builds popups with
it) and Leaflet.markercluster (the layer of accounts not planned). Bootstrap,
Font Awesome and Leaflet.awesome-markers are left out: no element of the map
uses them.

With offline assets, those files are copied from the copies vendored in
``routeplan/present/vendor/`` (refreshed from npm by
``scripts/vendor-map-assets.sh``, licences included) into ``PLAN_DIR/assets/``
and the map refers to them by relative paths, so it draws in a closed network.
Map tiles still come from the tile server; where they cannot load the map
shows a plain background with the routes and markers drawn on it.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import folium
from folium.plugins import MarkerCluster

from routeplan.io.safe import write_bytes_atomic

#: folder of the plan folder the assets are written to (and the map refers to)
ASSETS_DIR = "assets"

#: ``folium resource name -> file under vendor/``, for the map and for the cluster layer
MAP_JS = {"leaflet": "leaflet/leaflet.js", "jquery": "jquery/jquery.min.js"}
MAP_CSS = {"leaflet_css": "leaflet/leaflet.css"}
CLUSTER_JS = {"markerclusterjs": "markercluster/leaflet.markercluster.js"}
CLUSTER_CSS = {
    "markerclustercss": "markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "markercluster/MarkerCluster.Default.css",
}


def vendor_root() -> Traversable:
    """Return the folder of vendored assets inside the installed package."""
    return resources.files("routeplan.present").joinpath("vendor")


def use_assets(m: folium.Map, cluster: MarkerCluster | None, *, offline: bool) -> None:
    """Point the map (and its cluster layer) at the files it needs, and only those.

    Online the links are folium's own CDN addresses; offline they are
    ``assets/...`` paths relative to ``map.html``. Instance attributes are
    set, so folium's class-wide defaults stay untouched.
    """
    m.default_js = _links(folium.Map.default_js, MAP_JS, offline)
    m.default_css = _links(folium.Map.default_css, MAP_CSS, offline)
    if cluster is not None:
        cluster.default_js = _links(MarkerCluster.default_js, CLUSTER_JS, offline)
        cluster.default_css = _links(MarkerCluster.default_css, CLUSTER_CSS, offline)


def _links(
    defaults: list[tuple[str, str]], wanted: dict[str, str], offline: bool
) -> list[tuple[str, str]]:
    """Return folium's ``(name, url)`` links kept to ``wanted``, local paths when offline."""
    cdn = dict(defaults)
    return [
        (name, f"{ASSETS_DIR}/{path}" if offline else cdn[name]) for name, path in wanted.items()
    ]


def write_assets(plan_dir: Path) -> list[Path]:
    """Copy every vendored asset (with its licence) into ``plan_dir/assets/``; return the paths."""
    written: list[Path] = []
    for relative, source in _vendored_files(vendor_root(), ""):
        if relative == "README.md":
            continue
        written.append(write_bytes_atomic(plan_dir / ASSETS_DIR / relative, source.read_bytes()))
    return written


def _vendored_files(folder: Traversable, prefix: str) -> list[tuple[str, Traversable]]:
    """Return ``(relative path, file)`` of every file under ``folder``, sorted."""
    found: list[tuple[str, Traversable]] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        relative = f"{prefix}{entry.name}"
        if entry.is_dir():
            found += _vendored_files(entry, f"{relative}/")
        elif entry.is_file():
            found.append((relative, entry))
    return found


__all__ = ["ASSETS_DIR", "use_assets", "vendor_root", "write_assets"]
