"""Configuration: TOML, defaults, validation, overrides."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from routeplan.config import Config, config_from_dict, load_config
from routeplan.errors import ConfigError


def test_defaults() -> None:
    """Defaults follow the issue: CN hours, 90 days, 10,000, 30 min, 30 s."""
    c = Config()
    assert (c.legal.start_min, c.legal.end_min) == (480, 1320)
    assert c.eligibility.min_days_past_due == 90 and c.eligibility.min_balance == 10000
    assert c.visits.service_min == 30 and c.solver.time_limit_s == 30
    assert c.travel.circuity == 1.35 and c.travel.speed_kmh == 25


def test_toml_overrides(tmp_path: Path) -> None:
    """Keys in routeplan.toml override the defaults; bands become tuples."""
    p = tmp_path / "routeplan.toml"
    p.write_text(
        'jurisdiction = "in"\n[eligibility]\nmin_days_past_due = 60\n'
        "[scoring]\ndays_past_due_bands = [[0, 0], [365, -20]]\n"
        '[solver]\nsecond_engine = "ortools"\n',
        encoding="utf-8",
    )
    c = load_config(p)
    assert c.jurisdiction == "IN" and c.legal.end_min == 19 * 60
    assert c.eligibility.min_days_past_due == 60
    assert c.scoring.days_past_due_bands == ((0.0, 0.0), (365.0, -20.0))
    assert c.solver.second_engine == "ortools"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[eligibility]\nmin_days_pastdue = 3\n", "unknown key(s) in [eligibility]"),
        ("colour = 1\n", "unknown key 'colour'"),
        ('jurisdiction = "XX"\n', "jurisdiction must be one of"),
        ("[travel]\nspeed_kmh = 0\n", "travel.speed_kmh"),
        ("[solver]\ntime_limit_s = -1\n", "time_limit_s"),
        (
            '[solver]\nsecond_engine = "gurobi"\n',
            "solver.second_engine must be one of auto, ortools, pyvrp",
        ),
        ("[eligibility]\nhardship_policy = 'maybe'\n", "hardship_policy"),
        ("[eligibility]\nmin_balance = 'lots'\n", "min_balance"),
        ("[scoring]\nlast_payment_bands = [[90, 0], [0, 1]]\n", "sorted"),
        ("not toml = = =\n", "not valid TOML"),
        ('[output]\nlanguage = "fr"\n', "output.language must be one of zh, en"),
        ("[output]\noffline_assets = 1\n", "output.offline_assets must be true or false"),
        ("[output]\nlang = 'zh'\n", "unknown key(s) in [output]: lang"),
    ],
)
def test_bad_config_is_one_clear_error(tmp_path: Path, text: str, needle: str) -> None:
    """Typos and bad values are refused with the file and key named."""
    p = tmp_path / "routeplan.toml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"routeplan\.toml") as exc:
        load_config(p)
    assert needle in str(exc.value)


def test_replace_nested() -> None:
    """replace() changes top-level and section keys, revalidating."""
    c = Config().replace(jurisdiction="US", solver__time_limit_s=5)
    assert c.jurisdiction == "US" and c.solver.time_limit_s == 5
    with pytest.raises(ConfigError):
        Config().replace(travel__circuity=0.5)


def test_output_language_defaults_from_the_jurisdiction(tmp_path: Path) -> None:
    """[output] language: empty means zh for CN and en elsewhere; a set value wins; any case."""
    assert Config().output.language_for(Config().jurisdiction) == "zh"
    assert Config().replace(jurisdiction="US").output.language_for("US") == "en"
    assert Config().output.language_for("IN") == "en"
    p = tmp_path / "routeplan.toml"
    p.write_text('[output]\nlanguage = "EN"\noffline_assets = true\n', encoding="utf-8")
    c = load_config(p)
    assert c.output.language == "en" and c.output.offline_assets is True
    assert c.output.language_for("CN") == "en"


def test_to_dict_reads_back_as_the_same_config() -> None:
    """Config.to_dict() round-trips through config_from_dict (plan_context.json relies on it)."""
    cfg = Config().replace(jurisdiction="IE", solver__time_limit_s=7, eligibility__min_balance=5)
    data = cfg.to_dict()
    assert "tuning" not in data["solver"] and "log_search" not in data["solver"]
    assert config_from_dict(data) == cfg


def test_audit_section_loads_and_validates(tmp_path: Path) -> None:
    """[audit] has the documented defaults, reads from TOML and refuses bad values by name."""
    audit = Config().audit
    assert (audit.max_checkin_m, audit.max_accuracy_m, audit.min_visit_min) == (250, 500, 5)
    assert audit.max_speed_kmh == 80
    path = tmp_path / "routeplan.toml"
    path.write_text("[audit]\nmax_checkin_m = 100\nmax_speed_kmh = 60\n", encoding="utf-8")
    cfg = load_config(path)
    assert (cfg.audit.max_checkin_m, cfg.audit.max_speed_kmh) == (100, 60)
    assert config_from_dict(cfg.to_dict()) == cfg
    for text, needle in (
        ("max_speed_kmh = 0", "audit.max_speed_kmh must be a number > 0"),
        ("min_visit_min = -1", "audit.min_visit_min must be a number >= 0"),
        ("max_checkin = 1", "unknown key(s) in [audit]: max_checkin"),
    ):
        path.write_text(f"[audit]\n{text}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=re.escape(needle)):
            load_config(path)
