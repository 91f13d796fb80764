"""Open the map and the route sheets in headless Chromium and check what a person would see.

Needs Debian's chromium, the playwright package and the npm copies of Leaflet
and friends (``scripts/browser-setup.sh``). Skipped with the reason when they
are missing; on CI (``CI=true``) a missing browser fails instead, so a broken
set-up cannot pass unnoticed. Screenshots and the PDF go to ``tests/artifacts/``.
"""

from __future__ import annotations

import io
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import folium
import pandas as pd
import pytest
from folium.plugins import FastMarkerCluster

from routeplan.present import read_plan_folder, write_dispatch_outputs
from routeplan.present.map import MAP_BACKGROUND
from tests.browser import PageLog, artifact, chromium, in_ci, missing_reason, serve_offline
from tests.browser.fakeplan import make_plan_folder

pytestmark = pytest.mark.browser

FIXTURE = Path(__file__).parent / "fixtures" / "plan_small"
HOSTILE_NAME = "<img src=x onerror=alert(1)>"
A4_PRINTABLE_HEIGHT_PX = (297 - 24) / 25.4 * 96  # A4 minus the sheet's 11 + 13 mm margins
FOLIUM_SCRIPTS = {url for _, url in folium.Map.default_js + FastMarkerCluster.default_js}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium, or a skip (a failure on CI) saying what is missing."""
    reason = missing_reason()
    if reason:
        if in_ci():
            pytest.fail(f"browser tests cannot run on CI: {reason}")
        pytest.skip(reason)
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small plan folder with its outputs written in English, names shown (the hostile one)."""
    folder = tmp_path_factory.mktemp("browser") / "plan"
    shutil.copytree(FIXTURE, folder)
    write_dispatch_outputs(folder, show_names=True, language="en")
    return folder


def _visits(folder: Path) -> pd.DataFrame:
    """Return the planned visits of a plan folder."""
    itin = read_plan_folder(folder).itineraries
    return itin[itin["kind"] == "visit"]


def _open(browser: Any, path: Path, *, width: int = 1280, height: int = 860) -> tuple[Any, PageLog]:
    """Open a local page offline; return the page and its log."""
    page = browser.new_page(viewport={"width": width, "height": height})
    log = PageLog()
    serve_offline(page, log)
    page.goto(path.as_uri())
    return page, log


def _open_popup(page: Any, account_id: str) -> Any:
    """Click an account's stop marker and return its open popup."""
    page.locator(f'.rp-stop .rp-num[data-account="{account_id}"]').dispatch_event("click")
    popup = page.locator(f'.leaflet-popup-content .rp-pop[data-account="{account_id}"]')
    popup.wait_for(state="visible", timeout=10_000)
    return popup


def test_map_loads_with_one_marker_per_visit(browser: Any, plan: Path) -> None:
    """The map runs without script errors, draws one .rp-stop per visit and the layers."""
    page, log = _open(browser, plan / "map.html")
    page.wait_for_selector(".rp-stop", timeout=20_000)
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifact("map.png")))
    visits = _visits(plan)
    assert log.errors == []
    assert log.dialogs == []
    assert page.locator(".rp-stop").count() == len(visits)
    assert page.locator(".rp-base").count() == 2
    labels = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert [label.strip() for label in labels] == [
        "张伟 (A01) · 4",
        "李娜 (A02) · 4",
        "Not planned · 3",
    ]
    summary = page.locator(".rp-summary").inner_text()
    assert "Visits: 8 by 2 agents" in summary and "20.4 km" in summary
    assert set(log.scripts) <= FOLIUM_SCRIPTS, "only the scripts folium itself needs"
    page.close()


def test_popup_names_the_right_account(browser: Any, plan: Path) -> None:
    """Clicking each stop marker opens the popup of that account with its planned time."""
    page, log = _open(browser, plan / "map.html")
    page.wait_for_selector(".rp-stop", timeout=20_000)
    for row in _visits(plan).itertuples():
        popup = _open_popup(page, row.account_id)
        text = popup.inner_text()
        assert row.account_id in text
        assert f"{row.service_start}–{row.service_end}" in text
    popup = _open_popup(page, "CN1002")
    page.wait_for_timeout(400)
    page.screenshot(path=str(artifact("map_popup.png")))
    assert "Copy of broken promise record" in popup.inner_text()
    assert log.errors == [] and log.dialogs == []
    page.close()


def test_hostile_text_stays_inert_on_the_map(browser: Any, plan: Path) -> None:
    """The hostile name shows as text in its popup and tooltip; nothing runs, no img is made."""
    page, log = _open(browser, plan / "map.html")
    page.wait_for_selector(".rp-stop", timeout=20_000)
    popup = _open_popup(page, "CN2001")
    text = popup.inner_text()
    assert HOSTILE_NAME in text
    assert "`${alert(3)}` </script><script>alert(5)</script>" in text
    assert "'\"; alert(2); //" in text
    page.locator('.rp-num[data-account="CN2001"]').hover(force=True)
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifact("map_hostile_popup.png")))
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator(".leaflet-popup-content script").count() == 0
    assert log.dialogs == [], log.dialogs
    assert log.errors == []
    page.close()


def test_masked_names_by_default(browser: Any, plan: Path, tmp_path: Path) -> None:
    """Without --show-names the popup shows 王** and never the full name."""
    folder = tmp_path / "masked"
    shutil.copytree(FIXTURE, folder)
    write_dispatch_outputs(folder)
    page, log = _open(browser, folder / "map.html")
    page.wait_for_selector(".rp-stop", timeout=20_000)
    text = _open_popup(page, "CN1001").inner_text()
    assert "王**" in text and "王小明" not in text
    assert "王小明" not in page.content()
    assert log.errors == [] and log.dialogs == []
    page.close()


def test_sheet_prints_to_pdf_one_block_per_stop(browser: Any, plan: Path) -> None:
    """The A4 sheet loads nothing remote, uses a CJK font, and prints each stop unsplit."""
    from pypdf import PdfReader

    page, log = _open(browser, plan / "sheets" / "A02.html", width=900, height=1200)
    page.wait_for_load_state("load")
    page.screenshot(path=str(artifact("sheet_A02.png")), full_page=True)
    assert log.errors == [] and log.dialogs == []
    assert log.served == [] and log.stubbed == [], "a sheet must not request anything"
    assert page.evaluate("document.fonts.check('12px \"Noto Sans CJK SC\"', '李娜')")
    assert HOSTILE_NAME in page.locator("body").inner_text()
    assert page.locator('img[src="x"]').count() == 0

    page.emulate_media(media="print")
    stops = page.locator("section.stop")
    assert stops.count() == 4
    for i in range(stops.count()):
        style = stops.nth(i).evaluate("e => getComputedStyle(e).breakInside")
        height = stops.nth(i).evaluate("e => e.getBoundingClientRect().height")
        assert style == "avoid"
        assert height < A4_PRINTABLE_HEIGHT_PX, f"stop {i + 1} cannot fit on one page"
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    artifact("sheet_A02.pdf").write_bytes(pdf)
    page.close()

    reader = PdfReader(io.BytesIO(pdf))
    pages = [p.extract_text() or "" for p in reader.pages]
    assert len(pages) >= 2
    for no, account in enumerate(["CN2001", "CN2002", "CN2003", "CN2004"], start=1):
        starts = [i for i, t in enumerate(pages) if re.search(rf"account\s*{account}", t)]
        ends = [i for i, t in enumerate(pages) if re.search(rf"Stop\s*{no}/4\s*·\s*{account}", t)]
        assert len(starts) == 1 and starts == ends, (account, starts, ends)


def test_index_links_resolve(browser: Any, plan: Path) -> None:
    """Every link on index.html to a sheet, the map or a CSV points at an existing file."""
    page, log = _open(browser, plan / "index.html", width=1000, height=900)
    hrefs = page.locator("a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert "map.html" in hrefs and "sheets/A01.html" in hrefs and "sheets/A02.html" in hrefs
    for href in hrefs:
        assert (plan / href).is_file(), href
    page.screenshot(path=str(artifact("index.png")), full_page=True)
    assert log.errors == []
    page.close()


def test_large_map_stays_usable(browser: Any, tmp_path: Path) -> None:
    """300 visits for 25 agents and 2,000 clustered dropped accounts load in seconds."""
    folder = make_plan_folder(tmp_path / "large", agents=25, visits=300, dropped=2000)
    write_dispatch_outputs(folder)
    started = time.perf_counter()
    page, log = _open(browser, folder / "map.html")
    page.wait_for_selector(".rp-stop", timeout=60_000)
    load_s = time.perf_counter() - started
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifact("map_large.png")))
    assert page.locator(".rp-stop").count() == 300
    clusters = page.locator(".rp-dropped-cluster").count()
    assert 0 < clusters < 200, "dropped accounts are clustered, not 2,000 separate markers"
    assert log.errors == [] and log.dialogs == []
    assert load_s < 30, f"map took {load_s:.1f} s to show its markers"
    _open_popup(page, "SZ-100150")
    page.close()


def test_not_planned_accounts_are_grey_unnumbered_clusters(browser: Any, tmp_path: Path) -> None:
    """Clusters of dropped accounts are grey discs with no number; no coloured cluster is drawn."""
    folder = make_plan_folder(tmp_path / "large", agents=5, visits=40, dropped=600)
    write_dispatch_outputs(folder, language="en")
    page, log = _open(browser, folder / "map.html")
    page.wait_for_selector(".rp-dropped-cluster", timeout=30_000)
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifact("map_not_planned.png")))
    clusters = page.locator(".rp-dropped-cluster")
    assert clusters.count() > 0 and page.locator(".marker-cluster").count() == 0
    texts = clusters.all_inner_texts()
    assert all(t.strip() == "" for t in texts), "no number on a cluster of dropped accounts"
    title = clusters.first.locator("div").get_attribute("title") or ""
    assert re.fullmatch(r"\d+ not planned", title), title
    colours = clusters.evaluate_all(
        "els => els.map(e => getComputedStyle(e.firstElementChild).borderTopColor)"
    )
    assert set(colours) == {"rgb(95, 95, 95)"}, "grey, never an agent's colour"
    assert log.errors == [] and log.dialogs == []
    page.close()


def test_legend_scrolls_through_every_agent_and_collapses(browser: Any, tmp_path: Path) -> None:
    """With 40 agents the legend scrolls to the last one, keeps its heading, and folds away."""
    folder = make_plan_folder(tmp_path / "many", agents=40, visits=120, dropped=30)
    write_dispatch_outputs(folder, language="en")
    page, log = _open(browser, folder / "map.html", height=700)
    page.wait_for_selector(".rp-stop", timeout=30_000)
    legend = page.locator(".rp-legend")
    heading = legend.locator("summary")
    assert heading.inner_text().strip() == "Agents (40)"
    listing = legend.locator(".rp-legend-list")
    assert listing.locator(".rp-legend-agent").count() == 40
    sizes = listing.evaluate("e => [e.scrollHeight, e.clientHeight]")
    assert sizes[0] > sizes[1], "the list is longer than the box: it scrolls"
    listing.evaluate("e => { e.scrollTop = e.scrollHeight; }")
    last = listing.locator(".rp-legend-agent").last
    assert "(SZ040)" in last.inner_text()
    box = legend.bounding_box()
    row = last.bounding_box()
    top = heading.bounding_box()
    assert box and row and top
    assert box["y"] <= row["y"] and row["y"] + row["height"] <= box["y"] + box["height"] + 1
    assert box["y"] <= top["y"], "the heading stays in view when the list is scrolled"
    assert box["y"] + box["height"] <= 700, "the box fits the window"
    page.screenshot(path=str(artifact("map_legend_scrolled.png")))
    heading.click()
    assert not listing.is_visible(), "clicking the heading folds the legend"
    assert legend.bounding_box()["height"] < 40  # type: ignore[index]
    assert log.errors == []
    page.close()


def test_offline_map_draws_with_no_network_at_all(browser: Any, tmp_path: Path) -> None:
    """With --offline-assets the map draws from file:// with every other request refused."""
    folder = tmp_path / "offline"
    shutil.copytree(FIXTURE, folder)
    write_dispatch_outputs(folder, offline_assets=True)
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    refused: list[tuple[str, str]] = []
    errors: list[str] = []

    def block(route: Any) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            refused.append((route.request.resource_type, route.request.url))
            route.abort()

    page.route("**/*", block)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto((folder / "map.html").as_uri())
    page.wait_for_selector(".rp-stop", timeout=20_000)
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifact("map_offline.png")))
    assert errors == []
    assert page.locator(".rp-stop").count() == len(_visits(folder))
    assert page.locator("path.leaflet-interactive").count() == 2, "one route per agent"
    assert page.locator(".rp-legend").is_visible() and page.locator(".rp-summary").is_visible()
    assert {kind for kind, _ in refused} <= {"image"}, "only map tiles were asked of the network"
    background = page.evaluate(
        "getComputedStyle(document.querySelector('.folium-map')).backgroundColor"
    )
    r, g, b = (int(MAP_BACKGROUND[i : i + 2], 16) for i in (1, 3, 5))
    assert background == f"rgb({r}, {g}, {b})", "a plain background where tiles cannot load"
    _open_popup(page, "CN1001")
    page.close()


def test_chinese_sheet_renders_in_chinese(browser: Any, tmp_path: Path) -> None:
    """A CN plan's sheet shows Chinese labels in a CJK font, outcome words beside their codes."""
    folder = tmp_path / "zh"
    shutil.copytree(FIXTURE, folder)
    write_dispatch_outputs(folder)
    page, log = _open(browser, folder / "sheets" / "A01.html", width=900, height=1200)
    page.wait_for_load_state("load")
    page.screenshot(path=str(artifact("sheet_A01_zh.png")), full_page=True)
    body = page.locator("body").inner_text()
    assert (
        "外访路线单" in body and "部分还款 (partial_payment)" in body and "拜访结果（单选）" in body
    )
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert page.evaluate("document.fonts.check('12px \"Noto Sans CJK SC\"', '外访路线单')")
    assert log.errors == [] and log.served == [] and log.stubbed == []
    page.close()


def test_audit_page_draws_offline_and_keeps_hostile_text_inert(
    browser: Any, tmp_path: Path
) -> None:
    """The audit page draws two dots and a line per flagged visit from file:// alone; typed
    text (a receipt, a photo reference) shows as text and runs nothing."""
    from routeplan.present.audit import write_audit_page

    visits = pd.DataFrame(
        [
            {
                "visit_date": "2026-12-01",
                "agent_id": "A01",
                "agent_name": "张伟",
                "account_id": "CN1001",
                "outcome": "paid",
                "amount_paid": 300.0,
                "checkin_time": "2026-12-01 10:00",
                "checkout_time": "2026-12-01 10:02",
                "checkin_lat": 31.2380,
                "checkin_lon": 121.4700,
                "gps_accuracy_m": 10.0,
                "place_lat": 31.2300,
                "place_lon": 121.4700,
                "evidence": "ID",
                "receipt_no": HOSTILE_NAME,
                "photo_ref": "</script><script>alert(7)</script>",
                "notes": "",
                "address": "上海市黄浦区南京东路100号1栋101室",
                "flags": "far_from_address, too_short",
                "findings": [("far_from_address", "check-in 890 m"), ("too_short", "2 min")],
            }
        ]
    )
    page_path = tmp_path / "audit.html"
    write_audit_page(visits, page_path, title="Flagged visits", offline_assets=True)
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    refused: list[str] = []
    log = PageLog()
    page.on("pageerror", lambda exc: log.errors.append(str(exc)))
    page.on("dialog", lambda d: (log.dialogs.append(d.message), d.dismiss()))
    page.route(
        "**/*",
        lambda r: (
            r.continue_()
            if r.request.url.startswith("file:")
            else (refused.append(r.request.resource_type), r.abort())
        ),
    )
    page.goto(page_path.as_uri())
    page.wait_for_selector("path.leaflet-interactive", timeout=20_000)
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifact("audit_page.png")), full_page=True)
    assert page.locator("path.leaflet-interactive").count() == 3  # two dots and the line
    table = page.locator(".rp-audit table").inner_text()
    assert HOSTILE_NAME in table and "alert(7)" in table
    assert "南京东路" in table and "100号" not in table  # the address cut to street level
    assert page.locator('img[src="x"]').count() == 0
    assert log.dialogs == [] and log.errors == []
    assert set(refused) <= {"image"}, "only map tiles were asked of the network"
    page.close()
