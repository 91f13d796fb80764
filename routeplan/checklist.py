"""The evidence each stop needs: one table of rules, easy to extend.

A rule says when it applies and which items (with the reason each is
carried) it adds. To add evidence, append a :class:`Rule` to :data:`RULES`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from routeplan import schema as S
from routeplan.config import Config

#: ``(item, reason)`` or ``(item, reason, category)``; the category defaults
#: to the rule's (``evidence``, ``settlement`` for options the agent may
#: offer, ``form`` for paperwork to fill in)
Item = tuple[str, ...]
Entry = tuple[str, str, str]


@dataclass(frozen=True)
class StopContext:
    """What a rule may look at: the account, the agent, the day, the config."""

    account: pd.Series
    agent: pd.Series
    plan_date: dt.date
    config: Config
    broken_promise_accounts: frozenset[str] = field(default_factory=frozenset)

    @property
    def balance(self) -> float:
        """Outstanding balance of the account."""
        return float(self.account[S.BALANCE])


@dataclass(frozen=True)
class Rule:
    """A checklist rule: ``items(ctx)`` are added when ``applies(ctx)``."""

    name: str
    applies: Callable[[StopContext], bool]
    items: Callable[[StopContext], Sequence[Item]]
    category: str = "evidence"


def _money(x: float) -> str:
    return f"{x:,.2f}"


def _date(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp | dt.date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def _credential(ctx: StopContext) -> Sequence[Item]:
    cred = str(ctx.agent.get(S.CREDENTIAL_ID, "") or "")
    expiry = _date(ctx.agent.get(S.CREDENTIAL_EXPIRY))
    valid = f", valid until {expiry}" if expiry else ""
    return [
        ("Collector ID card", f"show before any discussion: credential {cred}{valid}"),
        (
            "Creditor's authorization letter",
            f"authorizes {ctx.agent[S.AGENT_NAME]} to collect account "
            f"{ctx.account[S.ACCOUNT_ID]}; shown on request",
        ),
    ]


def _debt_documents(ctx: StopContext) -> Sequence[Item]:
    a = ctx.account
    paid = _date(a.get(S.LAST_PAYMENT_DATE)) or "none recorded"
    parts = [f"balance {_money(ctx.balance)}"]
    for col in ("principal", "interest", "fees"):
        if col in a.index and str(a[col]).strip():
            parts.append(f"{col} {a[col]}")
    parts += [f"{int(a[S.DAYS_PAST_DUE])} days past due", f"last payment {paid}"]
    outcome = str(a.get(S.LAST_CONTACT_OUTCOME, "") or "") or "not recorded"
    return [
        ("Loan contract (copy)", f"proof of the debt for account {a[S.ACCOUNT_ID]}"),
        ("Repayment record and statement", "; ".join(parts)),
        (
            "Log of prior remote contacts",
            f"{int(a[S.CONTACT_ATTEMPTS_30D])} attempts in the last 30 days; "
            f"last outcome: {outcome}",
        ),
        ("Overdue notice sent (copy)", "shows the borrower was told before the visit"),
    ]


def _settlement(ctx: StopContext) -> Sequence[Item]:
    v = ctx.config.visits
    items: list[Item] = [
        ("Settlement options sheet", "approved options the agent may offer at the door"),
    ]
    for months in v.instalment_months:
        items.append(
            (
                f"Instalment plan: {months} months",
                f"{months} x {_money(ctx.balance / months)} per month",
                "settlement",
            )
        )
    n = v.extension_months
    items.append(
        (f"Term extension: {n} months", f"{n} x {_money(ctx.balance / n)} per month", "settlement")
    )
    return items


def _paperwork(ctx: StopContext) -> Sequence[Item]:
    codes = ", ".join(S.OUTCOME_CODES)
    return [
        ("Receipt book", "numbered receipt for any payment taken at the visit", "form"),
        ("Visit record form", f"record the outcome the same day: {codes}", "form"),
    ]


def _hardship(ctx: StopContext) -> Sequence[Item]:
    n = ctx.config.visits.hardship_term_months
    return [
        (
            "Hardship relief application form",
            "debtor has declared hardship: offer relief first",
            "form",
        ),
        (
            "Relief options: longer term and interest reduction",
            f"{n} x {_money(ctx.balance / n)} per month, or interest/fee relief on approval",
            "settlement",
        ),
    ]


def _broken_promises(ctx: StopContext) -> Sequence[Item]:
    n = int(ctx.account.get(S.BROKEN_PROMISES, 0) or 0)
    just = ctx.account[S.ACCOUNT_ID] in ctx.broken_promise_accounts
    text = f"{n} broken promise(s) to pay" + ("; the latest just passed unpaid" if just else "")
    return [("Record of broken promises", text)]


def _language(ctx: StopContext) -> Sequence[Item]:
    lang = str(ctx.account.get(S.LANGUAGE, "") or "")
    return [(f"Materials in the debtor's language ({lang})", "visit must be held in " + lang)]


RULES: tuple[Rule, ...] = (
    Rule("credential", lambda c: True, _credential),
    Rule("debt_documents", lambda c: True, _debt_documents),
    Rule("settlement_options", lambda c: True, _settlement),
    Rule("paperwork", lambda c: True, _paperwork),
    Rule("hardship", lambda c: bool(c.account.get(S.HARDSHIP, False)), _hardship),
    Rule(
        "broken_promises",
        lambda c: (
            int(c.account.get(S.BROKEN_PROMISES, 0) or 0) > 0
            or c.account[S.ACCOUNT_ID] in c.broken_promise_accounts
        ),
        _broken_promises,
    ),
    Rule(
        "language",
        lambda c: (
            bool(str(c.account.get(S.LANGUAGE, "") or ""))
            and str(c.account.get(S.LANGUAGE, "")).lower()
            != c.config.visits.materials_language.lower()
        ),
        _language,
    ),
)


def checklist_for_stop(ctx: StopContext, rules: Iterable[Rule] = RULES) -> list[Entry]:
    """Return the ``(item, reason, category)`` entries one stop needs, in rule order."""
    out: list[Entry] = []
    for rule in rules:
        if rule.applies(ctx):
            for entry in rule.items(ctx):
                category = entry[2] if len(entry) > 2 else rule.category
                out.append((entry[0], entry[1], category))
    return out


def build_checklist(
    stops: pd.DataFrame,
    accounts: pd.DataFrame,
    agents: pd.DataFrame,
    plan_date: dt.date,
    config: Config,
    *,
    broken_promise_accounts: frozenset[str] = frozenset(),
    rules: Iterable[Rule] = RULES,
) -> pd.DataFrame:
    """Return ``checklist.csv`` rows (``account_id, agent_id, item, reason, category``).

    ``stops`` needs ``account_id`` and ``agent_id`` (one row per planned visit).
    """
    acc = accounts.set_index(S.ACCOUNT_ID, drop=False)
    ag = agents.set_index(S.AGENT_ID, drop=False)
    rules = tuple(rules)
    rows: list[dict[str, str]] = []
    for stop in stops.itertuples(index=False):
        aid, gid = getattr(stop, S.ACCOUNT_ID), getattr(stop, S.AGENT_ID)
        ctx = StopContext(acc.loc[aid], ag.loc[gid], plan_date, config, broken_promise_accounts)
        for item, reason, category in checklist_for_stop(ctx, rules):
            rows.append(
                {
                    S.ACCOUNT_ID: aid,
                    S.AGENT_ID: gid,
                    "item": item,
                    "reason": reason,
                    "category": category,
                }
            )
    return pd.DataFrame(rows, columns=[*S.CHECKLIST_COLUMNS, "category"])


__all__ = ["RULES", "Rule", "StopContext", "build_checklist", "checklist_for_stop"]
