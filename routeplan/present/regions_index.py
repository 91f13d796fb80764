"""``index.html`` at the top of a regions run: every region, its figures and its plan.

Built from the run's ``summary.json`` alone; every value is escaped. The page
is in the run's language: Chinese when every region is planned under the
``CN`` profile, else English (a national run may span jurisdictions).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from routeplan.present.common import esc, integer, money, number, text

__all__ = ["REGION_LABELS", "build_regions_index", "run_language"]

#: every label of the page, in each output language
REGION_LABELS: dict[str, dict[str, str]] = {
    "title": {"en": "Regions · {date}", "zh": "各区域计划 · {date}"},
    "region": {"en": "Region", "zh": "区域"},
    "status": {"en": "Status", "zh": "状态"},
    "planned": {"en": "planned", "zh": "已计划"},
    "failed": {"en": "FAILED", "zh": "失败"},
    "zone": {"en": "Time zone", "zh": "时区"},
    "jurisdiction": {"en": "Rules", "zh": "规则"},
    "date": {"en": "Date", "zh": "日期"},
    "accounts": {"en": "Accounts", "zh": "账户"},
    "visits": {"en": "Visits", "zh": "拜访"},
    "agents": {"en": "Agents with visits", "zh": "有拜访的外访员"},
    "km": {"en": "km", "zh": "公里"},
    "recovery": {"en": "Expected recovery", "zh": "预计回收"},
    "reason": {"en": "Reason", "zh": "原因"},
    "total": {"en": "All regions", "zh": "合计"},
    "summary": {
        "en": "{planned} of {regions} regions planned, {failed} failed.",
        "zh": "共 {regions} 个区域：{planned} 个已计划，{failed} 个失败。",
    },
    "rejected": {
        "en": "Rows refused (bad data or region): {n}, see",
        "zh": "被拒绝的行（数据或区域问题）：{n}，见",
    },
    "unplanned": {
        "en": "Accounts of regions not planned: {n}, see",
        "zh": "未能计划的区域中的账户：{n}，见",
    },
    "idle": {
        "en": "Agents of regions without accounts (not planned)",
        "zh": "所在区域没有账户的外访员（未安排）",
    },
    "split": {"en": "How the regions were made", "zh": "区域划分方式"},
    "split_column": {
        "en": "By the column '{column}' of both input files.",
        "zh": "按两个输入文件中的“{column}”列划分。",
    },
}


def run_language(summary: Mapping[str, Any]) -> str:
    """Return ``zh`` when every region of the run is planned under CN rules, else ``en``."""
    codes = {text(r.get("jurisdiction")) for r in summary.get("regions", [])}
    return "zh" if codes == {"CN"} else "en"


def build_regions_index(summary: Mapping[str, Any], *, language: str | None = None) -> str:
    """Return the run's ``index.html``: a table of regions linking each plan folder's index."""
    lang = language or run_language(summary)

    def t(key: str, **values: Any) -> str:
        return REGION_LABELS[key][lang].format(**values)

    totals = summary.get("totals", {})
    date = text(summary.get("date")) or ", ".join(text(d) for d in summary.get("dates", []))
    heads = "region status zone jurisdiction date accounts visits agents km recovery reason"
    rows = [_row(r, t) for r in summary.get("regions", [])]
    rows.append(
        "<tr class='total'>"
        f"<th>{esc(t('total'))}</th><td></td><td></td><td></td><td></td>"
        f"<td class='num'>{integer(totals.get('accounts'))}</td>"
        f"<td class='num'>{integer(totals.get('visits'))}</td>"
        f"<td></td><td class='num'>{number(totals.get('travel_km'))}</td>"
        f"<td class='num'>{money(totals.get('expected_recovery_covered'))}</td><td></td></tr>"
    )
    idle = summary.get("agents_without_accounts") or {}
    idle_html = "".join(
        f"<li>{esc(region)}: {esc(', '.join(text(a) for a in agents))}</li>"
        for region, agents in idle.items()
    )
    split = summary.get("split") or {}
    how = split.get("rule") or (
        t("split_column", column=text(split.get("column"))) if split.get("column") else ""
    )
    return f"""<!DOCTYPE html>
<html lang="{esc(lang)}"><head><meta charset="utf-8">
<title>{esc(t("title", date=date))}</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: left; }}
td.num {{ text-align: right; }}
tr.failed td, tr.failed th {{ background: #fde0e0; }}
tr.total th, tr.total td {{ font-weight: bold; }}
</style></head>
<body>
<h1>{esc(t("title", date=date))}</h1>
<p>{
        esc(
            t(
                "summary",
                planned=totals.get("planned", 0),
                regions=totals.get("regions", 0),
                failed=totals.get("failed", 0),
            )
        )
    }</p>
<table>
<thead><tr>{"".join(f"<th>{esc(t(h))}</th>" for h in heads.split())}</tr></thead>
<tbody>
{"".join(rows)}
</tbody></table>
<p>{
        esc(t("rejected", n=totals.get("rejected_rows", 0)))
    } <a href="rejected.csv">rejected.csv</a></p>
<p>{
        esc(t("unplanned", n=totals.get("unplanned_accounts", 0)))
    } <a href="unplanned.csv">unplanned.csv</a></p>
{f"<h2>{esc(t('idle'))}</h2><ul>{idle_html}</ul>" if idle_html else ""}
<h2>{esc(t("split"))}</h2>
<p>{esc(how)}</p>
</body></html>
"""


def _row(r: Mapping[str, Any], t: Any) -> str:
    """Return one region's table row (its name links to its plan folder's index)."""
    ok = r.get("status") == "planned"
    name = esc(r.get("region"))
    folder = text(r.get("folder"))
    link = f"<a href='{esc(folder)}/index.html'>{name}</a>" if ok and folder else name
    cells = [
        f"<th>{link}</th>",
        f"<td>{esc(t('planned') if ok else t('failed'))}</td>",
        f"<td>{esc(r.get('timezone'))}</td>",
        f"<td>{esc(r.get('jurisdiction'))}</td>",
        f"<td>{esc(r.get('date'))}</td>",
        f"<td class='num'>{integer(r.get('accounts'))}</td>",
        f"<td class='num'>{integer(r.get('planned'))}</td>",
        f"<td class='num'>{integer(r.get('agents_with_visits'))}</td>",
        f"<td class='num'>{number(r.get('travel_km'))}</td>",
        f"<td class='num'>{money(r.get('expected_recovery_covered'))}</td>",
        f"<td>{esc(r.get('reason'))}</td>",
    ]
    return f"<tr class='{'ok' if ok else 'failed'}'>{''.join(cells)}</tr>\n"
