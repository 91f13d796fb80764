"""Build the dispatch CSV exports: per-agent itineraries and the outcomes template.

These are plain frames; :func:`routeplan.present.write_dispatch_outputs`
writes them through :func:`routeplan.io.safe.write_csv_atomic`, which
neutralises formula-like cells and adds the byte-order mark Excel needs.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from routeplan import schema
from routeplan.checklist import ALWAYS_REQUIRED, CODE_AUTH, CODE_ID
from routeplan.errors import InputError

#: Columns of ``outcomes_template.csv``: the contract's outcomes format with the
#: proof of visit, then helper columns for the person (or app) filling it in, ignored
#: by ``routeplan record``: the stop number, the debtor, the address and the
#: checklist codes the stop requires ticked in ``evidence``.
OUTCOME_TEMPLATE_COLUMNS = (
    *schema.OUTCOME_COLUMNS,
    *schema.PROOF_COLUMNS,
    "stop_no",
    "debtor_name",
    "address",
    "evidence_required",
)
_INT_COLUMNS = ("stop_no", "days_past_due", "travel_min")
#: largest whole number a float holds exactly (2**53)
_EXACT_INT = float(2**53)


def agent_itinerary(itineraries: pd.DataFrame, agent_id: str) -> pd.DataFrame:
    """Return one agent's itinerary rows in stop order, contract columns first.

    Whole-number columns (``stop_no``, ``days_past_due``, ``travel_min``) become nullable
    integers so they print as ``184``, not ``184.0``; numbers stay numeric so
    a negative longitude is never mistaken for a formula.
    """
    rows = itineraries[itineraries["agent_id"] == agent_id].copy()
    rows["stop_no"] = pd.to_numeric(rows["stop_no"], errors="coerce")
    rows = rows.sort_values("stop_no", kind="stable")
    extra = [c for c in schema.ITINERARY_EXTRA if c in rows.columns]
    rest = [c for c in rows.columns if c not in schema.ITINERARY_COLUMNS and c not in extra]
    rows = rows.loc[:, [*schema.ITINERARY_COLUMNS, *extra, *rest]]
    for column in _INT_COLUMNS:
        values = pd.to_numeric(rows[column], errors="coerce")
        known = values.dropna()
        # only exact whole numbers an int64 holds (no inf, no 1e300) are cast
        if ((known % 1 == 0) & (known.abs() <= _EXACT_INT)).all():
            rows[column] = values.round().astype("Int64")
    return rows.reset_index(drop=True)


def outcomes_template(
    itineraries: pd.DataFrame, checklist: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Return ``outcomes_template.csv``: one row per planned visit, outcome left empty.

    ``account_id``, ``agent_id`` and ``visit_date`` (the plan date) are filled;
    ``outcome``, ``amount_paid``, ``ptp_date``, ``ptp_amount``, ``notes`` and
    the proof of visit (``checkin_time`` ... ``photo_ref``) are for the agent
    or the app. ``evidence_required`` lists the codes ``record`` expects in
    ``evidence`` for the stop (from ``checklist``'s evidence items, with the
    credential and authorization always; empty without a coded checklist).
    Rows follow the agents' visit order.
    """
    visits = itineraries[itineraries[schema.KIND] == schema.EventKind.VISIT].copy()
    visits["stop_no"] = pd.to_numeric(visits["stop_no"], errors="coerce")
    order = {a: i for i, a in enumerate(dict.fromkeys(itineraries["agent_id"]))}
    visits["_rank"] = visits["agent_id"].map(order)
    visits = visits.sort_values(["_rank", "stop_no"], kind="stable")
    required = _required_codes(checklist)
    out = pd.DataFrame(
        {
            schema.ACCOUNT_ID: visits[schema.ACCOUNT_ID].astype(str).to_numpy(),
            schema.AGENT_ID: visits[schema.AGENT_ID].astype(str).to_numpy(),
            schema.VISIT_DATE: visits["date"].astype(str).to_numpy(),
            schema.OUTCOME: "",
            schema.AMOUNT_PAID: "",
            schema.PTP_DATE: "",
            schema.PTP_AMOUNT: "",
            schema.NOTES: "",
            **dict.fromkeys(schema.PROOF_COLUMNS, ""),
            "stop_no": visits["stop_no"].round().astype("Int64").to_numpy(),
            "debtor_name": visits[schema.DEBTOR_NAME].to_numpy(),
            "address": visits[schema.ADDRESS].to_numpy(),
            "evidence_required": [
                required.get((str(a), str(g))) or required.get((str(a), ""), "")
                for a, g in zip(visits[schema.ACCOUNT_ID], visits[schema.AGENT_ID], strict=True)
            ],
        },
        columns=list(OUTCOME_TEMPLATE_COLUMNS),
    )
    return out


def _required_codes(checklist: pd.DataFrame | None) -> dict[tuple[str, str], str]:
    """Return ``(account_id, agent_id) -> "ID;AUTH;..."`` from a coded checklist."""
    if checklist is None or checklist.empty or "code" not in checklist.columns:
        return {}
    category = (
        checklist["category"] if "category" in checklist.columns else pd.Series("", checklist.index)
    )
    pairs: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for acc, agent, cat, code in zip(
        checklist[schema.ACCOUNT_ID],
        checklist[schema.AGENT_ID],
        category,
        checklist["code"],
        strict=True,
    ):
        pairs.setdefault((str(acc).strip(), str(agent).strip()), []).append(
            (str(cat).strip(), str(code).strip().upper())
        )
    out: dict[tuple[str, str], str] = {}
    for key, items in pairs.items():
        codes = [c for cat, c in items if cat == "evidence" and c]
        ordered = [CODE_ID, CODE_AUTH, *(c for c in codes if c not in ALWAYS_REQUIRED)]
        out[key] = ";".join(dict.fromkeys(ordered))
    return out


def inside(folder: Path, path: Path) -> Path:
    """Return ``path`` after checking it resolves inside ``folder`` (defence in depth).

    Symbolic links are followed, so a ``sheets`` folder that is a link to
    somewhere else is caught before anything is written (or pruned) there.

    Raises
    ------
    InputError
        When ``path`` would leave ``folder`` (through ``..`` or a symbolic
        link), or a symbolic link on the way loops.
    """
    try:
        base = folder.resolve()
        target = path.resolve()
    except RuntimeError as exc:  # a symlink loop (Python < 3.13)
        raise InputError(f"{path}: cannot resolve ({exc})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot resolve ({exc.strerror or exc})") from None
    if target != base and base not in target.parents:
        raise InputError(
            f"{path}: leads outside the plan folder {folder} (to {target}); "
            "refusing to write there (remove the link)"
        )
    return path
