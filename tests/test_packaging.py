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
