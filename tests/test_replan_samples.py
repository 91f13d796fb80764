"""`routeplan replan` end to end on the sample day (1,650 accounts, 25 agents).

The events are drawn from the morning plan the solver made (whichever it is):
an agent with visits left falls sick, another reports its first visit done, a
planned account pays by transfer, a debtor moves his window, an account the
morning left out becomes urgent. The revision must pass `routeplan check`
against the sample files, keep the morning folder as it was, and leave the
sheet of every agent it does not tell about byte for byte as it was.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.helpers import DATE, SAMPLES, check_tiny, plan_tiny, read_csv, run

EVENT_HEADER = "time,event,agent_id,account_id,arrival,service_end,lat,lon,windows,outcome,note"


@pytest.fixture(scope="module")
def sample_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample day planned with a 5 s search."""
    out = tmp_path_factory.mktemp("samples") / "plan"
    res = plan_tiny(SAMPLES, out, time_limit="5")
    assert res.exit_code == 0, res.output
    return out


def _events(plan: Path) -> tuple[list[str], dict[str, str]]:
    """Return event rows drawn from the plan, and who/what each concerns."""
    it = read_csv(plan / "itineraries.csv")
    v = it[it["kind"] == "visit"]
    later = v[v["service_start"] >= "11:00"]
    counts = later.groupby("agent_id").size().sort_values(ascending=False)
    sick = str(counts.index[0])
    first = v[v["agent_id"] != sick].iloc[0]
    others = later[~later["agent_id"].isin([sick, first["agent_id"]])]
    removed = others.iloc[0]
    moved = others[others["agent_id"] != removed["agent_id"]].iloc[-1]
    dropped = read_csv(plan / "dropped.csv")
    urgent = dropped[dropped["reason"] == "lower_value_than_planned_visits"].iloc[0]
    rows = [
        f"10:30,unavailable_from,{sick},,,,,,,,sick",
        f"10:40,done,{first['agent_id']},{first['account_id']},{first['arrival']},"
        f"{first['service_end']},,,,,",
        f"10:45,remove,,{removed['account_id']},,,,,,,paid by transfer",
        f"10:50,new_window,,{moved['account_id']},,,,,17:00-19:00,,after work",
        f"10:55,urgent,,{urgent['account_id']},,,,,,,promise broken",
    ]
    who = {
        "sick": sick,
        "removed": str(removed["account_id"]),
        "moved": str(moved["account_id"]),
        "urgent": str(urgent["account_id"]),
    }
    return rows, who


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "r1" not in p.relative_to(folder).parts
    }


def test_the_sample_day_is_replanned_at_11(sample_plan: Path) -> None:
    """Revision 1 at 11:00: check passes, the morning folder is untouched, what changed is
    told, every other agent's sheet is the morning's byte for byte."""
    rows, who = _events(sample_plan)
    events = sample_plan.parent / "events.csv"
    events.write_text(EVENT_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    before = _digest(sample_plan)
    out = sample_plan / "r1"
    res = run(
        "replan",
        sample_plan,
        "--events",
        events,
        "--at",
        "11:00",
        "--date",
        DATE,
        "--out",
        out,
        "--time-limit",
        "3",
        "-q",
    )
    assert res.exit_code == 0, res.output
    assert _digest(sample_plan) == before
    check = check_tiny(SAMPLES, out)
    assert check.exit_code == 0, check.output
    it = read_csv(out / "itineraries.csv")
    sick_visits = it[(it["agent_id"] == who["sick"]) & (it["kind"] == "visit")]
    assert (sick_visits["service_start"] < "10:30").all()
    dropped = read_csv(out / "dropped.csv").set_index("account_id")
    assert dropped.loc[who["removed"], "reason"] == "account_removed"
    moved = it[it["account_id"] == who["moved"]]
    if len(moved):
        assert moved["service_start"].iloc[0] >= "17:00"
    changes = read_csv(out / "changes.csv")
    told = set(changes["agent_id"])
    assert who["sick"] in told
    assert {p.stem for p in (out / "messages").iterdir()} == told
    for sheet in (sample_plan / "sheets").glob("*.html"):
        if sheet.stem not in told:
            assert (out / "sheets" / sheet.name).read_bytes() == sheet.read_bytes(), sheet.name
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["replan"]["revision"] == 1
    assert summary["replan"]["events_accepted"] == {
        "unavailable_from": 1,
        "done": 1,
        "remove": 1,
        "new_window": 1,
        "urgent": 1,
    }
    morning_agents = set(read_csv(sample_plan / "itineraries.csv")["agent_id"])
    assert len(told) < len(morning_agents) / 2  # most agents keep their day
