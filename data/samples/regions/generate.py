"""Generate a synthetic national portfolio of many regions (branches).

Writes ``accounts.csv``, ``agents.csv`` and ``regions.csv`` beside this file
(or into ``--out DIR``). Both input files carry a ``region`` column; the
regions lie in two jurisdictions and two time zones: Chinese branches
(``CN``, ``Asia/Shanghai``) and British ones (``UK``, ``Europe/London``).
Everything is invented; only the city centres are real places (approximately).

The output is byte-for-byte deterministic for a seed (all randomness comes
from ``random.Random(seed).random()``). The committed sample is six regions
of 60 accounts and 4 agents; the benchmark (``benchmarks/regions.py``) makes
its 40-region national day with the same function.

Usage::

    python data/samples/regions/generate.py                 # rewrite the committed sample
    python data/samples/regions/generate.py --regions 40 --accounts 2000 --agents 40 --out /tmp/n
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SEED = 20261201
PLAN_DATE = dt.date(2026, 12, 1)


@dataclass(frozen=True)
class City:
    """A branch city: name (for ids), centre (degrees), spread (1 sigma, degrees), rules."""

    code: str
    name: str
    lat: float
    lon: float
    sigma_deg: float
    jurisdiction: str
    timezone: str
    roads: tuple[str, ...]


_CN_ROADS = ("深南大道", "人民路", "解放路", "建设路", "中山路", "和平路", "新华路", "文化路")
_UK_ROADS = (
    "High Street",
    "Station Road",
    "Church Lane",
    "Park Road",
    "Victoria Road",
    "Mill Lane",
)
#: the cities regions are placed in, alternating between the two jurisdictions
CITIES: tuple[City, ...] = (
    City("SZ", "深圳", 22.543, 114.058, 0.030, "CN", "Asia/Shanghai", _CN_ROADS),
    City("LDN", "London", 51.507, -0.128, 0.035, "UK", "Europe/London", _UK_ROADS),
    City("GZ", "广州", 23.129, 113.264, 0.030, "CN", "Asia/Shanghai", _CN_ROADS),
    City("MAN", "Manchester", 53.480, -2.243, 0.025, "UK", "Europe/London", _UK_ROADS),
    City("SH", "上海", 31.230, 121.474, 0.035, "CN", "Asia/Shanghai", _CN_ROADS),
    City("BHM", "Birmingham", 52.486, -1.890, 0.025, "UK", "Europe/London", _UK_ROADS),
    City("BJ", "北京", 39.904, 116.407, 0.035, "CN", "Asia/Shanghai", _CN_ROADS),
    City("LDS", "Leeds", 53.800, -1.549, 0.020, "UK", "Europe/London", _UK_ROADS),
    City("CD", "成都", 30.573, 104.066, 0.030, "CN", "Asia/Shanghai", _CN_ROADS),
    City("GLA", "Glasgow", 55.864, -4.252, 0.020, "UK", "Europe/London", _UK_ROADS),
    City("WH", "武汉", 30.593, 114.305, 0.030, "CN", "Asia/Shanghai", _CN_ROADS),
    City("BRS", "Bristol", 51.454, -2.588, 0.020, "UK", "Europe/London", _UK_ROADS),
)
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
_UK_FIRST = ("James", "Olivia", "Amelia", "Jack", "Harry", "Isla", "Emily", "George", "Mia")
_UK_LAST = ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Davies", "Evans")
_OUTCOMES = ("no_answer", "refused", "ptp", "unreachable", "wrong_number", "")

ACCOUNT_COLUMNS = (
    "account_id",
    "debtor_name",
    "address",
    "lat",
    "lon",
    "balance",
    "days_past_due",
    "contact_attempts_30d",
    "last_contact_outcome",
    "last_payment_date",
    "broken_promises",
    "hardship",
    "visit_windows",
    "language",
    "region",
)
AGENT_COLUMNS = (
    "agent_id",
    "name",
    "base_lat",
    "base_lon",
    "shift_start",
    "shift_end",
    "max_visits",
    "skills",
    "break_start",
    "break_end",
    "break_minutes",
    "credential_id",
    "credential_expiry",
    "region",
)
REGION_COLUMNS = ("region", "jurisdiction", "timezone")


class Rand:
    """Random draws built only on ``random.Random.random()`` (stable across Python versions)."""

    def __init__(self, seed: int) -> None:
        self._r = random.Random(seed)

    def u(self) -> float:
        """Return a uniform float in [0, 1)."""
        return self._r.random()

    def int(self, lo: int, hi: int) -> int:
        """Return a uniform integer in [lo, hi]."""
        return lo + min(int(self.u() * (hi - lo + 1)), hi - lo)

    def pick(self, items: Sequence[str]) -> str:
        """Return one item, all equally likely."""
        return items[self.int(0, len(items) - 1)]

    def normal(self) -> float:
        """Return a standard normal draw (Box-Muller)."""
        u1 = 1.0 - self.u()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * self.u())


@dataclass(frozen=True)
class RegionSpec:
    """One region to generate: its name, city and the offset of its centre (degrees)."""

    name: str
    city: City
    dlat: float
    dlon: float


def region_specs(n: int) -> list[RegionSpec]:
    """Return ``n`` regions: the cities in turn, later rounds as districts around them."""
    specs = []
    for i in range(n):
        city = CITIES[i % len(CITIES)]
        ring = i // len(CITIES)
        angle = ring * 2.0
        step = 0.09 * math.ceil(ring / 2)
        name = f"{city.code.lower()}-{ring + 1}"
        specs.append(RegionSpec(name, city, step * math.sin(angle), step * math.cos(angle)))
    return specs


def _point(rng: Rand, spec: RegionSpec) -> tuple[float, float]:
    c = spec.city
    lat = c.lat + spec.dlat + c.sigma_deg * rng.normal()
    lon = c.lon + spec.dlon + c.sigma_deg * rng.normal() / math.cos(math.radians(c.lat))
    return round(lat, 6), round(lon, 6)


def _name(rng: Rand, cn: bool) -> str:
    if cn:
        return rng.pick(_SURNAMES) + rng.pick(_GIVEN) + rng.pick(_GIVEN)
    return f"{rng.pick(_UK_FIRST)} {rng.pick(_UK_LAST)}"


def make_accounts(rng: Rand, spec: RegionSpec, n: int) -> list[dict[str, str]]:
    """Return ``n`` accounts of a region, most of them eligible by the default rules."""
    cn = spec.city.jurisdiction == "CN"
    rows = []
    for k in range(n):
        lat, lon = _point(rng, spec)
        paid = PLAN_DATE - dt.timedelta(days=rng.int(20, 400)) if rng.u() < 0.6 else None
        road = rng.pick(spec.city.roads)
        number = rng.int(1, 999)
        address = (
            f"{spec.city.name}市{road}{number}号" if cn else f"{number} {road}, {spec.city.name}"
        )
        rows.append(
            {
                "account_id": f"{spec.name.upper()}-{k + 1:05d}",
                "debtor_name": _name(rng, cn),
                "address": address,
                "lat": f"{lat}",
                "lon": f"{lon}",
                "balance": f"{round(math.exp(9.9 + 0.7 * rng.normal()), 2):.2f}",
                "days_past_due": str(rng.int(60, 900)),
                "contact_attempts_30d": str(rng.int(1, 12)),
                "last_contact_outcome": rng.pick(_OUTCOMES),
                "last_payment_date": paid.isoformat() if paid else "",
                "broken_promises": str(rng.int(0, 3)),
                "hardship": "true" if rng.u() < 0.05 else "",
                "visit_windows": "09:00-12:00;14:00-18:00" if rng.u() < 0.2 else "",
                "language": "zh" if cn else "en",
                "region": spec.name,
            }
        )
    return rows


def make_agents(rng: Rand, spec: RegionSpec, n: int) -> list[dict[str, str]]:
    """Return ``n`` agents based around the region's centre."""
    cn = spec.city.jurisdiction == "CN"
    rows = []
    for k in range(n):
        lat, lon = _point(rng, spec)
        agent_id = f"{spec.name.upper()}-A{k + 1:02d}"
        rows.append(
            {
                "agent_id": agent_id,
                "name": _name(rng, cn),
                "base_lat": f"{lat}",
                "base_lon": f"{lon}",
                "shift_start": "09:00",
                "shift_end": "18:00",
                "max_visits": "10",
                "skills": ("zh;senior" if cn else "en;senior")
                if k % 3 == 0
                else ("zh" if cn else "en"),
                "break_start": "12:00",
                "break_end": "14:00",
                "break_minutes": "45",
                "credential_id": f"CR-{agent_id}",
                "credential_expiry": "2027-12-31",
                "region": spec.name,
            }
        )
    return rows


def write_csv(path: Path, columns: Sequence[str], rows: list[dict[str, str]]) -> None:
    """Write rows as UTF-8 CSV with ``\\n`` line ends."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def generate(
    out_dir: Path,
    *,
    regions: int = 6,
    accounts: int = 60,
    agents: int = 4,
    seed: int = SEED,
) -> dict[str, int]:
    """Write the three files into ``out_dir`` and return their row counts."""
    rng = Rand(seed)
    specs = region_specs(regions)
    acc: list[dict[str, str]] = []
    ag: list[dict[str, str]] = []
    for spec in specs:
        acc.extend(make_accounts(rng, spec, accounts))
        ag.extend(make_agents(rng, spec, agents))
    out_dir.mkdir(parents=True, exist_ok=True)
    write_csv(out_dir / "accounts.csv", ACCOUNT_COLUMNS, acc)
    write_csv(out_dir / "agents.csv", AGENT_COLUMNS, ag)
    table = [
        {"region": s.name, "jurisdiction": s.city.jurisdiction, "timezone": s.city.timezone}
        for s in specs
    ]
    write_csv(out_dir / "regions.csv", REGION_COLUMNS, table)
    return {"accounts": len(acc), "agents": len(ag), "regions": len(specs)}


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: write a portfolio of regions."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--regions", type=int, default=6)
    parser.add_argument("--accounts", type=int, default=60, help="accounts per region")
    parser.add_argument("--agents", type=int, default=4, help="agents per region")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    counts = generate(
        args.out, regions=args.regions, accounts=args.accounts, agents=args.agents, seed=args.seed
    )
    print(f"wrote {counts} to {args.out}")


if __name__ == "__main__":
    main()
