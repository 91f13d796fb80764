"""Tests of the engine protocol: each engine's ``supports`` reasons and ``solve`` by hand."""

from __future__ import annotations

import sys
import time

import pytest

from routeplan.solver import SolveParams, solve
from routeplan.solver.engines import (
    Answer,
    Engine,
    OrToolsEngine,
    PyVRPEngine,
    Relay,
    VroomEngine,
)
from routeplan.solver.model import Problem, plan_cost
from routeplan.solver.schedule import check_routes, timed_routes
from tests.test_solver import H, agent, line_problem, random_problem, visit

PARAMS = SolveParams(time_limit_s=2.0)
ENGINES: list[Engine] = [
    OrToolsEngine(),
    PyVRPEngine(),
    VroomEngine(),
    Relay(VroomEngine(), OrToolsEngine()),
]


def four_visits() -> Problem:
    """Return one agent at 0 and four visits on a line: three near and valuable, one far and cheap.

    Metres equal seconds. Visits at 100, 200 and 300 (prize 10**6) cost 600 s
    out and back; the one at 10,000 (prize 10) would add 19,400 s of travel,
    so the best plan serves the three near ones: objective 600 + 10 = 610.
    """
    visits = [
        visit("near1", 1),
        visit("near2", 2),
        visit("near3", 3),
        visit("far", 4, prize=10),
    ]
    return line_problem([0, 100, 200, 300, 10_000], visits, [agent("a")])


def solve_in(engine: Engine, problem: Problem, start=None) -> Answer:  # type: ignore[no-untyped-def]
    """Return the engine's answer within one second."""
    answer = engine.solve(problem, PARAMS, start, time.perf_counter() + 1.0)
    assert answer is not None
    assert len(answer.sequences) == len(problem.vehicles)
    assert check_routes(problem, timed_routes(problem, answer.sequences)) == []
    return answer


@pytest.mark.parametrize("engine", [OrToolsEngine(), PyVRPEngine()], ids=["ortools", "pyvrp"])
def test_prize_engines_skip_the_far_cheap_visit(engine: Engine) -> None:
    """OR-Tools and PyVRP weigh prizes against travel: 600 s of travel + the prize of 10."""
    answer = solve_in(engine, four_visits())
    assert sorted(answer.sequences[0]) == [0, 1, 2]
    assert plan_cost(four_visits(), answer.sequences) == 610


def test_vroom_serves_everything_it_can() -> None:
    """VROOM ignores prizes: it serves the far visit too (20,000 s out and back)."""
    problem = four_visits()
    answer = solve_in(VroomEngine(), problem)
    assert sorted(answer.sequences[0]) == [0, 1, 2, 3]
    assert plan_cost(problem, answer.sequences) == 20_000


def test_relay_improves_vroom_routes_with_ortools() -> None:
    """VROOM's start (all four visits) is improved by OR-Tools to the best plan."""
    engine = Relay(VroomEngine(), OrToolsEngine())
    assert engine.name == "vroom+ortools"
    answer = solve_in(engine, four_visits())
    assert plan_cost(four_visits(), answer.sequences) == 610


def test_ortools_starts_from_a_given_plan() -> None:
    """From a start serving the far visit, OR-Tools drops it and orders the rest."""
    answer = solve_in(OrToolsEngine(), four_visits(), start=((3, 0, 1, 2),))
    assert answer.sequences == ((0, 1, 2),) or answer.sequences == ((2, 1, 0),)
    assert answer.note.startswith("ROUTING_")


def test_required_visits_are_served_by_every_engine() -> None:
    """A required visit with no prize is served all the same."""
    problem = line_problem(
        [0, 100, 200], [visit("r", 1, prize=0, required=True), visit("o", 2)], [agent()]
    )
    for engine in ENGINES:
        answer = solve_in(engine, problem)
        assert 0 in answer.sequences[0], engine.name


def test_engines_name_themselves() -> None:
    """Names are the ones ``Result.engine`` and ``Result.searches`` use."""
    assert [e.name for e in ENGINES] == ["ortools", "pyvrp", "vroom", "vroom+ortools"]


def test_supports_a_plain_day_and_refuses_an_empty_one() -> None:
    """Every engine takes a plain day; an empty one has nothing to search."""
    empty = line_problem([0], [], [agent()])
    for engine in ENGINES:
        assert engine.supports(four_visits()) is None, engine.name
        assert engine.supports(empty) == "nothing to search", engine.name


def test_ortools_and_vroom_express_breaks_skills_and_windows() -> None:
    """OR-Tools and VROOM express breaks, skills and several windows."""
    problem = line_problem(
        [0, 100, 200],
        [
            visit("two", 1, windows=((9 * H, 10 * H), (14 * H, 15 * H))),
            visit("skill", 2, allowed_vehicles=(1,)),
        ],
        [agent("a", break_window=(12 * H, 13 * H), break_s=1800), agent("b")],
    )
    for engine in (OrToolsEngine(), VroomEngine()):
        assert engine.supports(problem) is None
        answer = solve_in(engine, problem)
        assert 1 not in answer.sequences[0]  # only b may serve "skill"


def test_pyvrp_refuses_breaks_several_windows_and_huge_matrices() -> None:
    """Skills are translated; breaks, several windows (unless restricted) and big matrices not."""
    lunch = line_problem(
        [0, 100], [visit("v1", 1)], [agent("a", break_window=(12 * H, 13 * H), break_s=1800)]
    )
    assert PyVRPEngine().supports(lunch) == "vehicle a has a break"
    two = line_problem(
        [0, 100], [visit("v1", 1, windows=((9 * H, 10 * H), (14 * H, 15 * H)))], [agent("a")]
    )
    assert PyVRPEngine().supports(two) == "visit v1 has several windows"
    assert PyVRPEngine(restrict_windows=True).supports(two) is None
    skill = line_problem(
        [0, 100], [visit("v1", 1, allowed_vehicles=(1,))], [agent("a"), agent("b")]
    )
    assert PyVRPEngine().supports(skill) is None
    # two classes (a may not serve v1, b may) over 2 locations: 2 x 2 x 4 x 8 = 128 bytes
    reason = PyVRPEngine(max_matrix_bytes=127).supports(skill)
    assert reason == "2 vehicle classes (skills, speeds) over 2 locations need 0.0 GiB of matrices"
    assert PyVRPEngine(max_matrix_bytes=128).supports(skill) is None


def test_an_engine_whose_library_is_missing_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without pyvrp or pyvroom importable, their engines decline with that reason."""
    monkeypatch.setitem(sys.modules, "pyvrp", None)
    monkeypatch.setitem(sys.modules, "vroom", None)
    assert PyVRPEngine().supports(four_visits()) == "pyvrp is not installed"
    assert VroomEngine().supports(four_visits()) == "pyvroom is not installed"
    # a relay whose first engine is missing still runs its second
    relay = Relay(VroomEngine(), OrToolsEngine())
    assert relay.supports(four_visits()) is None
    assert plan_cost(four_visits(), solve_in(relay, four_visits()).sequences) == 610


def test_engine_settings_are_checked() -> None:
    """Unknown strategies, levels and shares are refused with the setting named."""
    with pytest.raises(ValueError, match="first_solution must be one of"):
        OrToolsEngine(first_solution="GUESS")
    with pytest.raises(ValueError, match=r"exploration must be in 0\.\.5, got 9"):
        VroomEngine(exploration=9)
    with pytest.raises(ValueError, match=r"exploration must be in 0\.\.5, got -1"):
        VroomEngine(exploration=-1)
    assert VroomEngine(exploration=0).exploration == 0
    with pytest.raises(ValueError, match=r"share must be in \(0, 1\)"):
        Relay(VroomEngine(), OrToolsEngine(), share=1.0)


def test_ortools_rebuilds_a_start_with_breaks_within_its_lns_limit() -> None:
    """OR-Tools rebuilds a start's times and breaks in a sub-search bounded by its LNS limit.

    When that bound is too short the search ends with no plan at all (what
    OR-Tools' default of 0.1 s did on the 588-visit sample day on a busy
    machine); routeplan's default leaves room, so a start always comes back
    at least as good.
    """
    problem = random_problem(60, 4, seed=5)  # lunch breaks, two windows, skills
    start = tuple(tuple(r.visits) for r in solve(problem, SolveParams(time_limit_s=0.05)).routes)
    cost = plan_cost(problem, start)
    starved = OrToolsEngine(lns_time_limit_s=1e-6)
    assert starved.solve(problem, PARAMS, start, time.perf_counter() + 1.0) is None
    answer = solve_in(OrToolsEngine(), problem, start=start)
    assert plan_cost(problem, answer.sequences) <= cost
    with pytest.raises(ValueError, match="lns_time_limit_s must be > 0"):
        OrToolsEngine(lns_time_limit_s=0)
