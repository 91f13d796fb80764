"""Generate the synthetic Shenzhen sample portfolio, field team and outcomes.

Writes ``accounts.csv``, ``agents.csv`` and ``outcomes_example.csv`` beside this
file (or into ``--out DIR``). The data is invented: names, addresses, balances
and ids belong to nobody. Output is byte-for-byte deterministic for a seed: all
randomness comes from ``random.Random(seed).random()``, the one stream Python
promises to keep stable across versions, so the committed files can be checked
against a fresh run.

Usage::

    python data/samples/generate.py            # rewrite the committed samples
    python data/samples/generate.py --out /tmp/samples --seed 7
"""

from __future__ import annotations

import argparse
import bisect
import csv
import datetime as dt
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

SEED = 20261201
PLAN_DATE = dt.date(2026, 12, 1)
N_ACCOUNTS = 1650
N_NO_COORDS = 40

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
    "ptp_date",
    "broken_promises",
    "hardship",
    "dispute",
    "do_not_visit",
    "visit_windows",
    "language",
    "last_visit_date",
    "visits_90d",
)
AGENT_COLUMNS = (
    "agent_id",
    "name",
    "base_lat",
    "base_lon",
    "end_lat",
    "end_lon",
    "shift_start",
    "shift_end",
    "max_visits",
    "skills",
    "break_start",
    "break_end",
    "break_minutes",
    "credential_id",
    "credential_expiry",
    "speed_kmh",
    "travel_mode",
)
OUTCOME_COLUMNS = (
    "account_id",
    "agent_id",
    "visit_date",
    "outcome",
    "amount_paid",
    "ptp_date",
    "ptp_amount",
    "notes",
)

# --- geography ----------------------------------------------------------------


@dataclass(frozen=True)
class Neighbourhood:
    """A residential area: centre (degrees), spread (1 sigma, degrees), weight."""

    name: str
    lat: float
    lon: float
    sigma_deg: float
    weight: float


@dataclass(frozen=True)
class District:
    """A Shenzhen district with its neighbourhoods and main roads."""

    name: str
    weight: float
    neighbourhoods: tuple[Neighbourhood, ...]
    roads: tuple[str, ...]


# Centres are real places (approximate); weights follow resident population.
DISTRICTS: tuple[District, ...] = (
    District(
        "福田",
        1.6,
        (
            Neighbourhood("车公庙", 22.5370, 114.0250, 0.0070, 1.0),
            Neighbourhood("华强北", 22.5450, 114.0850, 0.0060, 1.0),
            Neighbourhood("梅林", 22.5700, 114.0500, 0.0070, 1.0),
            Neighbourhood("香蜜湖", 22.5470, 114.0330, 0.0060, 0.8),
            Neighbourhood("皇岗", 22.5300, 114.0650, 0.0050, 0.7),
        ),
        ("深南大道", "福华路", "莲花路", "红荔路", "香梅路", "华强北路", "景田路", "新洲路"),
    ),
    District(
        "罗湖",
        1.1,
        (
            Neighbourhood("东门", 22.5490, 114.1200, 0.0060, 1.0),
            Neighbourhood("笋岗", 22.5650, 114.1050, 0.0060, 0.8),
            Neighbourhood("翠竹", 22.5620, 114.1300, 0.0060, 0.8),
            Neighbourhood("莲塘", 22.5600, 114.1720, 0.0060, 0.6),
            Neighbourhood("布心", 22.5800, 114.1300, 0.0060, 0.6),
        ),
        ("人民南路", "东门中路", "解放路", "宝安北路", "爱国路", "笋岗路", "布心路", "太宁路"),
    ),
    District(
        "南山",
        1.8,
        (
            Neighbourhood("科技园", 22.5400, 113.9500, 0.0080, 1.0),
            Neighbourhood("蛇口", 22.4950, 113.9150, 0.0050, 0.8),
            Neighbourhood("南头", 22.5450, 113.9220, 0.0060, 0.9),
            Neighbourhood("西丽", 22.5850, 113.9550, 0.0090, 1.0),
            Neighbourhood("华侨城", 22.5400, 113.9850, 0.0050, 0.5),
        ),
        ("南海大道", "科苑路", "南山大道", "桃园路", "沙河西路", "学府路", "留仙大道", "工业八路"),
    ),
    District(
        "宝安",
        4.5,
        (
            Neighbourhood("新安", 22.5600, 113.8900, 0.0070, 1.0),
            Neighbourhood("西乡", 22.5850, 113.8750, 0.0080, 1.0),
            Neighbourhood("福永", 22.6700, 113.8300, 0.0080, 0.9),
            Neighbourhood("沙井", 22.7300, 113.8350, 0.0080, 1.0),
            Neighbourhood("松岗", 22.7700, 113.8500, 0.0080, 0.8),
            Neighbourhood("石岩", 22.6800, 113.9300, 0.0080, 0.6),
        ),
        ("宝安大道", "新湖路", "建安一路", "前进路", "西乡大道", "创业路", "沙井路", "松白路"),
    ),
    District(
        "龙岗",
        4.0,
        (
            Neighbourhood("龙城", 22.7200, 114.2500, 0.0100, 1.0),
            Neighbourhood("布吉", 22.6100, 114.1200, 0.0080, 1.0),
            Neighbourhood("坂田", 22.6300, 114.0650, 0.0070, 0.8),
            Neighbourhood("横岗", 22.6500, 114.2000, 0.0080, 0.8),
            Neighbourhood("平湖", 22.6900, 114.1300, 0.0080, 0.7),
            Neighbourhood("坪地", 22.7620, 114.2950, 0.0060, 0.4),
        ),
        ("龙岗大道", "龙城大道", "布吉路", "坂雪岗大道", "平湖大街", "横岗大道", "爱联路"),
    ),
    District(
        "龙华",
        2.5,
        (
            Neighbourhood("民治", 22.6200, 114.0350, 0.0070, 1.0),
            Neighbourhood("龙华中心", 22.6550, 114.0250, 0.0070, 1.0),
            Neighbourhood("大浪", 22.6700, 113.9950, 0.0070, 0.7),
            Neighbourhood("观澜", 22.7200, 114.0600, 0.0080, 0.8),
            Neighbourhood("观湖", 22.7100, 114.0850, 0.0060, 0.5),
        ),
        ("民治大道", "人民路", "梅龙路", "观澜大道", "东环二路", "布龙路", "华盛路", "龙观大道"),
    ),
    District(
        "光明",
        1.1,
        (
            Neighbourhood("光明中心", 22.7500, 113.9350, 0.0070, 1.0),
            Neighbourhood("公明", 22.7800, 113.8950, 0.0070, 1.0),
            Neighbourhood("凤凰", 22.7350, 113.9550, 0.0060, 0.5),
        ),
        ("光明大道", "华夏路", "观光路", "东周路", "公明南环大道", "光侨路"),
    ),
    District(
        "坪山",
        0.55,
        (
            Neighbourhood("坪山中心", 22.6900, 114.3450, 0.0070, 1.0),
            Neighbourhood("坑梓", 22.7420, 114.3850, 0.0060, 0.6),
        ),
        ("坪山大道", "深汕路", "东纵路", "金牛东路", "龙兴南路", "丹梓大道"),
    ),
)

# Rough outline of Shenzhen's land west of Dapeng (lon, lat), used to reject
# sampled points that would fall into Shenzhen Bay, the Pearl River estuary,
# Hong Kong or Dongguan.
LAND_OUTLINE: tuple[tuple[float, float], ...] = (
    (113.780, 22.800),
    (113.900, 22.840),
    (114.000, 22.800),
    (114.100, 22.780),
    (114.200, 22.760),
    (114.300, 22.785),
    (114.420, 22.765),
    (114.420, 22.640),
    (114.300, 22.600),
    (114.240, 22.570),
    (114.200, 22.560),
    (114.150, 22.547),
    (114.110, 22.534),
    (114.080, 22.527),
    (114.050, 22.517),
    (114.000, 22.517),
    (113.960, 22.517),
    (113.940, 22.497),
    (113.920, 22.482),
    (113.897, 22.490),
    (113.890, 22.530),
    (113.870, 22.555),
    (113.845, 22.600),
    (113.815, 22.650),
    (113.785, 22.720),
    (113.775, 22.770),
)


def on_land(lat: float, lon: float) -> bool:
    """Return whether a point lies inside ``LAND_OUTLINE`` (ray casting)."""
    inside = False
    n = len(LAND_OUTLINE)
    for i in range(n):
        x1, y1 = LAND_OUTLINE[i]
        x2, y2 = LAND_OUTLINE[(i + 1) % n]
        if (y1 > lat) != (y2 > lat):
            x_cross = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if lon < x_cross:
                inside = not inside
    return inside


# --- people -------------------------------------------------------------------

# Common surnames with rough weights for Guangdong (陈, 李, 黄, 张 lead there).
SURNAMES: tuple[tuple[str, float], ...] = (
    ("陈", 9.0), ("李", 7.5), ("黄", 6.5), ("张", 6.0), ("林", 5.0), ("刘", 5.0),
    ("王", 4.5), ("吴", 3.5), ("杨", 3.0), ("梁", 3.0), ("郑", 2.8), ("何", 2.5),
    ("周", 2.5), ("罗", 2.3), ("谢", 2.2), ("许", 2.0), ("邓", 2.0), ("叶", 1.9),
    ("曾", 1.9), ("赵", 1.8), ("钟", 1.6), ("朱", 1.6), ("蔡", 1.6), ("徐", 1.5),
    ("孙", 1.3), ("胡", 1.3), ("郭", 1.3), ("马", 1.2), ("彭", 1.2), ("廖", 1.2),
    ("冯", 1.1), ("卢", 1.1), ("苏", 1.0), ("潘", 1.0), ("丁", 0.8), ("范", 0.8),
    ("魏", 0.8), ("肖", 0.8), ("田", 0.7), ("袁", 0.7), ("邱", 0.7), ("余", 0.7),
    ("杜", 0.6), ("江", 0.6), ("韩", 0.6), ("唐", 0.6), ("宋", 0.6), ("方", 0.6),
    ("温", 0.6), ("欧阳", 0.3), ("司徒", 0.1), ("区", 0.3), ("麦", 0.4), ("赖", 0.6),
    ("严", 0.4), ("汤", 0.4), ("戴", 0.4), ("沈", 0.4), ("姚", 0.4), ("龚", 0.3),
)  # fmt: skip
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉鹏宇浩俊峰婷雪琳晨欣怡"
    "佳梓涵思嘉志国海斌健彬荣坤燕晓颖慧帆宏振锋雯倩璐睿轩泽铭"
)
ENGLISH_NAMES = (
    "David Miller", "Sarah Johnson", "Michael Brown", "Emma Wilson", "James Taylor",
    "Olivia Martin", "Daniel Lee", "Sophie Clarke", "Thomas Müller", "Anna Kowalski",
    "Raj Patel", "Priya Sharma", "Kenji Tanaka", "Min-jun Kim", "Lucas Silva",
)  # fmt: skip
COMMUNITY_PREFIX = (
    "锦绣", "阳光", "碧海", "金域", "翠湖", "丽景", "桃源", "幸福", "华庭", "东方", "海富",
    "明珠", "龙腾", "天健", "彩虹", "星河", "半岛", "振业", "景秀", "福盈", "金众", "鸿瑞",
    "宏发", "益田", "泰然", "嘉多", "荔林", "梅山", "新城", "康乐",
)  # fmt: skip
COMMUNITY_SUFFIX = ("小区", "小区", "小区", "花园", "雅苑", "新村", "家园", "名苑", "华府", "豪庭")


# --- randomness ---------------------------------------------------------------


class Rand:
    """Random draws built only on ``random.Random.random()``.

    Python guarantees that stream for a seed across versions; the helpers below
    are written out here so that their results cannot change with Python.
    """

    def __init__(self, seed: int) -> None:
        self._r = random.Random(seed)

    def u(self) -> float:
        """Return a uniform float in [0, 1)."""
        return self._r.random()

    def uniform(self, lo: float, hi: float) -> float:
        """Return a uniform float in [lo, hi)."""
        return lo + (hi - lo) * self.u()

    def int(self, lo: int, hi: int) -> int:
        """Return a uniform integer in [lo, hi] (both ends included)."""
        return lo + min(int(self.u() * (hi - lo + 1)), hi - lo)

    def chance(self, p: float) -> bool:
        """Return True with probability ``p``."""
        return self.u() < p

    def normal(self, mu: float = 0.0, sigma: float = 1.0) -> float:
        """Return a normal draw (Box-Muller)."""
        u1 = 1.0 - self.u()  # (0, 1]: log stays finite
        u2 = self.u()
        return mu + sigma * math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)

    def pick(self, items: Sequence[T]) -> T:
        """Return one item, all equally likely."""
        return items[self.int(0, len(items) - 1)]

    def weighted(self, items: Sequence[T], weights: Sequence[float]) -> T:
        """Return one item with probability proportional to its weight."""
        cum: list[float] = []
        total = 0.0
        for w in weights:
            total += w
            cum.append(total)
        return items[min(bisect.bisect_right(cum, self.u() * total), len(items) - 1)]


def chinese_name(rng: Rand) -> str:
    """Return a surname plus a one- or two-character given name."""
    surname = rng.weighted([s for s, _ in SURNAMES], [w for _, w in SURNAMES])
    first = rng.pick(GIVEN_CHARS)
    if rng.chance(0.3):
        return surname + first
    second = rng.pick(GIVEN_CHARS)
    while second == first:
        second = rng.pick(GIVEN_CHARS)
    return surname + first + second


def bool_text(rng: Rand, value: bool) -> str:
    """Spell a boolean the way real exports do: mixed forms, empty for false."""
    if value:
        return rng.weighted(["true", "1", "yes", "TRUE", "Yes"], [5, 3, 2, 1, 1])
    return rng.weighted(["", "false", "0", "no", "FALSE"], [8, 4, 2, 1, 1])


def iso(day: dt.date | None) -> str:
    """Format a date as ISO text, empty for None."""
    return "" if day is None else day.isoformat()


# --- accounts -----------------------------------------------------------------

LEGAL_WINDOWS = (
    "09:00-12:00", "08:30-11:30", "10:00-12:00", "09:30-11:00", "14:00-17:00",
    "13:30-17:30", "15:00-18:00", "18:00-20:30", "19:00-21:00", "18:30-21:30",
)  # fmt: skip
# Mornings are listed first so that two-window strings read in time order.
MORNING = LEGAL_WINDOWS[:4]
LATER = LEGAL_WINDOWS[4:]
OUTSIDE_HOURS = ("06:00-07:30", "22:30-23:30", "06:30-07:45", "22:15-23:45")


def visit_windows(rng: Rand) -> str:
    """Return a visit window list: often empty, sometimes outside legal hours."""
    roll = rng.u()
    if roll < 0.40:
        return ""
    if roll < 0.43:  # debtor only available outside the legal visiting hours
        return rng.pick(OUTSIDE_HOURS)
    if roll < 0.45:  # one unlawful and one lawful window
        return f"{rng.pick(MORNING)};{rng.pick(OUTSIDE_HOURS[1::2])}"
    if roll < 0.75:
        return rng.pick(LEGAL_WINDOWS)
    return f"{rng.pick(MORNING)};{rng.pick(LATER)}"


def days_past_due(rng: Rand) -> int:
    """Return days past due: most 30-400, a tail to 900, some just overdue."""
    roll = rng.u()
    if roll < 0.12:
        return rng.int(0, 29)
    if roll < 0.80:
        return rng.int(30, 400)
    return rng.int(401, 900)


def balance(rng: Rand) -> float:
    """Return a lognormal-ish balance in CNY (median ~20k, tail to ~1M)."""
    value = math.exp(rng.normal(math.log(20000.0), 0.95))
    if rng.chance(0.015):  # business and mortgage-backed loans
        value = rng.uniform(200000.0, 1000000.0)
    return round(min(max(value, 800.0), 1000000.0), 2)


def district_point(rng: Rand, district: District) -> tuple[float, float, Neighbourhood]:
    """Return a point on land around one of the district's neighbourhoods.

    Most points sit in the neighbourhood's dense core; a quarter spread three
    times wider, filling the urban villages and estates in between.
    """
    hood = rng.weighted(district.neighbourhoods, [h.weight for h in district.neighbourhoods])
    sigma = hood.sigma_deg * (3.0 if rng.chance(0.25) else 1.3)
    while True:
        lat = hood.lat + rng.normal(0.0, sigma)
        # A degree of longitude is shorter than one of latitude (cos 22.6°).
        lon = hood.lon + rng.normal(0.0, sigma / 0.923)
        if abs(lat - hood.lat) <= 3 * sigma and on_land(lat, lon):
            return lat, lon, hood


def address(rng: Rand, district: District) -> str:
    """Return a Chinese street address in the district."""
    road = rng.pick(district.roads)
    number = rng.int(1, 3999)
    community = rng.pick(COMMUNITY_PREFIX) + rng.pick(COMMUNITY_SUFFIX)
    building = rng.int(1, 32)
    floor = rng.int(1, 33)
    room = floor * 100 + rng.int(1, 8)
    return f"深圳市{district.name}区{road}{number}号{community}{building}栋{room}室"


def make_accounts(rng: Rand) -> list[dict[str, str]]:
    """Return the account rows (all contract columns, as CSV text)."""
    rows: list[dict[str, str]] = []
    weights = [d.weight for d in DISTRICTS]
    no_coords: set[int] = set()
    while len(no_coords) < N_NO_COORDS:
        no_coords.add(rng.int(0, N_ACCOUNTS - 1))
    for i in range(N_ACCOUNTS):
        district = rng.weighted(DISTRICTS, weights)
        lat, lon, _ = district_point(rng, district)
        language = rng.weighted(["zh", "yue", "en", "hak"], [81.0, 15.0, 3.0, 1.0])
        name = rng.pick(ENGLISH_NAMES) if language == "en" and rng.chance(0.6) else None
        dpd = days_past_due(rng)
        attempts = min(15, max(0, round(rng.normal(5.0, 3.2))))
        outcome = rng.weighted(
            ["no_answer", "refused", "wrong_number", "ptp", "unreachable", ""],
            [35.0, 12.0, 8.0, 10.0, 15.0, 20.0],
        )
        # Last payment: never for some, otherwise around or after the due date.
        last_payment = None
        if not rng.chance(0.22):
            last_payment = PLAN_DATE - dt.timedelta(days=rng.int(3, dpd + 45))
        # Promise to pay: active ones mostly follow a ptp contact outcome.
        ptp = None
        if outcome == "ptp" and rng.chance(0.55):
            ptp = PLAN_DATE + dt.timedelta(days=rng.int(0, 25))
        elif rng.chance(0.10):
            ptp = PLAN_DATE - dt.timedelta(days=rng.int(2, 120))
        broken = rng.weighted([0, 1, 2, 3, 4], [55.0, 22.0, 12.0, 7.0, 4.0])
        if ptp is not None and ptp < PLAN_DATE:
            broken = max(broken, 1)
        last_visit = None
        visits = 0
        roll = rng.u()
        if roll < 0.05:
            last_visit = PLAN_DATE - dt.timedelta(days=rng.int(1, 6))
        elif roll < 0.25:
            last_visit = PLAN_DATE - dt.timedelta(days=rng.int(8, 240))
        if last_visit is not None and (PLAN_DATE - last_visit).days <= 90:
            visits = rng.weighted([1, 2, 3, 4], [55.0, 25.0, 13.0, 7.0])
        missing = i in no_coords
        rows.append(
            {
                "account_id": f"SZ{100001 + i:06d}",
                "debtor_name": name or chinese_name(rng),
                "address": address(rng, district),
                "lat": "" if missing else f"{lat:.6f}",
                "lon": "" if missing else f"{lon:.6f}",
                "balance": f"{balance(rng):.2f}",
                "days_past_due": str(dpd),
                "contact_attempts_30d": str(attempts),
                "last_contact_outcome": outcome,
                "last_payment_date": iso(last_payment),
                "ptp_date": iso(ptp),
                "broken_promises": str(broken) if broken or rng.chance(0.7) else "",
                "hardship": bool_text(rng, rng.chance(0.08)),
                "dispute": bool_text(rng, rng.chance(0.03)),
                "do_not_visit": bool_text(rng, rng.chance(0.02)),
                "visit_windows": visit_windows(rng),
                "language": language,
                "last_visit_date": iso(last_visit),
                "visits_90d": str(visits) if visits or rng.chance(0.8) else "",
            }
        )
    return rows


# --- agents -------------------------------------------------------------------

# Offices of a collection agency (real business areas, approximate).
OFFICES: dict[str, tuple[float, float]] = {
    "福田CBD": (22.5372, 114.0578),
    "罗湖国贸": (22.5398, 114.1185),
    "南山科技园": (22.5408, 113.9472),
    "宝安中心": (22.5565, 113.8832),
    "沙井": (22.7335, 113.8352),
    "龙岗龙城": (22.7205, 114.2468),
    "布吉": (22.6052, 114.1218),
    "龙华": (22.6571, 114.0302),
    "光明": (22.7482, 113.9366),
    "坪山": (22.6903, 114.3452),
}
# (office, shift, max_visits, skills, break window+minutes, end office, speed)
AGENT_PLAN: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    ("福田CBD", "08:30-17:30", "10", "zh;yue;senior", "11:30-13:30/60", "", ""),
    ("福田CBD", "09:00-18:00", "8", "zh;en;senior", "11:30-13:30/60", "", ""),
    ("福田CBD", "12:00-21:00", "8", "zh;yue", "16:30-18:30/45", "罗湖国贸", ""),
    ("罗湖国贸", "08:30-17:30", "", "zh;yue", "11:30-13:30/60", "", ""),
    ("罗湖国贸", "09:00-18:00", "9", "zh;senior", "12:00-14:00/60", "", "20"),
    ("南山科技园", "08:30-17:30", "10", "zh;en", "11:30-13:30/45", "", ""),
    ("南山科技园", "09:00-18:00", "12", "zh", "", "", ""),
    ("南山科技园", "12:00-21:00", "7", "zh;en;senior", "17:00-18:30/45", "福田CBD", ""),
    ("宝安中心", "08:30-17:30", "11", "zh;yue", "11:30-13:30/60", "", ""),
    ("宝安中心", "07:30-16:00", "10", "zh", "11:00-13:00/45", "", "30"),
    ("宝安中心", "09:00-18:00", "", "zh;senior", "11:30-13:30/60", "", ""),
    ("沙井", "08:30-17:30", "9", "zh;yue;senior", "11:30-13:30/60", "", ""),
    ("沙井", "12:00-21:00", "6", "zh", "", "宝安中心", ""),
    ("龙岗龙城", "08:30-17:30", "10", "zh;yue", "11:30-13:30/60", "", ""),
    ("龙岗龙城", "09:00-18:00", "12", "zh;senior", "12:00-14:00/50", "", "30"),
    ("布吉", "08:30-17:30", "10", "zh", "11:30-13:30/45", "", ""),
    ("布吉", "07:30-16:00", "8", "zh;yue", "11:00-13:00/45", "龙岗龙城", ""),
    ("布吉", "12:00-21:00", "", "zh;yue;senior", "16:30-18:00/45", "", ""),
    ("龙华", "08:30-17:30", "11", "zh;senior", "11:30-13:30/60", "", ""),
    ("龙华", "09:00-18:00", "10", "zh;yue", "11:30-13:30/60", "", "20"),
    ("龙华", "08:30-17:30", "9", "zh", "", "光明", ""),
    ("光明", "09:00-18:00", "8", "zh;yue", "11:30-13:30/45", "", ""),
    ("光明", "08:30-17:30", "7", "zh;senior", "11:30-13:30/60", "", ""),
    ("坪山", "08:30-17:30", "8", "zh;yue;senior", "11:30-13:30/60", "", ""),
    ("坪山", "09:00-18:00", "6", "zh", "12:00-14:00/45", "龙岗龙城", ""),
)
EXPIRED_AGENT = 16  # index into AGENT_PLAN whose credential ran out before the plan date


def make_agents(rng: Rand) -> list[dict[str, str]]:
    """Return the agent rows (all contract columns, as CSV text)."""
    rows: list[dict[str, str]] = []
    used_names: set[str] = set()
    credential_numbers: set[int] = set()
    for i, (office, shift, max_visits, skills, brk, end_office, speed) in enumerate(AGENT_PLAN):
        name = chinese_name(rng)
        while name in used_names:
            name = chinese_name(rng)
        used_names.add(name)
        number = rng.int(1, 9999)
        while number in credential_numbers:
            number = rng.int(1, 9999)
        credential_numbers.add(number)
        if i == EXPIRED_AGENT:
            expiry = PLAN_DATE - dt.timedelta(days=rng.int(5, 40))
        elif rng.chance(0.15):
            expiry = dt.date(2026, 12, rng.int(15, 31))
        else:
            expiry = dt.date(2027, rng.int(1, 12), rng.int(1, 28))
        base_lat, base_lon = OFFICES[office]
        end_lat, end_lon = OFFICES[end_office] if end_office else ("", "")
        start, end = shift.split("-")
        window, minutes = brk.split("/") if brk else ("-", "")
        break_start, break_end = window.split("-")
        rows.append(
            {
                "agent_id": f"AG{i + 1:02d}",
                "name": name,
                "base_lat": f"{base_lat:.6f}",
                "base_lon": f"{base_lon:.6f}",
                "end_lat": f"{end_lat:.6f}" if end_office else "",
                "end_lon": f"{end_lon:.6f}" if end_office else "",
                "shift_start": start,
                "shift_end": end,
                "max_visits": max_visits,
                "skills": skills,
                "break_start": break_start,
                "break_end": break_end,
                "break_minutes": minutes,
                "credential_id": f"SZ-COL-2026-{number:04d}",
                "credential_expiry": expiry.isoformat(),
                "speed_kmh": speed,
                # the e-bike riders (20 km/h) ride; the rest drive
                "travel_mode": "bicycle" if speed == "20" else "car",
            }
        )
    return rows


# --- outcomes -----------------------------------------------------------------

OUTCOME_NOTES: dict[str, tuple[str, ...]] = {
    "paid": ("现场全额还款，已开具收据", "债务人通过手机银行结清欠款"),
    "partial_payment": ("现场部分还款，约定余款分期", "先还一部分，余款下月处理"),
    "ptp": ("债务人承诺月内还款", "约定发薪日后还款", "家属代为承诺还款"),
    "not_home": ("无人应门，已留联系卡", "邻居称白天上班", ""),
    "refused": ("拒绝沟通，已礼貌离开", "债务人要求离开，已离开"),
    "dispute": ("对欠款金额有异议，暂停催收", "称已还清，需核对还款记录"),
    "hardship": ("失业，申请减免利息", "家人住院，申请延期还款"),
    "moved": ("已搬离，新住址不详", "房东称上月搬走"),
    "wrong_address": ("门牌号不存在", "该地址为商铺，无此人"),
}


def eligible_by_default(row: dict[str, str]) -> bool:
    """Return whether an account passes the default eligibility rules.

    Mirrors ``EligibilityConfig`` defaults closely enough to pick realistic
    accounts for the outcome example; the planner's own rules are the truth.
    """
    truthy = {"true", "1", "yes"}
    if row["lat"] == "" or row["lon"] == "":
        return False
    if int(row["days_past_due"]) < 90 or float(row["balance"]) < 10000:
        return False
    if int(row["contact_attempts_30d"]) < 3:
        return False
    if row["dispute"].lower() in truthy or row["do_not_visit"].lower() in truthy:
        return False
    if row["ptp_date"] and dt.date.fromisoformat(row["ptp_date"]) >= PLAN_DATE:
        return False
    last_visit = row["last_visit_date"]
    if last_visit and (PLAN_DATE - dt.date.fromisoformat(last_visit)).days < 7:
        return False
    return int(row["visits_90d"] or 0) < 3


def make_outcomes(
    rng: Rand, accounts: list[dict[str, str]], agents: list[dict[str, str]]
) -> list[dict[str, str]]:
    """Return ~30 recorded visit outcomes for the plan date covering every code."""
    eligible = [a for a in accounts if eligible_by_default(a)]
    valid_agents = [a for a in agents if dt.date.fromisoformat(a["credential_expiry"]) >= PLAN_DATE]
    codes = list(OUTCOME_NOTES)
    code_weights = [2.0, 2.0, 3.0, 4.0, 2.0, 1.0, 1.5, 1.0, 1.0]
    rows: list[dict[str, str]] = []
    chosen: set[str] = set()
    for k in range(30):
        account = rng.pick(eligible)
        while account["account_id"] in chosen:
            account = rng.pick(eligible)
        chosen.add(account["account_id"])
        code = codes[k] if k < len(codes) else rng.weighted(codes, code_weights)
        owed = float(account["balance"])
        amount_paid = ptp_date = ptp_amount = ""
        if code == "paid":
            amount_paid = f"{owed:.2f}"
        elif code == "partial_payment":
            amount_paid = f"{round(owed * rng.uniform(0.05, 0.4), -2):.2f}"
        elif code == "ptp":
            ptp_date = iso(PLAN_DATE + dt.timedelta(days=rng.int(3, 30)))
            ptp_amount = f"{round(owed * rng.uniform(0.1, 1.0), -2):.2f}"
        rows.append(
            {
                "account_id": account["account_id"],
                "agent_id": rng.pick(valid_agents)["agent_id"],
                "visit_date": PLAN_DATE.isoformat(),
                "outcome": code,
                "amount_paid": amount_paid,
                "ptp_date": ptp_date,
                "ptp_amount": ptp_amount,
                "notes": rng.pick(OUTCOME_NOTES[code]),
            }
        )
    rows.sort(key=lambda r: (r["agent_id"], r["account_id"]))
    return rows


# --- main ---------------------------------------------------------------------


def write_csv(path: Path, columns: Sequence[str], rows: list[dict[str, str]]) -> None:
    """Write rows as UTF-8 CSV with ``\\n`` line ends (no BOM)."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def generate(out_dir: Path, seed: int = SEED) -> dict[str, int]:
    """Write the three sample files into ``out_dir`` and return their row counts."""
    out_dir.mkdir(parents=True, exist_ok=True)
    accounts = make_accounts(Rand(seed))
    agents = make_agents(Rand(seed + 1))
    outcomes = make_outcomes(Rand(seed + 2), accounts, agents)
    write_csv(out_dir / "accounts.csv", ACCOUNT_COLUMNS, accounts)
    write_csv(out_dir / "agents.csv", AGENT_COLUMNS, agents)
    write_csv(out_dir / "outcomes_example.csv", OUTCOME_COLUMNS, outcomes)
    return {"accounts": len(accounts), "agents": len(agents), "outcomes": len(outcomes)}


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line and write the samples."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    counts = generate(args.out, args.seed)
    print(
        f"wrote {counts['accounts']} accounts, {counts['agents']} agents, "
        f"{counts['outcomes']} outcomes to {args.out} (plan date {PLAN_DATE})"
    )


if __name__ == "__main__":
    main()
