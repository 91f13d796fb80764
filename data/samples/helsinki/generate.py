"""Generate the synthetic Helsinki sample day (road travel times, ``make demo-road``).

Writes ``accounts.csv`` and ``agents.csv`` beside this file (or into
``--out DIR``). Every place lies on the road network of the real
OpenStreetMap extract ``Helsinki.osm.pbf`` (fetched by
``scripts/osrm-setup.sh``): random points of the extract's area are snapped
onto the car network with OSRM's ``nearest`` service, and only places with a
car route to and from the first office are kept. Names, addresses, balances
and ids are invented (the street names say "sample", "model", "example" in
Finnish) and describe nobody.

The output is byte-for-byte deterministic for a seed and the same OSRM
version and extract: the random numbers come from ``random.Random(seed)``
and the snapping from OSRM.

Usage::

    python data/samples/helsinki/generate.py [--pbf FILE] [--out DIR] [--seed N] [--accounts N]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import math
import random
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

from routeplan import schema as S  # noqa: E402
from routeplan.travel.base import Points, TravelProfile  # noqa: E402
from routeplan.travel.osm_embedded import OsmModel  # noqa: E402

SEED = 20261201
PLAN_DATE = dt.date(2026, 12, 1)
N_ACCOUNTS = 150
#: the extract's road network lies inside this box (degrees)
LAT_RANGE = (60.1635, 60.1790)
LON_RANGE = (24.9300, 24.9550)
#: a drawn point is kept when it snaps this close to a road (metres)
MAX_SNAP_M = 40.0
#: the two offices (agents' bases), snapped like the accounts
OFFICES = ((60.16980, 24.94290), (60.17405, 24.95160))

ACCOUNT_COLUMNS = S.ACCOUNT_REQUIRED + S.ACCOUNT_OPTIONAL
AGENT_COLUMNS = S.AGENT_REQUIRED + S.AGENT_OPTIONAL

FIRST_NAMES = (
    "Aino", "Eino", "Helmi", "Väinö", "Kerttu", "Onni", "Lempi", "Toivo", "Siiri", "Ilmari",
    "Elli", "Veikko", "Aada", "Lauri", "Iida", "Matias", "Venla", "Oskari", "Saana", "Juho",
)  # fmt: skip
#: invented surnames built on "sample", "model", "example", "test", "trial", "practice"
SURNAMES = (
    "Näytelä", "Mallinen", "Esimerkkilä", "Testilä", "Kokeilainen", "Harjoittaja",
    "Näytteinen", "Mallila", "Esimerkkinen", "Koetinen",
)  # fmt: skip
STREETS = ("Näyte", "Malli", "Esimerkki", "Testi", "Koe", "Harjoitus", "Kuvitelma")
STREET_KINDS = ("katu", "tie", "kuja", "polku")
OUTCOMES = ("no_answer", "refused", "wrong_number", "ptp", "unreachable", "")
WINDOWS = ("", "", "", "09:00-12:00", "12:00-16:00", "16:00-20:00", "09:00-11:00;17:00-19:00")


def fmt_date(day: dt.date | None) -> str:
    """Return ``YYYY-MM-DD`` or ''."""
    return day.isoformat() if day else ""


def snapped_places(model: OsmModel, rng: random.Random, count: int) -> list[tuple[float, float]]:
    """Return ``count`` places on the car network with a route to and from the first office."""
    client = model.client("car")
    office = client.nearest(*OFFICES[0])[:2]
    places: list[tuple[float, float]] = []
    seen: set[tuple[float, float]] = set()
    while len(places) < count:
        batch = []
        while len(batch) < 2 * (count - len(places)):
            lat, lon, snap = client.nearest(rng.uniform(*LAT_RANGE), rng.uniform(*LON_RANGE))
            point = (round(lat, 5), round(lon, 5))
            if snap <= MAX_SNAP_M and point not in seen:
                seen.add(point)
                batch.append(point)
        pts = Points.of([office[0], *(p[0] for p in batch)], [office[1], *(p[1] for p in batch)])
        table = model.matrix(pts, TravelProfile("car"))
        for k, point in enumerate(batch, start=1):
            if table.routed[0, k] and table.routed[k, 0] and len(places) < count:
                places.append(point)
    return places


def balance(rng: random.Random) -> float:
    """Return a lognormal balance in euros (median about 2,400, a tail to about 40,000)."""
    return round(min(60_000.0, math.exp(rng.gauss(math.log(2400), 0.9))), 2)


def make_accounts(
    places: Sequence[tuple[float, float]], rng: random.Random
) -> list[dict[str, str]]:
    """Return the portfolio rows, one per place."""
    rows = []
    for n, (lat, lon) in enumerate(places, start=1):
        dpd = rng.choice((30, 60, 95, 120, 180, 240, 365, 500, 700))
        paid = PLAN_DATE - dt.timedelta(days=rng.randint(10, 400)) if rng.random() < 0.75 else None
        ptp = None
        if rng.random() < 0.15:
            ptp = PLAN_DATE + dt.timedelta(days=rng.randint(-40, 10))
        visited = PLAN_DATE - dt.timedelta(days=rng.randint(3, 90)) if rng.random() < 0.3 else None
        street = f"{rng.choice(STREETS)}{rng.choice(STREET_KINDS)}"
        rows.append(
            {
                "account_id": f"HEL{200000 + n}",
                "debtor_name": f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
                "address": f"{street} {rng.randint(1, 60)} {rng.choice('ABC')} "
                f"{rng.randint(1, 40)}, 00100 Helsinki",
                "lat": f"{lat:.5f}",
                "lon": f"{lon:.5f}",
                "balance": f"{balance(rng):.2f}",
                "days_past_due": str(dpd),
                "contact_attempts_30d": str(rng.randint(0, 9)),
                "last_contact_outcome": rng.choice(OUTCOMES),
                "last_payment_date": fmt_date(paid),
                "ptp_date": fmt_date(ptp),
                "broken_promises": str(rng.choice((0, 0, 0, 1, 1, 2))),
                "hardship": "yes" if rng.random() < 0.07 else "",
                "dispute": "yes" if rng.random() < 0.03 else "",
                "do_not_visit": "yes" if rng.random() < 0.015 else "",
                "visit_windows": rng.choice(WINDOWS),
                "language": rng.choices(("fi", "sv", "en"), (0.8, 0.12, 0.08))[0],
                "last_visit_date": fmt_date(visited),
                "visits_90d": str(1 if visited else 0),
            }
        )
    return rows


def make_agents(model: OsmModel) -> list[dict[str, str]]:
    """Return six agents at the two offices: three by car, two on foot, one by bicycle."""
    client = model.client("car")
    offices = [client.nearest(*o)[:2] for o in OFFICES]
    team = (
        ("HE01", "Kaisa Mallinen", 0, "08:30", "16:30", "fi;sv;senior", "car"),
        ("HE02", "Pekka Näytelä", 0, "09:00", "17:00", "fi;en", "car"),
        ("HE03", "Riikka Testilä", 1, "10:00", "18:00", "fi;sv;en;senior", "car"),
        ("HE04", "Tuomas Koetinen", 0, "08:30", "16:30", "fi", "foot"),
        ("HE05", "Minna Esimerkkilä", 1, "12:00", "20:00", "fi;sv", "foot"),
        ("HE06", "Antti Harjoittaja", 1, "09:00", "17:00", "fi;en", "bicycle"),
    )
    rows = []
    for agent_id, name, office, start, end, skills, mode in team:
        lat, lon = offices[office]
        rows.append(
            {
                "agent_id": agent_id,
                "name": name,
                "base_lat": f"{lat:.5f}",
                "base_lon": f"{lon:.5f}",
                "end_lat": "",
                "end_lon": "",
                "shift_start": start,
                "shift_end": end,
                "max_visits": "9",
                "skills": skills,
                "break_start": "11:30" if start < "12:00" else "15:00",
                "break_end": "13:30" if start < "12:00" else "17:00",
                "break_minutes": "30",
                "credential_id": f"HEL-COL-2026-{agent_id[2:]}",
                "credential_expiry": "2027-06-30",
                "speed_kmh": "",
                "travel_mode": mode,
            }
        )
    return rows


def write_csv(path: Path, columns: Sequence[str], rows: list[dict[str, str]]) -> None:
    """Write UTF-8 CSV with ``\\n`` line ends."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def generate(
    pbf: Path,
    out_dir: Path,
    seed: int = SEED,
    cache: Path | None = None,
    n_accounts: int = N_ACCOUNTS,
) -> int:
    """Write the sample day into ``out_dir``; return the number of accounts."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        root = cache or Path(tmp)
        with OsmModel(pbf, cache_root=root) as model:
            places = snapped_places(model, rng, n_accounts)
            agents = make_agents(model)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_csv(out_dir / "accounts.csv", ACCOUNT_COLUMNS, make_accounts(places, rng))
    write_csv(out_dir / "agents.csv", AGENT_COLUMNS, agents)
    return len(places)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pbf", type=Path, default=HERE / "Helsinki.osm.pbf")
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--cache", type=Path, default=None, help="prepared-extract cache folder")
    parser.add_argument("--accounts", type=int, default=N_ACCOUNTS, help="number of accounts")
    args = parser.parse_args(argv)
    n = generate(args.pbf, args.out, args.seed, args.cache, args.accounts)
    print(f"wrote {n} accounts and 6 agents to {args.out}")


if __name__ == "__main__":
    main()
