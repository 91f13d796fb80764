"""The evidence checklist: one table of rules."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from routeplan.checklist import RULES, Rule, build_checklist, is_builtin_code, required_codes
from routeplan.config import Config
from routeplan.io.readers import read_accounts, read_agents
from tests.helpers import TINY

DAY = dt.date(2026, 12, 1)


def _checklist(stops: list[tuple[str, str]], **kw: object) -> pd.DataFrame:
    acc = read_accounts(TINY / "accounts.csv").frame
    ag = read_agents(TINY / "agents.csv").frame
    frame = pd.DataFrame(stops, columns=["account_id", "agent_id"])
    return build_checklist(frame, acc, ag, DAY, Config(), **kw)  # type: ignore[arg-type]


def test_every_stop_carries_the_basics() -> None:
    """Credential, authorization, contract, statement, contacts, notice, options, forms."""
    c = _checklist([("ACC01", "A2")])
    items = list(c["item"])
    for needed in (
        "Collector ID card",
        "Creditor's authorization letter",
        "Loan contract (copy)",
        "Repayment record and statement",
        "Log of prior remote contacts",
        "Overdue notice sent (copy)",
        "Settlement options sheet",
        "Instalment plan: 3 months",
        "Instalment plan: 6 months",
        "Instalment plan: 12 months",
        "Term extension: 24 months",
        "Receipt book",
        "Visit record form",
    ):
        assert needed in items
    reason = dict(zip(c["item"], c["reason"], strict=True))
    assert reason["Instalment plan: 6 months"] == "6 x 8,333.33 per month"
    assert "C-0002" in reason["Collector ID card"] and "2027-01-01" in reason["Collector ID card"]
    assert "last payment 2026-10-15" in reason["Repayment record and statement"]
    assert "Hardship relief application form" not in items
    cat = dict(zip(c["item"], c["category"], strict=True))
    assert cat["Instalment plan: 3 months"] == "settlement"
    assert cat["Term extension: 24 months"] == "settlement"
    assert cat["Loan contract (copy)"] == "evidence" and cat["Receipt book"] == "form"


def test_conditional_items() -> None:
    """Hardship, broken promises and a non-standard language add their items."""
    c = _checklist([("ACC13", "A1"), ("ACC02", "A2")])
    hard = set(c[c["account_id"] == "ACC13"]["item"])
    assert "Hardship relief application form" in hard
    assert "Relief options: longer term and interest reduction" in hard
    yue = set(c[c["account_id"] == "ACC02"]["item"])
    assert "Record of broken promises" in yue
    assert "Materials in the debtor's language (yue)" in yue


def test_just_broken_promise_is_named() -> None:
    """A promise that just broke is called out on the record."""
    c = _checklist([("ACC01", "A2")], broken_promise_accounts=frozenset({"ACC01"}))
    reason = c.set_index("item").loc["Record of broken promises", "reason"]
    assert "just passed unpaid" in reason


def test_rules_are_extensible() -> None:
    """A new rule appended to the table adds its item where it applies."""
    extra = Rule("big", lambda c: c.balance >= 100000, lambda c: [("Senior sign-off", "large")])
    acc = read_accounts(TINY / "accounts.csv").frame
    ag = read_agents(TINY / "agents.csv").frame
    stops = pd.DataFrame([("ACC03", "A1"), ("ACC01", "A1")], columns=["account_id", "agent_id"])
    c = build_checklist(stops, acc, ag, DAY, Config(), rules=(*RULES, extra))
    assert list(c[c["item"] == "Senior sign-off"]["account_id"]) == ["ACC03"]


def test_every_item_has_a_stable_code() -> None:
    """Each item carries its code; codes are unique per stop and known to record."""
    c = _checklist([("ACC13", "A1"), ("ACC02", "A2")])
    assert list(c.columns) == ["account_id", "agent_id", "item", "reason", "category", "code"]
    code = dict(zip(c["item"], c["code"], strict=False))
    assert code["Collector ID card"] == "ID"
    assert code["Creditor's authorization letter"] == "AUTH"
    assert code["Loan contract (copy)"] == "CONTRACT"
    assert code["Repayment record and statement"] == "STMT"
    assert code["Instalment plan: 6 months"] == "INST6"
    assert code["Term extension: 24 months"] == "EXT24"
    assert code["Hardship relief application form"] == "HARDSHIP"
    assert code["Record of broken promises"] == "BROKEN_PTP"
    assert code["Materials in the debtor's language (yue)"] == "LANG"
    for _stop, rows in c.groupby(["account_id", "agent_id"]):
        assert rows["code"].is_unique
    assert all(is_builtin_code(x) for x in c["code"])
    assert not is_builtin_code("INST121") and not is_builtin_code("INST<n>")


def test_a_rule_without_codes_gets_codes_from_its_name() -> None:
    """A custom rule's items are coded SENIOR_SIGN_OFF, SENIOR_SIGN_OFF_2; an explicit code wins."""
    extra = Rule(
        "senior sign-off",
        lambda c: True,
        lambda c: [("Sign-off", "large"), ("Second form", "large"), ("Own", "x", "form", "OWN")],
    )
    acc = read_accounts(TINY / "accounts.csv").frame
    ag = read_agents(TINY / "agents.csv").frame
    stops = pd.DataFrame([("ACC01", "A1")], columns=["account_id", "agent_id"])
    c = build_checklist(stops, acc, ag, DAY, Config(), rules=(extra,))
    assert list(c["code"]) == ["SENIOR_SIGN_OFF", "SENIOR_SIGN_OFF_2", "OWN"]
    assert list(c["category"]) == ["evidence", "evidence", "form"]


def test_required_codes_are_evidence_plus_credential_and_authorization() -> None:
    """Settlement options and forms are not required; ID and AUTH always are."""
    got = required_codes([("evidence", "CONTRACT"), ("settlement", "INST6"), ("form", "RECEIPTS")])
    assert got == {"ID", "AUTH", "CONTRACT"}
