"""A map that draws without internet: vendored assets copied into the plan folder."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import folium
import pytest
from click.testing import CliRunner
from folium.plugins import MarkerCluster

from routeplan.cli import main
from routeplan.present import write_dispatch_outputs
from routeplan.present.offline import vendor_root
from tests.helpers import plan_tiny, run

FIXTURE = Path(__file__).parent / "fixtures" / "plan_small"
LICENCES = (
    "assets/leaflet/LICENSE",
    "assets/jquery/LICENSE.txt",
    "assets/markercluster/MIT-LICENCE.txt",
)


@pytest.fixture
def plan_dir(tmp_path: Path) -> Path:
    """A private copy of the small hand-made plan folder."""
    dest = tmp_path / "plan"
    shutil.copytree(FIXTURE, dest)
    return dest


def _references(html: str) -> list[str]:
    """Return every script src and stylesheet href of a page."""
    return re.findall(r'<script src="([^"]+)"', html) + re.findall(
        r'<link rel="stylesheet" href="([^"]+)"', html
    )


def test_offline_map_refers_only_to_files_in_the_plan_folder(plan_dir: Path) -> None:
    """With offline assets every script and style is a relative file that exists, licences too."""
    written = write_dispatch_outputs(plan_dir, offline_assets=True)
    html = (plan_dir / "map.html").read_text(encoding="utf-8")
    refs = _references(html)
    assert sorted(refs) == [
        "assets/jquery/jquery.min.js",
        "assets/leaflet/leaflet.css",
        "assets/leaflet/leaflet.js",
        "assets/markercluster/MarkerCluster.Default.css",
        "assets/markercluster/MarkerCluster.css",
        "assets/markercluster/leaflet.markercluster.js",
    ]
    for ref in refs:
        assert (plan_dir / ref).is_file(), ref
    assert "http://" not in "".join(refs) and "https://" not in "".join(refs)
    for licence in LICENCES:
        assert (plan_dir / licence).is_file(), licence
    # images leaflet.css refers to (the layer control's icon) are there as well
    css = (plan_dir / "assets/leaflet/leaflet.css").read_text(encoding="utf-8")
    for image in set(re.findall(r"url\((images/[^)]+\.png)\)", css)):
        assert (plan_dir / "assets/leaflet" / image).is_file(), image
    assert plan_dir / "assets/leaflet/leaflet.js" in written
    assert ".folium-map.leaflet-container { background: #eceae6; }" in html


def test_online_map_loads_only_what_it_needs_from_the_cdn(plan_dir: Path) -> None:
    """By default the map loads Leaflet, jQuery and markercluster from the CDN, nothing else."""
    write_dispatch_outputs(plan_dir)
    html = (plan_dir / "map.html").read_text(encoding="utf-8")
    refs = _references(html)
    cdn = {url for _, url in folium.Map.default_js + folium.Map.default_css}
    cdn |= {url for _, url in MarkerCluster.default_js + MarkerCluster.default_css}
    assert len(refs) == 6 and set(refs) <= cdn
    assert not any("bootstrap" in r or "fontawesome" in r or "awesome-markers" in r for r in refs)
    assert not (plan_dir / "assets").exists()
    # folium's class-wide defaults are untouched by the map's own choice
    assert any("bootstrap" in url for _, url in folium.Map.default_js)


def test_vendored_versions_are_the_ones_folium_references() -> None:
    """The vendored Leaflet, jQuery and markercluster are the versions folium's map is made for."""
    urls = " ".join(url for _, url in folium.Map.default_js + MarkerCluster.default_js)
    root = vendor_root()
    leaflet = root.joinpath("leaflet", "leaflet.js").read_text(encoding="utf-8")[:200]
    jquery = root.joinpath("jquery", "jquery.min.js").read_text(encoding="utf-8")[:200]
    readme = root.joinpath("README.md").read_text(encoding="utf-8")
    leaflet_version = re.search(r"Leaflet (\d+\.\d+\.\d+)", leaflet)
    jquery_version = re.search(r"jQuery v(\d+\.\d+\.\d+)", jquery)
    cluster_version = re.search(r"\| leaflet\.markercluster \| (\d+\.\d+\.\d+) \|", readme)
    assert leaflet_version and jquery_version and cluster_version
    assert f"leaflet@{leaflet_version.group(1)}/" in urls
    assert f"jquery-{jquery_version.group(1)}.min.js" in urls
    assert f"leaflet.markercluster/{cluster_version.group(1)}/" in urls


def test_offline_assets_from_the_cli_and_config(tmp_path: Path, tiny_dir: Path) -> None:
    """plan --offline-assets writes assets/ and records it; map keeps it unless --cdn-assets."""

    out = tmp_path / "plan"
    res = plan_tiny(tiny_dir, out, "--offline-assets")
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["output"]["offline_assets"] is True
    assert 'src="assets/leaflet/leaflet.js"' in (out / "map.html").read_text(encoding="utf-8")
    assert run("map", out).exit_code == 0
    assert 'src="assets/leaflet/leaflet.js"' in (out / "map.html").read_text(encoding="utf-8")
    assert run("map", out, "--cdn-assets").exit_code == 0
    assert 'src="https://cdn.jsdelivr.net/npm/leaflet@' in (out / "map.html").read_text(
        encoding="utf-8"
    )

    config = tmp_path / "routeplan.toml"
    config.write_text("[output]\noffline_assets = true\n", encoding="utf-8")
    cfg_out = tmp_path / "cfg"
    assert plan_tiny(tiny_dir, cfg_out, "--config", str(config)).exit_code == 0
    assert (cfg_out / "assets" / "leaflet" / "leaflet.js").is_file()


def test_assets_folder_linked_out_of_the_plan_is_refused(plan_dir: Path, tmp_path: Path) -> None:
    """An assets/ that is a link out of the plan folder is refused before anything is written."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (plan_dir / "assets").symlink_to(outside, target_is_directory=True)
    res = CliRunner().invoke(main, ["map", str(plan_dir), "--offline-assets"])
    assert res.exit_code == 1
    assert "leads outside the plan folder" in res.output
    assert list(outside.iterdir()) == [] and not (plan_dir / "map.html").exists()
