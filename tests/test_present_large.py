"""Write every dispatch output for a realistic large plan and check counts and time."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pandas as pd

from routeplan.present import write_dispatch_outputs
from tests.browser.fakeplan import make_plan_folder


def test_large_plan_outputs_are_complete_and_quick(tmp_path: Path) -> None:
    """300 visits, 25 agents, 2,000 dropped: 25 sheets, 300 markers, written in seconds."""
    folder = make_plan_folder(tmp_path / "large", agents=25, visits=300, dropped=2000)
    started = time.perf_counter()
    written = write_dispatch_outputs(folder, language="en")
    elapsed_s = time.perf_counter() - started
    print(f"dispatch outputs for 300 visits / 25 agents / 2000 dropped: {elapsed_s:.2f} s")

    assert len(written) == 1 + 25 + 1 + 25 + 1
    html = (folder / "map.html").read_text(encoding="utf-8")
    assert len(re.findall(r'"className": "rp-stop"', html)) == 300
    assert "Not planned: 2000 (40 without coordinates, not on the map)" in html
    template = pd.read_csv(folder / "outcomes_template.csv", dtype=str, keep_default_na=False)
    assert len(template) == 300 and template["account_id"].is_unique
    sheet = (folder / "sheets" / "SZ001.html").read_text(encoding="utf-8")
    assert sheet.count('<section class="stop"') == 12
    # Generous bound for a shared 2-core machine; measured about 1.5 s.
    assert elapsed_s < 60
