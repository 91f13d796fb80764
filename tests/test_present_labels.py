"""Outputs in the team's language: the label table, plain "why today", zh/en plans and redraws."""

from __future__ import annotations

import json
import re
import shutil
import string
from html.parser import HTMLParser
from pathlib import Path

import folium
import pandas as pd
import pytest
from folium.plugins import FastMarkerCluster

from routeplan import schema as S
from routeplan.config import OUTPUT_LANGUAGES
from routeplan.errors import InputError
from routeplan.present import read_plan_folder, write_dispatch_outputs
from routeplan.present.labels import LABELS, Labels, plan_language
from routeplan.present.map import build_map, render_map
from routeplan.summary import PlanSummary
from tests.helpers import plan_tiny, run

FIXTURE = Path(__file__).parent / "fixtures" / "plan_small"


def _fields(template: str) -> set[str]:
    """Return the ``{placeholders}`` of a format string."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_label_has_every_language_and_the_same_placeholders() -> None:
    """Each entry of the table has a non-empty text per output language, same placeholders."""
    assert len(LABELS) > 150
    for key, texts in LABELS.items():
        assert set(texts) == set(OUTPUT_LANGUAGES), key
        assert all(t.strip() for t in texts.values()), key
        assert len({frozenset(_fields(t)) for t in texts.values()}) == 1, key


def test_every_code_printed_has_words() -> None:
    """Every outcome code `record` accepts and every dropped reason code has an entry."""
    for code in S.OUTCOME_CODES:
        assert f"outcome.{code}" in LABELS, code
    reasons = [v for k, v in vars(S).items() if k.startswith("DR_")]
    assert len(reasons) >= 6
    for code in reasons:
        assert f"reason.{code}" in LABELS, code


def test_outcome_codes_are_words_with_the_code_beside_them() -> None:
    """partial_payment is 部分还款 (partial_payment) in zh; unknown codes stay as written."""
    assert Labels("zh").outcome("partial_payment") == "部分还款 (partial_payment)"
    assert Labels("en").outcome("wrong_address") == "Wrong address (wrong_address)"
    assert Labels("zh").outcome("brand_new") == "brand_new"
    assert Labels("zh").reason("no_agent_with_skill") == "今天没有具备所需技能或语言的外访员"
    assert Labels("en").reason("some_new_reason") == "some new reason"
    with pytest.raises(ValueError, match="language must be one of zh, en"):
        Labels("fr")


@pytest.mark.parametrize(
    ("facts", "dpd", "language", "expected"),
    [
        (
            "days_past_due=184;broken_promises=2;last_payment_days=200;last_contact=refused",
            None,
            "en",
            "184 days overdue; promised to pay and broke it 2 times; paid nothing in 6 months; "
            "last call: refused",
        ),
        (
            "days_past_due=184;broken_promises=2;last_payment_days=200;last_contact=refused",
            None,
            "zh",
            "逾期 184 天；承诺还款后 2 次未兑现；6 个月未还款；最近一次电话联系：拒绝沟通",
        ),
        (
            "days_past_due=95;broken_promises=1;last_payment_days=never;hardship=yes",
            None,
            "en",
            "95 days overdue; promised to pay and broke it once; never paid; "
            "declared hardship: offer relief first",
        ),
        (
            "days_past_due=120;last_payment_days=1",
            None,
            "en",
            "120 days overdue; last paid yesterday",
        ),
        (
            "last_payment_days=12;last_contact=odd_code",
            300,
            "en",
            "300 days overdue; last paid 12 days ago; last call: odd code",
        ),
        ("", 150.0, "zh", "逾期 150 天"),
        ("garbage;=;days_past_due=abc;x=1", None, "en", ""),
    ],
)
def test_why_today_in_plain_words(facts: str, dpd: object, language: str, expected: str) -> None:
    """The why_today facts read as plain words in each language; malformed parts are skipped."""
    assert Labels(language).why_today(facts, dpd) == expected


def test_plan_language_order() -> None:
    """--language wins, then summary.json's output.language, then the jurisdiction's."""

    def summary(data: dict[str, object]) -> PlanSummary:
        return PlanSummary.from_json(data)

    assert plan_language(summary({"jurisdiction": "CN"})) == "zh"
    assert plan_language(summary({"jurisdiction": "UK"})) == "en"
    assert plan_language(summary({})) == "en"
    assert plan_language(summary({"jurisdiction": "CN", "output": {"language": "en"}})) == "en"
    assert plan_language(summary({"jurisdiction": "US", "output": {"language": ""}})) == "en"
    assert (
        plan_language(summary({"jurisdiction": "CN", "output": {"language": "en"}}), "zh") == "zh"
    )


# --- no English label in a Chinese plan --------------------------------------------------


class _Text(HTMLParser):
    """Collect the text a reader sees (scripts, styles and printed ``<code>`` codes left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "code"):
            self._skip += 1
        for name, value in attrs:
            if name in ("title", "aria-label") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _visible(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def _english_fragments() -> list[str]:
    """Return the English pieces of every label that the Chinese text does not share.

    A piece is the text between placeholders, trimmed of punctuation, with a word of
    at least three letters (``Why today``, ``days overdue``, ``Not planned``).
    """
    pieces = set()
    for texts in LABELS.values():
        if texts["en"] == texts["zh"]:
            continue
        for literal, *_ in string.Formatter().parse(texts["en"]):
            piece = literal.strip(" ·,:;()—-–./?")
            if re.search(r"[A-Za-z]{3,}", piece) and piece not in texts["zh"]:
                pieces.add(piece)
    return sorted(pieces)


def _count(text: str, piece: str) -> int:
    """Count ``piece`` as whole words in ``text`` (JavaScript ``\\uXXXX`` escapes decoded)."""
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    return len(re.findall(rf"(?<![A-Za-z]){re.escape(piece)}(?![A-Za-z])", text))


@pytest.fixture
def zh_plan(tmp_path: Path) -> Path:
    """The small plan folder with its data in Chinese (so any English left is a label)."""
    folder = tmp_path / "plan"
    shutil.copytree(FIXTURE, folder)
    itin = pd.read_csv(folder / "itineraries.csv", dtype=str, keep_default_na=False)
    visits = itin["kind"] == "visit"
    itin.loc[visits, "chosen_because"] = ""
    itin.loc[visits, "why_today"] = (
        "days_past_due=184;broken_promises=2;last_payment_days=200;last_contact=refused;"
        "hardship=yes"
    )
    itin.to_csv(folder / "itineraries.csv", index=False)
    checklist = pd.read_csv(folder / "checklist.csv", dtype=str, keep_default_na=False)
    checklist["item"] = "工作证"
    checklist["reason"] = "上门前出示"
    checklist.loc[checklist.index % 3 == 0, "item"] = "分期还款：6 个月"
    checklist.to_csv(folder / "checklist.csv", index=False)
    dropped = pd.read_csv(folder / "dropped.csv", dtype=str, keep_default_na=False)
    dropped["detail"] = "说明"
    dropped.to_csv(folder / "dropped.csv", index=False)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    for agent in summary["agents"]:
        agent["unusable_reason"] = "工作证已过期" if agent["unusable_reason"] else ""
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return folder


def test_no_english_label_leaks_into_a_zh_sheet_or_index(zh_plan: Path) -> None:
    """A CN plan's sheets and index show no English piece of any label, and use Chinese ones."""
    write_dispatch_outputs(zh_plan)
    pages = {p.name: p.read_text(encoding="utf-8") for p in (zh_plan / "sheets").glob("*.html")}
    pages["index.html"] = (zh_plan / "index.html").read_text(encoding="utf-8")
    fragments = _english_fragments()
    assert "Why today" in fragments and "days overdue" in fragments and "Not planned" in fragments
    for name, html in pages.items():
        assert '<html lang="zh-CN">' in html, name
        text = _visible(html)
        leaks = [f for f in fragments if _count(text, f)]
        assert leaks == [], (name, leaks)
    sheet = _visible(pages["A01.html"])
    for chinese in ("外访路线单", "今日拜访原因", "逾期 184 天", "未兑现", "星期二"):
        assert chinese in sheet, chinese
    assert "部分还款 (<code>partial_payment</code>)" in pages["A01.html"]
    assert "balance" not in sheet.lower(), "no scoring formula on the agent's sheet"


def test_no_english_label_leaks_into_a_zh_map(zh_plan: Path) -> None:
    """The zh map holds no English label piece beyond what folium's own code contains."""
    plan = read_plan_folder(zh_plan)
    html = render_map(build_map(plan.itineraries, plan.dropped, plan.summary, plan.checklist))
    bare = folium.Map()
    group = folium.FeatureGroup(name="x").add_to(bare)
    folium.Marker(
        (0, 0), icon=folium.DivIcon(html="x"), popup=folium.Popup("x"), tooltip="x"
    ).add_to(group)
    folium.PolyLine([(0, 0), (1, 1)], tooltip="x").add_to(group)
    FastMarkerCluster([[0, 0]], callback="function (r) {}", icon_create_function="f").add_to(bare)
    folium.LayerControl().add_to(bare)
    boilerplate = bare.get_root().render()
    leaks = [f for f in _english_fragments() if _count(html, f) > _count(boilerplate, f)]
    assert leaks == []
    assert '<html lang="zh-CN">' in html
    for chinese in (
        "未安排（灰色，无编号）· 3",
        "外访员（2）",
        "今日拜访原因",
        "逾期 184 天",
        "预期回收",
    ):
        assert chinese in html, chinese


def test_a_bad_language_in_summary_json_is_one_line(zh_plan: Path) -> None:
    """summary.json naming a language the outputs do not have is refused, naming the key."""
    summary = json.loads((zh_plan / "summary.json").read_text(encoding="utf-8"))
    summary["output"] = {"language": "klingon"}
    (zh_plan / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    with pytest.raises(InputError, match=r"summary\.json, key output\.language: 'klingon'"):
        write_dispatch_outputs(zh_plan)


# --- through the command line -------------------------------------------------------------


def _sheet(out: Path) -> str:
    return _visible(sorted((out / "sheets").glob("*.html"))[0].read_text(encoding="utf-8"))


def test_cn_plan_is_in_chinese_with_plain_why_today(tiny_dir: Path, tmp_path: Path) -> None:
    """A CN plan's sheets are Chinese, say why in plain words and record zh in summary.json."""
    out = tmp_path / "plan"
    res = plan_tiny(tiny_dir, out)
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["output"] == {"language": "zh", "offline_assets": False}
    itin = pd.read_csv(out / "itineraries.csv", dtype=str, keep_default_na=False)
    acc03 = itin[itin["account_id"] == "ACC03"]
    assert acc03["why_today"].tolist() == [
        "days_past_due=400;broken_promises=2;last_payment_days=30;last_contact=ptp"
    ]
    sheet = _sheet(out)
    assert "今日拜访原因" in sheet and "Why today" not in sheet
    assert re.search(r"逾期 \d+ 天", sheet)
    assert not re.search(r"balance [\d,]+ x \d+%", sheet), "the scoring formula is not shown"
    html = sorted((out / "sheets").glob("*.html"))[0].read_text(encoding="utf-8")
    assert "无人在家 (<code>not_home</code>)" in html


def test_language_flag_config_and_redraw(tiny_dir: Path, tmp_path: Path) -> None:
    """--language en gives English; map redraws in the plan's language unless told otherwise."""
    out = tmp_path / "plan"
    assert plan_tiny(tiny_dir, out, "--language", "en").exit_code == 0
    sheet = _sheet(out)
    assert "Why today" in sheet and re.search(r"\d+ days overdue", sheet)
    assert "Not at home" in sheet and "今日拜访原因" not in sheet
    assert not re.search(r"balance [\d,]+ x \d+%", sheet)
    assert run("map", out).exit_code == 0
    assert "Why today" in _sheet(out), "redrawn in the language the plan was made in"
    assert re.search(r"Visits: \d+ by \d+ agents", (out / "map.html").read_text(encoding="utf-8"))
    assert run("map", out, "--language", "zh").exit_code == 0
    assert "今日拜访原因" in _sheet(out)
    assert '<html lang="zh-CN">' in (out / "index.html").read_text(encoding="utf-8")

    us = tmp_path / "us"
    assert plan_tiny(tiny_dir, us, "--jurisdiction", "US").exit_code == 0
    assert "Why today" in _sheet(us), "outside CN the default is English"
    config = tmp_path / "routeplan.toml"
    config.write_text('[output]\nlanguage = "en"\n', encoding="utf-8")
    cfg = tmp_path / "cfg"
    assert plan_tiny(tiny_dir, cfg, "--config", str(config)).exit_code == 0
    assert "Why today" in _sheet(cfg)
    bad = run("map", out, "--language", "fr")
    assert bad.exit_code == 2
