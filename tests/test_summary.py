"""The typed summary (routeplan.summary.PlanSummary) and summary.json."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from routeplan import schema as S
from routeplan.errors import InputError
from routeplan.plan import Plan
from routeplan.solver.model import SolveStatus
from routeplan.summary import AgentSummary, PlanSummary, SolverSummary, refresh_summary
from tests.helpers import write_tiny_plan

FIXTURE_SUMMARY = Path(__file__).resolve().parent / "fixtures" / "plan_small" / "summary.json"


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Plan, Path]:
    """The tiny day planned and written to a plan folder."""
    out = tmp_path_factory.mktemp("summary") / "plan"
    return write_tiny_plan(out), out


def test_real_summary_round_trips_to_the_same_text(written: tuple[Plan, Path]) -> None:
    """A summary.json routeplan wrote reads into a PlanSummary whose JSON is that file."""
    plan, out = written
    text = (out / "summary.json").read_text(encoding="utf-8")
    summary = PlanSummary.from_json(json.loads(text))
    assert summary == plan.summary
    assert json.dumps(summary.to_json(), ensure_ascii=False, indent=2) + "\n" == text


def test_plan_summary_is_typed(written: tuple[Plan, Path]) -> None:
    """Figures are attributes: counts, solver, output and one entry per agent of agents.csv."""
    plan, out = written
    s = plan.summary
    data = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s.counts.planned == len(plan.visits) == data["counts"]["planned"]
    assert s.counts.eligible == data["counts"]["eligible"]
    assert isinstance(s.solver, SolverSummary) and s.solver.status == data["solver"]["status"]
    assert s.output.language == "zh"  # CN's
    assert [a.agent_id for a in s.agents] == ["A1", "A2", "A3"]
    assert s.agent("A3") is not None and s.agent("A3").usable is False  # type: ignore[union-attr]
    assert sum(a.visits or 0 for a in s.agents) == s.counts.planned
    assert s.dropped_by_reason == data["dropped_by_reason"]
    # every plan records its travel model; that block is the only one kept in extra
    assert set(s.extra) == {"travel"}
    assert s.travel == data["travel"] and s.travel["provider"] == "haversine"


def test_keys_other_parts_add_are_kept_at_every_level() -> None:
    """Unknown keys (a travel or retime block, a solver's executor, ...) survive a round trip."""
    data = json.loads(FIXTURE_SUMMARY.read_text(encoding="utf-8"))
    data["travel"] = {"model": "osm:city.osm.pbf", "cells": [1, 2]}
    data["retime"] = {"violations": 0, "report": "retime.csv"}
    data["counts"]["geocoded"] = 3
    data["solver"]["executor"] = "local"
    data["output"] = {"language": "en", "offline_assets": False, "dpi": 300}
    data["agents"][0]["travel_mode"] = "foot"
    summary = PlanSummary.from_json(data)
    assert summary.extra["travel"] == {"model": "osm:city.osm.pbf", "cells": [1, 2]}
    assert summary.agents[0].extra == {"travel_mode": "foot"}
    out = summary.to_json()
    for key in ("travel", "retime"):
        assert out[key] == data[key]
    assert out["counts"]["geocoded"] == 3 and out["solver"]["executor"] == "local"
    assert out["output"]["dpi"] == 300 and out["agents"][0]["travel_mode"] == "foot"
    assert PlanSummary.from_json(out) == summary


def test_older_summary_is_read_and_completed_with_nulls() -> None:
    """A summary lacking keys (an older routeplan's) reads; written back, missing keys are null."""
    data = json.loads(FIXTURE_SUMMARY.read_text(encoding="utf-8"))
    summary = PlanSummary.from_json(data)
    assert summary.balance_eligible is None and summary.counts.agents_usable is None
    assert summary.travel_min == 62.0 and summary.agents[2].usable is False
    out = summary.to_json()
    for key, value in data.items():
        if isinstance(value, dict):
            assert {k: out[key][k] for k in value} == value
        elif key != "agents":
            assert out[key] == value
    assert out["balance_eligible"] is None and out["counts"]["agents_usable"] is None
    assert PlanSummary.from_json({}).to_json()["agents"] == []


def test_solver_status_is_a_member_and_an_older_status_is_kept() -> None:
    """solver.status reads as a SolveStatus member; an older routeplan's status stays its text."""
    summary = PlanSummary.from_json({"solver": {"status": "retimed", "engine": "retime"}})
    assert summary.solver is not None and summary.solver.status is SolveStatus.RETIMED
    older = PlanSummary.from_json({"solver": {"status": "ROUTING_SUCCESS"}})
    assert older.solver is not None and older.solver.status == "ROUTING_SUCCESS"
    assert not isinstance(older.solver.status, SolveStatus)
    assert older.to_json()["solver"]["status"] == "ROUTING_SUCCESS"
    assert json.dumps(summary.to_json()["solver"]["status"]) == '"retimed"'
    with pytest.raises(InputError, match=r"key solver\.status: \[1\] is not text"):
        PlanSummary.from_json({"solver": {"status": [1]}})


def test_numbers_written_as_text_are_numbers() -> None:
    """Hand edits are tolerated: ``"1,020.4"`` is 1020.4, ``"4"`` visits is 4, null is unknown."""
    summary = PlanSummary.from_json(
        {
            "travel_km": "1,020.4",
            "balance_covered": None,
            "counts": {"planned": "12"},
            "agents": [{"agent_id": 7, "visits": "4"}],
        }
    )
    assert summary.travel_km == 1020.4 and summary.balance_covered is None
    assert summary.counts.planned == 12
    assert summary.agents == (AgentSummary("7", visits=4),)


def test_bad_figures_are_named_together() -> None:
    """Every bad figure is named in one InputError with the source and the key path."""
    with pytest.raises(InputError) as info:
        PlanSummary.from_json(
            {
                "travel_km": "far",
                "counts": {"planned": 2.5},
                "solver": {"runtime_s": float("inf")},
                "agents": [{"agent_id": "A1", "usable": "yes"}],
            },
            source="p/summary.json",
        )
    message = str(info.value)
    assert "p/summary.json, key travel_km: 'far' is not a finite number" in message
    assert "key counts.planned: 2.5 is not a whole number" in message
    assert "key solver.runtime_s: inf is not a finite number" in message
    assert "key agents[0].usable: 'yes' is not true/false" in message


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([1, 2], "expected a JSON object at the top level"),
        ({"agents": {"A1": {}}}, "key agents: expected a list of objects"),
        ({"agents": [{"name": "x"}]}, r"key agents\[0\]\.agent_id: missing or empty"),
        ({"solver": "fast"}, "key solver: expected an object"),
        ({"output": {"language": "fr"}}, "key output.language: 'fr' is not one of zh, en"),
        ({"output": {"offline_assets": "no"}}, "key output.offline_assets: 'no' is not true"),
        ({"dropped_by_reason": {"x": "many"}}, "key dropped_by_reason.x: 'many' is not a finite"),
    ],
)
def test_unusable_shapes_are_refused(data: object, message: str) -> None:
    """A summary whose shape cannot be used is refused naming the key."""
    with pytest.raises(InputError, match=message):
        PlanSummary.from_json(data)


def test_refresh_summary_recomputes_route_figures(written: tuple[Plan, Path]) -> None:
    """After an edit only route figures change: an agent's visits gone, totals and counts follow."""
    plan, _ = written
    itin = plan.itineraries
    gone = itin[(itin[S.KIND] == S.EventKind.VISIT) & (itin[S.AGENT_ID] == "A1")]
    assert len(gone) > 0
    kept = itin.drop(index=gone.index)
    dropped = pd.concat(
        [plan.dropped, gone[[S.ACCOUNT_ID]].assign(reason=S.DroppedReason.REMOVED_BY_DISPATCHER)]
    )
    fresh = refresh_summary(plan.summary, kept, dropped, service_min=30)
    assert fresh.counts.planned == plan.summary.counts.planned - len(gone)  # type: ignore[operator]
    assert fresh.counts.eligible == plan.summary.counts.eligible
    assert fresh.dropped_by_reason[S.DroppedReason.REMOVED_BY_DISPATCHER] == len(gone)
    assert fresh.agent("A1").visits == 0  # type: ignore[union-attr]
    assert fresh.service_min == 30 * fresh.counts.planned  # type: ignore[operator]
    assert fresh.solver == plan.summary.solver
    assert fresh.agent("A2") == plan.summary.agent("A2")
