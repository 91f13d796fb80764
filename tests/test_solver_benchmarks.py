"""Tests of the benchmarks' independent reader and checkers (``benchmarks/evaluate.py``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.collection import make_day
from benchmarks.evaluate import check_vrptw, evaluate_plan, read_solomon
from routeplan.solver import solve
from routeplan.solver.model import Problem, SolveParams, Vehicle, Visit

TINY = """TINY

VEHICLE
NUMBER     CAPACITY
  2         10

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME

    0      0         0          0          0       100          0
    1      3         4          6          0        10          1
    2      0         1          6          0        50          1
"""


def tiny(tmp_path: Path) -> Path:
    """Write the two-customer instance and return its path."""
    path = tmp_path / "TINY.txt"
    path.write_text(TINY)
    return path


def test_read_solomon(tmp_path: Path) -> None:
    """The reader returns fleet, capacity, depot row and customer rows."""
    inst = read_solomon(tiny(tmp_path))
    assert (inst.name, inst.vehicles, inst.capacity, inst.customers) == ("TINY", 2, 10, 2)
    assert inst.due[0] == 100 and inst.service[1] == 1
    assert inst.tenths()[0, 1] == 50  # 3-4-5 triangle, in tenths


def test_check_vrptw_feasible_and_distances(tmp_path: Path) -> None:
    """Two single-customer routes are feasible; distances are 2x5 + 2x1."""
    inst = read_solomon(tiny(tmp_path))
    chk = check_vrptw(inst, [[1], [2]])
    assert chk.feasible and chk.feasible_exact
    assert chk.vehicles == 2
    assert chk.distance_t1 == 12.0


def test_check_vrptw_catches_capacity_lateness_and_coverage(tmp_path: Path) -> None:
    """Over capacity, a missing customer and a late arrival are each reported."""
    inst = read_solomon(tiny(tmp_path))
    over = check_vrptw(inst, [[1, 2]])
    assert not over.feasible and any("load" in p for p in over.problems)
    missing = check_vrptw(inst, [[2]])
    assert not missing.feasible and any("customer 1" in p for p in missing.problems)
    with_empty = check_vrptw(inst, [[2], [], [1]])
    assert with_empty.feasible and with_empty.vehicles == 2  # empty routes are not vehicles
    inst_late = read_solomon(tiny(tmp_path))
    object.__setattr__(inst_late, "due", np.array([100, 4, 50]))
    assert not check_vrptw(inst_late, [[1], [2]]).feasible


def test_evaluate_plan_objective_and_break() -> None:
    """The evaluator adds skipped prizes to travel and rejects a plan with no room for a break."""
    dist = np.array([[0, 600], [600, 0]], dtype=np.int64)
    visit = Visit("v", 1, 3000, ((9 * 3600, 9 * 3600),), 5000)
    veh = Vehicle("a", 0, 0, 8 * 3600, 10 * 3600, 5, break_window=(9 * 3600, 9 * 3600), break_s=600)
    p = Problem(dist, (dist,), (visit,), (veh,))
    empty = evaluate_plan(p, [[]])
    assert empty.feasible and empty.objective == 5000
    # the break must start at 9:00 exactly, when the visit's service starts: no room
    assert not evaluate_plan(p, [[0]]).feasible


def test_routeplan_plans_pass_the_shared_evaluator() -> None:
    """routeplan's plan on a small generated collection day passes the independent evaluator."""
    p = make_day(80, 3, seed=5)
    res = solve(p, SolveParams(time_limit_s=1.0))
    ev = evaluate_plan(p, [list(r.visits) for r in res.routes])
    assert ev.feasible, ev.problems
    assert ev.objective == res.objective
