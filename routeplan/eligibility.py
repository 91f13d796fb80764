"""Decide who may be visited today, with every reason for those who may not.

A pure stage: accounts (as read by :mod:`routeplan.io.readers`), the plan
date and the configuration in; the eligible accounts and one exclusion row
per failing rule out. Nothing here reads the clock or a file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from routeplan import schema as S
from routeplan.config import Config


@dataclass(frozen=True)
class EligibilityResult:
    """Eligible accounts and the exclusions (``account_id, reason, detail``)."""

    eligible: pd.DataFrame
    excluded: pd.DataFrame


def determine_eligibility(
    accounts: pd.DataFrame,
    plan_date: dt.date,
    config: Config,
    *,
    extra_exclusions: pd.DataFrame | None = None,
) -> EligibilityResult:
    """Apply the eligibility rules to every account.

    Parameters
    ----------
    accounts
        Validated accounts (typed columns, dates as datetime64).
    plan_date
        The day being planned; "active" promises and "recent" visits are
        measured from it.
    config
        Rules in ``config.eligibility`` and the jurisdiction's lawful days.
    extra_exclusions
        More exclusions (``account_id, reason, detail``), e.g. from the
        visit history; they are merged with the rule results.

    Returns
    -------
    EligibilityResult
        ``excluded`` holds one row per (account, failing rule); an account
        is eligible only when it has no row there.
    """
    rules = config.eligibility
    day = pd.Timestamp(plan_date)
    a = accounts
    if a.empty:
        return EligibilityResult(a.copy(), pd.DataFrame(columns=list(S.EXCLUDED_COLUMNS)))
    checks: list[tuple[S.ExcludedReason, pd.Series, pd.Series]] = []

    def add(reason: S.ExcludedReason, mask: pd.Series, detail: pd.Series) -> None:
        checks.append((reason, mask.fillna(False).astype(bool), detail))

    dpd = a[S.DAYS_PAST_DUE]
    add(
        S.ExcludedReason.DAYS_PAST_DUE,
        dpd < rules.min_days_past_due,
        "days_past_due " + dpd.astype(str) + f" < {rules.min_days_past_due}",
    )
    bal = a[S.BALANCE]
    add(
        S.ExcludedReason.BALANCE,
        bal < rules.min_balance,
        "balance " + bal.map(lambda x: f"{x:,.2f}") + f" < {rules.min_balance:,.2f}",
    )
    att = a[S.CONTACT_ATTEMPTS_30D]
    add(
        S.ExcludedReason.NO_REMOTE_CONTACT,
        att < rules.min_contact_attempts_30d,
        "contact_attempts_30d " + att.astype(str) + f" < {rules.min_contact_attempts_30d}",
    )
    add(S.ExcludedReason.DISPUTE, a[S.DISPUTE], pd.Series("debt is disputed", index=a.index))
    add(
        S.ExcludedReason.DO_NOT_VISIT,
        a[S.DO_NOT_VISIT],
        pd.Series(
            "do-not-visit flag (legal hold, bankruptcy, deceased, cease request)", index=a.index
        ),
    )
    ptp = a[S.PTP_DATE]
    add(S.ExcludedReason.ACTIVE_PTP, ptp >= day, "promise to pay due " + _fmt_dates(ptp))
    last = a[S.LAST_VISIT_DATE]
    since = (day - last).dt.days
    add(
        S.ExcludedReason.RECENT_VISIT,
        since < rules.min_days_since_visit,
        "last visit "
        + _fmt_dates(last)
        + " ("
        + since.astype("Int64").astype(str)
        + f" days ago, minimum {rules.min_days_since_visit})",
    )
    v90 = a[S.VISITS_90D]
    add(
        S.ExcludedReason.VISIT_CAP_90D,
        v90 >= rules.max_visits_90d,
        "visits_90d " + v90.astype(str) + f" >= {rules.max_visits_90d}",
    )
    if rules.hardship_policy == "exclude":
        add(
            S.ExcludedReason.HARDSHIP,
            a[S.HARDSHIP],
            pd.Series("hardship declared and policy is 'exclude'", index=a.index),
        )
    lawful, why = config.legal.allows_day(plan_date)
    if lawful and plan_date.isoformat() in rules.no_visit_dates:
        lawful, why = False, f"no visits on {plan_date.isoformat()} (eligibility.no_visit_dates)"
    if not lawful:
        add(
            S.ExcludedReason.LEGAL_DAY,
            pd.Series(True, index=a.index),
            pd.Series(why, index=a.index),
        )

    frames = [
        pd.DataFrame(
            {S.ACCOUNT_ID: a.loc[mask, S.ACCOUNT_ID], S.REASON: reason, S.DETAIL: detail[mask]}
        )
        for reason, mask, detail in checks
        if mask.any()
    ]
    if extra_exclusions is not None and not extra_exclusions.empty:
        known = set(a[S.ACCOUNT_ID])
        extra = extra_exclusions[extra_exclusions[S.ACCOUNT_ID].isin(known)]
        frames.append(extra[list(S.EXCLUDED_COLUMNS)])
    excluded = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=list(S.EXCLUDED_COLUMNS))
    )
    excluded = excluded.drop_duplicates([S.ACCOUNT_ID, S.REASON]).reset_index(drop=True)
    out_ids = set(excluded[S.ACCOUNT_ID])
    eligible = a[~a[S.ACCOUNT_ID].isin(out_ids)].reset_index(drop=True)
    return EligibilityResult(eligible, excluded.astype({S.DETAIL: object}))


def eligibility_funnel(accounts: pd.DataFrame, excluded: pd.DataFrame) -> pd.DataFrame:
    """Count how many accounts fail each rule and how many remain.

    Returns a frame with ``reason`` and ``accounts`` (failing that rule),
    sorted by count, plus a final ``eligible`` row.
    """
    counts = excluded.groupby(S.REASON)[S.ACCOUNT_ID].nunique().sort_values(ascending=False)
    eligible = len(set(accounts[S.ACCOUNT_ID]) - set(excluded[S.ACCOUNT_ID]))
    rows = [*counts.items(), ("eligible", eligible)]
    return pd.DataFrame(rows, columns=[S.REASON, "accounts"])


def _fmt_dates(series: pd.Series) -> pd.Series:
    return series.dt.strftime("%Y-%m-%d").astype(object).where(series.notna(), "")


__all__ = ["EligibilityResult", "determine_eligibility", "eligibility_funnel"]
