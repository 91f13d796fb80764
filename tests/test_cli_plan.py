"""`routeplan plan` and `routeplan check` through click's CliRunner."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import click
import pandas as pd
import pytest
from click.testing import CliRunner

from routeplan.cli import main
from tests.helpers import DATE, SAMPLES, check_tiny, plan_tiny, read_csv, run


def test_every_command_has_help_with_an_example() -> None:
    """Each command documents itself with an Example: line."""
    assert isinstance(main, click.Group)
    for name, cmd in main.commands.items():
        res = run(name, "--help")
        assert res.exit_code == 0, name
        assert "Example:" in res.output, f"{name} --help lacks an Example"
        assert cmd.help


def _example(cmd: click.Command) -> list[str]:
    """Return the arguments of the ``Example:`` in ``cmd``'s help (after ``routeplan NAME``)."""
    text = (cmd.help or "").split("Example:", 1)[1].lstrip().replace("\\b", "")
    line = " ".join(text.split("\n\n", 1)[0].split())
    words = shlex.split(line)
    assert words[0] == "routeplan", line
    return words[2:]


def test_every_example_is_a_valid_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each command's Example parses as that command: its options exist, values convert.

    Run where the plan folders an example names exist (``map`` requires its folder).
    """
    assert isinstance(main, click.Group)
    monkeypatch.chdir(tmp_path)
    for name, cmd in main.commands.items():
        args = _example(cmd)
        for arg in args:
            if "/" in arg and not Path(arg).suffix:
                Path(arg).mkdir(parents=True, exist_ok=True)
        ctx = cmd.make_context(name, list(args))
        assert ctx.params, name
    # the group's own example is a plan command line
    assert main.commands["plan"].make_context("plan", _example(main)).params["out_dir"]


def test_record_example_names_the_file_plan_writes(tiny_dir: Path, tmp_path: Path) -> None:
    """record's Example records the plan folder's outcomes_template.csv, a file plan writes."""
    example = Path(_example(main.commands["record"])[0])
    assert example.name == "outcomes_template.csv"
    out = tmp_path / "plan"
    assert plan_tiny(tiny_dir, out).exit_code == 0
    assert (out / example.name).is_file()


def test_check_help_states_what_date_and_db_do() -> None:
    """check --help: --date and --jurisdiction default to the plan's summary.json; --db only
    applies the history's exclusions and stores nothing (plan --db is the one that stores)."""
    check_help = " ".join(run("check", "--help").output.split())
    assert "--date YYYY-MM-DD Plan date YYYY-MM-DD (default: the date in the plan's " in check_help
    assert "summary.json, else today)" in check_help
    assert "(default: the one in the plan's summary.json, else the config's)" in check_help
    assert "check only applies the history's exclusions as in 'plan --db', and nothing is " in (
        check_help
    )
    assert "stored in it (a missing file is an error)" in check_help
    plan_help = " ".join(run("plan", "--help").output.split())
    assert "(default: today)" in plan_help and "stores the plan in it" in plan_help


def test_check_takes_date_from_summary_and_db_stores_nothing(
    tiny_dir: Path, tmp_path: Path
) -> None:
    """check without --date checks the plan's own date; check --db leaves the history as it
    was (no plan added); a --db file that does not exist is an error, not a new database."""
    from routeplan.io.store import Store

    db = tmp_path / "h.db"
    out = tmp_path / "plan"
    assert plan_tiny(tiny_dir, out, "--db", str(db)).exit_code == 0
    with Store(db) as store:
        before = store.plans()
    inputs = ("--accounts", tiny_dir / "accounts.csv", "--agents", tiny_dir / "agents.csv")
    res = run("check", *inputs, out, "--db", db)
    assert res.exit_code == 0, res.output
    assert res.output.startswith(f"OK: {out} has no violation ({DATE}, CN, haversine travel times)")
    with Store(db) as store:
        pd.testing.assert_frame_equal(store.plans(), before)
    missing = tmp_path / "typo.db"
    res = run("check", *inputs, out, "--db", missing)
    assert res.exit_code == 1
    assert f"{missing}: no history database" in res.output
    assert not missing.exists()


def test_tiny_plan_end_to_end(tiny_dir: Path, tmp_path: Path) -> None:
    """The tiny day plans all four plannable visits and passes check."""
    out = tmp_path / "plan"
    res = plan_tiny(tiny_dir, out)
    assert res.exit_code == 0, res.output
    assert "4 visits by" in res.output
    for name in (
        "itineraries.csv",
        "checklist.csv",
        "excluded.csv",
        "dropped.csv",
        "rejected.csv",
        "summary.json",
        "scores.csv",
        "map.html",
        "index.html",
    ):
        assert (out / name).exists(), name
    it = read_csv(out / "itineraries.csv")
    visits = it[it["kind"] == "visit"]
    assert sorted(visits["account_id"]) == ["ACC01", "ACC02", "ACC03", "ACC13"]
    assert visits.set_index("account_id").loc["ACC02", "agent_id"] == "A2"  # only yue speaker
    assert visits.set_index("account_id").loc["ACC03", "agent_id"] == "A1"  # only senior
    for _, rows in it.groupby("agent_id"):
        assert rows["kind"].iloc[0] == "start" and rows["kind"].iloc[-1] == "end"
        assert rows["stop_no"].astype(int).tolist() == list(range(len(rows)))
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["counts"]["planned"] == 4 and summary["counts"]["eligible"] == 8
    assert {a["agent_id"]: a["usable"] for a in summary["agents"]} == {
        "A1": True,
        "A2": True,
        "A3": False,
    }
    res = check_tiny(tiny_dir, out)
    assert res.exit_code == 0, res.output
    assert res.output.startswith("OK")


def test_every_account_is_accounted_for(tiny_dir: Path, tmp_path: Path) -> None:
    """Each account is visited, dropped or excluded, each with a reason."""
    out = tmp_path / "plan"
    plan_tiny(tiny_dir, out)
    it = read_csv(out / "itineraries.csv")
    planned = set(it.loc[it["kind"] == "visit", "account_id"])
    dropped = read_csv(out / "dropped.csv")
    excluded = read_csv(out / "excluded.csv")
    assert (dropped["reason"] != "").all() and (excluded["reason"] != "").all()
    every = planned | set(dropped["account_id"]) | set(excluded["account_id"])
    assert every == {f"ACC{i:02d}" for i in range(1, 16)}
    assert not planned & set(dropped["account_id"])


def test_bad_rows_are_rejected_and_the_rest_planned(tiny_dir: Path, tmp_path: Path) -> None:
    """Bad rows land in rejected.csv with file, row, column; good rows still planned."""
    acc = tiny_dir / "accounts.csv"
    text = acc.read_text(encoding="utf-8")
    text += "BAD1,坏,地址,31.23,121.47,lots,120,5,,,,0,,,,,zh,,0\n"
    text += "ACC01,重复,地址,31.23,121.47,1000,120,5,,,,0,,,,,zh,,0\n"
    text += "BAD2,坏,地址,31.23,121.47,50000,120,5,,,,0,,,,25:00-26:00,zh,,0\n"
    acc.write_text(text, encoding="utf-8")
    ag = tiny_dir / "agents.csv"
    ag.write_text(
        ag.read_text(encoding="utf-8")
        + "A9,反,31.23,121.47,,,17:00,09:00,3,zh,,,,C-9,2027-01-01,\n",
        encoding="utf-8",
    )
    out = tmp_path / "plan"
    res = plan_tiny(tiny_dir, out)
    assert res.exit_code == 0, res.output
    rej = read_csv(out / "rejected.csv")
    got = set(zip(rej["file"], rej["row"], rej["column"], strict=True))
    assert got == {
        ("accounts.csv", "17", "balance"),
        ("accounts.csv", "2", "account_id"),
        ("accounts.csv", "18", "account_id"),
        ("accounts.csv", "19", "visit_windows"),
        ("agents.csv", "5", "shift_end"),
    }
    it = read_csv(out / "itineraries.csv")
    assert {"ACC02", "ACC03", "ACC13"} <= set(it["account_id"])
    assert "ACC01" not in set(it["account_id"])  # both copies refused
    assert check_tiny(tiny_dir, out).exit_code == 0


def test_rejected_csv_names_the_refused_record(tiny_dir: Path, tmp_path: Path) -> None:
    """rejected.csv keeps the contract's columns in order, then the row's account_id/agent_id.

    A planner who sorts the file can still find the account: a bad balance and both copies
    of a duplicate id carry the id, an agent row its agent_id, an empty id nothing.
    """
    acc = tiny_dir / "accounts.csv"
    text = acc.read_text(encoding="utf-8")
    text += "BAD1,坏,地址,31.23,121.47,lots,120,5,,,,0,,,,,zh,,0\n"  # row 17
    text += "ACC01,重复,地址,31.23,121.47,1000,120,5,,,,0,,,,,zh,,0\n"  # row 18
    text += ",无号,地址,31.23,121.47,1000,120,5,,,,0,,,,,zh,,0\n"  # row 19
    acc.write_text(text, encoding="utf-8")
    ag = tiny_dir / "agents.csv"
    ag.write_text(
        ag.read_text(encoding="utf-8")
        + "A9,反,31.23,121.47,,,17:00,09:00,3,zh,,,,C-9,2027-01-01,\n",  # row 5
        encoding="utf-8",
    )
    out = tmp_path / "plan"
    res = plan_tiny(tiny_dir, out)
    assert res.exit_code == 0, res.output
    rej = read_csv(out / "rejected.csv")
    assert list(rej.columns) == ["file", "row", "column", "problem", "record_id"]
    got = sorted(zip(rej["file"], rej["row"], rej["column"], rej["record_id"], strict=True))
    assert got == [
        ("accounts.csv", "17", "balance", "BAD1"),
        ("accounts.csv", "18", "account_id", "ACC01"),
        ("accounts.csv", "19", "account_id", ""),
        ("accounts.csv", "2", "account_id", "ACC01"),
        ("agents.csv", "5", "shift_end", "A9"),
    ]
    assert check_tiny(tiny_dir, out).exit_code == 0


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (
            lambda d: (d / "accounts.csv").write_text("account_id,debtor_name\nX,Y\n"),
            "accounts.csv, column address: required column is missing",
        ),
        (lambda d: (d / "accounts.csv").write_text(""), "accounts.csv: file is empty"),
        (lambda d: (d / "agents.csv").unlink(), "file not found"),
        (
            lambda d: (d / "agents.csv").write_text(
                (d / "agents.csv").read_text(encoding="utf-8").replace("2027-01-01", "2025-01-01"),
                encoding="utf-8",
            ),
            "no usable agent on 2026-12-01",
        ),
        (
            lambda d: (d / "agents.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
            "binary",
        ),
    ],
)
def test_file_level_problems_exit_1_in_one_line(
    tiny_dir: Path,
    tmp_path: Path,
    mutate,
    needle: str,  # type: ignore[no-untyped-def]
) -> None:
    """Unusable files stop the run: exit 1, one clear line, no traceback."""
    mutate(tiny_dir)
    res = CliRunner().invoke(
        main,
        [
            "plan",
            "--accounts",
            str(tiny_dir / "accounts.csv"),
            "--agents",
            str(tiny_dir / "agents.csv"),
            "--date",
            DATE,
            "--out",
            str(tmp_path / "p"),
            "-q",
            "--no-geocode",
        ],
    )
    assert res.exit_code == 1, res.output
    assert needle in res.output
    assert "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1
    assert not (tmp_path / "p" / "itineraries.csv").exists()


def test_usage_errors_exit_2(tiny_dir: Path, tmp_path: Path) -> None:
    """A malformed --date or unknown jurisdiction is wrong usage (exit 2)."""
    res = CliRunner().invoke(
        main, ["plan", "--accounts", "a", "--agents", "b", "--out", "o", "--date", "01/12/2026"]
    )
    assert res.exit_code == 2
    res = CliRunner().invoke(
        main, ["plan", "--accounts", "a", "--agents", "b", "--out", "o", "--jurisdiction", "FR"]
    )
    assert res.exit_code == 2


def test_bad_config_exit_1(tiny_dir: Path, tmp_path: Path) -> None:
    """A config typo is one line naming the file and key."""
    cfg = tmp_path / "routeplan.toml"
    cfg.write_text("[solver]\ntime_limt_s = 3\n", encoding="utf-8")
    res = CliRunner().invoke(
        main,
        [
            "plan",
            "--accounts",
            str(tiny_dir / "accounts.csv"),
            "--agents",
            str(tiny_dir / "agents.csv"),
            "--out",
            str(tmp_path / "p"),
            "--config",
            str(cfg),
        ],
    )
    assert res.exit_code == 1
    assert "routeplan.toml: unknown key(s) in [solver]: time_limt_s" in res.output


def test_gb18030_inputs(tiny_dir: Path, tmp_path: Path) -> None:
    """A GB18030 export from Chinese Excel plans the same as UTF-8."""
    for name in ("accounts.csv", "agents.csv"):
        p = tiny_dir / name
        p.write_bytes(p.read_text(encoding="utf-8").encode("gb18030"))
    out = tmp_path / "plan"
    res = plan_tiny(tiny_dir, out)
    assert res.exit_code == 0, res.output
    it = read_csv(out / "itineraries.csv")
    assert "张伟" in set(it["debtor_name"])


def test_india_hours(tiny_dir: Path, tmp_path: Path) -> None:
    """Under IN no visit ends after 19:00 (evening windows are cut)."""
    ag = tiny_dir / "agents.csv"
    ag.write_text(ag.read_text(encoding="utf-8").replace("17:00", "21:00"), encoding="utf-8")
    out = tmp_path / "plan"
    assert plan_tiny(tiny_dir, out, "--jurisdiction", "IN").exit_code == 0
    it = read_csv(out / "itineraries.csv")
    visits = it[it["kind"] == "visit"]
    assert (visits["service_end"] <= "19:00").all()
    assert "ACC14" in set(visits["account_id"])  # 18:00-20:00 window, now 18:00-19:00
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["jurisdiction"] == "IN" and summary["legal_hours"] == "08:00-19:00"
    assert check_tiny(tiny_dir, out).exit_code == 0  # check takes IN from summary.json


def test_check_finds_violations_in_an_edited_plan(tiny_dir: Path, tmp_path: Path) -> None:
    """A dispatcher's edits that break rules are each reported; exit 1."""
    out = tmp_path / "plan"
    plan_tiny(tiny_dir, out)
    it = read_csv(out / "itineraries.csv")
    i = it.index[(it["account_id"] == "ACC02")][0]
    it.loc[i, ["arrival", "service_start", "service_end"]] = ["12:30", "12:30", "13:00"]
    j = it.index[(it["account_id"] == "ACC03")][0]
    it.loc[j, "account_id"] = "ACC05"  # disputed: never visited
    it.to_csv(out / "itineraries.csv", index=False)
    res = check_tiny(tiny_dir, out)
    assert res.exit_code == 1
    assert "account ACC02: [window]" in res.output
    assert "account ACC05: [eligibility]" in res.output
    assert "ACC03: [accounted] neither planned, dropped, excluded nor rejected" in res.output
    assert res.output.strip().splitlines()[-1].startswith("Error:")


def test_check_catches_late_visit_and_travel(tiny_dir: Path, tmp_path: Path) -> None:
    """Impossible travel and visits past legal hours are caught."""
    out = tmp_path / "plan"
    plan_tiny(tiny_dir, out)
    it = read_csv(out / "itineraries.csv")
    k = it.index[(it["kind"] == "visit")][0]
    it.loc[k, ["lat", "lon"]] = ["31.9", "121.47"]
    it.to_csv(out / "itineraries.csv", index=False)
    res = check_tiny(tiny_dir, out)
    assert "[travel]" in res.output and "[location]" in res.output


@pytest.mark.slow
def test_samples_end_to_end(tmp_path: Path) -> None:
    """The bundled samples plan within a short limit and pass check."""
    out = tmp_path / "demo"
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
        "5",
        "--no-geocode",
        "-q",
    )
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    c = summary["counts"]
    assert c["planned"] > 150
    assert c["accounts"] + c["rejected_account_rows"] >= 1500
    assert c["excluded"] + c["eligible"] == c["accounts"]
    assert c["planned"] + c["dropped"] == c["eligible"]
    assert summary["agents"][16]["usable"] is False  # AG17: expired credential
    sheets = list((out / "sheets").glob("*.html"))
    assert len(sheets) == c["agents_with_visits"]
    res = run(
        "check",
        "--accounts",
        SAMPLES / "accounts.csv",
        "--agents",
        SAMPLES / "agents.csv",
        "--date",
        DATE,
        out,
    )
    assert res.exit_code == 0, res.output


def test_check_accepts_a_dropped_account_added_by_a_dispatcher(
    tiny_dir: Path, tmp_path: Path
) -> None:
    """A dropped account a dispatcher puts on a route is checked like any visit."""
    cfg = tmp_path / "routeplan.toml"
    cfg.write_text("[solver]\nvalue_of_hour = 1e12\n", encoding="utf-8")  # nothing worth it
    out = tmp_path / "plan"
    assert plan_tiny(tiny_dir, out, "--config", str(cfg)).exit_code == 0
    it = read_csv(out / "itineraries.csv")
    assert it.empty
    assert "ACC01" in set(read_csv(out / "dropped.csv")["account_id"])
    rows = [
        ["start", "", "31.2300", "121.4700", "09:00", "09:00", "09:00"],
        ["visit", "ACC01", "31.2350", "121.4750", "09:30", "09:30", "10:00"],
        ["end", "", "31.2330", "121.4750", "10:30", "10:30", "10:30"],
    ]
    edited = pd.DataFrame(
        [
            {
                **dict.fromkeys(it.columns, ""),
                "date": DATE,
                "agent_id": "A2",
                "stop_no": str(n),
                "kind": k,
                "account_id": a,
                "lat": la,
                "lon": lo,
                "arrival": ar,
                "service_start": s0,
                "service_end": s1,
            }
            for n, (k, a, la, lo, ar, s0, s1) in enumerate(rows)
        ]
    )
    edited.to_csv(out / "itineraries.csv", index=False)
    res = check_tiny(tiny_dir, out, "--config", str(cfg))
    assert res.exit_code == 0, res.output
    edited.loc[1, "account_id"] = "ACC08"  # dropped for language: A2 has no French
    edited.loc[1, ["lat", "lon"]] = ["31.2330", "121.4830"]
    edited.to_csv(out / "itineraries.csv", index=False)
    res = check_tiny(tiny_dir, out, "--config", str(cfg))
    assert res.exit_code == 1 and "account ACC08: [skills] needs fr" in res.output
