"""The DOCX writer against golden files, part by part, as pandoc's docx writer tests do.

A small document that uses every block type is written with the packaged reference; each XML part
is normalised (pretty-printed, attributes sorted) and compared with `tests/golden/writer/`.  A
change to the writer's output shows up here as a readable diff of the part that changed.

After an intended change, regenerate the files and review the diff before committing:

    REPORTKIT_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_writer_golden.py
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from lxml import etree

from reportkit.docx import packaged_reference, write_docx
from reportkit.model import (
    ChartSeries,
    ChartSpec,
    Cover,
    Document,
    Figure,
    Heading,
    ListBlock,
    ListOfFigures,
    Meta,
    PageBreak,
    Paragraph,
    Run,
    SectionBreak,
    Table,
    TableCell,
    TableOfContents,
    TocEntry,
)

GOLDEN = Path(__file__).resolve().parent / "golden" / "writer"
PARTS = (
    "[Content_Types].xml",
    "word/document.xml",
    "word/_rels/document.xml.rels",
    "word/charts/chart1.xml",
    "word/charts/chart2.xml",
    "word/charts/_rels/chart1.xml.rels",
    "word/header1.xml",
    "word/footer1.xml",
    "word/settings.xml",
    "docProps/core.xml",
)


def fixture_document() -> Document:
    bar_line = ChartSpec(
        "bar_line",
        ("2022", "2023", "2024E"),
        (ChartSeries("市场规模", (70.0, 141.34, 294.16)), ChartSeries("同比增速", (None, 101.9, 108.1))),
        (False, False, True),
        "亿元",
        "%",
    )
    pie = ChartSpec("pie", ("智能制造", "能源"), (ChartSeries("2023", (60.0, 40.0)),), (False, False), "%")
    table = Table(
        "市场规模",
        "中商产业研究院",
        (TableCell("年份"), TableCell("规模", True)),
        ((TableCell("2022"), TableCell("70.00", True)), (TableCell("2023"), TableCell("141.34", True))),
        number=3,
        unit_note="单位：亿元",
    )
    return Document(
        Meta("金样报告", author="测试研究院", created=dt.datetime(2024, 1, 1), header_text="金样报告"),
        [
            Cover("金样报告", "测试研究院", "2024年", as_of_text="数据截至2024年12月31日"),
            TableOfContents(entries=(TocEntry(1, "第一章 市场", "1"), TocEntry(2, "一、规模", "1"))),
            ListOfFigures(
                entries=(
                    TocEntry(1, "图表1：规模", "1"),
                    TocEntry(1, "图表2：结构", "2"),
                    TocEntry(1, "图表3：市场规模（单位：亿元）", "2"),
                )
            ),
            SectionBreak(),
            Heading(1, "市场", "第一章"),
            Heading(2, "规模", "一、"),
            Heading(3, "现状", "（一）", toc=False),
            Paragraph((Run("中国大模型市场规模达到"), Run("141.34亿元", bold=True), Run("。"))),
            ListBlock(((Run("政策"),), (Run("需求"),)), ordered=False),
            Figure("规模", "中商产业研究院", bar_line, number=1, engine="native"),
            PageBreak(),
            Figure("结构", "本报告整理（含示例数据）", pie, number=2, engine="native"),
            table,
        ],
    )


def normalised(xml: bytes) -> str:
    root = etree.fromstring(xml)
    for el in root.iter():
        if isinstance(el.tag, str) and el.attrib:
            items = sorted(el.attrib.items())
            el.attrib.clear()
            el.attrib.update(items)
    etree.indent(root, space=" ")
    return etree.tostring(root, encoding="unicode")


@pytest.fixture(scope="module")
def parts() -> dict[str, str]:
    blob = write_docx(fixture_document(), packaged_reference())
    with zipfile.ZipFile(BytesIO(blob)) as zf:
        names = set(zf.namelist())
        return {name: normalised(zf.read(name)) for name in PARTS if name in names}


def test_every_compared_part_is_written(parts: dict[str, str]) -> None:
    assert sorted(parts) == sorted(PARTS)


@pytest.mark.parametrize("name", PARTS)
def test_part_matches_its_golden_file(parts: dict[str, str], name: str) -> None:
    golden = GOLDEN / (name.replace("/", "__") + ".golden")
    if os.environ.get("REPORTKIT_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(parts[name] + "\n", encoding="utf-8")
    expected = golden.read_text(encoding="utf-8").rstrip("\n")
    if parts[name] != expected:
        diff = "\n".join(
            difflib.unified_diff(expected.splitlines(), parts[name].splitlines(), "golden", "written", lineterm="", n=2)
        )
        pytest.fail(f"{name} differs from {golden.name}:\n{diff[:6000]}")
