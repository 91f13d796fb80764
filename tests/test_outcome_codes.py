"""One list of outcome codes and one set of outcome fields, on paper and in the files.

The route sheet's outcome box, ``routeplan record`` and the README's
description of ``outcomes_template.csv`` must offer the same codes, and every
field printed in the outcome box must be a column of the template.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from routeplan import schema as S
from routeplan.outcomes import validate_outcomes
from routeplan.present import write_dispatch_outputs
from tests.helpers import ROOT

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "plan_small"


@pytest.fixture
def written(tmp_path: Path) -> Path:
    """The small fixture plan with its sheets and outcomes template written."""
    dest = tmp_path / "plan"
    shutil.copytree(FIXTURE, dest)
    write_dispatch_outputs(dest)
    return dest


def _outcome_boxes(plan: Path) -> list[str]:
    """Return the HTML of every outcome box of every route sheet of the plan."""
    boxes: list[str] = []
    for sheet in sorted((plan / "sheets").glob("*.html")):
        html = sheet.read_text(encoding="utf-8")
        boxes += re.findall(r'<div class="outcome">(.*?)\n</div>\n</div>', html, re.DOTALL)
    assert boxes, "no outcome box found"
    return boxes


def _printed_codes(box: str) -> list[str]:
    """Return the codes printed next to a tick box in an outcome box, in order."""
    # the words, then the code beside them: ``部分还款 (<code>partial_payment</code>)``
    return re.findall(
        r'<span data-code="([a-z_]+)"><span class="box"></span>[^<]*\(<code>\1</code>\)', box
    )


def _readme_codes() -> list[str]:
    """Return the codes README.md gives for the outcome column of outcomes_template.csv."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    para = re.search(r"Outcome codes \(the `outcome` column.*?\n\n", text, re.DOTALL)
    assert para, "README.md does not list the outcome codes of outcomes_template.csv"
    return re.findall(r"`([a-z_]+)`", para[0].split(":", 1)[1])


def _accepted(codes: list[str]) -> set[str]:
    """Return the codes ``record``'s validation accepts, one visit row per code."""
    rows = pd.DataFrame(
        [
            {
                S.ACCOUNT_ID: "A1",
                S.AGENT_ID: "AG1",
                S.VISIT_DATE: f"2026-11-{day:02d}",
                S.OUTCOME: code,
                S.AMOUNT_PAID: "100" if code in ("paid", "partial_payment") else "",
                S.PTP_DATE: "2026-12-20" if code == "ptp" else "",
                S.PTP_AMOUNT: "",
                S.NOTES: "",
            }
            for day, code in enumerate(codes, start=1)
        ]
    )
    got = validate_outcomes(
        rows, file="o.csv", today=dt.date(2026, 12, 1), known_accounts={"A1"}, known_agents={"AG1"}
    )
    return set(got.rows[S.OUTCOME])


def test_sheet_record_and_readme_offer_the_same_codes(written: Path) -> None:
    """The codes on every sheet == the codes record accepts == the codes README documents."""
    on_paper = [_printed_codes(box) for box in _outcome_boxes(written)]
    assert all(codes == on_paper[0] for codes in on_paper)
    sheet = on_paper[0]
    assert len(sheet) == len(set(sheet)) == 15
    common = "paid partial_payment ptp not_home refused dispute hardship moved wrong_address"
    assert sheet[:9] == common.split(), "the common codes come first"
    assert _accepted(sheet) == set(sheet), "record refuses a code the sheet offers"
    unlisted = ["no_answer", "callback", "paid_in_full"]
    assert _accepted(unlisted) == set(), "record accepts a code the sheet does not offer"
    assert _readme_codes() == sheet


def test_every_outcome_box_field_is_a_template_column(written: Path) -> None:
    """Each write-in field of the outcome box names a template column; none is missing."""
    with (written / "outcomes_template.csv").open(encoding="utf-8-sig", newline="") as fh:
        template = next(csv.reader(fh))
    for box in _outcome_boxes(written):
        blanks = re.findall(r'<span class="blank[^"]*"[^>]*>', box)
        fields = re.findall(r'<span class="blank" data-column="([a-z_]+)"></span>', box)
        assert len(fields) == len(blanks), f"a field without a template column: {blanks}"
        assert set(fields) <= set(template)
        # everything the agent fills in on paper is a field, and the other way round: the
        # outcome columns and the proof a pen can give (times at the door, the receipt);
        # position, accuracy and photo come from a phone, evidence from the checklist's ticks
        paper_proof = {S.CHECKIN_TIME, S.CHECKOUT_TIME, S.RECEIPT_NO}
        assert {S.OUTCOME, *fields} == (
            set(S.OUTCOME_COLUMNS) - set(S.OUTCOME_REQUIRED[:3])
        ) | paper_proof
