"""One outline for all editions: sections and chapters declare the editions they belong to, numbering
and the contents follow, and an older edition re-renders byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest
from conftest import MINI_MANIFEST, MINI_TEMPLATES, make_project, render_ok, run_cli, write_workbook

from reportkit.checks import check_project

NEW_SECTION = '{ title = "新增专题", template = "new.md.j2", since = 2025 },\n'
NEW_TEMPLATE = """\
{% set t = data.new_topic %}
{{ year(t.last_actual_year) }}新增专题指标为{{ t["指标"].latest.value | amount }}。
"""
TOPIC_ROWS = [
    ["ID", "new_topic"],
    ["标题", "新增专题"],
    ["单位", "个"],
    ["来源", "测试来源"],
    [],
    ["指标", 2023, 2024],
    ["指标", 3, 5],
]


def fill_missing(proj: Path, year: int) -> None:
    """Fill every empty cell `check` lists with its left neighbour (a growth assumption: 20%)."""
    from openpyxl import load_workbook

    todo = json.loads(run_cli("check", "--year", str(year), "--project", str(proj), "--json").stdout)
    for p in todo:
        if p["code"] == "missing" and p["cell"]:
            wb = load_workbook(proj / p["file"])
            ws = wb[p["sheet"]]
            cell = ws[p["cell"]]
            left = ws.cell(cell.row, cell.column - 1).value
            cell.value = 20 if "预测增速" in str(ws.cell(cell.row, 1).value) else left
            wb.save(proj / p["file"])


def headings(path: Path) -> list[str]:
    return [p.text for p in docx.Document(str(path)).paragraphs if p.style.name.startswith("Heading")]


def with_new_section(manifest: str) -> str:
    anchor = '  { title = "需求结构", template = "demand.md.j2" },\n'
    assert anchor in manifest
    return manifest.replace(anchor, anchor + "  " + NEW_SECTION)


def test_a_section_since_2025_leaves_2024_as_it_was(tmp_path: Path) -> None:
    proj = make_project(tmp_path / "p")
    before = render_ok("--year", "2024", "--project", str(proj), "--no-cache", "--output", str(tmp_path / "a.docx"))
    (proj / "report.toml").write_text(with_new_section(MINI_MANIFEST), encoding="utf-8")
    (proj / "templates" / "new.md.j2").write_text(NEW_TEMPLATE, encoding="utf-8")
    after = render_ok("--year", "2024", "--project", str(proj), "--no-cache", "--output", str(tmp_path / "b.docx"))
    assert after.read_bytes() == before.read_bytes(), "the 2024 edition is unchanged byte for byte"
    assert check_project(proj, 2024).problems == [] or all(
        p.code.startswith("hardcoded") for p in check_project(proj, 2024).problems
    )

    assert run_cli("new-edition", "--year", "2025", "--project", str(proj)).returncode == 0
    fill_missing(proj, 2025)
    write_workbook(proj / "datasets" / "2025" / "专题.xlsx", {"专题": TOPIC_ROWS})
    out = render_ok("--year", "2025", "--project", str(proj), "--no-cache")
    outline = [h for h in headings(out) if not h.startswith("（")]
    assert outline[:5] == ["摘要", "第一章 市场分析", "一、市场规模与增长趋势", "二、需求结构", "三、新增专题"]
    assert "2024年新增专题指标为5个。" in "\n".join(p.text for p in docx.Document(str(out)).paragraphs)


def test_until_removes_a_chapter_and_renumbers(tmp_path: Path) -> None:
    manifest = MINI_MANIFEST.replace(
        '[[chapters]]\ntitle = "市场分析"', '[[chapters]]\ntitle = "市场分析"\nuntil = 2023', 1
    )
    proj = make_project(tmp_path / "p", manifest=manifest)
    out = render_ok("--year", "2024", "--project", str(proj), "--no-cache")
    assert [h for h in headings(out) if not h.startswith("（")] == ["摘要", "第一章 政策环境", "一、国家政策"]


def test_edition_bounds_are_checked(tmp_path: Path) -> None:
    manifest = MINI_MANIFEST.replace(
        '{ title = "需求结构", template = "demand.md.j2" }',
        '{ title = "需求结构", template = "demand.md.j2", since = 2026, until = 2025 }',
    )
    proj = make_project(
        tmp_path / "p", manifest=manifest.replace('title = "政策环境"', 'title = "政策环境"\nsince = "x"')
    )
    messages = [p.message for p in check_project(proj, 2024).problems]
    assert any("since = 2026 after until = 2025" in m for m in messages)
    assert any("since must be an edition year" in m for m in messages)


def test_set_inside_if_is_the_templates_own_name(tmp_path: Path) -> None:
    templates = dict(MINI_TEMPLATES)
    templates["policy.md.j2"] = MINI_TEMPLATES["policy.md.j2"] + (
        '{% if data.policies.count > 1 %}{% set note = "多项政策" %}{% endif %}\n{{ note }}并行推进。\n'
    )
    proj = make_project(tmp_path / "p", templates=templates)
    assert not [p for p in check_project(proj, 2024).problems if p.code == "undefined_name"]
    out = render_ok("--year", "2024", "--project", str(proj), "--no-cache")
    assert "多项政策并行推进。" in "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
    templates["policy.md.j2"] = templates["policy.md.j2"].replace("count > 1", "count > 100")
    proj2 = make_project(tmp_path / "q", templates=templates)
    res = run_cli("render", "--year", "2024", "--project", str(proj2))
    assert res.returncode == 1 and "templates/policy.md.j2:" in res.stderr and "note" in res.stderr


@pytest.mark.parametrize(
    "year, expected", [(2024, ["一、市场规模与增长趋势", "二、需求结构"]), (2026, ["一、市场规模与增长趋势"])]
)
def test_outline_of_an_edition(tmp_path: Path, year: int, expected: list[str]) -> None:
    from reportkit.config import load_manifest

    manifest = MINI_MANIFEST.replace(
        '{ title = "需求结构", template = "demand.md.j2" }',
        '{ title = "需求结构", template = "demand.md.j2", until = 2025 }',
    )
    proj = make_project(tmp_path / "p", manifest=manifest)
    _front, chapters = load_manifest(proj).outline(year)
    assert [f"{'一二'[i]}、{s.title}" for i, s in enumerate(chapters[0].sections)] == expected


def test_a_table_gone_since_the_last_edition_is_named(tmp_path: Path) -> None:
    proj = make_project(tmp_path / "p")
    assert run_cli("new-edition", "--year", "2025", "--project", str(proj)).returncode == 0
    fill_missing(proj, 2025)
    (proj / "datasets" / "2025" / "政策.xlsx").unlink()
    res = run_cli("check", "--year", "2025", "--project", str(proj))
    assert (
        "no table with ID 'policies' in this edition; the 2024 edition had it in datasets/2024/政策.xlsx [政策]"
        in res.stdout
    )
