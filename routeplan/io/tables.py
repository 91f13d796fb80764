"""Read a CSV file as a table of text: the one CSV reader of routeplan.

The planner's inputs (``accounts.csv``, ``agents.csv``), the outcomes fed
back (``routeplan record``) and every table of a plan folder (read back by
``map``, ``check`` and ``retime``) go through :func:`read_table`, so each
file is decoded, split and numbered the same way and every problem is named
the same way: file, row (as a spreadsheet shows it) and column.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from routeplan.errors import InputError, RowProblem
from routeplan.io.safe import unneutralise_cell

#: encodings tried in order when none is given
AUTO_ENCODINGS = ("utf-8-sig", "gb18030")
#: name of the column holding each record's spreadsheet row
ROW_COLUMN = "_row"

#: byte-order marks that name their encoding (UTF-32 first: its LE mark starts like UTF-16's)
_UNICODE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
#: a long address or note must not stop the file (the csv module's default is 128 KiB)
csv.field_size_limit(max(csv.field_size_limit(), 16 * 1024 * 1024))

_HEADER_GAPS = re.compile(r"[\s\-]+")
#: Excel's separator hint, a first line such as ``sep=;``
_SEP_HINT = re.compile(r"^sep=([,;\t|])\r?$", re.IGNORECASE)


def read_table(
    path: str | Path,
    *,
    encoding: str | None = None,
    refused: list[RowProblem] | None = None,
    required: Sequence[str] = (),
    normalise_headers: bool = True,
    row_column: str | None = ROW_COLUMN,
    name: str | None = None,
) -> tuple[pd.DataFrame, str]:
    """Read a CSV file as a table of stripped strings; return it and the encoding used.

    Every cell is a ``str`` (an empty cell is ``""``). UTF-8 (with or without
    BOM), GB18030/GBK (Chinese Excel exports) and UTF-16/32 with a BOM (Excel's
    "Unicode text") are detected when ``encoding`` is None. The separator is
    taken from the header line: a comma, else a tab, else a semicolon (an
    Excel ``sep=;`` first line names it). Rows without any value are skipped;
    short rows are padded with empty cells; an empty header cell is named
    ``unnamed_N`` (N = its 1-based position); cells that
    :mod:`routeplan.io.safe` neutralised against formula injection (``'=1+1``)
    are read back as written (``=1+1``), so routeplan's own outputs round-trip.

    Parameters
    ----------
    path
        The file.
    encoding
        Force a text encoding instead of detecting one.
    refused
        Where to put rows holding more values than the header has columns,
        or a NUL byte (they are left out of the table). When None such a row
        is a file-level error.
    required
        Columns the file must have (all missing ones are named in one message).
    normalise_headers
        Lower-case header names and turn inner spaces and hyphens into ``_``
        (``Days Past Due`` -> ``days_past_due``), as for the planner's inputs;
        when False they are only stripped (a plan folder's own columns, and
        any a dispatcher added, keep their names).
    row_column
        Name of the column added with each record's spreadsheet row number
        (the header is row 1; blank lines count, a quoted line break does
        not), so problems found later name the row the user sees; None adds
        none. A file with a column of that name is refused.
    name
        How the file is named in messages (default: its file name).

    Raises
    ------
    InputError
        The file is missing, not a regular file, unreadable, not decodable,
        binary, empty, not valid CSV (an unclosed quote), repeats a column
        name, lacks a ``required`` column, has no row that fits the header,
        or (without ``refused``) has a row that cannot be used. One line.
    """
    p = Path(path)
    label = name or p.name
    text, used = _read_text(p, label, encoding)
    if not text.strip():
        raise InputError(f"{label}: file is empty")
    records = _csv_records(text, label)
    header_no, header = next(((n, r) for n, r in records if _has_value(r)), (0, []))
    if not header:
        raise InputError(f"{label}: file is empty (no header row)")
    columns = _header(header, normalise_headers)
    _check_header(columns, label, required, row_column)
    width = len(columns)
    rows: list[list[str]] = []
    numbers: list[int] = []
    ragged: list[RowProblem] = []
    garbled: list[RowProblem] = []
    for row_no, rec in records:
        if row_no <= header_no or not _has_value(rec):
            continue
        cells = [unneutralise_cell(c.strip()) for c in rec]
        if len(cells) > width and any(cells[width:]):
            values = max(i for i, c in enumerate(cells) if c) + 1
            problem = (
                f"row has {values} values but the header has {width} columns "
                "(an unquoted comma inside a value?)"
            )
            ragged.append(RowProblem(label, row_no, "", problem))
            continue
        nul = next((i for i, c in enumerate(cells) if "\x00" in c), None)
        if nul is not None:
            column = columns[nul] if nul < width else ""
            garbled.append(RowProblem(label, row_no, column, "holds a NUL byte (binary data)"))
            continue
        rows.append((cells + [""] * width)[:width])
        numbers.append(row_no)
    problems = sorted([*ragged, *garbled], key=lambda x: x.row or 0)
    if problems and refused is None:
        more = f" (and {len(problems) - 1} more rows like it)" if len(problems) > 1 else ""
        raise InputError(problems[0].message() + more)
    if ragged and not rows and not garbled:
        raise InputError(
            f"{label}: every row has more values than the {width} columns of the header "
            f"(first: row {ragged[0].row}); is a column name missing from the header?"
        )
    if refused is not None:
        refused.extend(problems)
    frame = pd.DataFrame(rows, columns=pd.Index(columns), dtype=object)
    if row_column is not None:
        frame[row_column] = pd.Series(numbers, index=frame.index, dtype="int64")
    return frame, used


def _read_text(p: Path, label: str, encoding: str | None) -> tuple[str, str]:
    """Return the file's text (without a byte-order mark) and the encoding used."""
    if p.exists() and not p.is_file():
        # a folder, FIFO or device: reading it would fail or block forever
        raise InputError(f"{p}: not a regular file")
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{p}: file not found") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot read file ({exc.strerror or exc})") from None
    text, used = _decode(raw, label, encoding)
    return text.lstrip("\ufeff"), used


def _header(cells: Sequence[str], normalise: bool) -> list[str]:
    """Return the column names of a header record."""
    out = []
    for i, cell in enumerate(cells, 1):
        name = str(unneutralise_cell(str(cell).strip().lstrip("\ufeff")))
        if normalise:
            name = _HEADER_GAPS.sub("_", name.lower())
        out.append(name or f"unnamed_{i}")
    return out


def _check_header(
    columns: list[str], label: str, required: Sequence[str], row_column: str | None
) -> None:
    """Refuse repeated names, the reserved row column and missing required columns."""
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise InputError(
            f"{label}, column {', '.join(repeated)}: appears more than once in the header"
        )
    if row_column is not None and row_column in columns:
        raise InputError(f"{label}, column {row_column}: name reserved by routeplan")
    missing = [c for c in required if c not in columns]
    if missing:
        raise InputError(f"{label}, column {', '.join(missing)}: required column missing")


def _csv_records(text: str, name: str) -> list[tuple[int, list[str]]]:
    """Split CSV text into ``(spreadsheet row, cells)`` records, blank lines included.

    An Excel ``sep=;`` first line names the separator and is not a row.
    Parsing is strict: a quote left open (or stray text after a closing
    quote) fails the file naming the record where it starts, instead of
    silently swallowing the rows that follow into one value.
    """
    first_line, _, rest = text.partition("\n")
    hint = _SEP_HINT.match(first_line)
    if hint:
        delimiter, text = hint[1], rest
    else:
        delimiter = next((d for d in (",", "\t", ";") if d in first_line), ",")
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True, strict=True
    )
    out: list[tuple[int, list[str]]] = []
    try:
        for rec in reader:
            out.append((len(out) + 1, rec))
    except csv.Error as exc:
        problem = str(exc)
        if "end of data" in problem or "EOF" in problem:
            problem = "a quoted value is never closed"
        raise InputError(
            f"{name}, row {len(out) + 1}: not valid CSV ({problem}); check the quotes on that row"
        ) from None
    return out


def _has_value(cells: Sequence[str]) -> bool:
    """Return True when any cell holds more than white space."""
    return any(c.strip() for c in cells)


def _decode(raw: bytes, name: str, encoding: str | None) -> tuple[str, str]:
    """Decode a file's bytes: the given encoding, else a BOM's, else UTF-8 or GB18030."""
    if encoding:
        try:
            return raw.decode(encoding), encoding
        except LookupError as exc:
            raise InputError(f"{name}: unknown encoding {encoding!r}") from exc
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{name}: cannot decode as {encoding} at byte {exc.start}; check --encoding"
            ) from exc
    for bom, enc in _UNICODE_BOMS:
        if raw.startswith(bom):
            try:
                return raw[len(bom) :].decode(enc), enc
            except UnicodeDecodeError:
                break  # a BOM followed by garbage: reported as binary below
    if b"\x00" in raw[:4096]:
        raise InputError(f"{name}: looks like a binary file, not CSV text")
    for enc in AUTO_ENCODINGS:
        try:
            return raw.decode(enc), ("utf-8" if enc == "utf-8-sig" else enc)
        except UnicodeDecodeError:
            continue
    raise InputError(f"{name}: not UTF-8 or GB18030 text; give the encoding with --encoding")


__all__ = ["AUTO_ENCODINGS", "ROW_COLUMN", "read_table"]
