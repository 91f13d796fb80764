"""Packaging: one version, package data that exists, a setup.cfg that repeats nothing."""

from __future__ import annotations

import configparser
import re
import tomllib

import routeplan
from tests.helpers import ROOT, run

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_version_has_one_source() -> None:
    """__version__ and --version are pyproject.toml's version, written nowhere else."""
    declared = PYPROJECT["project"]["version"]
    assert routeplan.__version__ == declared
    assert declared in run("--version").stdout
    source = (ROOT / "routeplan" / "__init__.py").read_text(encoding="utf-8")
    assert not re.search(r"__version__\s*=\s*['\"]", source)


def test_every_package_data_pattern_ships_files() -> None:
    """Each package-data pattern matches files in the package (no dead entry), vendor included."""
    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]
    assert "present/vendor/**/*" in patterns["routeplan"]
    for package, globs in patterns.items():
        base = ROOT / package.replace(".", "/")
        for pattern in globs:
            assert any(p.is_file() for p in base.glob(pattern)), f"{package}: {pattern}"


def test_setup_cfg_holds_no_setting() -> None:
    """setup.cfg exists (the project card asks for it) but every setting is in pyproject.toml."""
    path = ROOT / "setup.cfg"
    parser = configparser.ConfigParser()
    parser.read(path, encoding="utf-8")
    assert parser.sections() == []
    assert "pyproject.toml" in path.read_text(encoding="utf-8")


def test_ruff_limits_complexity_arguments_and_docstrings_of_the_package() -> None:
    """ruff selects C90 at 15, PLR0913 at 8 and numpy docstrings (D), and routeplan/ keeps them.

    Only files outside the package are exempt (``!routeplan/**``), click's
    ``\\b`` markers excepted (D301 in CLI modules); no nested ruff config under
    routeplan/ replaces the root one.
    """
    lint = PYPROJECT["tool"]["ruff"]["lint"]
    assert {"C90", "PLR0913", "D"} <= set(lint["select"])
    assert lint["mccabe"]["max-complexity"] == 15
    assert lint["pylint"]["max-args"] == 8
    assert lint["pydocstyle"]["convention"] == "numpy"
    limits = ("C90", "C901", "PLR", "PLR0913", "D")
    assert not [code for code in lint.get("ignore", []) if code.startswith(limits)]
    for pattern, codes in lint.get("per-file-ignores", {}).items():
        if pattern.startswith("!routeplan/"):
            continue
        exempt = [code for code in codes if code.startswith(limits)]
        assert exempt in ([], ["D301"]), f"{pattern} exempts {exempt}"
    nested = [
        p
        for name in ("ruff.toml", ".ruff.toml", "pyproject.toml")
        for p in (ROOT / "routeplan").rglob(name)
    ]
    assert nested == []


def test_mypy_is_strict_on_the_package_and_make_test_runs_both_checks() -> None:
    """mypy is --strict on routeplan with no module loosened; make test runs lint and typecheck."""
    mypy = PYPROJECT["tool"]["mypy"]
    assert mypy["strict"] is True
    assert mypy["packages"] == ["routeplan"]
    for override in mypy.get("overrides", []):
        modules = override["module"]
        modules = [modules] if isinstance(modules, str) else modules
        assert not [m for m in modules if m.split(".")[0] == "routeplan"], override
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    test_deps = re.search(r"^test:(.*)$", makefile, re.M)
    assert test_deps is not None
    assert {"lint", "typecheck"} <= set(test_deps.group(1).split())
    assert re.search(r"^\t\$\(BIN\)/ruff check routeplan\b", makefile, re.M)
    assert re.search(r"^\t\$\(BIN\)/mypy$", makefile, re.M)
