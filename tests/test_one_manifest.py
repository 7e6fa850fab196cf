"""Every command parses report.toml once and passes the manifest down (no stage reads it again)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reportkit.cli import main


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every TOML text reportkit's manifest loader parses."""
    import reportkit.config

    seen: list[str] = []
    real = tomllib.loads

    def counting(text: str, **kw: Any) -> dict[str, Any]:
        seen.append(text)
        return real(text, **kw)

    monkeypatch.setattr(reportkit.config.tomllib, "loads", counting)
    return seen


def invoke(*args: str) -> Any:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result


@pytest.mark.parametrize(
    "command",
    [
        ["render", "--year", "2024"],
        ["render", "--year", "2024", "--no-cache"],
        ["check", "--year", "2024"],
        ["lint"],
    ],
)
def test_a_command_parses_the_manifest_once(mini_project: Path, parses: list[str], command: list[str]) -> None:
    result = invoke(*command, "--project", str(mini_project))
    # -- the mini project's template has a figure `check` and `lint` flag: they ran to the end --
    assert result.exit_code == (0 if command[0] == "render" else 1), result.output
    assert len(parses) == 1


def test_a_skipped_render_parses_it_once_too(mini_project: Path, parses: list[str]) -> None:
    assert invoke("render", "--year", "2024", "--project", str(mini_project)).exit_code == 0
    parses.clear()
    result = invoke("render", "--year", "2024", "--project", str(mini_project), "--timings")
    assert "nothing changed" in result.output
    assert len(parses) == 1


def test_new_edition_and_diff_parse_it_once(mini_project: Path, parses: list[str], tmp_path: Path) -> None:
    assert invoke("new-edition", "--year", "2025", "--project", str(mini_project)).exit_code == 0
    assert len(parses) == 1
    parses.clear()
    redline = mini_project / "build" / "changes.docx"
    result = invoke("diff", "--from", "2024", "--to", "2024", "--project", str(mini_project), "--redline", str(redline))
    assert result.exit_code == 0, result.output
    assert redline.is_file()
    assert len(parses) == 1
