"""`routeplan replan` end to end on the sample day (1,650 accounts, 25 agents).

The morning plan is searched up to a number of solutions, not for a time, so it
is the same on a busy machine. The events are drawn from it (any valid plan
serves; an event the plan has nothing for is left out, and the counts expected
follow the events drawn): an agent with visits left falls sick, another reports
a visit it finished done, a planned account pays by transfer, a debtor moves his
window, an account the morning left out becomes urgent. The revision must pass
`routeplan check` against the sample files, keep the morning folder as it was,
and leave the sheet of every agent it does not tell about byte for byte as it was.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.helpers import DATE, SAMPLES, check_tiny, plan_tiny, read_csv, run

EVENT_HEADER = "time,event,agent_id,account_id,arrival,service_end,lat,lon,windows,outcome,note"


#: solutions the searches stop after: the plan and its revision do not depend on the
#: machine's load (the time limits are only a cap, far above what they take)
SOLUTIONS = "30"
CAP_S = "300"


@pytest.fixture(scope="module")
def sample_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample day planned with a search stopped after 30 solutions (the same plan each run)."""
    out = tmp_path_factory.mktemp("samples") / "plan"
    res = plan_tiny(SAMPLES, out, "--solution-limit", SOLUTIONS, time_limit=CAP_S)
    assert res.exit_code == 0, res.output
    return out


def _events(plan: Path) -> tuple[list[str], dict[str, str], dict[str, int]]:
    """Return event rows drawn from the plan, who/what each concerns, and the count per event.

    Any valid morning plan serves: ties are broken by agent and account, and
    a visit is only drawn where the plan has one that fits the event.
    """
    it = read_csv(plan / "itineraries.csv")
    v = it[it["kind"] == "visit"].sort_values(["agent_id", "service_start"], kind="stable")
    later = v[v["service_start"] >= "11:00"]
    if later.empty:
        pytest.skip("the morning plan has no visit after 11:00: nothing to re-plan")
    counts = later.groupby("agent_id").size()
    sick = min(counts.index, key=lambda a: (-int(counts[a]), str(a)))
    rows = [f"10:30,unavailable_from,{sick},,,,,,,,sick"]
    who = {"sick": str(sick)}
    # a visit another agent finished by 10:40 (when it reports it), done as planned
    finished = v[(v["agent_id"] != sick) & (v["service_end"] <= "10:40")]
    busy = {str(sick)}
    if len(finished):
        first = finished.sort_values(["service_end", "agent_id"], kind="stable").iloc[0]
        busy.add(str(first["agent_id"]))
        rows.append(
            f"10:40,done,{first['agent_id']},{first['account_id']},{first['arrival']},"
            f"{first['service_end']},,,,,"
        )
    # visits of other agents after 11:00 that follow another of their visits after
    # 11:00: by 11:00 the agent has not set out for them
    before = v.groupby("agent_id")["service_start"].shift()
    ahead = v[(v["service_start"] >= "11:00") & (before >= "11:00") & ~v["agent_id"].isin(busy)]
    if len(ahead):
        removed = ahead.iloc[0]
        rest = ahead[ahead["agent_id"] != removed["agent_id"]]
        rest = rest if len(rest) else ahead[ahead["account_id"] != removed["account_id"]]
        rows.append(f"10:45,remove,,{removed['account_id']},,,,,,,paid by transfer")
        who["removed"] = str(removed["account_id"])
        if len(rest):
            moved = rest.iloc[-1]
            rows.append(f"10:50,new_window,,{moved['account_id']},,,,,17:00-19:00,,after work")
            who["moved"] = str(moved["account_id"])
    dropped = read_csv(plan / "dropped.csv")
    low = dropped[dropped["reason"] == "lower_value_than_planned_visits"]
    if len(low):
        urgent = low.sort_values("account_id", kind="stable").iloc[0]
        rows.append(f"10:55,urgent,,{urgent['account_id']},,,,,,,promise broken")
        who["urgent"] = str(urgent["account_id"])
    accepted: dict[str, int] = {}
    for r in rows:
        kind = r.split(",")[1]
        accepted[kind] = accepted.get(kind, 0) + 1
    return rows, who, accepted


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "r1" not in p.relative_to(folder).parts
    }


def test_the_sample_day_is_replanned_at_11(sample_plan: Path) -> None:
    """Revision 1 at 11:00: check passes, the morning folder is untouched, what changed is
    told, every other agent's sheet is the morning's byte for byte."""
    rows, who, accepted = _events(sample_plan)
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
        CAP_S,
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
    if "removed" in who:
        assert who["removed"] in dropped.index, who["removed"]
        assert dropped.loc[who["removed"], "reason"] == "account_removed"
        assert who["removed"] not in set(it["account_id"])
    if "moved" in who:
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
    assert summary["replan"]["events_accepted"] == accepted
    morning_agents = set(read_csv(sample_plan / "itineraries.csv")["agent_id"])
    assert len(told) < len(morning_agents) / 2  # most agents keep their day
