"""Write output files atomically and CSV cells safely; read JSON back.

This module is the one place routeplan writes output files. Every writer
puts the bytes in a temporary file in the target's own directory, flushes and
``fsync``s it, then ``os.replace``s it over the target, so a reader (or a
crash) never sees half a file.

CSV cells are neutralised against spreadsheet formula injection: a *string*
cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
leading ``'`` so Excel, LibreOffice and Google Sheets show it as text instead
of evaluating it (OWASP "CSV injection"). Numeric columns are never touched: a
negative balance in a float column is a number, not a formula.

Encoding: CSVs are UTF-8 with CRLF row ends (RFC 4180). Files meant to be opened by people in a
spreadsheet (per-agent itineraries, the outcomes template) are written with a
byte-order mark (``utf-8-sig``), without which Excel decodes UTF-8 as the
local code page and shows Chinese as mojibake. The CSV reader
(:func:`routeplan.io.tables.read_table`) accepts both and undoes the
neutralising.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from routeplan.errors import InputError

#: First characters that make a spreadsheet treat a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# --- neutralising --------------------------------------------------------------------


def neutralise_cell(value: Any) -> Any:
    """Return ``value`` with a leading ``'`` when it is a string a spreadsheet would run.

    Only ``str`` values change; numbers, ``None``, NaN and other objects are
    returned unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def unneutralise_cell(value: Any) -> Any:
    """Undo :func:`neutralise_cell`: drop the ``'`` routeplan put before a formula prefix."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``df`` whose string cells and column names are neutralised.

    Numeric, boolean and datetime columns are left as they are; object and
    string columns are checked cell by cell, so a number inside an object
    column stays a number.
    """
    out = df.copy()
    for col in out.columns:
        series = out[col]
        if (
            pd.api.types.is_numeric_dtype(series)
            or pd.api.types.is_bool_dtype(series)
            or pd.api.types.is_datetime64_any_dtype(series)
        ):
            continue
        out[col] = series.map(neutralise_cell).astype(object)
    out.columns = pd.Index([neutralise_cell(c) for c in out.columns])
    return out


# --- atomic writers --------------------------------------------------------------------


def _target_mode(path: Path) -> int:
    """Return the permission bits a new file at ``path`` should get (existing mode or umask)."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_bytes_atomic(path: Path | str, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and return the path.

    Creates missing parent directories. The temporary file lives next to the
    target (same file system, so ``os.replace`` is atomic) and is removed if
    anything fails.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = _target_mode(target)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(target.parent)
    return target


def _fsync_dir(directory: Path) -> None:
    """Flush a directory entry so the rename survives a crash (best effort, POSIX only)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_text_atomic(path: Path | str, text: str, *, encoding: str = "utf-8") -> Path:
    r"""Write ``text`` to ``path`` atomically (UTF-8, ``\n`` line ends) and return the path."""
    return write_bytes_atomic(path, text.encode(encoding))


def write_csv_atomic(
    path: Path | str,
    df: pd.DataFrame,
    *,
    spreadsheet: bool = False,
    columns: Sequence[str] | None = None,
) -> Path:
    """Write ``df`` as CSV to ``path`` atomically, neutralised, and return the path.

    Parameters
    ----------
    path
        Target file.
    df
        Rows to write; the index is not written. Missing values become empty cells.
    spreadsheet
        Write a UTF-8 byte-order mark so Excel shows non-ASCII text (Chinese)
        correctly. Use it for files people open in a spreadsheet.
    columns
        Column order to write (all must exist in ``df``); default: ``df``'s order.
    """
    frame = df if columns is None else df.loc[:, list(columns)]
    # CRLF rows (RFC 4180): the csv module quotes a cell holding a line-terminator
    # character, so with "\r\n" both a bare CR and a LF inside a cell get quoted.
    text = neutralise_frame(frame).to_csv(index=False, lineterminator="\r\n")
    return write_text_atomic(path, text, encoding="utf-8-sig" if spreadsheet else "utf-8")


def _jsonable(obj: Any) -> Any:
    """Return ``obj`` as plain JSON data: numpy scalars unwrapped, NaN/inf as null, dates ISO."""
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, dt.date | dt.datetime | dt.time):
        return obj.isoformat()
    if hasattr(obj, "item") and callable(obj.item) and not isinstance(obj, str | bytes):
        try:
            obj = obj.item()  # numpy / pandas scalar
        except (TypeError, ValueError):
            return str(obj)
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if obj is pd.NaT:
        return None
    return obj


def write_json_atomic(path: Path | str, obj: Any) -> Path:
    """Write ``obj`` as pretty UTF-8 JSON to ``path`` atomically and return the path.

    NaN and infinities become ``null`` (JSON has no NaN); numpy scalars,
    dates and paths are converted to plain JSON values.
    """
    text = json.dumps(_jsonable(obj), ensure_ascii=False, indent=2, allow_nan=False)
    return write_text_atomic(path, text + "\n")


def prune_files(directory: Path | str, keep: Iterable[Path], pattern: str) -> list[Path]:
    """Delete files in ``directory`` matching ``pattern`` that are not in ``keep``.

    Used to remove outputs of an earlier run that no longer apply (a sheet
    for an agent who has no visits after an edit). Only plain files directly
    inside ``directory`` are considered; returns the removed paths.
    """
    folder = Path(directory)
    if not folder.is_dir():
        return []
    kept = {Path(p).resolve() for p in keep}
    removed = []
    for candidate in sorted(folder.glob(pattern)):
        if candidate.is_file() and not candidate.is_symlink() and candidate.resolve() not in kept:
            candidate.unlink()
            removed.append(candidate)
    return removed


# --- readers ---------------------------------------------------------------------


def read_json(path: Path | str) -> Any:
    """Read a JSON file; raise :class:`InputError` naming the file when missing or invalid.

    Also refused in one line: nesting deep enough to exhaust the parser's
    recursion, and integers too long for Python to convert.
    """
    source = Path(path)
    if source.exists() and not source.is_file():  # a folder, a FIFO (would block), a device
        raise InputError(f"{source}: not a regular file")
    try:
        text = source.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{source}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{source}: cannot read ({exc})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{source}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except ValueError as exc:  # an integer of thousands of digits
        raise InputError(f"{source}: not usable JSON ({exc})") from None
    except RecursionError:
        raise InputError(f"{source}: not usable JSON (nested too deeply)") from None
