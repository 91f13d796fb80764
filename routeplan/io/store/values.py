"""Plain values for SQLite: DataFrame cells to text, numbers, dates and JSON.

Pure functions (no connection): what a plan or an outcomes file holds, as
pandas gives it (NaN, NaT, numpy scalars, Timestamps), becomes the ``TEXT``,
``REAL`` and ``INTEGER`` values the schema stores.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd


def date_bounds(lo: dt.date | None, hi: dt.date | None) -> tuple[str, str]:
    """Return ``[lo, hi]`` as ISO text, an open end as the widest date."""
    return (
        lo.isoformat() if lo is not None else "0000-01-01",
        hi.isoformat() if hi is not None else "9999-12-31",
    )


def json_text(obj: Any) -> str:
    """Return ``obj`` as JSON text (sorted keys, dates as ISO, numpy scalars unwrapped)."""
    return json.dumps(obj, default=_json_default, ensure_ascii=False, sort_keys=True)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, (dt.date, dt.datetime, pd.Timestamp)):
        return obj.isoformat()
    if isinstance(obj, Mapping):
        return dict(obj)
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    return str(obj)


def text(value: Any) -> str:
    """Return a cell as text; missing values (None, NaN, NA, NaT) as ""."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if value is pd.NaT:
        return ""
    return str(value)


def number(value: Any) -> float | None:
    """Return a cell as a finite float, None when missing or not a number."""
    if value is None or value is pd.NA or value == "":
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def date_text(value: Any) -> str | None:
    """Return a date cell as ``YYYY-MM-DD`` text, None when missing."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    cell = str(value).strip()
    return cell[:10] if cell else None


def column(frame: pd.DataFrame, name: str) -> pd.Series:
    """Return ``frame[name]``, or a column of None when the frame has no such column."""
    if name in frame.columns:
        return frame[name]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)
