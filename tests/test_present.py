"""Tests for routeplan.present: plan-folder reader, map, sheets, index, exports, map command."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from routeplan import schema as S
from routeplan.errors import InputError
from routeplan.io.safe import FORMULA_PREFIXES
from routeplan.present import read_plan_folder, write_dispatch_outputs
from routeplan.present.cli import map_command
from routeplan.present.common import (
    esc,
    file_stems,
    integer,
    is_settlement_item,
    mask_address,
    mask_name,
    money,
    number,
)
from routeplan.present.exports import OUTCOME_TEMPLATE_COLUMNS, agent_itinerary
from routeplan.present.map import DROPPED_CLUSTER_CLASS, build_map, render_map
from routeplan.present.sheets import build_index, build_sheet, navigation_links
from routeplan.summary import PlanSummary
from tests.browser.fakeplan import make_plan_folder

FIXTURE = Path(__file__).parent / "fixtures" / "plan_small"
HOSTILE_NAME = "<img src=x onerror=alert(1)>"
HOSTILE_ADDRESS = '=HYPERLINK("http://x")'
HOSTILE_NOTE = "'\"; alert(2); //"
VISITS = 8


@pytest.fixture
def plan_dir(tmp_path: Path) -> Path:
    """A private copy of the small hand-made plan folder."""
    dest = tmp_path / "plan"
    shutil.copytree(FIXTURE, dest)
    return dest


def _stop_markers(html: str) -> int:
    """Count stop markers in a rendered folium map (DivIcons with the rp-stop class)."""
    return len(re.findall(r'"className": "rp-stop"', html))


def _csv_cells(path: Path) -> list[list[str]]:
    """Return all cells of a CSV (BOM stripped)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


# --- helpers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("王小明", "王**"),
        ("欧阳娜娜", "欧***"),
        ("王明", "王*"),
        ("周", "*"),
        ("John Smith", "J*** S****"),
        ("  John   A  Smith ", "J*** * S****"),
        ("Jean-Luc Picard", "J******* P*****"),
        ("", ""),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_mask_name(name: object, masked: str) -> None:
    """Names keep the first character of each word; one-character words are masked whole."""
    assert mask_name(name) == masked


def test_esc_escapes_html_and_template_literal_characters() -> None:
    """HTML specials and the template-literal specials ` $ \\ become character references."""
    assert esc(HOSTILE_NAME) == "&lt;img src=x onerror=alert(1)&gt;"
    assert esc("`${x}`\\u") == "&#96;&#36;{x}&#96;&#92;u"
    assert esc(HOSTILE_NOTE) == "&#x27;&quot;; alert(2); //"
    assert esc(None) == ""


def test_file_stems_are_safe_and_unique() -> None:
    """Traversal ids, Chinese ids, device names and case clashes all get safe unique stems."""
    ids = ["A01", "../../x", "..", "张伟", "a/b", "a_b", "CON", "x.y", "Ab", "aB", ".hidden"]
    stems = file_stems(ids)
    assert stems["A01"] == "A01"
    assert stems["x.y"] == "x.y"
    assert stems["a_b"] == "a_b"
    assert len(set(stems.values())) == len(ids)
    assert len({s.casefold() for s in stems.values()}) == len(ids)
    for agent_id, stem in stems.items():
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", stem), (agent_id, stem)
        assert "/" not in stem and "\\" not in stem and stem not in {".", ".."}
    assert stems["CON"] != "CON"
    assert file_stems(["../../x"]) == file_stems(["../../x"]), "stems are deterministic"


@pytest.mark.parametrize(
    ("item", "category", "expected"),
    [
        ("Instalment plan: 6 months", "", True),
        ("Settlement in full", "", True),
        ("Fee relief (hardship)", "", True),
        ("Repayment history", "", False),
        ("Term extension: 24 months", "", True),
        ("Relief options: longer term and interest reduction", "", True),
        ("Settlement options sheet", "", False),
        ("Hardship relief application form", "", False),
        ("Receipt book", "", False),
        ("Statement of amount owed", "", False),
        ("Collector ID card", "", False),
        ("Anything", "settlement", True),
        ("Instalment plan", "evidence", False),
    ],
)
def test_is_settlement_item(item: str, category: str, expected: bool) -> None:
    """Settlement options are told from evidence by wording, or by an explicit category."""
    assert is_settlement_item(item, category) is expected


# --- reading the plan folder ---------------------------------------------------------------


def test_read_plan_folder_types_and_order(plan_dir: Path) -> None:
    """The fixture reads with numeric columns typed and agents in summary order."""
    plan = read_plan_folder(plan_dir)
    itin = plan.itineraries
    assert plan.agents == ("A01", "A02", "A03")
    assert plan.date == "2026-12-01"
    assert (itin["kind"] == "visit").sum() == VISITS
    assert itin["lat"].dtype == float and itin["stop_no"].dtype.kind == "i"
    assert itin.loc[itin["account_id"] == "CN1002", "address"].item() == HOSTILE_ADDRESS
    assert len(plan.dropped) == 4 and pd.isna(plan.dropped["lat"].iloc[3])
    assert plan.agent_info("A03").usable is False


def test_read_plan_folder_missing_file(plan_dir: Path) -> None:
    """A missing plan file is named."""
    (plan_dir / "checklist.csv").unlink()
    with pytest.raises(InputError, match=r"checklist\.csv: file not found"):
        read_plan_folder(plan_dir)


def test_read_plan_folder_missing_column(plan_dir: Path) -> None:
    """A missing itinerary column is named with its file."""
    df = pd.read_csv(plan_dir / "itineraries.csv", dtype=str, keep_default_na=False)
    df.drop(columns=["service_end"]).to_csv(plan_dir / "itineraries.csv", index=False)
    with pytest.raises(InputError, match=r"itineraries\.csv, column service_end: required"):
        read_plan_folder(plan_dir)


def test_read_plan_folder_bad_cells_reported_together(plan_dir: Path) -> None:
    """Bad cells are all reported with file, spreadsheet row and column."""
    df = pd.read_csv(plan_dir / "itineraries.csv", dtype=str, keep_default_na=False)
    df.loc[1, "lat"] = "north"
    df.loc[2, "kind"] = "lunch"
    df.loc[3, "arrival"] = "25:00"
    df.loc[5, "lon"] = "200"
    df.to_csv(plan_dir / "itineraries.csv", index=False)
    with pytest.raises(InputError) as info:
        read_plan_folder(plan_dir)
    message = str(info.value)
    assert "row 3, column lat: 'north' is not a number" in message
    assert "row 4, column kind: 'lunch' is not one of" in message
    assert "row 5, column arrival: '25:00' is not HH:MM" in message
    assert "row 7, column lon: 200.0 is outside [-180, 180]" in message
    assert len(info.value.problems) == 4


def test_read_plan_folder_bad_summary(plan_dir: Path) -> None:
    """A summary whose agents are not objects is refused naming the key."""
    (plan_dir / "summary.json").write_text('{"agents": [1, 2]}', encoding="utf-8")
    with pytest.raises(InputError, match=r"summary\.json, key agents"):
        read_plan_folder(plan_dir)


# --- map -------------------------------------------------------------------------------


def _map_html(plan_dir: Path, *, show_names: bool = False, language: str = "en") -> str:
    """Return the rendered map of a plan folder (English labels unless ``language`` says)."""
    plan = read_plan_folder(plan_dir)
    fmap = build_map(
        plan.itineraries,
        plan.dropped,
        plan.summary,
        plan.checklist,
        show_names=show_names,
        language=language,
    )
    return render_map(fmap)


def test_map_has_one_marker_per_visit_and_layers(plan_dir: Path) -> None:
    """Stop markers equal visits; each agent with visits and the dropped layer are layers."""
    html = _map_html(plan_dir)
    assert _stop_markers(html) == VISITS
    assert html.count('"className": "rp-base"') == 2
    overlays = re.search(r"overlays :\s*\{(.*?)\}", html, re.DOTALL)
    assert overlays is not None
    labels = [
        json.loads(k) for k in re.findall(r'^\s*("(?:[^"\\]|\\.)*") :', overlays.group(1), re.M)
    ]
    assert len(labels) == 3
    assert labels[0].endswith("张伟 (A01) · 4") and labels[1].endswith("李娜 (A02) · 4")
    assert labels[2].endswith("Not planned · 3"), "3 dropped accounts have coordinates"
    assert "4 visits · 12.7 km" in html
    assert "1 without coordinates" in html
    assert "L.markerClusterGroup" in html
    assert "fitBounds" in html


def test_map_masks_names_by_default(plan_dir: Path) -> None:
    """Debtor names are masked unless show_names; masked hostile text is escaped too."""
    html = _map_html(plan_dir)
    assert "王小明" not in html and "王**" in html
    assert "John Smith" not in html and "J*** S****" in html
    shown = _map_html(plan_dir, show_names=True)
    assert "王小明" in shown and "John Smith" in shown


@pytest.mark.parametrize("show_names", [False, True])
def test_map_never_contains_raw_hostile_text(plan_dir: Path, show_names: bool) -> None:
    """Hostile names, notes and checklist text only appear escaped."""
    html = _map_html(plan_dir, show_names=show_names)
    assert "<img src=x" not in html
    assert "<script>alert" not in html
    assert "${alert(3)}" not in html
    assert "alert(2)" in html and HOSTILE_NOTE not in html
    if show_names:
        assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_map_escapes_agent_names_in_layer_control(plan_dir: Path) -> None:
    """An agent name with markup is escaped in the layer control and legend."""
    summary = json.loads((plan_dir / "summary.json").read_text(encoding="utf-8"))
    summary["agents"][0]["name"] = "<b onmouseover=alert(6)>x</b>"
    (plan_dir / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    html = _map_html(plan_dir)
    assert "<b onmouseover" not in html
    assert "&lt;b onmouseover=alert(6)&gt;x&lt;/b&gt;" in html


def test_map_never_shows_excluded_accounts(plan_dir: Path) -> None:
    """Accounts of excluded.csv appear nowhere on the map."""
    excluded = pd.read_csv(plan_dir / "excluded.csv", dtype=str)["account_id"]
    html = _map_html(plan_dir, show_names=True)
    for account_id in excluded:
        assert account_id not in html


def test_map_popup_content(plan_dir: Path) -> None:
    """A stop popup shows times, window, money, reason and checklist of its account."""
    html = _map_html(plan_dir)
    popup = re.search(r'<div class="rp-pop" data-account="CN1002">.*?</div></div>', html)
    assert popup is not None
    text = popup.group(0)
    for expected in (
        "2. CN1002",
        "10:00–10:30 (arrives 09:37)",
        "10:00-12:00; 18:00-20:00",
        "43,500.00",
        "150",
        "80.1",
        "broken promise to pay",
        "Copy of broken promise record",
        'Instalment plan: 6 months <span class="rp-muted">— 6 x 7,250.00 per month</span>',
    ):
        assert expected in text, expected


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("深圳市龙岗区布吉路780号金域名苑19栋1503室", "深圳市龙岗区布吉路…"),
        ("深圳市龙岗区坂雪岗大道1728号幸福花园12栋905室", "深圳市龙岗区坂雪岗大道…"),
        ("深圳市南山区粤海街道科技园路1号", "深圳市南山区粤海街道科技园路…"),
        ("深圳市福田区中山一路十八号", "深圳市福田区中山一路…"),
        # road names with words that also name estates or buildings keep the road
        ("深圳市南山区科苑路2554号天健花园23栋808室", "深圳市南山区科苑路…"),
        ("北京市海淀区学院路30号", "北京市海淀区学院路…"),
        ("深圳市南山区阳光小区科技路5号", "深圳市南山区…"),
        ("北京市朝阳区建国路88号SOHO现代城A座1201", "北京市朝阳区建国路…"),
        ("上海市黄浦区人民大道200号 (base)", "上海市黄浦区人民大道…"),
        # no road with a number: only the administrative levels are kept
        ("江苏省苏州市远郊15号", "江苏省苏州市…"),
        ("深圳市南山区阳光小区5栋", "深圳市南山区…"),
        ("深圳市南山区城市花园3栋2单元", "深圳市南山区…"),
        ("台北市信義區信義路五段7號89樓", "台北市信義區…"),
        # the room before the road: nothing can be kept safely
        ("1503室, 布吉路780号", ""),
        ("Flat 3, 221B Baker Street, London NW1 6XE", "Baker Street, London…"),
        ("12 Main St, Springfield, IL 62704", "Main St, Springfield, IL…"),
        ("Apt 4B, 350 5th Avenue, New York, NY 10118", "5th Avenue, New York, NY…"),
        ("Unit 5/22 George St, Sydney NSW 2000", "George St, Sydney NSW…"),
        ("Blk 123 Ang Mo Kio Ave 3 #12-34 Singapore 560123", "Ang Mo Kio Ave Singapore…"),
        ("Room 12, 3/F, 88 Queen's Road Central, Hong Kong", "Queen's Road Central, Hong Kong…"),
        ("Hauptstraße 5, 10115 Berlin", "Hauptstraße, Berlin…"),
        ("Flat 502, Sai Residency, Plot 12, Sector 15, Navi Mumbai", "Sector, Navi Mumbai…"),
        ("Baker Street, London", "Baker Street, London"),
        # no street to anchor on: at most the broadest parts, else nothing
        ("Springfield", ""),
        (HOSTILE_NAME, ""),
        (HOSTILE_ADDRESS, ""),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_address(address: object, masked: str) -> None:
    """Addresses keep district and road (or street and city), never house or room numbers."""
    assert mask_address(address) == masked
    assert not re.search(r"\d(?!th|st|nd|rd)", mask_address(address).replace("5th", ""))


def test_map_masks_addresses_below_street_level(plan_dir: Path) -> None:
    """Popups show the road, not the house number, unless show_names; sheets keep it all."""
    html = _map_html(plan_dir)
    assert "上海市黄浦区南京东路…" in html and "南京东路100号" not in html
    assert "上海市黄浦区人民大道…" in html and "人民大道200号" not in html, "bases too"
    assert "address hidden" in html, "an address with nothing safe to keep is hidden"
    shown = _map_html(plan_dir, show_names=True)
    assert "上海市黄浦区南京东路100号" in shown and "人民大道200号 (base)" in shown
    assert "上海市黄浦区南京东路100号" in _sheet(plan_dir, "A01")


def test_map_summary_compares_like_with_like(plan_dir: Path) -> None:
    """Expected recovery planned vs eligible, balance planned vs eligible: one measure each."""
    html = _map_html(plan_dir)
    assert "Expected recovery: 59,748.06 planned of 68,488.06 eligible (87%)" in html
    # no balance_eligible in this summary.json: planned + not planned (100,800.00)
    assert "Balance: 463,200.50 planned of 564,000.50 eligible (82%)" in html
    assert "of 463,200.50 balance" not in html, "recovery is not set against the balance"
    summary = json.loads((plan_dir / "summary.json").read_text(encoding="utf-8"))
    summary["balance_eligible"] = 926401
    (plan_dir / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    assert "Balance: 463,200.50 planned of 926,401.00 eligible (50%)" in _map_html(plan_dir)


def test_dropped_accounts_are_grey_and_never_numbered(plan_dir: Path) -> None:
    """Not-planned markers and clusters are grey discs without numbers, labelled as such."""
    html = _map_html(plan_dir)
    assert "iconCreateFunction" in html and f"className: '{DROPPED_CLUSTER_CLASS}'" in html
    assert "marker-cluster-small" not in html, "not markercluster's coloured, numbered icons"
    assert "title=\"' + title + '\"" in html and '"{n} not planned"' in html
    assert "cluster.getChildCount()" in html and "html: '<div title=" in html
    assert re.search(r"className: 'rp-dropped', iconSize: \[12, 12\], html: '<div></div>'", html)
    assert "Not planned (grey, no number) · 3" in html
    assert "Not planned: CN3001" in html


def test_legend_lists_every_agent_in_a_scrollable_collapsible_box(tmp_path: Path) -> None:
    """With 30 agents the legend names all 30 in a scroll area inside a <details> box."""
    folder = make_plan_folder(tmp_path / "large", agents=30, visits=90, dropped=50)
    plan = read_plan_folder(folder)
    html = render_map(build_map(plan.itineraries, plan.dropped, plan.summary, language="en"))
    legend = re.search(r'<div class="rp-box rp-legend">(.*?)</details></div>', html, re.DOTALL)
    assert legend is not None
    box = legend.group(1)
    assert box.startswith("<details open><summary>Agents (30)</summary>")
    listing = re.search(r'<div class="rp-legend-list">(.*?)</div><div class="rp-legend-foot">', box)
    assert listing is not None
    assert listing.group(1).count('class="rp-legend-agent"') == 30
    assert "SZ001" in listing.group(1) and "SZ030" in listing.group(1)
    assert re.search(r"\.rp-legend-list \{ max-height: [^}]*overflow-y: auto", html)


def test_map_with_empty_plan() -> None:
    """A plan with no rows still renders (centred at 0,0, no markers)."""
    itin = pd.DataFrame(
        columns=["agent_id", "stop_no", "kind", "lat", "lon", "travel_km", "travel_min", "balance"]
    )
    html = render_map(build_map(itin, None, PlanSummary(date="2026-12-01")))
    assert _stop_markers(html) == 0
    assert "Visits: 0" in html


# --- sheets and index ---------------------------------------------------------------------


def _sheet(plan_dir: Path, agent_id: str) -> str:
    """Return the sheet of one agent of the plan folder."""
    plan = read_plan_folder(plan_dir)
    rows = plan.itineraries[plan.itineraries["agent_id"] == agent_id]
    return build_sheet(
        plan.agent_info(agent_id),
        rows,
        plan.checklist,
        legal_hours="08:00-22:00",
        date="2026-12-01",
        jurisdiction="CN",
    )


def test_sheet_content(plan_dir: Path) -> None:
    """A sheet has the agent, credential, timeline, one block per stop and the outcome codes."""
    html = _sheet(plan_dir, "A01")
    assert "张伟 (A01)" in html
    assert "SH-COL-2026-0142" in html and "valid until 2027-06-30" in html
    assert html.count('<section class="stop"') == 4
    assert "Depart from base" in html and "Break" in html and "Return" in html
    assert "王小明" in html, "an agent's own sheet shows full names"
    assert "@page { size: A4" in html and "break-inside: avoid" in html
    assert "Noto Sans CJK SC" in html
    for code in S.OUTCOME_CODES:
        assert f"(<code>{code}</code>)</span>" in html
    assert '<span class="box"></span>Partial payment (<code>partial_payment</code>)' in html
    assert "Instalment plan: 24 months" in html and "24 x 5,208.35 per month" in html
    assert "Identify yourself" in html and "leave as soon as you are asked" in html
    assert "visits only 08:00-22:00 (CN)" in html


def _code_checklist(plan_dir: Path) -> None:
    """Give the fixture's checklist.csv item codes and categories, as plan writes them."""
    path = plan_dir / "checklist.csv"
    checklist = pd.read_csv(path, dtype=str, keep_default_na=False)
    codes = {
        "Collector ID card": ("evidence", "ID"),
        "Creditor authorization letter": ("evidence", "AUTH"),
        "Loan contract copy": ("evidence", "CONTRACT"),
        "Statement of amount owed": ("evidence", "STMT"),
    }
    checklist["category"] = [codes.get(i, ("settlement", ""))[0] for i in checklist["item"]]
    checklist["code"] = [codes.get(i, ("", "INST6"))[1] for i in checklist["item"]]
    checklist.to_csv(path, index=False)


def test_sheet_prints_each_items_code_beside_its_box(plan_dir: Path) -> None:
    """With a coded checklist each tick box shows its code; an old uncoded one shows none."""
    assert '<code class="item-code">' not in _sheet(plan_dir, "A01")
    _code_checklist(plan_dir)
    html = _sheet(plan_dir, "A01")
    assert (
        '<li data-code="ID"><span class="box"></span><code class="item-code">ID</code> '
        "Collector ID card" in html
    )
    assert '<code class="item-code">INST6</code>' in html
    for column in ("checkin_time", "checkout_time", "receipt_no", "amount_paid"):
        assert f'data-column="{column}"' in html
    assert "their codes (for example ID;AUTH) go in the evidence column" in html


def test_sheet_shows_each_stops_last_visits(plan_dir: Path) -> None:
    """last_visits.csv rows appear on their account's stop, newest first, notes escaped."""
    (plan_dir / "last_visits.csv").write_text(
        "account_id,visit_date,agent_id,agent_name,outcome,notes\n"
        "CN1001,2026-11-30,A02,李四,not_home,neighbour says evenings\n"
        "CN1001,2026-11-20,A01,张伟,refused,<script>alert(3)</script>\n"
        "ZZ999,2026-11-30,A01,张伟,paid,not on this sheet\n",
        encoding="utf-8",
    )
    write_dispatch_outputs(plan_dir)
    html = (plan_dir / "sheets" / "A01.html").read_text(encoding="utf-8")
    block = html[html.index('data-account="CN1001"') :]
    block = block[: block.index("</section>")]
    assert (
        '<ul class="past"><li>2026-11-30 · 李四 (A02) · 无人在家 (not_home) · '
        "<q>neighbour says evenings</q></li>"
        "<li>2026-11-20 · 张伟 (A01) · 拒绝沟通 (refused) · "
        "<q>&lt;script&gt;alert(3)&lt;/script&gt;</q></li></ul>" in block
    )
    assert "<script>alert(3)" not in html and "not on this sheet" not in html
    assert html.count("last-visits") == 1  # CN1001's block only


def test_outcomes_template_carries_proof_columns_and_required_codes(plan_dir: Path) -> None:
    """The template has every proof column, empty, and the codes each stop requires."""
    _code_checklist(plan_dir)
    write_dispatch_outputs(plan_dir)
    df = pd.read_csv(plan_dir / "outcomes_template.csv", dtype=str, keep_default_na=False)
    assert list(df.columns[8:16]) == list(S.PROOF_COLUMNS)
    assert (df[list(S.PROOF_COLUMNS)] == "").all().all()
    required = df.set_index("account_id")["evidence_required"]
    assert required["CN1001"] == "ID;AUTH;CONTRACT;STMT"


def test_sheet_is_self_contained(plan_dir: Path) -> None:
    """Sheets load nothing: no script, no stylesheet link, no remote src."""
    html = _sheet(plan_dir, "A02")
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()
    assert not re.search(r"<[^>]*\ssrc\s*=", html, re.IGNORECASE)
    assert "<img" not in html


def test_sheet_escapes_hostile_text(plan_dir: Path) -> None:
    """The hostile name, note and checklist text are shown as text only."""
    html = _sheet(plan_dir, "A02")
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;/script&gt;&lt;script&gt;alert(5)" in html
    assert HOSTILE_NOTE not in html
    a01 = _sheet(plan_dir, "A01")
    assert "=HYPERLINK(&quot;http://x&quot;)" in a01


def test_navigation_links_are_encoded() -> None:
    """Amap links put LON,LAT first, say WGS84 and URL-encode the name; geo: is LAT,LON."""
    links = dict(navigation_links(31.2455, 121.492, HOSTILE_ADDRESS, "CN"))
    amap = links["Amap 高德导航"]
    assert amap.startswith("https://uri.amap.com/marker?position=121.492000%2C31.245500")
    assert "name=%3DHYPERLINK%28%22http%3A%2F%2Fx%22%29" in amap
    assert "coordinate=wgs84" in amap
    assert links["Map app (geo:)"] == "geo:31.245500,121.492000?q=31.245500,121.492000"
    other = dict(navigation_links(-33.86, 151.2, "x", "AU"))
    assert "OpenStreetMap" in other and "Amap 高德导航" not in other
    assert navigation_links(float("nan"), 1.0, "x", "CN") == []


def test_index_links_every_sheet(plan_dir: Path) -> None:
    """The index links the map and every sheet, and lists agents without a route."""
    plan = read_plan_folder(plan_dir)
    html = build_index(plan.summary, ["A01", "A02"], itineraries=plan.itineraries)
    assert 'href="map.html"' in html
    assert 'href="sheets/A01.html"' in html and 'href="sheets/A02.html"' in html
    assert 'href="agents/A01.csv"' in html
    assert "credential expired on 2026-11-15" in html
    assert "<script" not in html


# --- writing everything -------------------------------------------------------------------


def test_write_dispatch_outputs_files(plan_dir: Path) -> None:
    """All outputs are written inside the folder; agents without visits get no sheet."""
    written = write_dispatch_outputs(plan_dir)
    names = sorted(str(p.relative_to(plan_dir)) for p in written)
    assert names == [
        "agents/A01.csv",
        "agents/A02.csv",
        "index.html",
        "map.html",
        "outcomes_template.csv",
        "sheets/A01.html",
        "sheets/A02.html",
    ]
    assert _stop_markers((plan_dir / "map.html").read_text(encoding="utf-8")) == VISITS
    assert not list(plan_dir.rglob(".*.tmp"))


def test_every_csv_written_is_neutralised(plan_dir: Path) -> None:
    """No cell of any CSV written starts with a formula character; numbers stay numbers."""
    written = [p for p in write_dispatch_outputs(plan_dir) if p.suffix == ".csv"]
    assert len(written) == 3
    hostile_seen = False
    for path in written:
        assert path.read_bytes().startswith(b"\xef\xbb\xbf"), "spreadsheet files carry a BOM"
        for row in _csv_cells(path):
            for cell in row:
                assert not cell.startswith(FORMULA_PREFIXES), (path, cell)
                hostile_seen |= cell == "'" + HOSTILE_ADDRESS
    assert hostile_seen


def test_outcomes_template(plan_dir: Path) -> None:
    """One row per visit in the contract's outcomes format, outcome left empty."""
    write_dispatch_outputs(plan_dir)
    df = pd.read_csv(plan_dir / "outcomes_template.csv", dtype=str, keep_default_na=False)
    assert tuple(df.columns) == OUTCOME_TEMPLATE_COLUMNS
    assert list(df.columns[:8]) == [
        "account_id",
        "agent_id",
        "visit_date",
        "outcome",
        "amount_paid",
        "ptp_date",
        "ptp_amount",
        "notes",
    ]
    assert len(df) == VISITS
    assert df["account_id"].tolist()[:4] == ["CN1001", "CN1002", "CN1003", "CN1004"]
    assert set(df["visit_date"]) == {"2026-12-01"}
    assert (df["outcome"] == "").all() and (df["amount_paid"] == "").all()
    assert df.loc[df["account_id"] == "CN1004", "stop_no"].item() == "5"


def test_agent_csv_keeps_itinerary_rows(plan_dir: Path) -> None:
    """An agent's CSV has its rows in order with the contract columns first."""
    write_dispatch_outputs(plan_dir)
    df = pd.read_csv(plan_dir / "agents" / "A01.csv", dtype=str, keep_default_na=False)
    assert list(df.columns[:3]) == ["date", "agent_id", "stop_no"]
    assert df["kind"].tolist() == ["start", "visit", "visit", "visit", "break", "visit", "end"]
    assert df["days_past_due"].tolist()[1] == "184"
    assert set(df["agent_id"]) == {"A01"}


def test_path_traversal_agent_id_stays_inside(plan_dir: Path, tmp_path: Path) -> None:
    """An agent id like ../../x writes its sheet and CSV inside the plan folder."""
    for name in ("itineraries.csv", "checklist.csv"):
        df = pd.read_csv(plan_dir / name, dtype=str, keep_default_na=False)
        df["agent_id"] = df["agent_id"].replace({"A01": "../../x"})
        df.to_csv(plan_dir / name, index=False)
    summary = json.loads((plan_dir / "summary.json").read_text(encoding="utf-8"))
    summary["agents"][0]["agent_id"] = "../../x"
    (plan_dir / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    written = write_dispatch_outputs(plan_dir)
    base = plan_dir.resolve()
    for path in written:
        assert base in path.resolve().parents, path
    assert not list(tmp_path.parent.glob("x.*")) and not list(tmp_path.glob("x.*"))
    sheets = sorted(p.name for p in (plan_dir / "sheets").iterdir())
    assert len(sheets) == 2 and "A02.html" in sheets
    index = (plan_dir / "index.html").read_text(encoding="utf-8")
    stem = file_stems(["../../x"])["../../x"]
    assert f'href="sheets/{stem}.html"' in index


def test_redraw_after_edit_prunes_stale_sheets(plan_dir: Path) -> None:
    """After the dispatcher removes all of A02's visits, A02's sheet and CSV disappear."""
    write_dispatch_outputs(plan_dir)
    df = pd.read_csv(plan_dir / "itineraries.csv", dtype=str, keep_default_na=False)
    df = df[df["agent_id"] != "A02"]
    df.to_csv(plan_dir / "itineraries.csv", index=False)
    (plan_dir / "sheets" / "notes.txt").write_text("keep me", encoding="utf-8")
    write_dispatch_outputs(plan_dir)
    assert sorted(p.name for p in (plan_dir / "sheets").iterdir()) == ["A01.html", "notes.txt"]
    assert sorted(p.name for p in (plan_dir / "agents").iterdir()) == ["A01.csv"]
    html = (plan_dir / "map.html").read_text(encoding="utf-8")
    assert _stop_markers(html) == 4


def test_neutralised_input_round_trips(plan_dir: Path) -> None:
    """An itinerary written by routeplan (cells already neutralised) redraws without doubling."""
    df = pd.read_csv(plan_dir / "itineraries.csv", dtype=str, keep_default_na=False)
    df["address"] = df["address"].map(lambda v: "'" + v if v.startswith("=") else v)
    df.to_csv(plan_dir / "itineraries.csv", index=False)
    write_dispatch_outputs(plan_dir)
    cells = [c for row in _csv_cells(plan_dir / "agents" / "A01.csv") for c in row]
    assert "'" + HOSTILE_ADDRESS in cells and "''" + HOSTILE_ADDRESS not in cells


# --- command line -------------------------------------------------------------------------


def test_map_command_writes_outputs(plan_dir: Path) -> None:
    """routeplan map PLAN_DIR redraws and reports what it wrote."""
    result = CliRunner().invoke(map_command, [str(plan_dir), "--show-names"])
    assert result.exit_code == 0, result.output
    assert "Wrote 7 files" in result.output and "2 sheets" in result.output
    assert "王小明" in (plan_dir / "map.html").read_text(encoding="utf-8")


def test_map_command_errors(plan_dir: Path, tmp_path: Path) -> None:
    """A bad plan file exits 1 with a one-line message; a missing folder is a usage error."""
    (plan_dir / "dropped.csv").write_text("account_id\nX\n", encoding="utf-8")
    result = CliRunner().invoke(map_command, [str(plan_dir)])
    assert result.exit_code == 1
    assert "dropped.csv, column reason: required column missing" in result.output
    assert "Traceback" not in result.output
    missing = CliRunner().invoke(map_command, [str(tmp_path / "absent")])
    assert missing.exit_code == 2


def test_map_command_help_has_example() -> None:
    """The command's help text includes an Example."""
    result = CliRunner().invoke(map_command, ["--help"])
    assert result.exit_code == 0 and "Example:" in result.output
    assert "--show-names" in result.output


def test_itinerary_visiting_an_excluded_account_is_refused(plan_dir: Path) -> None:
    """A hand-added visit to an excluded account stops the redraw, naming row and reason."""
    df = pd.read_csv(plan_dir / "itineraries.csv", dtype=str, keep_default_na=False)
    df.loc[1, "account_id"] = "EXC4001"
    df.to_csv(plan_dir / "itineraries.csv", index=False)
    with pytest.raises(InputError, match=r"row 3, column account_id: 'EXC4001' is excluded"):
        write_dispatch_outputs(plan_dir)
    assert not (plan_dir / "map.html").exists()


def test_dropped_account_moved_onto_a_route_is_drawn_once(plan_dir: Path) -> None:
    """A dropped account the dispatcher put on a route is a stop, not also a grey marker."""
    df = pd.read_csv(plan_dir / "itineraries.csv", dtype=str, keep_default_na=False)
    df.loc[1, "account_id"] = "CN3001"
    df.to_csv(plan_dir / "itineraries.csv", index=False)
    html = _map_html(plan_dir)
    assert "Not planned: CN3001" not in html
    assert "Not planned: CN3002" in html
    assert _stop_markers(html) == VISITS


def test_header_only_itinerary_writes_empty_outputs(plan_dir: Path) -> None:
    """A plan with no rows writes an empty map, no sheets and a header-only template."""
    header = (plan_dir / "itineraries.csv").read_text(encoding="utf-8").splitlines()[0]
    (plan_dir / "itineraries.csv").write_text(header + "\n", encoding="utf-8")
    written = write_dispatch_outputs(plan_dir)
    assert sorted(p.name for p in written) == ["index.html", "map.html", "outcomes_template.csv"]
    assert _csv_cells(plan_dir / "outcomes_template.csv") == [list(OUTCOME_TEMPLATE_COLUMNS)]
    assert _stop_markers((plan_dir / "map.html").read_text(encoding="utf-8")) == 0


def test_minimal_summary_and_missing_base_rows(plan_dir: Path) -> None:
    """Without agents in summary.json and without start/end rows, names come from the itinerary."""
    (plan_dir / "summary.json").write_text('{"date": "2026-12-01"}', encoding="utf-8")
    df = pd.read_csv(plan_dir / "itineraries.csv", dtype=str, keep_default_na=False)
    df[~df["kind"].isin(["start", "end"])].to_csv(plan_dir / "itineraries.csv", index=False)
    write_dispatch_outputs(plan_dir)
    html = (plan_dir / "map.html").read_text(encoding="utf-8")
    assert _stop_markers(html) == VISITS
    assert '"className": "rp-base"' not in html
    sheet = (plan_dir / "sheets" / "A01.html").read_text(encoding="utf-8")
    assert "Route sheet · 张伟" in sheet and sheet.count('<section class="stop"') == 4
    assert "Depart from base" not in sheet


# --- hostile plan folders -------------------------------------------------------------------


def _one_line_map_error(plan_dir: Path, *needles: str) -> str:
    """Run ``routeplan map`` and assert exit 1 with one line holding every needle."""
    result = CliRunner().invoke(map_command, [str(plan_dir)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("sub", ["sheets", "agents"])
def test_linked_out_subfolder_is_refused_and_left_alone(
    plan_dir: Path, tmp_path: Path, sub: str
) -> None:
    """A sheets/ or agents/ link leaving the folder: one line, nothing written or pruned there."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "old.html").write_text("keep", encoding="utf-8")
    (elsewhere / "old.csv").write_text("keep", encoding="utf-8")
    (plan_dir / sub).symlink_to(elsewhere, target_is_directory=True)
    # even with no visits at all (nothing to write there, only stale files to prune)
    header = (plan_dir / "itineraries.csv").read_text(encoding="utf-8").splitlines()[0]
    (plan_dir / "itineraries.csv").write_text(header + "\n", encoding="utf-8")
    _one_line_map_error(plan_dir, sub, "outside the plan folder")
    assert sorted(p.name for p in elsewhere.iterdir()) == ["old.csv", "old.html"]


def test_link_loop_subfolder_is_one_line(plan_dir: Path) -> None:
    """A sheets/ link pointing at itself is refused in one line, not a RuntimeError."""
    (plan_dir / "sheets").symlink_to(plan_dir / "sheets")
    _one_line_map_error(plan_dir, "sheets")


def test_map_command_unwritable_output_is_one_line(plan_dir: Path) -> None:
    """An OSError while writing (a file where the sheets folder goes) is one line, exit 1."""
    (plan_dir / "sheets").write_text("not a folder", encoding="utf-8")
    _one_line_map_error(plan_dir, "sheets")


def _set_cell(path: Path, row: int, column: str, value: str) -> None:
    """Set one cell (``row`` = 0-based data row) of a plan CSV, keeping every other cell."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[row, column] = value
    df.to_csv(path, index=False)


@pytest.mark.parametrize(
    "column",
    [
        "stop_no",
        "lat",
        "lon",
        "travel_km",
        "travel_min",
        "priority",
        "balance",
        "days_past_due",
        "expected_recovery",
    ],
)
@pytest.mark.parametrize("value", ["1e400", "-inf", "Infinity", "nan"])
def test_itinerary_non_finite_numbers_are_refused(plan_dir: Path, column: str, value: str) -> None:
    """inf, 1e400 and nan in any numeric itinerary cell are one line naming row and column."""
    _set_cell(plan_dir / "itineraries.csv", 1, column, value)
    line = _one_line_map_error(plan_dir, "itineraries.csv", "row 3", f"column {column}")
    assert "number" in line


@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        ("days_past_due", "1e300", "too large"),
        ("balance", "-2e16", "too large"),
        ("stop_no", "1.5", "not a whole number"),
        ("stop_no", "-1", "not a whole number"),
        ("stop_no", "1e12", "not a whole number"),
    ],
)
def test_itinerary_out_of_range_numbers_are_refused(
    plan_dir: Path, column: str, value: str, problem: str
) -> None:
    """Numbers too large to sum or cast, and stop numbers that are not 0, 1, 2..., are refused."""
    _set_cell(plan_dir / "itineraries.csv", 1, column, value)
    _one_line_map_error(plan_dir, "itineraries.csv", "row 3", f"column {column}", problem)


@pytest.mark.parametrize("column", ["lat", "lon", "balance", "priority", "expected_recovery"])
def test_dropped_non_finite_numbers_are_refused(plan_dir: Path, column: str) -> None:
    """A non-finite number in dropped.csv is one line naming its row and column."""
    _set_cell(plan_dir / "dropped.csv", 2, column, "1e400")
    _one_line_map_error(plan_dir, "dropped.csv", "row 4", f"column {column}", "finite")


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        ('"travel_km": "far"', "key travel_km"),
        ('"travel_min": 1e400', "key travel_min"),
        ('"balance_covered": Infinity', "key balance_covered"),
        ('"expected_recovery_covered": NaN', "key expected_recovery_covered"),
        ('"travel_km": true', "key travel_km"),
        ('"travel_km": [1]', "key travel_km"),
        ('"travel_min": 1' + "0" * 400, "key travel_min"),
        ('"solver": {"runtime_s": "slow"}', "key solver.runtime_s"),
        ('"agents": [{"agent_id": "A01", "travel_km": "x"}]', "key agents[0].travel_km"),
        ('"agents": [{"agent_id": "A01", "visits": -1e400}]', "key agents[0].visits"),
    ],
)
def test_summary_figures_must_be_finite_numbers(plan_dir: Path, edit: str, key: str) -> None:
    """A summary.json figure that is text, a boolean, a list or not finite is named in one line."""
    (plan_dir / "summary.json").write_text('{"date": "2026-12-01", ' + edit + "}", encoding="utf-8")
    _one_line_map_error(plan_dir, "summary.json", key)


def test_summary_numbers_written_as_text_are_read(plan_dir: Path) -> None:
    """A figure quoted as text ("20.4") is that number; null figures are simply left out."""
    summary = json.loads((plan_dir / "summary.json").read_text(encoding="utf-8"))
    summary["travel_km"] = "1,020.4"
    summary["balance_covered"] = None
    summary["solver"]["runtime_s"] = "1.5"
    (plan_dir / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    plan = read_plan_folder(plan_dir)
    assert plan.summary.solver is not None
    assert plan.summary.travel_km == 1020.4 and plan.summary.solver.runtime_s == 1.5
    write_dispatch_outputs(plan_dir, language="en")
    index = (plan_dir / "index.html").read_text(encoding="utf-8")
    assert "1,020.4 km" in index and "1.50 s" in index and "<th>Balance</th>" not in index


def test_problem_rows_count_blank_lines_and_quoted_breaks(plan_dir: Path) -> None:
    """Rows are named as a spreadsheet shows them: blank lines count, a quoted break does not."""
    path = plan_dir / "itineraries.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    # a two-line cell in row 3, a blank line as row 4, then the bad cell in spreadsheet row 5
    # (line 6 of the file; row 4 if blank lines were not counted)
    lines[2] = lines[2].replace('"184 days past due', '"184 days\npast due')
    lines.insert(3, "")
    lines[4] = lines[4].replace("31.2455", "north")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _one_line_map_error(plan_dir, "itineraries.csv", "row 5, column lat: 'north'")


def test_ragged_and_broken_csv_rows_are_one_line(plan_dir: Path) -> None:
    """A row with too many values, or a quote never closed, is named in one line."""
    path = plan_dir / "dropped.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "CN9,x,y,1,2,3,4,5,6,7\n", encoding="utf-8")
    _one_line_map_error(plan_dir, "dropped.csv", "row 6", "10 values", "8 columns")
    path.write_text(text + 'CN9,"never closed\n', encoding="utf-8")
    _one_line_map_error(plan_dir, "dropped.csv", "row 6", "never closed")


def test_trailing_empty_cells_and_short_rows_are_read(plan_dir: Path) -> None:
    """Spreadsheet extras are fine: trailing empty cells, short rows padded, separator-only rows."""
    path = plan_dir / "dropped.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] += ",,"
    lines[2] = ",".join(lines[2].split(",")[:2])
    lines.append(",,,,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    dropped = read_plan_folder(plan_dir).dropped
    assert len(dropped) == 4 and list(dropped.columns)[:2] == ["account_id", "reason"]
    assert dropped.loc[1, "detail"] == "" and pd.isna(dropped.loc[1, "lat"])


def test_repeated_column_is_refused(plan_dir: Path) -> None:
    """A header naming a column twice is refused (which one would be meant?)."""
    path = plan_dir / "dropped.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [line + ",x" for line in lines]
    lines[0] = lines[0][: -len(",x")] + ",lat"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _one_line_map_error(plan_dir, "dropped.csv", "column lat", "more than once")


def test_formatters_never_raise() -> None:
    """money/number/integer show a non-finite or non-numeric value as written, never raise."""
    assert (money(58200), number(12.66), integer(183.6)) == ("58,200.00", "12.7", "184")
    assert (money(None), number(float("nan")), integer("")) == ("", "", "")
    assert integer(float("inf")) == "inf" and money("far") == "far"
    assert number(10**400) == str(10**400) and integer(True) == "True"


def test_agent_csv_keeps_huge_whole_numbers_as_floats() -> None:
    """A whole number too large for int64 does not stop the per-agent export."""
    itin = pd.read_csv(FIXTURE / "itineraries.csv", dtype=str, keep_default_na=False)
    itin["days_past_due"] = pd.to_numeric(itin["days_past_due"], errors="coerce")
    itin.loc[1, "days_past_due"] = 1e300
    rows = agent_itinerary(itin, "A01")
    assert rows["days_past_due"].dtype == float and rows.loc[1, "days_past_due"] == 1e300


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("[" * 100_000, "nested too deeply"),
        ('{"travel_km": ' + "1" * 5000 + "}", "digits"),
        ('{"date": "2026-12-01",', "not valid JSON"),
    ],
)
def test_unusable_summary_json_is_one_line(plan_dir: Path, content: str, problem: str) -> None:
    """Deep nesting or a 5000-digit integer in summary.json is one line, not a Python error."""
    (plan_dir / "summary.json").write_text(content, encoding="utf-8")
    _one_line_map_error(plan_dir, "summary.json", problem)


@pytest.mark.parametrize("name", ["summary.json", "itineraries.csv", "checklist.csv"])
def test_plan_file_that_is_not_a_regular_file(plan_dir: Path, name: str) -> None:
    """A plan file replaced by a FIFO (reading would block) or a folder is one line."""
    (plan_dir / name).unlink()
    os.mkfifo(plan_dir / name)
    _one_line_map_error(plan_dir, name, "not a regular file")
    (plan_dir / name).unlink()
    (plan_dir / name).mkdir()
    _one_line_map_error(plan_dir, name, "not a regular file")
