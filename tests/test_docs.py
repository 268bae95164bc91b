"""Every setting and every CLI command and option is documented (Datasette's test_docs habit)."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
import typer.main

from pulso.cli import app
from pulso.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def _commands(group: click.Group, prefix: str = "pulso") -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if hasattr(command, "commands"):
            found += _commands(command, path)
        else:
            found.append((path, command))
    return found


COMMANDS = _commands(typer.main.get_command(app))  # type: ignore[arg-type]


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_setting_is_documented(name: str) -> None:
    assert f"PULSO_{name.upper()}" in (ROOT / "docs" / "configuration.md").read_text()


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_command_and_its_options_are_documented(path: str, command: click.Command) -> None:
    text = (ROOT / "docs" / "cli.md").read_text()
    heading = f"## `{path}`"
    assert heading in text, f"docs/cli.md has no section {heading!r}"
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    for param in command.params:
        if param.param_type_name == "option" and param.name != "help":
            longest = max(param.opts, key=len)
            assert f"`{longest}" in section, f"{path}: option {longest} is not documented"


def test_readme_test_command_is_what_ci_runs() -> None:
    assert "bash scripts/test.sh" in (ROOT / "README.md").read_text()
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text()
