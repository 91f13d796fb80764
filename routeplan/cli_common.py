"""Pieces every routeplan command shares (defined once, used by each CLI module)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

from routeplan.config import OUTPUT_LANGUAGES
from routeplan.errors import RouteplanError
from routeplan.io.readers import parse_date

F = TypeVar("F", bound=Callable[..., Any])


def fail_cleanly(func: F) -> F:
    """Turn routeplan's expected errors into one-line click errors (exit 1).

    ``RouteplanError`` (bad input, config, failed check) and ``OSError`` (a
    file that cannot be read or written) end the command with one line on
    stderr and exit code 1, without a traceback.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RouteplanError as exc:
            raise click.ClickException(str(exc)) from exc
        except OSError as exc:
            where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}") from exc

    return wrapper  # type: ignore[return-value]


class DateType(click.ParamType):
    """A ``YYYY-MM-DD`` date option, read like the dates of the input files.

    ``2026/12/5`` and ``2026.12.05`` are accepted too
    (:func:`routeplan.io.readers.parse_date`).
    """

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
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
