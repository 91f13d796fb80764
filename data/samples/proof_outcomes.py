"""Make an outcomes file with proof of visit for a planned day: clean and dishonest records.

Reads a plan folder (``routeplan plan ... --out DIR``) and writes what the
agents' phones would have sent back for every planned visit, in the
contract's outcomes format with the proof columns (check-in and check-out,
position and accuracy, evidence codes, receipt, photo reference). Most
records are honest: the agent checked in at the planned time within a few
metres of the account, stayed the planned time, ticked every evidence item
the stop required and wrote a fresh receipt number for every payment. A few
are dishonest, one for each thing ``routeplan record`` checks:

=========================  ===================================================
far_from_address           checked in 1.2 km from the account
too_short                  2 minutes at the door, the debtor "refused"
outside_legal_hours        at the door after the legal hours end
missing_evidence           a promise taken without showing AUTH or the statement
payment_without_receipt    money taken, no receipt number
duplicate_receipt          a payment with the receipt number of an earlier one
impossible_travel          a check-in minutes after the previous one, kilometres away
not_planned                a visit to an account the plan dropped
planned_other_agent        another agent's stop, visited after one's own day
=========================  ===================================================

The answer key (``--key``) lists each dishonest record and the flag it was
made for, so a test can check that ``routeplan audit`` finds exactly these.
Everything is drawn from ``random.Random(seed)``: the same plan and seed give
the same file.

Usage::

    python data/samples/proof_outcomes.py plans/2026-12-01 --out outcomes_proof.csv \\
        --key outcomes_proof_key.csv [--seed 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from routeplan import schema as S
from routeplan.checklist import ALWAYS_REQUIRED, CODE_AUTH, CODE_ID
from routeplan.config import AuditConfig
from routeplan.formats import parse_clock, parse_windows
from routeplan.io.safe import read_json, write_csv_atomic
from routeplan.io.tables import read_table
from routeplan.proof import distance_m

#: the outcomes columns written, proof included
COLUMNS = (*S.OUTCOME_COLUMNS, *S.PROOF_COLUMNS)
KEY_COLUMNS = (S.ACCOUNT_ID, S.AGENT_ID, "flag")
#: metres per degree of latitude (a check-in is moved north by this many per degree)
M_PER_DEG_LAT = 111_320.0
#: outcomes of the honest records, with their weights
CLEAN_OUTCOMES = (
    ("paid", 1),
    ("partial_payment", 2),
    ("ptp", 3),
    ("not_home", 3),
    ("refused", 2),
    ("hardship", 1),
)


@dataclass
class Visit:
    """One planned visit and the record the agent sends back for it."""

    account_id: str
    agent_id: str
    stop_no: int
    lat: float
    lon: float
    start_min: int
    end_min: int
    balance: float
    windows: tuple[tuple[int, int], ...]
    required: tuple[str, ...]
    record: dict[str, str] = field(default_factory=dict)


def make_outcomes(plan_dir: Path, *, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the outcomes (:data:`COLUMNS`) of a planned day and the key of dishonest ones."""
    rng = random.Random(seed)
    summary = read_json(plan_dir / "summary.json")
    day = dt.date.fromisoformat(str(summary["date"]))
    legal = parse_windows(str(summary["legal_hours"]))[0]
    visits = _visits(plan_dir)
    receipts = iter(f"R{day:%Y%m%d}-{n:04d}" for n in range(1, 100_000))
    for v in visits:
        v.record = _clean(v, day, rng, receipts)
    by_agent: dict[str, list[Visit]] = {}
    for v in visits:
        by_agent.setdefault(v.agent_id, []).append(v)
    agents = [a for a in sorted(by_agent) if len(by_agent[a]) >= 3]
    rng.shuffle(agents)
    extra, key = _dishonest(plan_dir, by_agent, agents, day, legal, rng, receipts)
    rows = [v.record for v in visits if v.record] + extra
    return (
        pd.DataFrame(rows, columns=list(COLUMNS)).fillna(""),
        pd.DataFrame(key, columns=list(KEY_COLUMNS)),
    )


def _read(path: Path) -> pd.DataFrame:
    """Return a plan file as a table of stripped text cells."""
    frame, _encoding = read_table(path, row_column=None)
    return frame


def _visits(plan_dir: Path) -> list[Visit]:
    """Return the planned visits with what each stop requires."""
    itin = _read(plan_dir / "itineraries.csv")
    checklist = _read(plan_dir / "checklist.csv")
    required: dict[tuple[str, str], list[str]] = {}
    for rec in checklist.to_dict("records"):
        if rec.get("category") == "evidence" and rec.get("code"):
            required.setdefault((rec[S.ACCOUNT_ID], rec[S.AGENT_ID]), []).append(rec["code"])
    out = []
    for rec in itin[itin["kind"] == S.KIND_VISIT].to_dict("records"):
        codes = required.get((rec[S.ACCOUNT_ID], rec[S.AGENT_ID]), [])
        out.append(
            Visit(
                account_id=rec[S.ACCOUNT_ID],
                agent_id=rec[S.AGENT_ID],
                stop_no=int(rec["stop_no"]),
                lat=float(rec[S.LAT]),
                lon=float(rec[S.LON]),
                start_min=parse_clock(rec["service_start"]),
                end_min=parse_clock(rec["service_end"]),
                balance=float(rec[S.BALANCE] or 0),
                windows=parse_windows(rec.get("visit_window", "")),
                required=tuple(dict.fromkeys([CODE_ID, CODE_AUTH, *codes])),
            )
        )
    return sorted(out, key=lambda v: (v.agent_id, v.stop_no))


def _clean(v: Visit, day: dt.date, rng: random.Random, receipts: Iterator[str]) -> dict[str, str]:
    """Return the honest record of a visit: on time, on the spot, every item ticked."""
    outcome = rng.choices([o for o, _ in CLEAN_OUTCOMES], [w for _, w in CLEAN_OUTCOMES])[0]
    bearing = rng.uniform(0, 2 * math.pi)
    lat, lon = _moved(v.lat, v.lon, rng.uniform(0, 30), bearing)
    record = {
        S.ACCOUNT_ID: v.account_id,
        S.AGENT_ID: v.agent_id,
        S.VISIT_DATE: day.isoformat(),
        S.OUTCOME: outcome,
        S.CHECKIN_TIME: _clock(v.start_min),
        S.CHECKOUT_TIME: _clock(v.end_min),
        S.CHECKIN_LAT: f"{lat:.6f}",
        S.CHECKIN_LON: f"{lon:.6f}",
        S.GPS_ACCURACY_M: f"{rng.uniform(5, 25):.0f}",
        S.EVIDENCE: ";".join(v.required),
        S.PHOTO_REF: f"photos/{v.agent_id}/{v.account_id}.jpg",
    }
    if outcome in ("paid", "partial_payment"):
        share = 1.0 if outcome == "paid" else rng.uniform(0.05, 0.3)
        record[S.AMOUNT_PAID] = f"{max(v.balance * share, 1.0):.2f}"
        record[S.RECEIPT_NO] = next(receipts)
    elif outcome == "ptp":
        record[S.PTP_DATE] = (day + dt.timedelta(days=7)).isoformat()
        record[S.PTP_AMOUNT] = f"{max(v.balance * 0.2, 1.0):.2f}"
    elif outcome == "not_home":
        record[S.EVIDENCE] = ";".join(sorted(ALWAYS_REQUIRED))
        record[S.NOTES] = rng.choice(["", "neighbour says evenings", "left a notice card"])
    return record


def _dishonest(
    plan_dir: Path,
    by_agent: dict[str, list[Visit]],
    agents: Sequence[str],
    day: dt.date,
    legal: tuple[int, int],
    rng: random.Random,
    receipts: Iterator[str],
) -> tuple[list[dict[str, str]], list[tuple[str, str, str]]]:
    """Falsify one record per flag (each on its own agent); return extra records and the key."""
    pool = list(agents)
    key: list[tuple[str, str, str]] = []

    def take() -> list[Visit]:
        return by_agent[pool.pop(0)]

    far = take()[1]
    lat, lon = _moved(far.lat, far.lon, 1200.0, 0.0)
    far.record.update({S.CHECKIN_LAT: f"{lat:.6f}", S.CHECKIN_LON: f"{lon:.6f}"})
    key.append((far.account_id, far.agent_id, "far_from_address"))

    short = take()[1]
    short.record.update(
        _contacted("refused", short), **{S.CHECKOUT_TIME: _clock(short.start_min + 2)}
    )
    key.append((short.account_id, short.agent_id, "too_short"))

    late = take()[-1]
    begin = legal[1] + 15 if legal[1] + 45 <= 24 * 60 else legal[0] - 60
    late.record.update({S.CHECKIN_TIME: _clock(begin), S.CHECKOUT_TIME: _clock(begin + 30)})
    key.append((late.account_id, late.agent_id, "outside_legal_hours"))

    bare = take()[1]
    shown = [c for c in bare.required if c not in (CODE_AUTH, "STMT")]
    bare.record.update(_contacted("ptp", bare), **{S.EVIDENCE: ";".join(shown)})
    bare.record.update({S.PTP_DATE: (day + dt.timedelta(days=5)).isoformat()})
    key.append((bare.account_id, bare.agent_id, "missing_evidence"))

    unpaid = take()[1]
    unpaid.record.update(_contacted("partial_payment", unpaid))
    unpaid.record.update({S.AMOUNT_PAID: "800.00", S.RECEIPT_NO: ""})
    key.append((unpaid.account_id, unpaid.agent_id, "payment_without_receipt"))

    first, again = take()[0:2]
    for v in (first, again):
        v.record.update(_contacted("partial_payment", v), **{S.AMOUNT_PAID: "500.00"})
    first.record[S.RECEIPT_NO] = next(receipts)
    again.record[S.RECEIPT_NO] = first.record[S.RECEIPT_NO]
    key.append((again.account_id, again.agent_id, "duplicate_receipt"))

    key.append(_impossible_travel([by_agent[a] for a in pool], pool))
    extra = [
        _not_planned(plan_dir, _free_early(pool, by_agent, legal), day, legal, key),
        _other_agent(_free_early(pool, by_agent, legal), [by_agent[a] for a in pool], legal, key),
    ]
    return extra, key


def _free_early(
    pool: list[str], by_agent: dict[str, list[Visit]], legal: tuple[int, int]
) -> list[Visit]:
    """Take from ``pool`` the first agent whose day ends 3 hours before the legal hours do."""
    for agent in pool:
        if by_agent[agent][-1].end_min <= legal[1] - 180:
            pool.remove(agent)
            return by_agent[agent]
    raise SystemExit("no agent left whose day ends early enough for an extra visit")


def _impossible_travel(routes: list[list[Visit]], pool: list[str]) -> tuple[str, str, str]:
    """Move a check-in to minutes after the previous one, kilometres away; use up its agent."""
    pairs = [
        (distance_m((p.lat, p.lon), (k.lat, k.lon)), p, k)
        for route in routes
        for p, k in itertools.pairwise(route)
    ]
    d, prev, k = max(pairs, key=lambda x: x[0])
    speed_m_min = AuditConfig().max_speed_kmh * 1000 / 60
    accuracy = float(prev.record[S.GPS_ACCURACY_M]) + float(k.record[S.GPS_ACCURACY_M])
    # at most this many minutes apart (plus the minute of rounding) is impossible
    gap = math.floor((d - 60 - accuracy) / speed_m_min) - 1
    if gap < 1:
        raise SystemExit(f"no two consecutive stops far enough apart ({d:.0f} m at most)")
    start = parse_clock(prev.record[S.CHECKIN_TIME]) + min(gap, 5)
    k.record.update({S.CHECKIN_TIME: _clock(start), S.CHECKOUT_TIME: _clock(start + 30)})
    pool.remove(k.agent_id)
    return (k.account_id, k.agent_id, "impossible_travel")


def _not_planned(
    plan_dir: Path,
    route: list[Visit],
    day: dt.date,
    legal: tuple[int, int],
    key: list[tuple[str, str, str]],
) -> dict[str, str]:
    """Return a visit, after the agent's day, to the dropped account nearest its last stop."""
    last = route[-1]
    dropped = _read(plan_dir / "dropped.csv")
    dropped = dropped[(dropped[S.LAT] != "") & (dropped[S.LON] != "")]
    spots = [
        (distance_m((last.lat, last.lon), (float(r[S.LAT]), float(r[S.LON]))), r)
        for r in dropped.to_dict("records")
    ]
    d, target = min(spots, key=lambda x: x[0])
    start = _after(last, d, legal)
    key.append((target[S.ACCOUNT_ID], last.agent_id, "not_planned"))
    return _record(
        target[S.ACCOUNT_ID],
        last.agent_id,
        day,
        (float(target[S.LAT]), float(target[S.LON])),
        start,
    )


def _other_agent(
    visitor: list[Visit],
    owners: list[list[Visit]],
    legal: tuple[int, int],
    key: list[tuple[str, str, str]],
) -> dict[str, str]:
    """Return another agent's stop visited by ``visitor`` after its own day, inside a window."""
    last = visitor[-1]
    for route in owners:
        for stop in reversed(route):
            start = _after(last, distance_m((last.lat, last.lon), (stop.lat, stop.lon)), legal)
            fits = [lo for lo, hi in stop.windows or ((0, 24 * 60),) if start + 30 <= hi]
            if not fits:
                continue
            start = max(start, fits[0])
            day = dt.date.fromisoformat(stop.record[S.VISIT_DATE])
            stop.record = {}  # the owner did not go
            key.append((stop.account_id, last.agent_id, "planned_other_agent"))
            record = _record(stop.account_id, last.agent_id, day, (stop.lat, stop.lon), start)
            return {**record, S.EVIDENCE: ";".join(stop.required)}
    raise SystemExit(f"no stop of another agent has a window after {last.agent_id}'s day")


def _after(last: Visit, d: float, legal: tuple[int, int]) -> int:
    """Return a start after ``last``'s visit, leaving time to drive ``d`` metres at 20 km/h."""
    start = last.end_min + max(40, math.ceil(d / (20_000 / 60)))
    if start + 30 > legal[1] - 10:
        raise SystemExit(f"agent {last.agent_id}'s day ends too late for an extra visit")
    return start


def _record(
    account_id: str, agent_id: str, day: dt.date, where: tuple[float, float], start: int
) -> dict[str, str]:
    """Return an honest-looking record of a visit the plan did not give this agent."""
    return {
        S.ACCOUNT_ID: account_id,
        S.AGENT_ID: agent_id,
        S.VISIT_DATE: day.isoformat(),
        S.OUTCOME: "refused",
        S.CHECKIN_TIME: _clock(start),
        S.CHECKOUT_TIME: _clock(start + 30),
        S.CHECKIN_LAT: f"{where[0]:.6f}",
        S.CHECKIN_LON: f"{where[1]:.6f}",
        S.GPS_ACCURACY_M: "10",
        S.EVIDENCE: f"{CODE_ID};{CODE_AUTH}",
    }


def _contacted(outcome: str, v: Visit) -> dict[str, str]:
    """Return the fields that make ``v``'s record a contacted visit with ``outcome``."""
    return {
        S.OUTCOME: outcome,
        S.EVIDENCE: ";".join(v.required),
        S.AMOUNT_PAID: "",
        S.RECEIPT_NO: "",
        S.PTP_DATE: "",
        S.PTP_AMOUNT: "",
        S.NOTES: "",
    }


def _moved(lat: float, lon: float, metres: float, bearing: float) -> tuple[float, float]:
    """Return the point ``metres`` away from ``(lat, lon)`` towards ``bearing`` (radians)."""
    north = metres * math.cos(bearing) / M_PER_DEG_LAT
    east = metres * math.sin(bearing) / (M_PER_DEG_LAT * math.cos(math.radians(lat)))
    return lat + north, lon + east


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def main(argv: Sequence[str] | None = None) -> None:
    """Write the outcomes file and, with ``--key``, the answer key."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plan_dir", type=Path, help="a plan folder (routeplan plan --out)")
    parser.add_argument("--out", type=Path, required=True, help="the outcomes file to write")
    parser.add_argument("--key", type=Path, help="where to write the dishonest records' key")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    outcomes, key = make_outcomes(args.plan_dir, seed=args.seed)
    write_csv_atomic(args.out, outcomes, spreadsheet=True)
    if args.key is not None:
        write_csv_atomic(args.key, key, spreadsheet=True)
    print(f"{len(outcomes)} records, {len(key)} dishonest -> {args.out}")


if __name__ == "__main__":
    main()
