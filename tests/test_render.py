"""End to end on a small project: the command line, the DOCX read back, safety of the output."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from conftest import docx_findings, make_project, render_ok, run_cli, set_cells, soffice


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> tuple[Path, Path]:
    proj = make_project(tmp_path_factory.mktemp("r") / "proj")
    return proj, render_ok("--year", "2024", "--project", str(proj))


def all_text(d: docx.Document) -> str:
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def test_render_prints_the_path_it_wrote(rendered) -> None:
    proj, out = rendered
    assert out == (proj / "build" / "2024" / "2024-2030年中国工业大模型测试报告.docx").resolve()
    assert out.is_file()


def test_output_validates(rendered) -> None:
    assert docx_findings(rendered[1]) == []


def test_headings_follow_the_outline(rendered) -> None:
    d = docx.Document(str(rendered[1]))
    heads = [p.text for p in d.paragraphs if p.style.name.startswith("Heading")]
    assert heads == [
        "摘要",
        "第一章 市场分析",
        "一、市场规模与增长趋势",
        "（一）市场规模现状",
        "（二）规模预测",
        "二、需求结构",
        "第二章 政策环境",
        "一、国家政策",
    ]


def test_numbers_in_text_come_from_the_data(rendered) -> None:
    text = all_text(docx.Document(str(rendered[1])))
    assert "从2020年的15亿元攀升至2022年的70亿元，年均复合增长率高达116.02%" in text
    assert "本报告覆盖2024-2030年，市场规模2023年达到141.34亿元" in text
    assert f"预计2026年市场规模将达到{294.16 * 1.5 * 1.4:.1f}亿元" in text
    assert "2023年，智能制造占比最高，为42.0%" in text
    assert "国家层面共出台二项代表性政策" in text
    for leak in ("{{", "{%", "None", "nan", "Undefined"):
        assert leak not in text


def test_every_figure_and_table_has_caption_and_source(rendered) -> None:
    d = docx.Document(str(rendered[1]))
    texts = [p.text for p in d.paragraphs]
    captions = [p.text for p in d.paragraphs if p.style.name == "Caption"]
    assert [c.split("：")[0] for c in captions] == ["图表1", "图表2", "图表3", "图表4", "图表5"]
    assert len(d.inline_shapes) == 3 and len(d.tables) == 2
    for cap in captions:
        i = [j for j, p in enumerate(d.paragraphs) if p.style.name == "Caption" and p.text == cap][0]
        p = d.paragraphs[i]._p
        exhibit = p.getnext()  # -- the caption stands above its table or chart --
        assert exhibit.tag.endswith("}tbl") or exhibit.xpath(".//w:drawing"), cap
        assert exhibit.getnext().xpath("string(.)").startswith("数据来源："), cap
    assert "数据来源：本报告整理（含示例数据）" in texts


def test_same_inputs_give_identical_bytes(rendered, tmp_path: Path) -> None:
    proj, out = rendered
    again = tmp_path / "again.docx"
    res = run_cli("render", "--year", "2024", "--project", str(proj), "--output", str(again))
    assert res.returncode == 0, res.stderr
    assert again.read_bytes() == out.read_bytes()


def test_source_date_epoch_sets_the_document_date(rendered, tmp_path: Path) -> None:
    proj, _out = rendered
    target = tmp_path / "e.docx"
    res = run_cli(
        "render",
        "--year",
        "2024",
        "--project",
        str(proj),
        "--output",
        str(target),
        env={"SOURCE_DATE_EPOCH": "1718000000"},
    )
    assert res.returncode == 0, res.stderr
    assert docx.Document(str(target)).core_properties.created.year == 2024
    assert docx.Document(str(target)).core_properties.created.month == 6


def test_failed_render_keeps_the_previous_output(tmp_path: Path) -> None:
    proj = make_project(tmp_path / "p")
    out = render_ok("--year", "2024", "--project", str(proj))
    before = out.read_bytes()
    tpl = proj / "templates" / "market.md.j2"
    original = tpl.read_text(encoding="utf-8")
    bad_line = len(original.splitlines()) + 2
    tpl.write_text(original + "\n{{ data.market_size['不存在'][2020] | yi }}\n", encoding="utf-8")
    res = run_cli("render", "--year", "2024", "--project", str(proj))
    assert res.returncode == 1
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: templates/market.md.j2:{bad_line}: ")
    assert out.read_bytes() == before
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".part")]


def test_bad_cell_message_names_file_sheet_and_cell(tmp_path: Path) -> None:
    proj = make_project(tmp_path / "p")
    set_cells(proj / "datasets" / "2024" / "市场.xlsx", "市场规模", C7="abc")
    res = run_cli("render", "--year", "2024", "--project", str(proj))
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert res.stderr.strip() == 'error: datasets/2024/市场.xlsx [市场规模] C7: expected a number, found "abc"'


def test_missing_year_and_project(tmp_path: Path) -> None:
    proj = make_project(tmp_path / "p")
    res = run_cli("render", "--year", "2019", "--project", str(proj))
    assert res.returncode == 1 and "datasets/2019" in res.stderr and "Traceback" not in res.stderr
    res = run_cli("render", "--year", "2024", "--project", str(tmp_path / "nowhere"))
    assert res.returncode == 1 and "report.toml" in res.stderr


def test_help_has_examples() -> None:
    res = run_cli("render", "--help")
    assert res.returncode == 0 and "reportkit render --year 2024" in res.stdout
    assert run_cli("--help").returncode == 0


def test_usage_error_exits_2() -> None:
    assert run_cli("render").returncode == 2


def test_converts_to_pdf_with_chinese_text(rendered, tmp_path: Path) -> None:
    exe = soffice()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is required in CI (.ci/run installs it)")
        pytest.skip("LibreOffice not installed")
    profile = tmp_path / "profile"
    subprocess.run(
        [
            exe,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(rendered[1]),
        ],
        capture_output=True,
        timeout=240,
        check=True,
    )
    pdf = tmp_path / (rendered[1].stem + ".pdf")
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    text = "".join(text.split())
    assert "年均复合增长率高达116.02%" in text
    assert "图表1：" in text and "数据来源：" in text
    assert shutil.which("pdftotext")


def test_render_reports_data_and_template_problems_together(tmp_path: Path) -> None:
    proj = make_project(tmp_path / "p")
    set_cells(proj / "datasets" / "2024" / "市场.xlsx", "市场规模", C7="abc")
    tpl = proj / "templates" / "policy.md.j2"
    tpl.write_text(tpl.read_text(encoding="utf-8") + "{{ no_such_name }}\n", encoding="utf-8")
    res = run_cli("render", "--year", "2024", "--project", str(proj))
    assert res.returncode == 1 and "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert any("[市场规模] C7" in ln for ln in lines) and any("templates/policy.md.j2:" in ln for ln in lines)
