"""Headless Chromium for the browser tests, offline.

Debian's ``/usr/bin/chromium`` is driven by Playwright (never ``playwright
install``). folium pages reference CDN files that cannot be reached here;
:func:`serve_offline` answers Leaflet, jQuery, Leaflet.awesome-markers and
Leaflet.markercluster from the npm copies ``scripts/browser-setup.sh`` puts
in ``.browser/node_modules`` and every other remote request with an empty
body, recording what was asked for.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / ".browser" / "node_modules"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_REQUIRED_ASSETS = (
    "leaflet/dist/leaflet.js",
    "jquery/dist/jquery.min.js",
    "drmonty-leaflet-awesome-markers/js/leaflet.awesome-markers.js",
    "leaflet.markercluster/dist/leaflet.markercluster.js",
)
_CONTENT_TYPES = {
    ".js": "application/javascript",
    ".css": "text/css",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
}


def missing_reason() -> str | None:
    """Return why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found (run scripts/browser-setup.sh as root)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (run scripts/browser-setup.sh)"
    absent = [a for a in _REQUIRED_ASSETS if not (ASSETS / a).is_file()]
    if absent:
        return f"{', '.join(absent)} missing under .browser/ (run scripts/browser-setup.sh)"
    return None


def local_asset(url: str) -> Path | None:
    """Return the local npm file that stands in for a CDN ``url`` (None when there is none)."""
    path = urlsplit(url).path
    name = path.rsplit("/", 1)[-1]
    if "leaflet.markercluster" in path:
        return ASSETS / "leaflet.markercluster" / "dist" / name
    if "awesome-markers" in path.lower() and name.startswith("leaflet.awesome-markers"):
        sub = "js" if name.endswith(".js") else "css"
        return ASSETS / "drmonty-leaflet-awesome-markers" / sub / name
    match = re.search(r"/leaflet@[^/]+/dist/(.+)$", path)
    if match:
        return ASSETS / "leaflet" / "dist" / match.group(1)
    if re.fullmatch(r"jquery-[\d.]+(\.min)?\.js", name):
        return ASSETS / "jquery" / "dist" / "jquery.min.js"
    return None


@dataclass
class PageLog:
    """What a page did: script errors, dialogs, remote requests (served or stubbed)."""

    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    served: list[str] = field(default_factory=list)
    stubbed: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)


def serve_offline(page: Any, log: PageLog) -> None:
    """Answer a page's requests offline and log errors and dialogs into ``log``."""

    def handle(route: Any) -> None:
        request = route.request
        url = request.url
        if url.startswith(("file:", "data:", "about:")):
            route.continue_()
            return
        if request.resource_type == "script":
            log.scripts.append(url)
        local = local_asset(url)
        if local is not None and local.is_file():
            log.served.append(url)
            route.fulfill(path=str(local))
            return
        log.stubbed.append(url)
        suffix = Path(urlsplit(url).path).suffix
        route.fulfill(status=200, body="", content_type=_CONTENT_TYPES.get(suffix, "text/plain"))

    def on_dialog(dialog: Any) -> None:
        log.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.route("**/*", handle)
    page.on("pageerror", lambda exc: log.errors.append(str(exc)))
    page.on("dialog", on_dialog)


@contextmanager
def chromium() -> Iterator[Any]:
    """Yield a headless Debian Chromium browser driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


def artifact(name: str) -> Path:
    """Return the path of a test artefact in ``tests/artifacts/`` (created, git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name


def in_ci() -> bool:
    """Return True on CI, where a missing browser is a failure rather than a skip."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}
