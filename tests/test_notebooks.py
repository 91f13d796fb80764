"""The analysts' notebooks: committed without outputs, and each runs top to bottom.

Every notebook in ``notebooks/`` is executed with nbclient on the ``python3``
kernel, from an empty temporary working directory, on the bundled samples
(under the two-minute budget) and on the tiny Shanghai dataset (another city,
two usable agents: the notebooks must not depend on the samples' sizes). A run
fails on any cell error, on a chart that did not render, on a debtor name in
any output, or on a file left behind. Figures about the data are printed by the
code cells, never typed into the prose, where they would drift from the data.

Charts render through ipykernel's inline backend, which draws with Agg: no
display is needed.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

import nbclient
import nbformat
import pytest

from tests.helpers import ROOT, SAMPLES, TINY

NOTEBOOKS = ROOT / "notebooks"
EXPECTED = ("01_portfolio.ipynb", "02_scoring.ipynb", "03_team_size.ipynb", "04_outcomes.ipynb")
#: wall-clock budget of one notebook on the samples (the issue asks for under two minutes)
BUDGET_S = 120.0
#: a single cell taking longer than this is a hang, not a slow notebook
CELL_TIMEOUT_S = 300
#: a figure typed into markdown: a count of something, a relative change, an estimate
TYPED_FIGURE = re.compile(
    r"\b\d[\d,.]*\s*(?:%|percent)\s+(?:more|fewer|less|higher|lower|of)\b"
    r"|\b\d[\d,.]*\s+(?:visits?|accounts?|agents?|km|kilometres|payments?|promises?|debtors?"
    r"|days|points?)\b"
    r"|\b(?:about|around|roughly|nearly|some|only)\s+\d[\d,.]*",
    re.IGNORECASE,
)


@pytest.fixture(autouse=True)
def _hermetic_kernel(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Prefer this environment's kernelspec and ignore the user's IPython profile.

    ``JUPYTER_PATH`` is searched before the user's kernels, so a ``python3``
    kernelspec under ``~/.local/share/jupyter`` pointing at another Python
    cannot take over; a fresh ``IPYTHONDIR`` keeps startup files out.
    """
    shared = Path(sys.prefix) / "share" / "jupyter"
    rest = os.environ.get("JUPYTER_PATH")
    monkeypatch.setenv("JUPYTER_PATH", os.pathsep.join([str(shared), *([rest] if rest else [])]))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path_factory.mktemp("ipython")))


def _load(name: str) -> Any:
    return nbformat.read(NOTEBOOKS / name, as_version=4)


def _execute(nb: Any, workdir: Path) -> float:
    """Run ``nb`` in place on the python3 kernel from ``workdir``; return the seconds taken."""
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=CELL_TIMEOUT_S,
        resources={"metadata": {"path": str(workdir)}},
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def _output_text(nb: Any) -> str:
    """Return every textual output of ``nb`` (streams, results, HTML) as one string."""
    parts: list[str] = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                parts.append(out.get("text", ""))
            for mime, value in out.get("data", {}).items():
                if not mime.startswith("image/"):
                    parts.append(value if isinstance(value, str) else json.dumps(value))
    return "\n".join(parts)


def _debtor_names(data_dir: Path) -> set[str]:
    """Return debtor names that cannot occur in an output by coincidence.

    A name that is also an agent's name, part of an address or shorter than
    two characters could appear legitimately, so it is left out.
    """
    with (data_dir / "accounts.csv").open(encoding="utf-8-sig", newline="") as fh:
        accounts = list(csv.DictReader(fh))
    with (data_dir / "agents.csv").open(encoding="utf-8-sig", newline="") as fh:
        agents = " ".join(row["name"] for row in csv.DictReader(fh))
    addresses = " ".join(row["address"] for row in accounts)
    names = {row["debtor_name"].strip() for row in accounts}
    return {n for n in names if len(n) >= 2 and n not in agents and n not in addresses}


def _snapshot(*dirs: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime for d in dirs for p in sorted(d.rglob("*")) if p.is_file()}


def _dirty_cells(nb: Any) -> list[int]:
    """Return the indices of code cells that carry outputs or an execution count."""
    return [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]


def _typed_figures(nb: Any) -> list[str]:
    """Return the figures typed into ``nb``'s markdown cells, as ``cell N: 'text'``."""
    return [
        f"cell {i}: {m.group(0)!r}"
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "markdown"
        for m in TYPED_FIGURE.finditer(cell.source)
    ]


@pytest.mark.parametrize("name", EXPECTED)
def test_prose_types_no_figures(name: str) -> None:
    """Markdown states no counts, changes or estimates: those are printed by code cells."""
    assert _typed_figures(_load(name)) == []


def test_typed_figure_check_catches_figures() -> None:
    """The prose check is not vacuous: claims once typed into the notebooks are caught."""
    nb = nbformat.v4.new_notebook()
    for text in (
        "on the samples, about 15% more visits on a quarter fewer km",
        "the two runs gave a noise floor of 0 accounts",
        "teams of 5, 10, 15, 20 and 25\nagents",
        "the default takes 10 points off for hardship",
        "kept 30% of the time",
    ):
        nb.cells.append(nbformat.v4.new_markdown_cell(text))
    nb.cells.append(nbformat.v4.new_code_cell("print(f'{15}% more visits')"))
    found = _typed_figures(nb)
    assert [f.split(":")[0] for f in found] == [
        "cell 0",
        "cell 1",
        "cell 2",
        "cell 3",
        "cell 4",
    ], found


def test_the_four_notebooks_are_there() -> None:
    """notebooks/ holds exactly the four analysts' notebooks."""
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", EXPECTED)
def test_committed_without_outputs(name: str) -> None:
    """A committed notebook has no outputs and no execution counts (stripped before commit)."""
    nb = _load(name)
    nbformat.validate(nb)
    dirty = _dirty_cells(nb)
    assert not dirty, f"{name}: cells {dirty} carry outputs or execution counts; strip them"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    assert any(c.cell_type == "markdown" for c in nb.cells), f"{name}: no prose"


def test_output_check_catches_outputs(tmp_path: Path) -> None:
    """The stripped-notebook check is not vacuous: an executed cell leaves outputs behind."""
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("print('x')"))
    assert _dirty_cells(nb) == []
    _execute(nb, tmp_path)
    assert _dirty_cells(nb) == [0]


def test_kernel_runs_this_interpreter(tmp_path: Path) -> None:
    """The python3 kernel is this virtualenv's Python and imports this checkout's routeplan."""
    nb = nbformat.v4.new_notebook()
    code = "import sys, routeplan\nprint(sys.prefix)\nprint(routeplan.__file__)"
    nb.cells.append(nbformat.v4.new_code_cell(code))
    _execute(nb, tmp_path)
    text = "".join(out.get("text", "") for out in nb.cells[0].outputs)
    prefix, module = text.splitlines()
    assert Path(prefix).resolve() == Path(sys.prefix).resolve()
    assert Path(module).resolve().is_relative_to(ROOT / "routeplan")


def _run_and_check(
    name: str, data_dir: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch, **env: str
) -> tuple[Any, float]:
    for var in (
        "ROUTEPLAN_DATA",
        "ROUTEPLAN_DATE",
        "ROUTEPLAN_TIME_LIMIT_S",
        "ROUTEPLAN_PRODUCTION_TIME_LIMIT_S",
    ):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    before = _snapshot(NOTEBOOKS, data_dir)
    nb = _load(name)
    seconds = _execute(nb, workdir)

    errors = [
        out
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not errors, f"{name}: {errors[0]['ename']}: {errors[0]['evalue']}"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and "plt.show()" in cell.source:
            images = [o for o in cell.outputs if "image/png" in o.get("data", {})]
            assert images, f"{name}: the chart of cell {i} did not render"
    text = _output_text(nb)
    shown = sorted(n for n in _debtor_names(data_dir) if n in text)
    assert not shown, f"{name}: debtor names in the outputs: {shown[:5]}"
    assert list(workdir.iterdir()) == [], f"{name}: left files in its working directory"
    assert _snapshot(NOTEBOOKS, data_dir) == before, f"{name}: changed files in the repository"
    return nb, seconds


@pytest.mark.slow
@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_runs_on_samples(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each notebook runs clean on the samples within the budget, charts and all."""
    nb, seconds = _run_and_check(name, SAMPLES, tmp_path, monkeypatch)
    assert os.fspath(SAMPLES) in _output_text(nb), f"{name} did not read {SAMPLES}"
    print(f"{name}: {seconds:.1f} s")
    assert seconds < BUDGET_S, f"{name} took {seconds:.0f} s (budget {BUDGET_S:.0f} s)"


@pytest.mark.slow
@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_runs_on_another_city(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each notebook also runs on the tiny Shanghai portfolio (15 accounts, 2 usable agents)."""
    nb, _seconds = _run_and_check(
        name,
        TINY,
        tmp_path,
        monkeypatch,
        ROUTEPLAN_DATA=str(TINY),
        ROUTEPLAN_DATE="2026-12-01",
        ROUTEPLAN_TIME_LIMIT_S="0.5",
        ROUTEPLAN_PRODUCTION_TIME_LIMIT_S="2",
    )
    assert os.fspath(TINY) in _output_text(nb), f"{name} did not read {TINY}"
