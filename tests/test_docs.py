"""The README keeps its promises: two set-up commands first, every CLI option documented."""

from __future__ import annotations

import re
from pathlib import Path

import click

from reportkit.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_readme_starts_with_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.match(r"```sh\n(.*?)```", text, re.S)
    assert block, "README must open with a sh code block"
    commands = [ln.split("#")[0].strip() for ln in block.group(1).splitlines() if ln.strip()]
    assert commands == ["make render", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "reportkit render --year $(YEAR)" in makefile and "pytest" in makefile
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_command_and_option_is_documented() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, cmd in main.commands.items():
        assert f"reportkit {name}" in readme, name
        for param in cmd.params:
            if isinstance(param, click.Option):
                assert any(opt in readme for opt in param.opts), f"{name} {param.opts}"
