"""Pieces every routeplan command shares (defined once, used by each CLI module).

The options below are the only definitions of ``--accounts``, ``--agents``,
``--date``, ``--config``, ``--jurisdiction``, ``--encoding``, ``--db``,
``--language``, ``--offline-assets`` and ``--quiet``; a command that takes one
takes it from here, with the same meaning and default everywhere.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import click

from routeplan.config import JURISDICTIONS, OUTPUT_LANGUAGES, Config, load_config
from routeplan.errors import RouteplanError
from routeplan.io.readers import parse_date
from routeplan.io.store import DEFAULT_DB

P = ParamSpec("P")
R = TypeVar("R")
#: a function a click decorator takes and returns (a command callback)
F = TypeVar("F", bound=Callable[..., Any])

if TYPE_CHECKING:  # click >= 8.4 types a parameter type by the value it converts to
    _DateParamType = click.ParamType[dt.date]
else:
    _DateParamType = click.ParamType


def fail_cleanly(func: Callable[P, R]) -> Callable[P, R]:
    """Turn routeplan's expected errors into one-line click errors (exit 1).

    ``RouteplanError`` (bad input, config, failed check) and ``OSError`` (a
    file that cannot be read or written) end the command with one line on
    stderr and exit code 1, without a traceback.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except RouteplanError as exc:
            raise click.ClickException(str(exc)) from exc
        except OSError as exc:
            where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}") from exc

    return wrapper


class DateType(_DateParamType):
    """A ``YYYY-MM-DD`` date option, read like the dates of the input files.

    ``2026/12/5`` and ``2026.12.05`` are accepted too
    (:func:`routeplan.io.readers.parse_date`).
    """

    name = "YYYY-MM-DD"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> dt.date:
        """Return ``value`` as a date, or fail with the reason it is not one."""
        if isinstance(value, dt.date):
            return value
        try:
            return parse_date(str(value).strip())
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


#: a ``YYYY-MM-DD`` option value, converted to ``datetime.date``
DATE = DateType()


#: ``--language``: the language of the map, the route sheets and the index
language_option = click.option(
    "--language",
    type=click.Choice(OUTPUT_LANGUAGES, case_sensitive=False),
    default=None,
    help="Language of the map, route sheets and index (default: [output] language of the "
    "config, else zh for CN plans and en elsewhere).",
)
#: ``--offline-assets/--cdn-assets``: where the map's scripts and styles come from
offline_assets_option = click.option(
    "--offline-assets/--cdn-assets",
    default=None,
    help="Write the map's scripts and styles into PLAN_DIR/assets/ so the map draws without "
    "internet, or load them from the CDN (default: [output] offline_assets, else the CDN).",
)


def file_option(flag: str, dest: str, help: str, *, required: bool = False) -> Callable[[F], F]:
    """Return a click option naming an input file (``dest`` gets a ``Path`` or None).

    A required option has no default at all: click 8.3 and later count an
    explicit ``default=None`` as given, and would let the command run without it.
    """
    kind = click.Path(dir_okay=False, path_type=Path)
    if required:
        return click.option(flag, dest, required=True, type=kind, help=help)
    return click.option(flag, dest, default=None, type=kind, help=help)


#: ``--accounts``: the portfolio a command plans or checks
accounts_option = file_option(
    "--accounts", "accounts_path", "Portfolio CSV (accounts.csv).", required=True
)
#: ``--agents``: the field agents a command plans or checks
agents_option = file_option(
    "--agents", "agents_path", "Field agents CSV (agents.csv).", required=True
)
#: ``--date``: the plan date
date_option = click.option(
    "--date",
    "plan_date",
    type=DATE,
    default=None,
    help="Plan date YYYY-MM-DD (default: today).",
)
#: ``--config``: the rules and settings file
config_option = file_option(
    "--config",
    "config_path",
    "routeplan.toml with rules and solver settings (default: the built-in rules).",
)
#: ``--jurisdiction``: the legal profile, overriding the config's
jurisdiction_option = click.option(
    "--jurisdiction",
    type=click.Choice(sorted(JURISDICTIONS), case_sensitive=False),
    default=None,
    help="Legal visiting hours/days profile (overrides the config; default CN).",
)
#: ``--encoding``: the input files' text encoding
encoding_option = click.option(
    "--encoding",
    default=None,
    help="Input text encoding (default: detect UTF-8 with/without BOM or GB18030).",
)
#: ``--db``: the history database. One option, one default (none given): ``plan``,
#: ``check`` and ``replan`` use a history only when it is given; ``record``,
#: ``history`` and ``report`` cannot work without one and then open
#: :data:`~routeplan.io.store.DEFAULT_DB` in the current folder (see :func:`history_db`).
db_option = file_option(
    "--db",
    "db_path",
    "History database (SQLite file) of plans and visit outcomes. plan applies the recorded "
    "outcomes and stores the plan in it; check only applies the history's exclusions as in "
    "'plan --db', and nothing is stored in it (a missing file is an error); replan stores "
    "the revision and records the outcomes reported with the events (a missing file is an "
    "error); plan-week applies it to every day and stores each day's plan (a missing file "
    "is an error); plan, plan-week, check and replan use one only when given; record, "
    "history and report "
    f"default to {DEFAULT_DB} in the current folder.",
)
#: ``--time-limit``: the solver's time limit
time_limit_option = click.option(
    "--time-limit",
    type=click.FloatRange(min=0.1, max=86400),
    default=None,
    help="Solver time limit in seconds (default 30, or the config).",
)
#: ``--solution-limit``: stop the search after this many solutions
solution_limit_option = click.option(
    "--solution-limit",
    type=click.IntRange(min=1),
    default=None,
    help="Stop the search after this many solutions.",
)
#: ``--quiet``: no progress lines on stderr
quiet_option = click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
travel_option = click.option(
    "--travel",
    default=None,
    metavar="haversine|osm:FILE.osm.pbf|osrm:URL|matrix:FILE",
    help="Travel model (overrides [travel] provider; default haversine: straight lines).",
)


def history_db(db_path: Path | None) -> Path:
    """Return the database ``record``, ``history`` and ``report`` open: ``--db`` or the default."""
    return db_path if db_path is not None else Path(DEFAULT_DB)


def cli_config(config_path: Path | None, jurisdiction: str | None, **overrides: Any) -> Config:
    """Return the config file's rules with ``--jurisdiction`` and flag overrides applied.

    ``overrides`` are ``section__key`` values of :meth:`Config.replace`; None
    means the flag was not given.
    """
    cfg = load_config(config_path)
    changes = {k: v for k, v in overrides.items() if v is not None}
    if jurisdiction:
        changes["jurisdiction"] = jurisdiction.upper()
    return cfg.replace(**changes) if changes else cfg


def progress_printer(quiet: bool) -> Callable[[str], None]:
    """Return a progress callback printing time-stamped lines on stderr (nothing if quiet)."""
    if quiet:
        return lambda _msg: None

    def emit(msg: str) -> None:
        stamp = dt.datetime.now().strftime("%H:%M:%S")
        click.echo(f"[{stamp}] {msg}", err=True)

    return emit
