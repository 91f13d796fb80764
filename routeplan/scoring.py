"""Explainable priority: expected recovery from a transparent points table.

``probability = clamp((base + sum of component points) / 100)``;
``expected_recovery = balance x probability``; ``priority`` (0-100) is the
percentile rank of the expected recovery among the accounts scored together.
Every component is a column (``pts_*``) so anyone can see why a debtor was
chosen today. ``why_today`` lists the facts behind those points in a
language-neutral form (``days_past_due=184;broken_promises=2;...``) that the
route sheets print as plain words in the team's language.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from routeplan import schema as S
from routeplan.config import ScoringConfig

#: component columns, in the order they are explained
COMPONENTS: tuple[tuple[str, str], ...] = (
    ("pts_days_past_due", "days past due"),
    ("pts_broken_promises", "broken promises"),
    ("pts_last_payment", "last payment"),
    ("pts_contact_outcome", "last contact"),
    ("pts_hardship", "hardship"),
)


#: a last contact outcome that can travel inside ``why_today`` unchanged
_CODE = re.compile(r"^[a-z0-9_]{1,40}$")


def _band_points(values: pd.Series, bands: Sequence[tuple[float, float]]) -> pd.Series:
    """Return the points of the last band whose lower bound is <= value."""
    lows = np.array([b[0] for b in bands], dtype=float)
    pts = np.array([b[1] for b in bands], dtype=float)
    idx = np.searchsorted(lows, values.to_numpy(dtype=float), side="right") - 1
    out = np.where(idx >= 0, pts[np.clip(idx, 0, None)], 0.0)
    return pd.Series(out, index=values.index)


def score_accounts(
    accounts: pd.DataFrame, plan_date: dt.date, config: ScoringConfig
) -> pd.DataFrame:
    """Score accounts; return one row per account.

    Columns: ``account_id, priority, probability, expected_recovery,
    points_total``, one ``pts_*`` column per component, and ``explanation``
    (one line naming the components that moved the score).

    Parameters
    ----------
    accounts
        Validated accounts (``balance``, ``days_past_due``,
        ``broken_promises``, ``last_payment_date``, ``last_contact_outcome``,
        ``hardship``).
    plan_date
        Day the recency of the last payment is measured from.
    config
        The points table.
    """
    a = accounts
    day = pd.Timestamp(plan_date)
    out = pd.DataFrame({S.ACCOUNT_ID: a[S.ACCOUNT_ID].to_numpy()}, index=a.index)
    out["pts_days_past_due"] = _band_points(a[S.DAYS_PAST_DUE], config.days_past_due_bands)
    out["pts_broken_promises"] = (
        a[S.BROKEN_PROMISES].clip(upper=config.broken_promise_cap) * config.broken_promise_points
    ).astype(float)
    since_paid = (day - a[S.LAST_PAYMENT_DATE]).dt.days
    paid_pts = _band_points(since_paid.fillna(0).clip(lower=0), config.last_payment_bands)
    out["pts_last_payment"] = paid_pts.where(since_paid.notna(), config.never_paid_points)
    table = config.contact_outcome_points
    out["pts_contact_outcome"] = (
        a[S.LAST_CONTACT_OUTCOME].fillna("").map(lambda o: table.get(str(o), 0.0)).astype(float)
    )
    out["pts_hardship"] = np.where(a[S.HARDSHIP].to_numpy(dtype=bool), config.hardship_points, 0.0)
    pts_cols = [c for c, _ in COMPONENTS]
    out["points_total"] = config.base_points + out[pts_cols].sum(axis=1)
    out["probability"] = (out["points_total"] / 100.0).clip(
        config.min_probability, config.max_probability
    )
    out["expected_recovery"] = (a[S.BALANCE] * out["probability"]).round(2)
    if len(out):
        out["priority"] = (out["expected_recovery"].rank(pct=True, method="max") * 100).round(1)
    else:
        out["priority"] = pd.Series(dtype=float)
    out["explanation"] = [
        _explain(row, bal, config.base_points)
        for row, bal in zip(out.itertuples(index=False), a[S.BALANCE], strict=True)
    ]
    out["why_today"] = why_today_facts(a, since_paid)
    ordered = [*S.SCORE_COLUMNS, *pts_cols, "explanation", "why_today"]
    return out[ordered].reset_index(drop=True)


def why_today_facts(accounts: pd.DataFrame, days_since_paid: pd.Series) -> list[str]:
    """Return, per account, the facts behind its points as ``key=value`` pairs joined by ``;``.

    Keys, in order: ``days_past_due`` (always), ``broken_promises`` (when > 0),
    ``last_payment_days`` (days since the last payment, or ``never``),
    ``last_contact`` (the last remote contact outcome code, when it is one) and
    ``hardship=yes``. The presentation turns them into plain words.
    """
    out = []
    for dpd, broken, paid, contact, hardship in zip(
        accounts[S.DAYS_PAST_DUE],
        accounts[S.BROKEN_PROMISES],
        days_since_paid,
        accounts[S.LAST_CONTACT_OUTCOME].fillna(""),
        accounts[S.HARDSHIP],
        strict=True,
    ):
        facts = [f"days_past_due={int(dpd)}"]
        if int(broken) > 0:
            facts.append(f"broken_promises={int(broken)}")
        facts.append("last_payment_days=" + ("never" if pd.isna(paid) else str(max(int(paid), 0))))
        code = str(contact).strip().lower()
        if _CODE.match(code):
            facts.append(f"last_contact={code}")
        if bool(hardship):
            facts.append("hardship=yes")
        out.append(";".join(facts))
    return out


def _explain(row: Any, balance: float, base: float) -> str:
    parts = []
    for col, label in COMPONENTS:
        pts = float(getattr(row, col))
        if pts:
            parts.append(f"{label} {pts:+g}")
    detail = "; ".join(parts) if parts else "no adjustments"
    prob = float(row.probability)
    er = float(row.expected_recovery)
    return (
        f"expected recovery {er:,.0f} = balance {balance:,.0f} x {prob:.0%} "
        f"(base {base:g} pts; {detail})"
    )


__all__ = ["COMPONENTS", "score_accounts", "why_today_facts"]
