"""Dates of a plan: the days of a horizon and the visit windows of a given day.

Pure functions over plain data: nothing here reads the clock or a file.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from routeplan.formats import WeekWindows
from routeplan.io.readers import DAY_WINDOWS


def horizon_dates(first: dt.date, days: int) -> tuple[dt.date, ...]:
    """Return ``days`` consecutive dates from ``first`` (calendar days, weekends included)."""
    if days < 1:
        raise ValueError(f"a horizon needs at least one day, got {days}")
    return tuple(first + dt.timedelta(days=k) for k in range(days))


def windows_on(accounts: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """Return ``accounts`` with the visit windows of ``day`` in ``windows``.

    Accounts whose ``visit_windows`` name weekdays (``Mon-Fri 18:00-20:00``)
    get that weekday's windows, or
    :data:`~routeplan.formats.NO_WINDOW_TODAY` on a weekday without any (they
    are then dropped with ``windows_outside_shifts_and_legal_hours``); other
    accounts are returned unchanged. ``visit_windows`` keeps the weekday form.
    """
    if DAY_WINDOWS not in accounts.columns or accounts[DAY_WINDOWS].isna().all():
        return accounts
    out = accounts.copy()
    out["windows"] = [
        w.on(day) if isinstance(w, WeekWindows) else own
        for w, own in zip(out[DAY_WINDOWS], out["windows"], strict=True)
    ]
    return out


__all__ = ["horizon_dates", "windows_on"]
