"""Write a realistic, large fake plan folder for timing and load tests.

The folder has the files ``routeplan plan`` writes (itineraries, checklist,
dropped, excluded, summary) for many agents around Shenzhen, with Chinese
names and addresses, windows, breaks and thousands of dropped accounts.
Deterministic for a given seed.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

from routeplan import schema

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高欧阳"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
STREETS = ("深南大道", "福华路", "红荔路", "北环大道", "滨河大道", "华强北路", "建设路", "宝安大道")
DISTRICTS = ("福田区", "罗湖区", "南山区", "宝安区", "龙华区")
CENTRE = (22.5431, 114.0579)


def _name(rng: random.Random) -> str:
    """Return a random Chinese name of two or three characters."""
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _address(rng: random.Random) -> str:
    """Return a random Shenzhen street address."""
    return f"深圳市{rng.choice(DISTRICTS)}{rng.choice(STREETS)}{rng.randint(1, 3000)}号"


def _clock(minutes: int) -> str:
    """Return minutes after midnight as HH:MM."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def make_plan_folder(
    folder: Path, *, agents: int = 25, visits: int = 300, dropped: int = 2000, seed: int = 7
) -> Path:
    """Write a fake plan folder with ``visits`` spread over ``agents`` and return it."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    date = "2026-12-01"
    columns = list(schema.ITINERARY_COLUMNS) + list(schema.ITINERARY_EXTRA)
    rows: list[dict[str, object]] = []
    checklist: list[list[object]] = []
    summary_agents = []
    per_agent = [visits // agents + (1 if i < visits % agents else 0) for i in range(agents)]
    account_no = 100000
    for a in range(agents):
        agent_id = f"SZ{a + 1:03d}"
        agent_name = _name(rng)
        base = (CENTRE[0] + rng.uniform(-0.08, 0.08), CENTRE[1] + rng.uniform(-0.12, 0.12))
        now = 9 * 60
        stop = 0

        def add(
            kind: str, agent_id: str = agent_id, agent_name: str = agent_name, **values: object
        ) -> None:
            nonlocal stop
            row: dict[str, object] = dict.fromkeys(columns, "")
            row.update(
                date=date,
                agent_id=agent_id,
                stop_no=stop,
                kind=kind,
                agent_name=agent_name,
                travel_km=0.0,
                travel_min=0,
            )
            row.update(values)
            rows.append(row)
            stop += 1

        add(
            "start",
            lat=round(base[0], 6),
            lon=round(base[1], 6),
            address=_address(rng),
            arrival=_clock(now),
            service_start=_clock(now),
            service_end=_clock(now),
        )
        here = base
        km_total = 0.0
        balance_total = expected_total = 0.0
        for v in range(per_agent[a]):
            point = (here[0] + rng.uniform(-0.02, 0.02), here[1] + rng.uniform(-0.02, 0.02))
            km = round(abs(point[0] - here[0]) * 111 + abs(point[1] - here[1]) * 103, 1)
            travel = max(2, round(km * 3))
            now += travel
            arrival = now
            window = rng.choice(("", "", "09:00-12:00;14:00-18:00", "18:00-20:00", "13:00-17:00"))
            balance = round(rng.uniform(10000, 250000), 2)
            expected = round(balance * rng.uniform(0.05, 0.3), 2)
            account_no += 1
            account = f"SZ-{account_no}"
            add(
                "visit",
                account_id=account,
                debtor_name=_name(rng),
                address=_address(rng),
                lat=round(point[0], 6),
                lon=round(point[1], 6),
                arrival=_clock(arrival),
                service_start=_clock(now),
                service_end=_clock(now + 25),
                travel_km=km,
                travel_min=travel,
                priority=round(rng.uniform(40, 99), 1),
                balance=balance,
                days_past_due=rng.randint(90, 720),
                visit_window=window,
                expected_recovery=expected,
                language="zh",
                chosen_because=f"{rng.randint(90, 720)} days past due, high balance",
            )
            now += 25
            here = point
            km_total += km
            balance_total += balance
            expected_total += expected
            for item, reason in (
                ("Collector ID card", "show on request"),
                ("Creditor authorization letter", "names the agent"),
                ("Statement of amount owed", f"{balance:,.2f}"),
                ("Settlement in full", f"{balance:,.2f} today"),
                ("Instalment plan: 12 months", f"12 x {balance / 12:,.2f} per month"),
            ):
                checklist.append([account, agent_id, item, reason])
            if v == per_agent[a] // 2:
                add(
                    "break",
                    arrival=_clock(now),
                    service_start=_clock(now),
                    service_end=_clock(now + 30),
                )
                now += 30
        back = round(abs(here[0] - base[0]) * 111 + abs(here[1] - base[1]) * 103, 1)
        now += max(2, round(back * 3))
        km_total += back
        add(
            "end",
            lat=round(base[0], 6),
            lon=round(base[1], 6),
            address="base",
            arrival=_clock(now),
            service_start=_clock(now),
            service_end=_clock(now),
            travel_km=back,
            travel_min=max(2, round(back * 3)),
        )
        summary_agents.append(
            {
                "agent_id": agent_id,
                "name": agent_name,
                "credential_id": f"SZ-COL-{a:04d}",
                "credential_expiry": "2027-12-31",
                "usable": True,
                "unusable_reason": "",
                "shift_start": "09:00",
                "shift_end": "21:00",
                "visits": per_agent[a],
                "travel_km": round(km_total, 1),
                "travel_min": 0,
                "balance": round(balance_total, 2),
                "expected_recovery": round(expected_total, 2),
            }
        )
    with (folder / "itineraries.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    with (folder / "checklist.csv").open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(schema.CHECKLIST_COLUMNS)
        out.writerows(checklist)
    with (folder / "dropped.csv").open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(
            [
                "account_id",
                "reason",
                "detail",
                "lat",
                "lon",
                "balance",
                "priority",
                "expected_recovery",
            ]
        )
        for d in range(dropped):
            no_coords = d % 50 == 0
            out.writerow(
                [
                    f"SZ-D{d:05d}",
                    schema.DR_CAPACITY,
                    "lower priority than the planned visits",
                    "" if no_coords else round(CENTRE[0] + rng.uniform(-0.15, 0.15), 6),
                    "" if no_coords else round(CENTRE[1] + rng.uniform(-0.2, 0.2), 6),
                    round(rng.uniform(5000, 80000), 2),
                    round(rng.uniform(10, 60), 1),
                    round(rng.uniform(100, 5000), 2),
                ]
            )
    with (folder / "excluded.csv").open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(schema.EXCLUDED_COLUMNS)
        out.writerow(["SZ-X00001", schema.EX_DISPUTE, "disputed"])
    summary = {
        "date": date,
        "jurisdiction": "CN",
        "legal_hours": "08:00-22:00",
        "counts": {
            "accounts": visits + dropped + 1,
            "rejected_rows": 0,
            "excluded": 1,
            "eligible": visits + dropped,
            "planned": visits,
            "dropped": dropped,
        },
        "agents": summary_agents,
    }
    (folder / "summary.json").write_text(json.dumps(summary, ensure_ascii=False), "utf-8")
    return folder
