"""Tests of the solver's settings (``SolveParams``, ``SearchTuning``), the ``[solver]`` section."""

from __future__ import annotations

from pathlib import Path

import pytest

from routeplan.config import Config, SolverConfig, load_config
from routeplan.errors import ConfigError
from routeplan.solver import Metaheuristic, SearchTuning, SecondEngine, SolveParams
from routeplan.solver.params import ParamsError


def test_defaults_are_the_documented_ones() -> None:
    """The defaults of README's ``[solver]`` section, and the config embeds the same object."""
    p = SolveParams()
    assert (p.time_limit_s, p.solution_limit, p.value_of_hour) == (30.0, None, 200.0)
    assert p.metaheuristic is Metaheuristic.GUIDED_LOCAL_SEARCH
    assert (p.max_area_visits, p.seed) == (1000, 0)
    assert p.second_engine is SecondEngine.AUTO
    assert p.tuning == SearchTuning()
    assert Config().solver == p and SolverConfig is SolveParams


def test_names_become_enums() -> None:
    """Metaheuristic and second engine may be given by name and are kept as enums."""
    p = SolveParams(metaheuristic="TABU_SEARCH", second_engine="pyvrp")
    assert p.metaheuristic is Metaheuristic.TABU_SEARCH
    assert p.second_engine is SecondEngine.PYVRP


def test_every_bad_value_is_named_in_one_error() -> None:
    """All problems are reported together, each naming its setting, value and what is allowed."""
    with pytest.raises(ParamsError) as exc:
        SolveParams(
            time_limit_s=0,
            solution_limit=0,
            value_of_hour=-1,
            metaheuristic="ANNEAL",
            max_area_visits=5,
            seed=1.5,  # type: ignore[arg-type]
            second_engine="gurobi",
        )
    assert str(exc.value) == (
        "solver.time_limit_s must be in (0, 86400], got 0; "
        "solver.solution_limit must be an integer >= 1, got 0; "
        "solver.value_of_hour must be a finite number > 0, got -1; "
        "solver.max_area_visits must be an integer >= 10, got 5; "
        "solver.seed must be an integer, got 1.5; "
        "solver.metaheuristic must be one of GUIDED_LOCAL_SEARCH, SIMULATED_ANNEALING, "
        "TABU_SEARCH, GREEDY_DESCENT, got 'ANNEAL'; "
        "solver.second_engine must be one of auto, ortools, pyvrp, got 'gurobi'"
    )
    # a config error for the CLI (exit 1), a ValueError for library callers
    assert isinstance(exc.value, ConfigError) and isinstance(exc.value, ValueError)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"time_limit_s": float("nan")}, "solver.time_limit_s must be in (0, 86400], got nan"),
        ({"time_limit_s": 86401}, "solver.time_limit_s must be in (0, 86400], got 86401"),
        ({"time_limit_s": "30"}, "solver.time_limit_s must be in (0, 86400], got '30'"),
        ({"value_of_hour": float("inf")}, "solver.value_of_hour must be a finite number > 0"),
        ({"solution_limit": True}, "solver.solution_limit must be an integer >= 1, got True"),
        ({"log_search": "yes"}, "solver.log_search must be true or false, got 'yes'"),
    ],
)
def test_bad_single_values(kwargs: dict[str, object], needle: str) -> None:
    """NaN, infinities, strings and booleans where numbers belong are refused."""
    with pytest.raises(ParamsError) as exc:
        SolveParams(**kwargs)  # type: ignore[arg-type]
    assert str(exc.value) == needle or str(exc.value).startswith(needle)


def test_tuning_is_checked() -> None:
    """Shares must lie in (0, 1) and every constant be a finite number >= 0."""
    with pytest.raises(
        ParamsError, match=r"solver\.tuning\.construction_share must be in \(0, 1\)"
    ):
        SearchTuning(construction_share=1.5)
    with pytest.raises(ParamsError, match=r"solver\.tuning\.reserve_s must be a finite number"):
        SearchTuning(reserve_s=-0.1)
    with pytest.raises(ParamsError, match=r"solver\.tuning must be a SearchTuning"):
        SolveParams(tuning={"reserve_s": 1})  # type: ignore[arg-type]
    assert SolveParams(tuning=SearchTuning(area_visits=80)).tuning.area_visits == 80


def test_toml_keys_are_the_documented_ones() -> None:
    """The ``[solver]`` keys, in README order; tuning and log_search are not file keys."""
    assert SolveParams.toml_keys() == (
        "time_limit_s",
        "solution_limit",
        "value_of_hour",
        "metaheuristic",
        "max_area_visits",
        "seed",
        "second_engine",
        "reproducible",
    )


def test_solver_section_loads_into_solve_params(tmp_path: Path) -> None:
    """``[solver]`` becomes the ``SolveParams`` the solver takes, with its values converted."""
    path = tmp_path / "routeplan.toml"
    path.write_text(
        '[solver]\ntime_limit_s = 5\nmetaheuristic = "TABU_SEARCH"\nseed = 7\n', encoding="utf-8"
    )
    cfg = load_config(path)
    assert isinstance(cfg.solver, SolveParams)
    assert cfg.solver == SolveParams(time_limit_s=5, metaheuristic="TABU_SEARCH", seed=7)
    assert cfg.solver.metaheuristic is Metaheuristic.TABU_SEARCH


@pytest.mark.parametrize("key", ["tuning", "log_search"])
def test_internal_settings_are_not_file_keys(tmp_path: Path, key: str) -> None:
    """Settings outside the documented keys are unknown keys in ``routeplan.toml``."""
    path = tmp_path / "routeplan.toml"
    path.write_text(f"[solver]\n{key} = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"unknown key\(s\) in \[solver\]: {key}; allowed: "):
        load_config(path)


def test_config_replace_revalidates_the_solver() -> None:
    """``Config.replace`` checks solver values like the file does."""
    assert Config().replace(solver__second_engine="ortools").solver.second_engine == "ortools"
    with pytest.raises(ConfigError, match=r"solver\.max_area_visits must be an integer >= 10"):
        Config().replace(solver__max_area_visits=3)
