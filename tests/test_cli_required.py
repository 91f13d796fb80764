"""Every required option of every command is enforced by the CLI (exit 2, one line), never a
traceback further in: click 8.3+ counts an explicit ``default=None`` as given."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from routeplan.cli import main
from tests.helpers import run


def _required() -> list[tuple[str, str]]:
    """Return (command, option flag) for every required option of every command."""
    found = []
    for name, command in sorted(main.commands.items()):
        for param in command.params:
            if isinstance(param, click.Option) and param.required:
                found.append((name, param.opts[0]))
    return found


def _is_date(param: click.Option) -> bool:
    """Return True when the option takes a date (``--date``, plan-week's ``--from``)."""
    return "date" in (param.name or "") or param.opts[0] == "--from"


def test_the_commands_have_required_options() -> None:
    """plan, check and replan name the inputs they cannot work without."""
    found = set(_required())
    assert {("plan", "--accounts"), ("check", "--agents"), ("replan", "--events")} <= found


@pytest.mark.parametrize(("command", "flag"), _required())
def test_a_missing_required_option_is_a_usage_error(
    command: str, flag: str, tmp_path: Path
) -> None:
    """Leaving one required option out (all others given) stops with exit 2 naming it."""
    cmd = main.commands[command]
    args: list[str] = []
    for param in cmd.params:
        if isinstance(param, click.Option) and param.required and param.opts[0] != flag:
            args += [param.opts[0], "2026-12-01" if _is_date(param) else "x"]
    for param in cmd.params:
        if isinstance(param, click.Argument) and param.required:
            args.append(str(tmp_path))
    result = run(command, *args, catch=True)
    assert result.exit_code == 2, (result.output, result.exception)
    assert f"Missing option '{flag}'" in result.output
