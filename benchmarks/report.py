"""Write benchmark tables as CSV and Markdown with machine, versions and command line."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.metadata
import os
import platform
import sys
from collections.abc import Sequence
from pathlib import Path


def machine() -> str:
    """Return a one-line description of this machine."""
    cpu = platform.processor() or "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores"


def versions() -> str:
    """Return the versions of Python and the solver packages present."""
    parts = [f"python {platform.python_version()}"]
    for pkg in ("routeplan", "ortools", "numpy", "pyvrp", "pyvroom"):
        try:
            parts.append(f"{pkg} {importlib.metadata.version(pkg)}")
        except importlib.metadata.PackageNotFoundError:
            parts.append(f"{pkg} (not installed)")
    return ", ".join(parts)


def header() -> list[str]:
    """Return Markdown lines naming the date, machine, versions and command."""
    return [
        f"- date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {machine()}",
        f"- versions: {versions()}",
        f"- command: `{' '.join([Path(sys.executable).name, *sys.argv])}`",
    ]


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """Return a Markdown table."""
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


def write(
    out_dir: Path,
    stem: str,
    title: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    extra: Sequence[str] = (),
) -> tuple[Path, Path]:
    """Write ``stem``.csv and ``stem``.md into ``out_dir``; return both paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / f"{stem}.csv"
    with csv_path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        w.writerows(rows)
    md = [f"# {title}", "", *header(), "", *markdown_table(columns, rows)]
    if extra:
        md += ["", *extra]
    md_path = out_dir / f"{stem}.md"
    md_path.write_text("\n".join(md) + "\n")
    return csv_path, md_path
