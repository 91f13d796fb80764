"""Errors a planner can act on.

``RouteplanError`` and its subclasses carry a one-line message naming the
file, row, column, value and what is allowed. The CLI turns them into
``click.ClickException`` (exit 1, no traceback).
"""

from __future__ import annotations

from dataclasses import dataclass


class RouteplanError(Exception):
    """Base class for expected failures (bad input, bad config, failed check)."""


class ConfigError(RouteplanError):
    """The configuration is invalid."""


class ChangedFilesError(RouteplanError):
    """A plan folder holds files changed by hand that a command would replace.

    ``files`` lists them relative to the folder (filled outcomes, an edited
    itinerary); ``routeplan plan --force`` moves them to a backup first.
    """

    def __init__(self, folder: str, files: list[str]) -> None:
        self.files = list(files)
        shown = ", ".join(self.files[:5]) + (
            f" and {len(files) - 5} more" if len(files) > 5 else ""
        )
        super().__init__(
            f"{folder}: holds files changed since routeplan wrote them ({shown}); "
            "planning again would replace them. Plan into another folder, or give --force "
            "to move them into a backup-... folder first"
        )


class InputError(RouteplanError):
    """An input file cannot be used at all (file-level problem).

    ``problems`` holds every problem found, so that one run reports them all.
    """

    def __init__(self, problems: list[RowProblem] | str) -> None:
        if isinstance(problems, str):
            self.problems: list[RowProblem] = []
            message = problems
        else:
            self.problems = list(problems)
            message = "; ".join(p.message() for p in self.problems)
        super().__init__(message)


@dataclass(frozen=True)
class RowProblem:
    """One refused row (or file-level problem when ``row`` is None).

    ``row`` is the 1-based line number in the file as a spreadsheet shows it
    (the header is row 1, the first data row is row 2). ``record_id`` is the
    row's own id (``account_id`` of an account or outcome row, ``agent_id`` of
    an agent row) when it could be read, so that a planner can find the record
    after sorting the file; it is empty when the id itself is missing or
    invalid, or the row could not be split into columns.
    """

    file: str
    row: int | None
    column: str
    problem: str
    record_id: str = ""

    def message(self) -> str:
        """Return the one-line human message."""
        where = self.file if self.row is None else f"{self.file}, row {self.row}"
        col = f", column {self.column}" if self.column else ""
        return f"{where}{col}: {self.problem}"

    def as_record(self) -> dict[str, object]:
        """Return the ``rejected.csv`` row."""
        return {
            "file": self.file,
            "row": self.row if self.row is not None else "",
            "column": self.column,
            "problem": self.problem,
            "record_id": self.record_id,
        }
