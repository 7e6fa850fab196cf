"""Hard-coded figures in templates are flagged; data-driven ones and allowed constants are not."""

from __future__ import annotations

from pathlib import Path

from conftest import MINI_MANIFEST, make_project, run_cli

from reportkit.config import load_manifest
from reportkit.lint import lint_source, lint_templates


def codes(src: str, allow: tuple[str, ...] = ()) -> list[tuple[str, int | None]]:
    return [(p.code, p.location.line) for p in lint_source(src, "templates/t.md.j2", allow)]


def test_literal_year_and_amount_in_prose_are_flagged() -> None:
    src = "前文\n市场规模在2023年达到70亿元，增长116.02%。\n"
    found = lint_source(src, "templates/t.md.j2")
    assert [(p.code, p.location.line) for p in found] == [
        ("hardcoded_year", 2),
        ("hardcoded_number", 2),
        ("hardcoded_number", 2),
    ]
    assert "'70亿'" in found[1].message or "'70亿元'" in found[1].message


def test_year_literal_in_an_expression_is_flagged() -> None:
    assert codes("{{ s[2022] | yi }}\n{{ s.cagr(2020, s.latest.year) | pct(1) }}\n") == [
        ("hardcoded_year", 1),
        ("hardcoded_year", 2),
    ]


def test_data_driven_figures_pass() -> None:
    assert codes("{% set s = data.m['x'] %}\n{{ year(s.latest.year) }}达到{{ s.latest.value | yi(1) }}。\n") == []


def test_allow_list_covers_only_the_named_constant() -> None:
    src = "5G网络与工业互联网结合，覆盖5个行业。\n"
    assert codes(src, ("5G",)) == [("hardcoded_number", 1)]
    assert codes("5G网络。\n", ("5G",)) == []


def test_lint_command_and_manifest_allow_list(tmp_path: Path) -> None:
    proj = make_project(tmp_path / "p", manifest=MINI_MANIFEST + '\n[lint]\nallow = ["5G"]\n')
    tpl = proj / "templates" / "policy.md.j2"
    tpl.write_text(tpl.read_text(encoding="utf-8") + "\n5G与2023年的70亿元。\n", encoding="utf-8")
    res = run_cli("lint", "--project", str(proj))
    assert res.returncode == 1
    assert res.stdout.count("templates/policy.md.j2:") == 2
    found = [p for p in lint_templates(load_manifest(proj)) if p.location.template == "templates/policy.md.j2"]
    assert [p.code for p in found] == ["hardcoded_year", "hardcoded_number"]
    res = run_cli("check", "--year", "2024", "--project", str(proj), "--json")
    assert res.returncode == 1 and '"code": "hardcoded_year"' in res.stdout


def test_default_templates_hold_no_hard_coded_figures() -> None:
    root = Path(__file__).resolve().parent.parent
    assert lint_templates(load_manifest(root)) == []
