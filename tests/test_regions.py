"""Regions: a portfolio split by branch, each region planned as its own day.

The 6-region sample (``data/samples/regions``: two jurisdictions, two time
zones) is planned on a Dask ``LocalCluster`` of two workers and every region
folder is re-checked with its own rules; the bad cases run sequentially in
process (``--workers 0``) on small slices of it.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from routeplan.check import check_plan
from routeplan.config import Config
from routeplan.errors import InputError
from routeplan.io.readers import read_accounts, read_agents
from routeplan.io.regions import read_regions
from routeplan.plan import load_inputs
from routeplan.regions import (
    Portfolio,
    bisect_points,
    region_config,
    region_folders,
    split_auto,
    split_by_column,
)
from tests.helpers import read_csv, run

REGIONS = Path(__file__).resolve().parent.parent / "data" / "samples" / "regions"
DATE = "2026-12-01"
PLAN_DAY = dt.date(2026, 12, 1)


def sample_copy(dest: Path, regions: list[str] | None = None, per_region: int = 60) -> Path:
    """Copy the regions sample into ``dest``, keeping only ``regions`` and their first rows."""
    dest.mkdir(parents=True, exist_ok=True)
    acc = pd.read_csv(REGIONS / "accounts.csv", dtype=str, keep_default_na=False)
    ag = pd.read_csv(REGIONS / "agents.csv", dtype=str, keep_default_na=False)
    reg = pd.read_csv(REGIONS / "regions.csv", dtype=str, keep_default_na=False)
    if regions is not None:
        acc = acc[acc["region"].isin(regions)]
        ag = ag[ag["region"].isin(regions)]
        reg = reg[reg["region"].isin(regions)]
    acc = acc.groupby("region", sort=False).head(per_region)
    acc.to_csv(dest / "accounts.csv", index=False)
    ag.to_csv(dest / "agents.csv", index=False)
    reg.to_csv(dest / "regions.csv", index=False)
    return dest


def split_with_file(data: Path) -> Portfolio:
    """Split a regions folder's inputs by ``region`` with its regions.csv, on the sample date."""
    inputs = load_inputs(data / "accounts.csv", data / "agents.csv")
    profiles = read_regions(data / "regions.csv")
    return split_by_column(inputs, "region", Config(), profiles=profiles, plan_date=PLAN_DAY)


def plan_regions_cli(data: Path, out: Path, *extra: str) -> object:
    """Run ``routeplan plan`` on a regions folder (1 s per region unless overridden)."""
    return run(
        "plan",
        "--accounts",
        data / "accounts.csv",
        "--agents",
        data / "agents.csv",
        "--date",
        DATE,
        "--out",
        out,
        "--time-limit",
        "1",
        "--no-geocode",
        *extra,
    )


def check_region(out: Path, region: str, data: Path, config: Config | None = None) -> list[str]:
    """Re-check one region's folder against that region's rows and its regions.csv rules."""
    accounts = read_accounts(data / "accounts.csv").frame
    agents = read_agents(data / "agents.csv").frame
    profiles = read_regions(data / "regions.csv")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    entry = next(r for r in summary["regions"] if r["region"] == region)
    cfg = region_config(config or Config(), profiles[region])
    violations = check_plan(
        out / entry["folder"],
        accounts[accounts["region"] == region].reset_index(drop=True),
        agents[agents["region"] == region].reset_index(drop=True),
        dt.date.fromisoformat(entry["date"]),
        cfg,
    )
    return [v.message() for v in violations]


def accounted(out: Path, summary: dict) -> dict[str, int]:
    """Return how many times each account id appears across the run's outputs."""
    seen: dict[str, int] = {}
    for entry in summary["regions"]:
        if entry["status"] != "planned":
            continue
        folder = out / entry["folder"]
        itin = read_csv(folder / "itineraries.csv")
        ids = list(itin.loc[itin["kind"] == "visit", "account_id"])
        ids += list(read_csv(folder / "dropped.csv")["account_id"])
        ids += list(dict.fromkeys(read_csv(folder / "excluded.csv")["account_id"]))
        for aid in ids:
            seen[aid] = seen.get(aid, 0) + 1
    for name in ("rejected.csv", "unplanned.csv"):
        table = read_csv(out / name)
        column = "record_id" if name == "rejected.csv" else "account_id"
        if name == "rejected.csv":
            table = table[table["file"] == "accounts.csv"]
        for aid in dict.fromkeys(table[column]):
            seen[aid] = seen.get(aid, 0) + 1
    return seen


# --- end to end on a LocalCluster ---------------------------------------------------


def test_six_regions_on_a_local_cluster_of_two_workers(tmp_path: Path) -> None:
    """Six regions (CN and UK rules, Shanghai and London clocks) planned by 2 Dask workers.

    Every region gets its own plan folder that passes the checks with its own
    jurisdiction; each region's summary and the run's summary record the
    zone; every account is in exactly one place; the index links each region.
    """
    out = tmp_path / "out"
    result = plan_regions_cli(REGIONS, out, "--regions", REGIONS / "regions.csv", "--workers", "2")
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["kind"] == "regions" and summary["date"] == DATE
    assert summary["totals"]["regions"] == 6 and summary["totals"]["failed"] == 0
    assert summary["execution"]["executor"] == "dask-local"
    assert summary["execution"]["workers"] == 2
    zones = {r["region"]: (r["jurisdiction"], r["timezone"]) for r in summary["regions"]}
    assert zones == {
        "sz-1": ("CN", "Asia/Shanghai"),
        "gz-1": ("CN", "Asia/Shanghai"),
        "sh-1": ("CN", "Asia/Shanghai"),
        "ldn-1": ("UK", "Europe/London"),
        "man-1": ("UK", "Europe/London"),
        "bhm-1": ("UK", "Europe/London"),
    }
    workers = {r["worker"] for r in summary["regions"]}
    assert len(workers) == 2 and all(w.startswith("tcp://127.0.0.1:") for w in workers)
    for region, (juris, zone) in zones.items():
        own = json.loads((out / region / "summary.json").read_text(encoding="utf-8"))
        assert (own["region"], own["timezone"], own["jurisdiction"]) == (region, zone, juris)
        assert own["legal_hours"] == ("08:00-22:00" if juris == "CN" else "08:00-21:00")
        assert own["counts"]["planned"] > 0
        assert check_region(out, region, REGIONS) == []
        itin = read_csv(out / region / "itineraries.csv")
        visits = itin[itin["kind"] == "visit"]
        assert set(visits["account_id"].str.split("-").str[:2].str.join("-")) == {region.upper()}
    seen = accounted(out, summary)
    all_ids = set(pd.read_csv(REGIONS / "accounts.csv", dtype=str)["account_id"])
    assert set(seen) == all_ids and set(seen.values()) == {1}
    index = (out / "index.html").read_text(encoding="utf-8")
    for region in zones:
        assert f"href='{region}/index.html'" in index
    assert "regions: 6/6 done, 0 running, 0 failed [####################]" in result.stderr
    check_args = ("check", "--accounts", REGIONS / "accounts.csv", "--agents")
    check_args += (REGIONS / "agents.csv", "--region-column", "region")
    checked = run(*check_args, out)
    assert checked.exit_code == 0, checked.output
    assert checked.output == (
        f"OK: 6 region plan(s) in {out} have no violation (checked with haversine travel times)\n"
    )
    # a visit moved to another region's agent breaks the check of that region only
    itin = read_csv(out / "ldn-1" / "itineraries.csv")
    visit = itin.index[itin["kind"] == "visit"][0]
    itin.loc[visit, "agent_id"] = "SZ-1-A01"
    itin.to_csv(out / "ldn-1" / "itineraries.csv", index=False)
    broken = run(*check_args, out)
    assert broken.exit_code == 1
    assert "ldn-1: agent SZ-1-A01: [agent] not in agents.csv" in broken.output
    assert "sz-1:" not in broken.output


# --- bad cases, in process -----------------------------------------------------------


def test_bad_regions_are_reported_and_the_others_written(tmp_path: Path) -> None:
    """A region without a usable agent fails (exit 1), the others are written.

    Also: an agent whose region has no accounts is reported in summary.json; an
    account whose region is in accounts.csv only, or empty, is refused into the
    top-level rejected.csv with the reason; the failed region's accounts are in
    unplanned.csv; nothing is lost.
    """
    data = sample_copy(tmp_path / "in", ["sz-1", "ldn-1", "gz-1"], per_region=12)
    ag = pd.read_csv(data / "agents.csv", dtype=str, keep_default_na=False)
    ag.loc[ag["region"] == "gz-1", "credential_expiry"] = "2020-01-01"
    ghost = ag.iloc[[0]].assign(agent_id="GHOST-1", region="ghost")
    pd.concat([ag, ghost]).to_csv(data / "agents.csv", index=False)
    acc = pd.read_csv(data / "accounts.csv", dtype=str, keep_default_na=False)
    acc.loc[acc.index[0], "region"] = "nowhere"
    acc.loc[acc.index[1], "region"] = ""
    acc.loc[acc.index[2], "region"] = "LDN-1"
    acc.to_csv(data / "accounts.csv", index=False)
    out = tmp_path / "out"
    result = plan_regions_cli(data, out, "--region-column", "Region", "--workers", "0")
    assert result.exit_code == 1
    assert "1 of 3 regions not planned (gz-1: agents.csv: no usable agent on 2026-12-01" in (
        result.output
    )
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    status = {r["region"]: r["status"] for r in summary["regions"]}
    assert status == {"sz-1": "planned", "ldn-1": "planned", "gz-1": "failed"}
    assert summary["agents_without_accounts"] == {"ghost": ["GHOST-1"]}
    assert summary["execution"] == {
        "executor": "in-process",
        "workers": 0,
        "wall_s": summary["execution"]["wall_s"],
    }
    rejected = read_csv(out / "rejected.csv")
    problems = dict(zip(rejected["record_id"], rejected["problem"], strict=True))
    first, second, third = acc["account_id"].iloc[:3]
    assert problems == {
        first: "region 'nowhere' has no agent in agents.csv",
        second: "empty region: every row needs its region",
        third: "region 'LDN-1' has no agent in agents.csv (did you mean 'ldn-1'?)",
    }
    assert set(rejected["column"]) == {"region"} and set(rejected["row"]) == {"2", "3", "4"}
    unplanned = read_csv(out / "unplanned.csv")
    assert len(unplanned) == 12 and set(unplanned["region"]) == {"gz-1"}
    assert unplanned["reason"].iloc[0].startswith("region not planned: agents.csv: no usable")
    assert not (out / "gz-1").exists()
    for region in ("sz-1", "ldn-1"):
        assert check_region(out, region, data) == []
    seen = accounted(out, summary)
    assert set(seen) == set(acc["account_id"]) and set(seen.values()) == {1}


def test_regions_file_rows_and_errors(tmp_path: Path) -> None:
    """regions.csv: every bad row is named at once; rows of a region it lacks are refused."""
    bad = tmp_path / "regions.csv"
    bad.write_text(
        "region,jurisdiction,timezone\nnorth,XX,Asia/Shanghai\n,CN,Mars/Base\nnorth,CN,\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as exc:
        read_regions(bad)
    assert str(exc.value) == (
        "regions.csv, row 2, column jurisdiction: 'XX' is not one of CN, IN, US, UK, IE, AU; "
        "regions.csv, row 3, column region: empty region name; "
        "regions.csv, row 3, column timezone: 'Mars/Base' is not an IANA time zone "
        "(e.g. Asia/Shanghai); "
        "regions.csv, row 4, column region: region 'north' appears twice (rows 2, 4)"
    )
    data = sample_copy(tmp_path / "in", ["sz-1", "ldn-1"], per_region=5)
    reg = pd.read_csv(data / "regions.csv", dtype=str)
    reg[reg["region"] == "sz-1"].to_csv(data / "regions.csv", index=False)
    portfolio = split_with_file(data)
    assert [r.name for r in portfolio.regions] == ["sz-1"]
    refused = {(p.file, p.record_id): p.problem for p in portfolio.rejected}
    assert refused[("agents.csv", "LDN-1-A01")] == "region 'ldn-1' is not in regions.csv"
    assert refused[("accounts.csv", "LDN-1-00001")] == "region 'ldn-1' is not in regions.csv"
    assert len(refused) == 5 + 4  # each refused once, not again as "no agent"


def test_travel_model_per_region_is_checked(tmp_path: Path) -> None:
    """A region's travel model that routeplan does not know stops the run, naming the row."""
    data = sample_copy(tmp_path / "in", ["sz-1"], per_region=5)
    (data / "regions.csv").write_text(
        "region,jurisdiction,timezone,travel\nsz-1,CN,Asia/Shanghai,teleport:x\n", encoding="utf-8"
    )
    result = plan_regions_cli(
        data, tmp_path / "out", "--regions", data / "regions.csv", "--workers", "0"
    )
    assert result.exit_code == 1
    assert (
        result.output.strip()
        .splitlines()[-1]
        .startswith(
            "Error: regions.csv, row 2, column travel: travel.provider: travel provider "
            "'teleport:x' is not one of"
        )
    )
    (data / "regions.csv").write_text(
        "region,jurisdiction,timezone,travel\nsz-1,CN,Asia/Shanghai,haversine\n", encoding="utf-8"
    )
    portfolio = split_with_file(data)
    assert len(portfolio.regions) == 1


def test_unreachable_scheduler_is_one_line_exit_1(tmp_path: Path) -> None:
    """No scheduler at the address: one line naming it, exit 1, nothing written."""
    data = sample_copy(tmp_path / "in", ["sz-1"], per_region=5)
    config = tmp_path / "routeplan.toml"
    config.write_text("[cluster]\nconnect_timeout_s = 2\n", encoding="utf-8")
    out = tmp_path / "out"
    result = plan_regions_cli(
        data,
        out,
        "--region-column",
        "region",
        "--scheduler",
        "tcp://127.0.0.1:9",
        "--config",
        config,
    )
    assert result.exit_code == 1
    last = result.output.strip().splitlines()[-1]
    assert last.startswith(
        "Error: cannot reach the Dask scheduler at tcp://127.0.0.1:9 within 2 s "
        "(is 'dask scheduler' running there?)"
    )
    assert "Traceback" not in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--split", "auto", "--region-column", "region"), "--split makes regions from"),
        (("--workers", "2"), "--scheduler and --workers say where regions are planned"),
        (
            ("--region-column", "region", "--workers", "1", "--scheduler", "tcp://h:1"),
            "--workers sets local workers",
        ),
        (("--split", "kmeans"), "'kmeans': use auto"),
    ],
)
def test_options_that_do_not_go_together(
    tmp_path: Path, args: tuple[str, ...], needle: str
) -> None:
    """Contradictory regions options are wrong usage (exit 2) with a reason."""
    data = sample_copy(tmp_path / "in", ["sz-1"], per_region=5)
    result = plan_regions_cli(data, tmp_path / "out", *args)
    assert result.exit_code == 2
    assert needle in result.output


# --- time zones ----------------------------------------------------------------------


def test_one_day_spanning_time_zones_is_refused(tmp_path: Path) -> None:
    """Without a region column, a portfolio in Shanghai and London clocks is refused.

    Zones that keep the same clock (Shenzhen accounts near the border fall in
    Asia/Hong_Kong) are listed under one offset and would not be refused alone.
    """
    data = sample_copy(tmp_path / "in", ["sz-1", "ldn-1"], per_region=5)
    out = tmp_path / "out"
    result = plan_regions_cli(data, out)
    assert result.exit_code == 1
    line = result.output.strip().splitlines()[-1]
    assert line.startswith(
        "Error: accounts.csv and agents.csv span several time zones (Europe/London "
        "(UTC+00:00, 9 places, e.g. LDN-1-00001, LDN-1-00002, LDN-1-00003); Asia/Shanghai "
        "(UTC+08:00, 7 places, e.g. SZ-1-00001, SZ-1-00002, SZ-1-00003); Asia/Hong_Kong "
        "(UTC+08:00, 2 places, e.g. SZ-1-00005, SZ-1-A02)): the agents' bases lie in several "
        "time zones; shifts, windows and legal hours are local clock times"
    )
    assert line.endswith(
        "--region-column NAME (and --regions FILE for each region's zone and jurisdiction)"
    )
    assert not out.exists()


def test_local_dates_and_zones_found_from_coordinates(tmp_path: Path) -> None:
    """Without --date each region plans its own local date; without regions.csv the zone is
    found from the places (and a region spanning two clocks cannot be planned)."""
    data = sample_copy(tmp_path / "in", ["sz-1", "ldn-1"], per_region=5)
    inputs = load_inputs(data / "accounts.csv", data / "agents.csv")
    # 20:30 UTC: already the 2nd in Shanghai, still the 1st in London
    now = dt.datetime(2026, 12, 1, 20, 30, tzinfo=dt.UTC)
    portfolio = split_by_column(inputs, "region", Config(), now=now)
    found = {r.name: (r.timezone, r.date.isoformat(), r.problem) for r in portfolio.regions}
    assert found == {
        "sz-1": ("Asia/Shanghai", "2026-12-02", ""),
        "ldn-1": ("Europe/London", "2026-12-01", ""),
    }
    acc = pd.read_csv(data / "accounts.csv", dtype=str, keep_default_na=False)
    acc.loc[acc["region"] == "ldn-1", "region"] = "sz-1"
    acc.to_csv(data / "accounts.csv", index=False)
    far = split_by_column(
        load_inputs(data / "accounts.csv", data / "agents.csv"), "region", Config(), now=now
    )
    # London accounts in the Shenzhen region: out of every agent's reach, so only noted
    (sz,) = far.regions
    assert (sz.timezone, sz.problem) == ("Asia/Shanghai", "")
    assert sz.notes == (
        "5 accounts lie in another time zone than the agents (Asia/Shanghai), more than "
        "300 km from every base (e.g. LDN-1-00001, LDN-1-00002, LDN-1-00003); their times are "
        "read as the agents' and no agent can reach them today",
    )
    # an account across the Channel from a London base (Calais, UTC+1) could be visited
    london = acc[acc["account_id"].str.startswith("LDN")].assign(region="ldn-1")
    calais = london.iloc[[0]].assign(account_id="CAL-1", lat="50.95", lon="1.86")
    pd.concat([acc[acc["account_id"].str.startswith("SZ")], london, calais]).to_csv(
        data / "accounts.csv", index=False
    )
    near = split_by_column(
        load_inputs(data / "accounts.csv", data / "agents.csv"), "region", Config(), now=now
    )
    ldn = next(r for r in near.regions if r.name == "ldn-1")
    assert ldn.problem.startswith("its places lie in several time zones (")
    assert "accounts in another time zone than the agents lie within 300 km of a base " in (
        ldn.problem
    )
    assert "(e.g. CAL-1)" in ldn.problem
    assert ldn.problem.endswith("give its zone in regions.csv (--regions FILE)")
    # agents of one region in two clocks
    ag = pd.read_csv(data / "agents.csv", dtype=str, keep_default_na=False)
    ag.assign(region="sz-1").to_csv(data / "agents.csv", index=False)
    acc.assign(region="sz-1").to_csv(data / "accounts.csv", index=False)
    both = split_by_column(
        load_inputs(data / "accounts.csv", data / "agents.csv"), "region", Config(), now=now
    )
    (sz,) = both.regions
    assert "the agents' bases lie in several time zones" in sz.problem


# --- automatic split -----------------------------------------------------------------


def test_bisection_makes_compact_balanced_groups() -> None:
    """Groups hold at most N points, differ by at most one in size, and split across the
    wider side (two clusters far apart are never mixed)."""
    lat = [22.50 + 0.001 * i for i in range(7)] + [22.50 + 0.001 * i for i in range(7)]
    lon = [113.90] * 7 + [114.40] * 7
    import numpy as np

    labels = bisect_points(np.array(lat), np.array(lon), 4)
    sizes = sorted(np.bincount(labels))
    assert sizes == [3, 3, 4, 4]
    for k in set(labels):
        members = {lon[i] for i in range(14) if labels[i] == k}
        assert len(members) == 1
    assert list(labels) == list(bisect_points(np.array(lat), np.array(lon), 4))


def test_split_auto_plans_each_area_and_says_how(tmp_path: Path) -> None:
    """``--split auto:4`` cuts 8 Shenzhen and Guangzhou agents into areas of at most 4;
    each account goes to its nearest base's area; summary.json says how."""
    data = sample_copy(tmp_path / "in", ["sz-1", "gz-1"], per_region=10)
    acc = pd.read_csv(data / "accounts.csv", dtype=str).drop(columns="region")
    acc.to_csv(data / "accounts.csv", index=False)
    out = tmp_path / "out"
    result = plan_regions_cli(data, out, "--split", "auto:4", "--workers", "0")
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    split = summary["split"]
    assert split["method"] == "auto" and split["max_agents_per_region"] == 4
    assert {k: (v["agents"], v["accounts"]) for k, v in split["regions"].items()} == {
        "area-01": (4, 10),
        "area-02": (4, 10),
    }
    for area in ("area-01", "area-02"):
        agents = read_csv(out / area / "plan_context.json").columns  # exists
        assert len(agents) > 0
        itin = read_csv(out / area / "itineraries.csv")
        city = {a.split("-")[0] for a in itin["agent_id"]} | {
            a.split("-")[0] for a in itin.loc[itin["kind"] == "visit", "account_id"]
        }
        assert len(city) == 1  # an area's agents and visits are in one city
    inputs = load_inputs(data / "accounts.csv", data / "agents.csv")
    with pytest.raises(InputError, match="no valid agent"):
        split_auto(
            inputs.__class__(inputs.accounts, inputs.agents.iloc[0:0]),
            Config(),
            max_agents=4,
            plan_date=dt.date(2026, 12, 1),
        )


# --- names, history, hostile values --------------------------------------------------


def test_region_folders_are_safe_file_names() -> None:
    """Region names become safe, unique folder names that never clash with the run's files."""
    folders = region_folders(["north", "../x", "南山", "index.html", "North"])
    assert folders["north"] != folders["North"]
    assert folders["index.html"] == "region-index.html"
    assert "/" not in folders["../x"] and not folders["../x"].startswith(".")
    assert folders["南山"].startswith("region-") is False and folders["南山"].isascii()


def test_db_stores_every_region_and_index_escapes(tmp_path: Path) -> None:
    """With --db each region's plan is stored (from the client); a hostile region name
    is shown as text in the index."""
    from routeplan.io.store import Store

    data = sample_copy(tmp_path / "in", ["sz-1", "ldn-1"], per_region=6)
    for name in ("accounts.csv", "agents.csv"):
        frame = pd.read_csv(data / name, dtype=str, keep_default_na=False)
        frame["region"] = frame["region"].replace({"sz-1": "<script>alert(1)</script>"})
        frame.to_csv(data / name, index=False)
    db = tmp_path / "history.db"
    out = tmp_path / "out"
    result = plan_regions_cli(data, out, "--region-column", "region", "--workers", "0", "--db", db)
    assert result.exit_code == 0, result.output
    with Store(db) as store:
        plans = store.plans()
    assert len(plans) == 2 and set(plans["plan_date"]) == {DATE}
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in index and "&lt;script&gt;alert(1)&lt;/script&gt;" in index


def test_changed_files_are_not_overwritten(tmp_path: Path) -> None:
    """Planning again into a run whose summary or a region's itinerary was edited is refused;
    --force moves the edited files to a backup first."""
    data = sample_copy(tmp_path / "in", ["sz-1"], per_region=5)
    out = tmp_path / "out"
    args = ("--region-column", "region", "--workers", "0")
    assert plan_regions_cli(data, out, *args).exit_code == 0
    (out / "sz-1" / "itineraries.csv").write_text("edited\n", encoding="utf-8")
    again = plan_regions_cli(data, out, *args)
    assert again.exit_code == 1 and "sz-1/itineraries.csv" in again.output
    forced = plan_regions_cli(data, out, *args, "--force")
    assert forced.exit_code == 0, forced.output
    backups = list((out / "sz-1").glob("backup-*/itineraries.csv"))
    assert [b.read_text(encoding="utf-8") for b in backups] == ["edited\n"]


def test_config_pickles_for_workers() -> None:
    """The config and a region job travel to workers as pickles and come back equal."""
    import pickle

    cfg = Config().replace(jurisdiction="UK", solver__time_limit_s=3, cluster__workers=2)
    assert pickle.loads(pickle.dumps(cfg)) == cfg


def test_sample_is_reproducible(tmp_path: Path) -> None:
    """The committed regions sample is what its generator writes (run as a script)."""
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, str(REGIONS / "generate.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    for name in ("accounts.csv", "agents.csv", "regions.csv"):
        assert (tmp_path / name).read_bytes() == (REGIONS / name).read_bytes(), name


def test_one_clock_in_two_zone_names_is_planned(tmp_path: Path) -> None:
    """Shenzhen alone (Asia/Shanghai and Asia/Hong_Kong, both UTC+8) is one day, not refused."""
    data = sample_copy(tmp_path / "in", ["sz-1"], per_region=5)
    result = plan_regions_cli(data, tmp_path / "out", "-q")
    assert result.exit_code == 0, result.output


def test_history_of_a_regions_day(tmp_path: Path) -> None:
    """After a regions run with --db, outcomes of visits of every region match their plan,
    and the day's planned stops and km cover every region (one plan per region and day)."""
    from routeplan.io.store import Store

    data = sample_copy(tmp_path / "in", ["sz-1", "ldn-1"], per_region=6)
    db = tmp_path / "history.db"
    out = tmp_path / "out"
    args = ("--region-column", "region", "--workers", "0", "--db", db)
    assert plan_regions_cli(data, out, *args).exit_code == 0
    visits = {}
    for region in ("sz-1", "ldn-1"):
        itin = read_csv(out / region / "itineraries.csv")
        visits[region] = itin[itin["kind"] == "visit"]
    first = [v.iloc[0] for v in visits.values()]
    outcomes = tmp_path / "outcomes.csv"
    outcomes.write_text(
        "account_id,agent_id,visit_date,outcome\n"
        + "".join(f"{v['account_id']},{v['agent_id']},{DATE},not_home\n" for v in first),
        encoding="utf-8",
    )
    recorded = run("record", outcomes, "--db", db, "--today", DATE)
    assert recorded.exit_code == 0, recorded.output
    day = dt.date(2026, 12, 1)
    with Store(db) as store:
        got = store.outcomes()
        assert list(got["flag"].fillna("")) == ["", ""]
        assert got["planned"].astype(bool).all()
        stops = store.planned_stops(day, day)
        assert len(stops) == sum(len(v) for v in visits.values())
        km = store.route_km(day, day)
        assert {a.split("-")[0] for a in km["agent_id"]} == {"SZ", "LDN"}


class _Never:
    """A task that never answers (a lost worker, a scheduler gone) until cancelled."""

    def __init__(self) -> None:
        self.cancelled = False

    def done(self) -> bool:
        return self.cancelled

    def result(self, timeout_s: float) -> object:
        from routeplan.execution import Outcome

        return Outcome(None, "cancelled")

    def cancel(self) -> None:
        self.cancelled = True


class _Silent:
    """An executor whose tasks never answer."""

    workers = 1

    def __init__(self) -> None:
        self.tasks: list[_Never] = []

    def submit(self, fn: object, *args: object) -> _Never:
        self.tasks.append(_Never())
        return self.tasks[-1]


def test_a_region_without_answer_is_cancelled_not_waited_for(tmp_path: Path) -> None:
    """A task that never answers is cancelled after the timeout; the region is reported
    failed with the reason and the run ends."""
    from routeplan.regions_run import run_regions

    data = sample_copy(tmp_path / "in", ["sz-1", "ldn-1"], per_region=3)
    portfolio = split_with_file(data)
    executor = _Silent()
    written: list[str] = []
    outcomes = run_regions(
        portfolio.regions, executor, lambda r, d: written.append(r.name), timeout_s=0.2
    )
    assert [(o.status, o.reason) for o in outcomes] == [
        ("failed", "no answer within 0.2 s (cancelled)")
    ] * 2
    assert written == [] and all(t.cancelled for t in executor.tasks)


def test_region_column_missing_from_a_file_is_one_line(tmp_path: Path) -> None:
    """A region column missing from agents.csv stops the run with one line naming the file."""
    data = sample_copy(tmp_path / "in", ["sz-1"], per_region=3)
    agents = pd.read_csv(data / "agents.csv", dtype=str).drop(columns="region")
    agents.to_csv(data / "agents.csv", index=False)
    result = plan_regions_cli(data, tmp_path / "out", "--region-column", "Region", "-q")
    assert result.exit_code == 1
    assert result.output == (
        "Error: agents.csv: no column 'region' (--region-column): both files need it\n"
    )


def test_one_day_with_far_accounts_in_another_zone_is_planned(tmp_path: Path) -> None:
    """Without a region column, a few accounts 9,000 km away in another clock (bad addresses)
    do not stop the day: a line names them, and the planner drops them as out of reach."""
    data = sample_copy(tmp_path / "in", ["sz-1", "ldn-1"], per_region=4)
    ag = pd.read_csv(data / "agents.csv", dtype=str, keep_default_na=False)
    ag[ag["region"] == "sz-1"].to_csv(data / "agents.csv", index=False)
    out = tmp_path / "out"
    result = plan_regions_cli(data, out)
    assert result.exit_code == 0, result.output
    assert (
        "4 accounts lie in another time zone than the agents (Asia/Shanghai), more than 300 km "
        "from every base (e.g. LDN-1-00001, LDN-1-00002, LDN-1-00003)" in result.output
    )
    itin = read_csv(out / "itineraries.csv")
    left = set(read_csv(out / "dropped.csv")["account_id"]) | set(
        read_csv(out / "excluded.csv")["account_id"]
    )
    for aid in ("LDN-1-00001", "LDN-1-00002", "LDN-1-00003", "LDN-1-00004"):
        assert aid not in set(itin["account_id"]) and aid in left


def test_regions_index_language_and_labels() -> None:
    """Every label of the regions index has both languages; an all-CN run is in Chinese,
    a mixed run in English; failed regions show their reason and no link."""
    from routeplan.present.regions_index import REGION_LABELS, build_regions_index

    assert all(set(texts) == {"en", "zh"} for texts in REGION_LABELS.values())
    summary = {
        "date": DATE,
        "totals": {"regions": 2, "planned": 1, "failed": 1, "accounts": 7},
        "regions": [
            {"region": "a", "folder": "a", "status": "planned", "jurisdiction": "CN"},
            {"region": "b", "folder": "", "status": "failed", "jurisdiction": "CN", "reason": "x"},
        ],
        "split": {"method": "column", "column": "branch"},
    }
    zh = build_regions_index(summary)
    assert '<html lang="zh">' in zh and "按两个输入文件中的“branch”列划分。" in zh
    assert "href='a/index.html'" in zh and "href='b/" not in zh and "<td>x</td>" in zh
    summary["regions"][1]["jurisdiction"] = "UK"
    en = build_regions_index(summary)
    assert '<html lang="en">' in en and "By the column &#x27;branch&#x27; of both input" in en
    assert "1 of 2 regions planned, 1 failed." in en


def test_check_regions_with_history_and_another_travel_model(tmp_path: Path) -> None:
    """``check --region-column`` applies --db's history and --travel's times to each region.

    A dispute recorded after the plan makes that region's planned visit a
    violation under --db only; a matrix file ten times slower than straight
    lines makes every region's arrivals late under --travel only.
    """
    import numpy as np

    from routeplan.travel.haversine import haversine_m

    data = sample_copy(tmp_path / "in", ["sz-1", "ldn-1"], per_region=6)
    db = tmp_path / "history.db"
    out = tmp_path / "out"
    planned = plan_regions_cli(data, out, "--region-column", "region", "--workers", "0", "--db", db)
    assert planned.exit_code == 0, planned.output
    check_args = ("check", "--accounts", data / "accounts.csv", "--agents", data / "agents.csv")
    check_args += ("--region-column", "region", out)
    ok = run(*check_args, "--db", db)
    assert ok.exit_code == 0, ok.output
    itin = read_csv(out / "sz-1" / "itineraries.csv")
    visit = itin[itin["kind"] == "visit"].iloc[0]
    outcomes = tmp_path / "outcomes.csv"
    outcomes.write_text(
        "account_id,agent_id,visit_date,outcome\n"
        f"{visit['account_id']},{visit['agent_id']},2026-11-30,dispute\n",
        encoding="utf-8",
    )
    assert run("record", outcomes, "--db", db, "--today", DATE).exit_code == 0
    assert run(*check_args).exit_code == 0
    disputed = run(*check_args, "--db", db)
    assert disputed.exit_code == 1
    lines = [x for x in disputed.output.splitlines() if visit["account_id"] in x]
    assert lines and all(x.startswith("sz-1: ") for x in lines), disputed.output
    assert "ldn-1:" not in disputed.output
    # every place of both regions, 20 s per straight-line metre
    acc = read_csv(data / "accounts.csv")
    ag = read_csv(data / "agents.csv")
    places = {r.account_id: (float(r.lat), float(r.lon)) for r in acc.itertuples()}
    for r in ag.itertuples():
        places[f"base:{r.agent_id}"] = (float(r.base_lat), float(r.base_lon))
    ids = list(places)
    metres = haversine_m([places[i][0] for i in ids], [places[i][1] for i in ids])
    slow = tmp_path / "slow.csv"
    pd.DataFrame(
        [
            (a, b, int(np.ceil(20 * metres[i, j])), round(metres[i, j]))
            for i, a in enumerate(ids)
            for j, b in enumerate(ids)
        ],
        columns=["from_id", "to_id", "duration_s", "distance_m"],
    ).to_csv(slow, index=False)
    late = run(*check_args, "--travel", f"matrix:{slow}")
    assert late.exit_code == 1
    for region in ("sz-1", "ldn-1"):
        assert any(
            x.startswith(f"{region}: ") and "min late" in x for x in late.output.splitlines()
        ), late.output
