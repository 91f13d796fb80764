"""Reproducible mode and the anytime search: work, not the clock, decides the plan.

Through the solver (``SolveParams.reproducible``), the epochs of the search
(``routeplan.solver.portfolio.epochs``) and the CLI (``routeplan plan
--reproducible``, ``[solver] reproducible``).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from routeplan.execution import InProcessExecutor, ProcessExecutor
from routeplan.solver import SearchTuning, SolveMode, SolveParams, solve
from routeplan.solver.model import Problem
from routeplan.solver.portfolio import epochs
from tests.helpers import DATE, SAMPLES, run
from tests.test_solver import assert_feasible, random_problem


def breaks_day() -> Problem:
    """Return a day with lunch breaks, skills and two-window visits (the second engine: LNS)."""
    return random_problem(90, 5, seed=5)


def exact_day() -> Problem:
    """Return a day PyVRP expresses exactly (no breaks, one window: the second engine: PyVRP)."""
    day = random_problem(90, 5, seed=6)
    return replace(
        day,
        visits=tuple(replace(v, windows=v.windows[:1]) for v in day.visits),
        vehicles=tuple(replace(k, break_window=None, break_s=0) for k in day.vehicles),
    )


def test_epochs_grow_and_a_larger_budget_repeats_a_smaller_ones() -> None:
    """2, 4, 8... nominal seconds; the last one trimmed to the budget; None never ends."""
    tuning = SearchTuning(epoch_s=2.0, epoch_growth=2.0)
    assert [e.nominal_s for e in epochs(tuning, 3.0)] == [2.0, 1.0]
    assert [e.nominal_s for e in epochs(tuning, 10.0)] == [2.0, 4.0, 4.0]
    assert [e.index for e in epochs(tuning, 10.0)] == [0, 1, 2]
    endless = epochs(tuning, None)
    assert [next(endless).nominal_s for _ in range(4)] == [2.0, 4.0, 8.0, 16.0]
    assert list(epochs(tuning, 0.0)) == []


@pytest.mark.parametrize("day", [breaks_day, exact_day], ids=["breaks", "exact"])
def test_reproducible_plans_are_identical_in_and_out_of_process(day) -> None:  # type: ignore[no-untyped-def]
    """Two runs beside a child process, one on a single core and one with ``second_search``
    off (a one-core cluster worker's setting) return the same routes."""
    problem = day()
    params = SolveParams(time_limit_s=1.0, reproducible=True)
    results = [
        solve(problem, params, executor=ProcessExecutor()),
        solve(problem, params, executor=ProcessExecutor()),
        solve(problem, params, executor=InProcessExecutor()),
        solve(problem, replace(params, second_search=False)),
    ]
    for r in results:
        assert_feasible(problem, r)
        assert r.mode is SolveMode.REPRODUCIBLE
    assert results[0].routes == results[1].routes == results[2].routes == results[3].routes
    assert results[0].engine == results[2].engine == results[3].engine


@pytest.mark.parametrize("day", [breaks_day, exact_day], ids=["breaks", "exact"])
def test_more_work_never_returns_a_worse_plan(day) -> None:  # type: ignore[no-untyped-def]
    """Limits of 0.25, 0.5, 1 and 2 s of nominal work: the objective never rises.

    The longer run repeats the shorter one's epochs and keeps its best plan.
    """
    problem = day()
    objectives = [
        solve(problem, SolveParams(time_limit_s=t, reproducible=True)).objective
        for t in (0.25, 0.5, 1.0, 2.0)
    ]
    assert objectives == sorted(objectives, reverse=True)


def test_a_time_limited_solve_says_so() -> None:
    """The default mode is the clock's, and the result says which mode ran."""
    result = solve(breaks_day(), SolveParams(time_limit_s=0.5))
    assert result.mode is SolveMode.TIME_LIMITED and result.mode == "time-limited"


def _plan(out: Path, *extra: str) -> bytes:
    """Plan the samples into ``out`` with one nominal second of search; return itineraries.csv."""
    res = run(
        "plan",
        "--accounts",
        SAMPLES / "accounts.csv",
        "--agents",
        SAMPLES / "agents.csv",
        "--date",
        DATE,
        "--out",
        out,
        "--time-limit",
        "1",
        "--no-geocode",
        "-q",
        *extra,
    )
    assert res.exit_code == 0, res.output
    return (out / "itineraries.csv").read_bytes()


def _mode(out: Path) -> str:
    return str(json.loads((out / "summary.json").read_text(encoding="utf-8"))["solver"]["mode"])


def test_reproducible_flag_gives_byte_identical_itineraries(tmp_path: Path) -> None:
    """``plan --reproducible`` three times on the samples: the same itineraries.csv, byte for byte.

    summary.json records the mode; without the flag it is time-limited.
    """
    plans = [_plan(tmp_path / name, "--reproducible") for name in ("a", "b", "c")]
    assert plans[0] == plans[1] == plans[2]
    assert b"visit" in plans[0]
    assert _mode(tmp_path / "a") == "reproducible"
    _plan(tmp_path / "d")
    assert _mode(tmp_path / "d") == "time-limited"


def test_reproducible_config_key_and_the_flag_that_overrides_it(tmp_path: Path) -> None:
    """``[solver] reproducible = true`` sets the mode; ``--time-limited`` overrides the file."""
    config = tmp_path / "routeplan.toml"
    config.write_text("[solver]\nreproducible = true\n", encoding="utf-8")
    _plan(tmp_path / "a", "--config", str(config))
    assert _mode(tmp_path / "a") == "reproducible"
    _plan(tmp_path / "b", "--config", str(config), "--time-limited")
    assert _mode(tmp_path / "b") == "time-limited"
