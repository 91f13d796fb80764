"""Helpers shared by the test modules: paths, the CLI runner, tiny-day plans, oracles.

Fixtures live in ``conftest.py``; everything a test module imports lives
here, so that no test module imports another. The oracles (``planned_ok``,
``assert_lawful``) read the input files independently of routeplan's readers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Sequence
from pathlib import Path

import click
import pandas as pd
from click.testing import CliRunner

from routeplan.cli import main
from routeplan.config import Config
from routeplan.io.readers import read_accounts
from routeplan.plan import Plan, load_inputs, plan_day

ROOT = Path(__file__).resolve().parent.parent
TINY = Path(__file__).resolve().parent / "data" / "tiny"
SAMPLES = ROOT / "data" / "samples"
PLAN_DATE = dt.date(2026, 12, 1)
#: the tiny dataset's and the samples' plan date on the command line (a Tuesday)
DATE = PLAN_DATE.isoformat()


# --- the command line -------------------------------------------------------------------


def run(*args: str | Path, catch: bool = False) -> click.testing.Result:
    """Invoke the CLI; ``result.stderr`` holds the notices apart from stdout.

    By default an unexpected exception propagates (the test fails with its
    traceback); ``catch=True`` keeps it in ``result.exception`` for
    :func:`no_crash` to judge.
    """
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=catch)


def invoke(*args: str | Path) -> click.testing.Result:
    """Run the CLI, catching exceptions so that a traceback is a test failure, not a crash."""
    return run(*args, catch=True)


def _tiny_inputs(tiny: Path, date: str) -> list[str | Path]:
    """Return ``--accounts``, ``--agents`` and ``--date`` for a tiny-day command."""
    return ["--accounts", tiny / "accounts.csv", "--agents", tiny / "agents.csv", "--date", date]


def plan_tiny(
    tiny: Path,
    out: Path,
    *extra: str | Path,
    date: str = DATE,
    catch: bool = False,
    time_limit: str = "1",
) -> click.testing.Result:
    """Plan the day in folder ``tiny`` (tiny by default) into ``out``, one second of search."""
    return run(
        "plan",
        *_tiny_inputs(tiny, date),
        "--out",
        out,
        "--time-limit",
        time_limit,
        "--no-geocode",
        "-q",
        *extra,
        catch=catch,
    )


def plan_bounded(tiny: Path, out: Path, *extra: str, date: str = DATE) -> click.testing.Result:
    """Plan the tiny day as :func:`plan_tiny`, also stopping after 50 solutions; catch all."""
    return plan_tiny(tiny, out, "--solution-limit", "50", *extra, date=date, catch=True)


def check_tiny(
    tiny: Path, out: Path, *extra: str, date: str = DATE, catch: bool = False
) -> click.testing.Result:
    """Re-check a plan folder against the tiny inputs."""
    return run(
        "check",
        *_tiny_inputs(tiny, date),
        out,
        *extra,
        catch=catch,
    )


def write_tiny_plan(out: Path) -> Plan:
    """Plan the tiny day through the Python API (2 s solver limit) and write it to ``out``."""
    config = Config().replace(solver__time_limit_s=2.0, geocode__provider="none")
    plan = plan_day(load_inputs(TINY / "accounts.csv", TINY / "agents.csv"), PLAN_DATE, config)
    plan.write(out, notify=lambda _: None)
    return plan


def read_csv(path: Path) -> pd.DataFrame:
    """Read a CSV routeplan wrote (byte-order mark, every cell as text, as written)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


# --- hostile inputs and the independent oracle ------------------------------------------

ACCOUNT_HEADER = (
    "account_id,debtor_name,address,lat,lon,balance,days_past_due,contact_attempts_30d,"
    "last_contact_outcome,last_payment_date,ptp_date,broken_promises,hardship,dispute,"
    "do_not_visit,visit_windows,language,last_visit_date,visits_90d"
)
AGENT_HEADER = (
    "agent_id,name,base_lat,base_lon,end_lat,end_lon,shift_start,shift_end,max_visits,skills,"
    "break_start,break_end,break_minutes,credential_id,credential_expiry,speed_kmh"
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def no_crash(res: click.testing.Result) -> None:
    """Fail when the command died on an unexpected exception (what a user sees as a traceback)."""
    exc = res.exception
    assert exc is None or isinstance(exc, SystemExit), (
        f"unexpected {type(exc).__name__}: {exc}\n{res.output}"
    )
    assert "Traceback" not in res.output


def one_line_error(res: click.testing.Result, *needles: str, code: int = 1) -> str:
    """Assert a clean failure: exit ``code``, no traceback, one line holding every needle."""
    no_crash(res)
    assert res.exit_code == code, res.output
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1, res.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def read_out(out: Path, name: str) -> pd.DataFrame:
    """Read a plan-folder CSV as text cells, dropping the ``'`` put before formula cells."""
    frame = pd.read_csv(out / name, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return frame.map(lambda v: v[1:] if v[:1] == "'" and v[1:2] in FORMULA_START else v)


def raw_rows(path: Path) -> list[dict[str, str]]:
    """Return the rows of a UTF-8 input file read independently of routeplan's reader."""
    text = path.read_bytes().decode("utf-8-sig")
    first, _, rest = text.partition("\n")
    if first.lower().startswith("sep="):
        sep, text = first[4], rest
    else:
        sep = next(c for c in (",", "\t", ";", ",") if c in first)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    header = ["_".join(c.strip().lower().replace("-", " ").split()) for c in rows[0]]
    return [
        {h: c.strip() for h, c in zip(header, r, strict=False)}
        for r in rows[1:]
        if any(c.strip() for c in r)
    ]


def raw_ids(path: Path) -> list[str]:
    """Return the account ids of an accounts file read independently of routeplan."""
    return [r["account_id"] for r in raw_rows(path)]


def _date_or_none(text: str) -> dt.date | None:
    """Return a year-first date (``2026-12-05``, ``2026/12/5``), None when there is none."""
    m = re.match(r"^(\d{4})\D(\d{1,2})\D(\d{1,2})", text)
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3])) if m else None
    except ValueError:
        return None


def never_visit(path: Path, date: str) -> set[str]:
    """Return the accounts no plan for ``date`` may visit: disputed, do-not-visit, active PTP."""
    out = set()
    day = dt.date.fromisoformat(date)
    for r in raw_rows(path):
        flagged = {r.get("dispute", "").lower(), r.get("do_not_visit", "").lower()}
        active = (ptp := _date_or_none(r.get("ptp_date", ""))) is not None and ptp >= day
        if flagged & {"1", "true", "yes", "y", "t"} or active:
            out.add(r["account_id"])
    return out


def planned_ok(tiny: Path, out: Path, *extra: str, date: str = DATE) -> pd.DataFrame:
    """Plan, require success, run check as the oracle and return the visits.

    Also asserts, independently of check, that every account of the input file
    is visited, dropped, excluded or rejected, each with a reason, that no
    disputed, do-not-visit or active-promise account is visited, and that no
    account is visited twice.
    """
    res = plan_bounded(tiny, out, *extra, date=date)
    no_crash(res)
    assert res.exit_code == 0, res.output
    res_check = check_tiny(tiny, out, date=date, catch=True)
    no_crash(res_check)
    assert res_check.exit_code == 0, res_check.output
    it = read_out(out, "itineraries.csv")
    visits = it[it["kind"] == "visit"]
    dropped, excluded = read_out(out, "dropped.csv"), read_out(out, "excluded.csv")
    rejected = read_out(out, "rejected.csv")
    assert (dropped["reason"].str.strip() != "").all()
    assert (excluded["reason"].str.strip() != "").all()
    assert (rejected["problem"].str.strip() != "").all()
    accounted = set(visits["account_id"]) | set(dropped["account_id"]) | set(excluded["account_id"])
    refused_rows = set(rejected.loc[rejected["file"] == "accounts.csv", "row"].astype(int))
    all_ids = raw_ids(tiny / "accounts.csv")
    accounts = read_accounts(tiny / "accounts.csv").frame
    row_of = dict(zip(accounts["account_id"], accounts["_row"], strict=True))
    for aid in all_ids:
        if aid not in accounted:
            assert aid not in row_of or row_of[aid] in refused_rows, f"{aid} is lost"
    assert not set(visits["account_id"]) & set(dropped["account_id"])
    assert not visits["account_id"].duplicated().any()
    jurisdiction = extra[extra.index("--jurisdiction") + 1] if "--jurisdiction" in extra else "CN"
    assert_lawful(tiny, it, jurisdiction.upper(), dt.date.fromisoformat(date))
    return visits


#: legal visiting hours per jurisdiction profile, in minutes (domain primer)
LEGAL_MIN = {
    "CN": (480, 1320),
    "IN": (480, 1140),
    "US": (480, 1260),
    "UK": (480, 1260),
    "IE": (540, 1260),
    "AU": (540, 1260),
}


def _minutes(text: str) -> int | None:
    """Return minutes after midnight of ``H:MM``/``HH:MM``/``HH:MM:00``, None if not a time."""
    m = re.fullmatch(r"(\d{1,2}):(\d{2})(?::00)?", text.strip())
    return int(m[1]) * 60 + int(m[2]) if m else None


def _windows(text: str) -> list[tuple[int, int]] | None:
    """Return a visit_windows cell as minute spans ([] = any time), None when unreadable."""
    spans = []
    for part in filter(None, (x.strip() for x in text.split(";"))):
        ends = [_minutes(x) for x in part.split("-")]
        if len(ends) != 2 or None in ends:
            return None
        spans.append((ends[0], ends[1]))
    return spans  # type: ignore[return-value]


def assert_lawful(tiny: Path, itineraries: pd.DataFrame, jurisdiction: str, day: dt.date) -> None:
    """Check the plan against the raw input files and the law, without routeplan's code.

    Only eligible accounts (default rules), never a disputed, do-not-visit or
    active-promise account; legal hours
    (arrival to end of service), no Sunday visits in Ireland, each
    debtor's windows, 30-minute visits, the agent's shift, credential,
    max_visits, language and seniority.
    """
    visits = itineraries[itineraries["kind"] == "visit"]
    assert not set(visits["account_id"]) & never_visit(tiny / "accounts.csv", day.isoformat())
    if jurisdiction == "IE" and day.weekday() == 6:
        assert visits.empty, "visits on an Irish Sunday"
    lo, hi = LEGAL_MIN[jurisdiction]
    accounts = {r["account_id"]: r for r in raw_rows(tiny / "accounts.csv")}
    agents = {r["agent_id"]: r for r in raw_rows(tiny / "agents.csv")}
    for v in visits.to_dict("records"):
        where = f"{v['agent_id']}/{v['account_id']}"
        arrival, start, end = (_minutes(v[c]) for c in ("arrival", "service_start", "service_end"))
        assert arrival is not None and start is not None and end is not None, where
        assert lo <= arrival <= start and end - start >= 30 and end <= hi, (where, arrival, end)
        acc, ag = accounts.get(v["account_id"]), agents.get(v["agent_id"])
        assert acc is not None and ag is not None, where
        spans = _windows(acc.get("visit_windows", ""))
        if spans:
            assert any(a <= start and end <= b for a, b in spans), (where, spans)
        shift = (_minutes(ag.get("shift_start", "")), _minutes(ag.get("shift_end", "")))
        assert shift[0] is not None and shift[1] is not None, where
        assert shift[0] <= start and end <= shift[1], (where, shift)
        assert ag.get("credential_id", ""), where
        expiry = _date_or_none(ag.get("credential_expiry", ""))
        assert expiry is None or expiry >= day, (where, expiry)
        skills = {x.strip().lower() for x in ag.get("skills", "").split(";")}
        language = acc.get("language", "").strip().lower()
        assert not language or language in skills, (where, language, skills)
        if float(acc["balance"]) >= 100_000:
            assert "senior" in skills, where
        # the default eligibility rules
        assert float(acc["balance"]) >= 10_000, where
        assert float(acc["days_past_due"]) >= 90 and float(acc["contact_attempts_30d"]) >= 3, where
        assert float(acc.get("visits_90d") or 0) < 3, where
        last = _date_or_none(acc.get("last_visit_date", ""))
        assert last is None or (day - last).days >= 7, (where, last)
    for agent_id, rows in visits.groupby("agent_id"):
        cap = agents[str(agent_id)].get("max_visits", "")
        if re.fullmatch(r"\d+", cap):
            assert len(rows) <= int(cap), agent_id


def add_accounts(tiny: Path, *rows: str) -> None:
    """Append raw CSV lines to the tiny accounts file."""
    p = tiny / "accounts.csv"
    p.write_text(p.read_text(encoding="utf-8") + "".join(r + "\n" for r in rows), encoding="utf-8")


def account(
    aid: str = "X1",
    *,
    name: str = "测试",
    address: str = "上海市黄浦区测试路1号",
    lat: str = "31.2340",
    lon: str = "121.4740",
    balance: str = "50000",
    days: str = "120",
    attempts: str = "5",
    windows: str = "",
    language: str = "zh",
    flags: tuple[str, str, str] = ("", "", ""),
    ptp: str = "",
) -> str:
    """Return one accounts.csv line (eligible on DATE by default), quoting what needs it."""
    cells = [aid, name, address, lat, lon, balance, days, attempts, "no_answer", "", ptp, "0"]
    cells += [*flags, windows, language, "", "0"]
    return csv_line(cells)


def set_agents(tiny: Path, *rows: str) -> None:
    """Replace the tiny agents with these raw CSV lines."""
    text = AGENT_HEADER + "\n" + "".join(r + "\n" for r in rows)
    (tiny / "agents.csv").write_text(text, encoding="utf-8")


def agent(
    aid: str = "B1",
    *,
    name: str = "李四",
    base: tuple[str, str] = ("31.2300", "121.4700"),
    shift: tuple[str, str] = ("09:00", "17:00"),
    max_visits: str = "5",
    skills: str = "zh;yue;senior",
    brk: tuple[str, str, str] = ("", "", ""),
    credential: tuple[str, str] = ("C-9", "2027-06-30"),
    speed: str = "",
) -> str:
    """Return one agents.csv line (usable on DATE by default), quoting what needs it."""
    cells = [aid, name, *base, "", "", *shift, max_visits, skills, *brk, *credential, speed]
    return csv_line(cells)


def csv_line(cells: list[str]) -> str:
    """Return one CSV record without its line end (quoting commas, quotes and line breaks)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(cells)
    return buf.getvalue().removesuffix("\r\n")


def rejected_at(out: Path) -> set[tuple[str, int, str]]:
    """Return ``(file, row, column)`` of every rejected row."""
    rej = read_out(out, "rejected.csv")
    return {(f, int(r), c) for f, r, c in zip(rej["file"], rej["row"], rej["column"], strict=True)}


# --- a small history database ------------------------------------------------------------

D1 = PLAN_DATE

#: (agent_id, account_id, service_start, address, travel_km) of the default stored plan
VISITS: tuple[tuple[str, str, str, str, float], ...] = (
    ("AG1", "A1", "09:30", "1 Main St", 3.0),
    ("AG1", "A2", "10:30", "2 Main St", 1.5),
    ("AG2", "A3", "14:00", "3 Side Rd", 4.0),
)


def make_plan(
    day: dt.date = D1,
    visits: Sequence[tuple[str, str, str, str, float]] = VISITS,
    excluded: Sequence[tuple[str, str, str]] = (
        ("X1", "disputed", "debt is disputed"),
        ("X1", "do_not_visit", "legal hold"),
    ),
    dropped: Sequence[tuple[str, str, str]] = (("D1", "lower_value_than_planned_visits", "q"),),
) -> dict[str, object]:
    """Build the plan outputs ``Store.save_plan`` takes (small, hand-checkable)."""
    rows: list[dict[str, object]] = []
    agents = sorted({v[0] for v in visits})
    for agent in agents:
        mine = [v for v in visits if v[0] == agent]
        base = {"date": day.isoformat(), "agent_id": agent, "agent_name": f"Name {agent}"}
        rows.append({**base, "stop_no": 0, "kind": "start", "account_id": "", "travel_km": 0.0})
        for k, (_a, acc, start, addr, km) in enumerate(mine, start=1):
            rows.append(
                {
                    **base,
                    "stop_no": k,
                    "kind": "visit",
                    "account_id": acc,
                    "address": addr,
                    "arrival": start,
                    "service_start": start,
                    "service_end": start,
                    "travel_km": km,
                    "travel_min": km * 2,
                    "priority": 0.5,
                    "balance": 20000.0,
                    "expected_recovery": 4000.0,
                    "chosen_because": f"high balance {acc}",
                }
            )
        rows.append(
            {**base, "stop_no": len(mine) + 1, "kind": "end", "account_id": "", "travel_km": 2.0}
        )
    itineraries = pd.DataFrame(rows)
    # like the pipeline's scores.csv, scores cover excluded accounts too
    scored = [v[1] for v in visits] + [d[0] for d in dropped] + ["E1"] + [e[0] for e in excluded]
    scored = list(dict.fromkeys(scored))
    scores = pd.DataFrame(
        {
            "account_id": scored,
            "priority": 0.5,
            "probability": 0.2,
            "expected_recovery": 4000.0,
            "points_total": 20.0,
            "pts_base": 30.0,
            "pts_dpd": -10.0,
        }
    )
    return {
        "plan_date": day,
        "config": {"jurisdiction": "CN", "history": {"ptp_grace_days": 3}},
        "itineraries": itineraries,
        "excluded": pd.DataFrame(excluded, columns=["account_id", "reason", "detail"]),
        "dropped": pd.DataFrame(dropped, columns=["account_id", "reason", "detail"]),
        "scores": scores,
        "summary": {"visits": len(visits), "date": day},
    }


def outcome_rows(*rows: tuple[str, str, str, str], **extra: object) -> pd.DataFrame:
    """Validated-style outcome rows from (account, agent, date, outcome)."""
    recs = []
    for i, (acc, agent, day, code) in enumerate(rows):
        recs.append(
            {
                "account_id": acc,
                "agent_id": agent,
                "visit_date": dt.date.fromisoformat(day),
                "outcome": code,
                "amount_paid": extra.get("amount_paid", math.nan),
                "ptp_date": extra.get("ptp_date"),
                "ptp_amount": math.nan,
                "notes": str(extra.get("notes", "")),
                "_row": i + 2,
            }
        )
    return pd.DataFrame(recs)


def old_database(path: Path, version: int, *, outcome: str = "not_home") -> None:
    """Write a database as schema ``version`` left it: one plan (A1 by AG1 at 09:00), one outcome.

    The file is built from the first ``version`` migrations, as a routeplan of that
    version made it, so opening it with :class:`routeplan.io.store.Store` migrates it.
    """
    import sqlite3

    from routeplan.io.store import MIGRATIONS

    conn = sqlite3.connect(path, isolation_level=None)
    for script in MIGRATIONS[:version]:
        conn.executescript(script)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.execute(
        "INSERT INTO plans VALUES (1, '2026-12-01', '2026-12-01T06:00:00+00:00', "
        "'{\"jurisdiction\": \"CN\"}', '{}')"
    )
    conn.execute(
        "INSERT INTO plan_events (plan_id, agent_id, stop_no, kind, account_id, service_start, "
        "service_start_min) VALUES (1, 'AG1', 1, 'visit', 'A1', '09:00', 540)"
    )
    conn.execute("INSERT INTO plan_agents VALUES (1, 'AG1', 'One')")
    conn.execute("INSERT INTO decisions VALUES (1, 'A1', 'planned', 'agent AG1', '')")
    conn.execute(
        "INSERT INTO outcomes (account_id, agent_id, visit_date, outcome, plan_id, recorded_at) "
        "VALUES ('A1', 'AG1', '2026-12-01', ?, 1, '2026-12-01T18:00:00+00:00')",
        (outcome,),
    )
    conn.close()


# --- the tiny week (plan-week tests) -----------------------------------------------------
# Monday 2026-12-07 to Friday 2026-12-11 in Shenzhen; accounts and agents on one parallel.

WEEK_MON = dt.date(2026, 12, 7)
WEEK_DAYS = [(WEEK_MON + dt.timedelta(days=k)).isoformat() for k in range(5)]
WEEK_ACCOUNT_HEADER = [
    "account_id",
    "debtor_name",
    "address",
    "lat",
    "lon",
    "balance",
    "days_past_due",
    "contact_attempts_30d",
    "ptp_date",
    "visit_windows",
    "assigned_agent",
]
WEEK_AGENT_HEADER = [
    "agent_id",
    "name",
    "base_lat",
    "base_lon",
    "shift_start",
    "shift_end",
    "max_visits",
    "skills",
    "credential_id",
    "credential_expiry",
]


def week_account(aid: str, lon: float, balance: float = 30000, **extra: str) -> dict[str, str]:
    """Return a tiny-week account row at (22.54, ``lon``); ``extra`` overrides columns."""
    row = {
        "account_id": aid,
        "debtor_name": f"Debtor {aid}",
        "address": f"{aid} Road",
        "lat": "22.5400",
        "lon": f"{lon:.4f}",
        "balance": str(balance),
        "days_past_due": "200",
        "contact_attempts_30d": "5",
        "ptp_date": "",
        "visit_windows": "",
        "assigned_agent": "",
    }
    row.update(extra)
    return row


def week_agent(aid: str, lon: float, max_visits: int = 6) -> dict[str, str]:
    """Return a tiny-week agent row at (22.54, ``lon``), 09:00-17:00, every skill."""
    return {
        "agent_id": aid,
        "name": f"Agent {aid}",
        "base_lat": "22.5400",
        "base_lon": f"{lon:.4f}",
        "shift_start": "09:00",
        "shift_end": "17:00",
        "max_visits": str(max_visits),
        "skills": "zh;en;senior",
        "credential_id": f"C-{aid}",
        "credential_expiry": "2027-12-31",
    }


def write_rows(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    """Write ``rows`` (dicts) under ``header`` as a CSV file; return its path."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=header)
        w.writeheader()
        w.writerows(rows)
    return path


def plan_week_cli(
    tmp: Path,
    accounts: list[dict[str, str]],
    agents: list[dict[str, str]],
    *extra: str,
    availability: str | None = None,
    config: str | None = None,
) -> tuple[Path, object]:
    """Plan the tiny week through the CLI; return the week folder and the click result."""
    acc = write_rows(tmp / "accounts.csv", WEEK_ACCOUNT_HEADER, accounts)
    ag = write_rows(tmp / "agents.csv", WEEK_AGENT_HEADER, agents)
    args: list[str | Path] = ["plan-week", "--accounts", acc, "--agents", ag]
    args += ["--from", WEEK_DAYS[0], "--days", "5", "--out", tmp / "week", "--no-geocode", "-q"]
    args += ["--time-limit", "2", "--solution-limit", "50"]
    if availability is not None:
        (tmp / "availability.csv").write_text(availability, encoding="utf-8")
        args += ["--availability", tmp / "availability.csv"]
    if config is not None:
        (tmp / "week.toml").write_text(config, encoding="utf-8")
        args += ["--config", tmp / "week.toml"]
    result = run(*args, *extra)
    assert result.exit_code == 0, result.output
    return tmp / "week", result


def week_table(week: Path) -> pd.DataFrame:
    """Return a week folder's ``week.csv``, indexed by account."""
    return read_csv(week / "week.csv").set_index("account_id")


def check_every_day(tmp: Path, week: Path, *extra: str | Path) -> None:
    """Assert ``routeplan check`` passes every day folder of the tiny week."""
    for day in WEEK_DAYS:
        res = run(
            "check",
            "--accounts",
            tmp / "accounts.csv",
            "--agents",
            tmp / "agents.csv",
            "--date",
            day,
            week / day,
            *extra,
        )
        assert res.exit_code == 0, f"{day}: {res.output}"
