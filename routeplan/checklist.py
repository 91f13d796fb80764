"""The evidence each stop needs: one table of rules, easy to extend.

A rule says when it applies and which items (with the reason each is
carried) it adds. To add evidence, append a :class:`Rule` to :data:`RULES`.

Every item has a stable **code** (``ID``, ``AUTH``, ``CONTRACT``, ...; see
:data:`ITEM_CODES`): ``checklist.csv`` carries it, the route sheet prints it
beside the tick box and the outcomes' ``evidence`` column lists the codes the
agent ticked, which ``routeplan record`` checks against the stop's checklist.
Codes are upper-case ASCII, the same in every language; an item whose amount
varies with the settings carries it in the code (``INST6`` is the 6-month
instalment plan, ``EXT24`` the 24-month extension). An item of a rule that
gives no code gets the rule's name in capitals (``SENIOR_SIGNOFF``, then
``_2``, ``_3`` for its further items).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import pandas as pd

from routeplan import schema as S
from routeplan.config import Config

#: ``(item, reason)``, ``(item, reason, category)`` or ``(item, reason, category,
#: code)``; the category defaults to the rule's (``evidence``, ``settlement`` for
#: options the agent may offer, ``form`` for paperwork to fill in), the code to
#: one made from the rule's name
Item = tuple[str, ...]
#: ``(item, reason, category, code)``
Entry = tuple[str, str, str, str]

# --- item codes ------------------------------------------------------------------------
CODE_ID: Final = "ID"
CODE_AUTH: Final = "AUTH"
#: what every visit needs, whatever the stop's checklist says: the agent's credential
#: and the creditor's authorization (shown on request; India requires both)
ALWAYS_REQUIRED: Final = frozenset({CODE_ID, CODE_AUTH})
#: code -> what it stands for (the built-in rules' items; ``INST<n>``/``EXT<n>`` below)
ITEM_CODES: Final[Mapping[str, str]] = {
    CODE_ID: "Collector ID card",
    CODE_AUTH: "Creditor's authorization letter",
    "CONTRACT": "Loan contract (copy)",
    "STMT": "Repayment record and statement",
    "CALLS": "Log of prior remote contacts",
    "NOTICE": "Overdue notice sent (copy)",
    "OPTIONS": "Settlement options sheet",
    "INST<n>": "Instalment plan over n months (settlement option)",
    "EXT<n>": "Term extension to n months (settlement option)",
    "RECEIPTS": "Receipt book (form)",
    "VISITFORM": "Visit record form (form)",
    "HARDSHIP": "Hardship relief application form (form)",
    "RELIEF": "Relief options: longer term and interest reduction (settlement option)",
    "BROKEN_PTP": "Record of broken promises",
    "LANG": "Materials in the debtor's language",
}
#: the longest instalment or extension a code can name (the config's bound)
MAX_MONTHS: Final = 120
_MONTH_CODE = re.compile(r"^(?:INST|EXT)([1-9][0-9]{0,2})$")
_CODE_TEXT = re.compile(r"[^A-Z0-9]+")


def is_builtin_code(code: str) -> bool:
    """Return whether ``code`` is an item code of the built-in rules (``INST6``, ``ID``...)."""
    month = _MONTH_CODE.match(code)
    if month is not None:
        return int(month[1]) <= MAX_MONTHS
    return code in ITEM_CODES and "<" not in code


def rule_code(rule_name: str, index: int) -> str:
    """Return the code of the ``index``-th (from 0) item of a rule that gives none."""
    base = _CODE_TEXT.sub("_", rule_name.upper()).strip("_") or "ITEM"
    return base if index == 0 else f"{base}_{index + 1}"


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
        (
            "Collector ID card",
            f"show before any discussion: credential {cred}{valid}",
            "evidence",
            CODE_ID,
        ),
        (
            "Creditor's authorization letter",
            f"authorizes {ctx.agent[S.AGENT_NAME]} to collect account "
            f"{ctx.account[S.ACCOUNT_ID]}; shown on request",
            "evidence",
            CODE_AUTH,
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
        (
            "Loan contract (copy)",
            f"proof of the debt for account {a[S.ACCOUNT_ID]}",
            "evidence",
            "CONTRACT",
        ),
        ("Repayment record and statement", "; ".join(parts), "evidence", "STMT"),
        (
            "Log of prior remote contacts",
            f"{int(a[S.CONTACT_ATTEMPTS_30D])} attempts in the last 30 days; "
            f"last outcome: {outcome}",
            "evidence",
            "CALLS",
        ),
        (
            "Overdue notice sent (copy)",
            "shows the borrower was told before the visit",
            "evidence",
            "NOTICE",
        ),
    ]


def _settlement(ctx: StopContext) -> Sequence[Item]:
    v = ctx.config.visits
    items: list[Item] = [
        (
            "Settlement options sheet",
            "approved options the agent may offer at the door",
            "evidence",
            "OPTIONS",
        ),
    ]
    for months in v.instalment_months:
        items.append(
            (
                f"Instalment plan: {months} months",
                f"{months} x {_money(ctx.balance / months)} per month",
                "settlement",
                f"INST{months}",
            )
        )
    n = v.extension_months
    items.append(
        (
            f"Term extension: {n} months",
            f"{n} x {_money(ctx.balance / n)} per month",
            "settlement",
            f"EXT{n}",
        )
    )
    return items


def _paperwork(ctx: StopContext) -> Sequence[Item]:
    codes = ", ".join(S.OUTCOME_CODES)
    return [
        (
            "Receipt book",
            "numbered receipt for any payment taken at the visit",
            "form",
            "RECEIPTS",
        ),
        ("Visit record form", f"record the outcome the same day: {codes}", "form", "VISITFORM"),
    ]


def _hardship(ctx: StopContext) -> Sequence[Item]:
    n = ctx.config.visits.hardship_term_months
    return [
        (
            "Hardship relief application form",
            "debtor has declared hardship: offer relief first",
            "form",
            "HARDSHIP",
        ),
        (
            "Relief options: longer term and interest reduction",
            f"{n} x {_money(ctx.balance / n)} per month, or interest/fee relief on approval",
            "settlement",
            "RELIEF",
        ),
    ]


def _broken_promises(ctx: StopContext) -> Sequence[Item]:
    n = int(ctx.account.get(S.BROKEN_PROMISES, 0) or 0)
    just = ctx.account[S.ACCOUNT_ID] in ctx.broken_promise_accounts
    text = f"{n} broken promise(s) to pay" + ("; the latest just passed unpaid" if just else "")
    return [("Record of broken promises", text, "evidence", "BROKEN_PTP")]


def _language(ctx: StopContext) -> Sequence[Item]:
    lang = str(ctx.account.get(S.LANGUAGE, "") or "")
    return [
        (
            f"Materials in the debtor's language ({lang})",
            "visit must be held in " + lang,
            "evidence",
            "LANG",
        )
    ]


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
    """Return the ``(item, reason, category, code)`` entries one stop needs, in rule order."""
    out: list[Entry] = []
    for rule in rules:
        if rule.applies(ctx):
            for k, entry in enumerate(rule.items(ctx)):
                category = entry[2] if len(entry) > 2 and entry[2] else rule.category
                code = entry[3] if len(entry) > 3 and entry[3] else rule_code(rule.name, k)
                out.append((entry[0], entry[1], category, code))
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
    """Return ``checklist.csv`` rows (``account_id, agent_id, item, reason, category, code``).

    ``stops`` needs ``account_id`` and ``agent_id`` (one row per planned visit).
    """
    acc = accounts.set_index(S.ACCOUNT_ID, drop=False)
    ag = agents.set_index(S.AGENT_ID, drop=False)
    rules = tuple(rules)
    rows: list[dict[str, str]] = []
    for stop in stops.itertuples(index=False):
        aid, gid = getattr(stop, S.ACCOUNT_ID), getattr(stop, S.AGENT_ID)
        ctx = StopContext(acc.loc[aid], ag.loc[gid], plan_date, config, broken_promise_accounts)
        for item, reason, category, code in checklist_for_stop(ctx, rules):
            rows.append(
                {
                    S.ACCOUNT_ID: aid,
                    S.AGENT_ID: gid,
                    "item": item,
                    "reason": reason,
                    "category": category,
                    "code": code,
                }
            )
    return pd.DataFrame(rows, columns=list(CHECKLIST_OUTPUT_COLUMNS))


#: columns of ``checklist.csv``: the contract's, then the category and the item code
CHECKLIST_OUTPUT_COLUMNS: Final = (*S.CHECKLIST_COLUMNS, "category", "code")


def required_codes(items: Iterable[tuple[str, str]]) -> frozenset[str]:
    """Return the codes a visit must show ticked, from its checklist's ``(category, code)``.

    Evidence items are required; settlement options are offers and forms are
    paperwork, neither is; the credential and the authorization always are.
    """
    return ALWAYS_REQUIRED | {code for category, code in items if category == "evidence" and code}


__all__ = [
    "ALWAYS_REQUIRED",
    "CHECKLIST_OUTPUT_COLUMNS",
    "ITEM_CODES",
    "RULES",
    "Rule",
    "StopContext",
    "build_checklist",
    "checklist_for_stop",
    "is_builtin_code",
    "required_codes",
    "rule_code",
]
