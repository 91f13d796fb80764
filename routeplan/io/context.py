"""The inputs a plan was made from, kept in its folder (``plan_context.json``).

``routeplan retime PLAN_DIR`` and the warnings of ``routeplan map`` need, from
the plan folder alone, what ``routeplan check`` takes from the input files:
each agent's shift, break, base and end point, speed, ``max_visits``, skills
and credential; each plannable account's coordinates, windows, language and
balance; the rules and travel model (the whole configuration, jurisdiction
included) and the plan date. ``routeplan plan`` writes them here::

    {
      "format": "routeplan-plan-context", "version": 1,
      "date": "2026-12-01",
      "config": {...},            # Config.to_dict(): every setting in force
      "agents": [{...}, ...],     # every agent of agents.csv, contract columns as text
      "accounts": [{...}, ...]    # the accounts planned or dropped (not the excluded ones)
    }

Agents and accounts are stored as the contract's text columns and read back
through the input readers (:func:`routeplan.io.readers.parse_agents` and
``parse_accounts``), so they are validated exactly like ``agents.csv`` and
``accounts.csv``. Excluded accounts are not copied (``excluded.csv`` already
names them): the folder holds no more personal data than it needs.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from routeplan import schema as S
from routeplan.calendar import windows_on
from routeplan.config import Config, config_from_dict
from routeplan.errors import ConfigError, InputError
from routeplan.formats import format_clock, format_windows
from routeplan.io.readers import DAY_WINDOWS, parse_accounts, parse_agents
from routeplan.io.safe import read_json, write_json_atomic

CONTEXT_FILE = "plan_context.json"
CONTEXT_FORMAT = "routeplan-plan-context"
CONTEXT_VERSION = 1
#: agent columns holding minutes after midnight, written back as ``HH:MM``
_CLOCK_COLUMNS = (S.SHIFT_START, S.SHIFT_END, S.BREAK_START, S.BREAK_END)


@dataclass(frozen=True)
class PlanContext:
    """What a plan was made from: date, rules, agents and plannable accounts.

    ``agents`` and ``accounts`` are typed as :func:`routeplan.io.readers.read_agents`
    and ``read_accounts`` return them.
    """

    date: dt.date
    config: Config
    agents: pd.DataFrame
    accounts: pd.DataFrame

    def to_record(self) -> dict[str, Any]:
        """Return the ``plan_context.json`` content of this context (all its accounts)."""
        return context_record(
            self.date, self.config, self.agents, self.accounts, self.accounts[S.ACCOUNT_ID]
        )


def context_record(
    plan_date: dt.date,
    config: Config,
    agents: pd.DataFrame,
    accounts: pd.DataFrame,
    account_ids: Iterable[str],
) -> dict[str, Any]:
    """Return the ``plan_context.json`` content for the accounts in ``account_ids``."""
    wanted = set(account_ids)
    mine = accounts[accounts[S.ACCOUNT_ID].isin(wanted)]
    return {
        "format": CONTEXT_FORMAT,
        "version": CONTEXT_VERSION,
        "date": plan_date.isoformat(),
        "config": config.to_dict(),
        "agents": _text_rows(agents, (*S.AGENT_REQUIRED, *S.AGENT_OPTIONAL)),
        "accounts": _text_rows(mine, (*S.ACCOUNT_REQUIRED, *S.ACCOUNT_OPTIONAL)),
    }


def write_plan_context(folder: Path | str, record: dict[str, Any]) -> Path:
    """Write ``plan_context.json`` into ``folder`` atomically and return its path."""
    return write_json_atomic(Path(folder) / CONTEXT_FILE, record)


def read_plan_context(folder: Path | str) -> PlanContext | None:
    """Read ``plan_context.json`` back (None when the folder has none).

    Raises
    ------
    InputError
        When the file is not a routeplan plan context, or a setting, agent or
        account in it does not pass the readers' validation (one line naming
        the file, record and column).
    """
    path = Path(folder) / CONTEXT_FILE
    if not path.exists():
        return None
    data = read_json(path)
    if not isinstance(data, dict) or data.get("format") != CONTEXT_FORMAT:
        raise InputError(f"{path}: not a routeplan plan context")
    if data.get("version") != CONTEXT_VERSION:
        raise InputError(
            f"{path}: version {data.get('version')!r} is not {CONTEXT_VERSION}; plan again"
        )
    try:
        day = dt.date.fromisoformat(str(data.get("date")))
    except ValueError:
        raise InputError(f"{path}, key date: {data.get('date')!r} is not YYYY-MM-DD") from None
    if not isinstance(data.get("config"), dict):
        raise InputError(f"{path}, key config: expected an object")
    try:
        config = config_from_dict(data["config"], source=f"{path}, key config")
    except ConfigError as exc:
        raise InputError(str(exc)) from None
    agents = _parse(path, data, "agents", parse_agents)
    accounts = windows_on(_parse(path, data, "accounts", parse_accounts), day)
    return PlanContext(day, config, agents, accounts)


def _parse(path: Path, data: dict[str, Any], key: str, parse: Any) -> pd.DataFrame:
    """Validate one list of text records with an input reader; any refused row fails."""
    rows = data.get(key)
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise InputError(f"{path}, key {key}: expected a list of objects")
    text_rows = [{str(k): "" if v is None else str(v) for k, v in r.items()} for r in rows]
    frame = pd.DataFrame(text_rows, dtype=object)
    if frame.empty:
        columns = S.AGENT_REQUIRED if key == "agents" else S.ACCOUNT_REQUIRED
        frame = pd.DataFrame(columns=list(columns), dtype=object)
    result = parse(frame, name=f"{path} ({key})")
    if result.rejected:
        raise InputError(list(result.rejected[:5]))
    return result.frame


def _text_rows(frame: pd.DataFrame, columns: tuple[str, ...]) -> list[dict[str, str]]:
    """Return ``frame``'s rows as contract text, one dict per row."""
    present = [c for c in columns if c in frame.columns]
    rows: list[dict[str, str]] = []
    for rec in frame.to_dict("records"):
        row = {c: _cell_text(rec[c], clock=c in _CLOCK_COLUMNS) for c in present}
        if rec.get(DAY_WINDOWS) is not None and S.VISIT_WINDOWS in row:
            # windows by weekday are kept as written; reading back picks the day's
            row[S.VISIT_WINDOWS] = str(rec[DAY_WINDOWS])
        elif "windows" in rec and S.VISIT_WINDOWS in row:
            row[S.VISIT_WINDOWS] = format_windows(tuple(rec["windows"] or ()))
        rows.append(row)
    return rows


def _cell_text(value: Any, *, clock: bool = False) -> str:
    """Return a typed input value as the text the readers accept."""
    if value is None or value is pd.NaT:
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return ";".join(str(v) for v in value)
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, numbers.Number):
        number = float(value)  # type: ignore[arg-type]
        if math.isnan(number):
            return ""
        if clock:
            return format_clock(int(number))
        return str(int(number)) if number.is_integer() else repr(number)
    return str(value)


__all__ = [
    "CONTEXT_FILE",
    "PlanContext",
    "context_record",
    "read_plan_context",
    "write_plan_context",
]
