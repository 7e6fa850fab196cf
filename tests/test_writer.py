"""The DOCX writer: styles from the reference, Chinese typography, fields, tables, captions."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import docx
import pytest
from conftest import docx_findings

from reportkit.docx import packaged_reference, write_docx
from reportkit.docx.writer import column_widths
from reportkit.errors import StyleError
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
    Paragraph,
    Run,
    SectionBreak,
    Table,
    TableCell,
    TableOfContents,
    TocEntry,
)

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00"
    b"\x00\x00\x0cIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\r\xefF\xb8\x00\x00\x00\x00IEND\xaeB`\x82"
)


def sample() -> Document:
    spec = ChartSpec("bar", ("2020", "2021"), (ChartSeries("规模", (1.0, 2.0)),), (False, False), "亿元")
    table = Table(
        "市场规模",
        "中商产业研究院",
        (TableCell("年份"), TableCell("规模", True)),
        tuple((TableCell(str(y)), TableCell(f"{v:.2f}", True)) for y, v in ((2020, 15), (2021, 32.4))),
        number=2,
        unit_note="单位：亿元",
    )
    return Document(
        Meta(
            "测试报告",
            author="测试研究院",
            created=dt.datetime(2024, 1, 1),
            header_text="测试报告页眉",
            client="某某集团",
            watermark="内部资料",
        ),
        [
            Cover("测试报告", "测试研究院", "2024年", client="某某集团"),
            TableOfContents(entries=(TocEntry(1, "第一章 市场", "1"), TocEntry(2, "一、规模", "2"))),
            ListOfFigures(
                entries=(TocEntry(1, "图表1：规模图", "2"), TocEntry(1, "图表2：市场规模（单位：亿元）", "3"))
            ),
            SectionBreak(),
            Heading(1, "市场", "第一章"),
            Heading(2, "规模", "一、"),
            Heading(3, "现状", "（一）", toc=False),
            Paragraph((Run("正文"), Run("加粗", bold=True), Run("斜体\x07", italic=True))),
            ListBlock(((Run("甲"),), (Run("乙"),)), ordered=True),
            Figure("规模图", "中商产业研究院", spec, number=1, image=PNG),
            table,
        ],
    )


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("w") / "t.docx"
    out.write_bytes(write_docx(sample(), packaged_reference()))
    return out


def test_output_is_valid_ooxml(written: Path) -> None:
    assert docx_findings(written) == []


def test_headings_use_heading_styles_and_numbers(written: Path) -> None:
    d = docx.Document(str(written))
    heads = [(p.style.name, p.text) for p in d.paragraphs if p.style.name.startswith("Heading")]
    assert heads == [("Heading 1", "第一章 市场"), ("Heading 2", "一、规模"), ("Heading 3", "（一）现状")]


def test_body_typography_comes_from_styles(written: Path) -> None:
    d = docx.Document(str(written))
    normal = d.styles["Normal"].element
    ns = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
    assert normal.find(".//w:rFonts", ns).get(f"{{{ns['w']}}}eastAsia") == "宋体"
    assert normal.find(".//w:ind", ns).get(f"{{{ns['w']}}}firstLineChars") == "200"
    assert d.styles["Normal"].paragraph_format.line_spacing == 1.5
    h1 = d.styles["Heading 1"].element.find(".//w:rFonts", ns)
    assert h1.get(f"{{{ns['w']}}}eastAsia") == "黑体"
    body = [p for p in d.paragraphs if p.text.startswith("正文")][0]
    assert body.style.name == "Normal"
    assert [(r.text, bool(r.bold), bool(r.italic)) for r in body.runs] == [
        ("正文", False, False),
        ("加粗", True, False),
        ("斜体", False, True),
    ], "control characters are removed"


def test_toc_field_header_and_page_footer(written: Path) -> None:
    with zipfile.ZipFile(written) as zf:
        doc = zf.read("word/document.xml").decode()
        headers = "".join(zf.read(n).decode() for n in zf.namelist() if n.startswith("word/header"))
        footers = "".join(zf.read(n).decode() for n in zf.namelist() if n.startswith("word/footer"))
    assert re.search(r'<w:instrText[^>]*> TOC \\o "1-2" \\h \\z \\u </w:instrText>', doc)
    assert 'w:anchor="_Toc000001"' in doc and 'w:name="_Toc000001"' in doc
    assert "测试报告页眉　专供：某某集团" in headers
    assert 'string="内部资料"' in headers, "watermark in the header"
    assert re.search(r"PAGEREF _Toc000001 \\h </w:instrText>.*?<w:t>1</w:t>", doc), "TOC entries carry pages"
    assert re.search(r'<w:instrText[^>]*> TOC \\h \\z \\c "图表" </w:instrText>', doc), "图表目录 field"
    assert 'w:anchor="_Fig000002"' in doc and 'w:name="_Fig000002"' in doc
    assert "PAGE" in footers
    assert "<w:titlePg/>" in doc, "no header on the cover page"


def test_captions_are_seq_fields(written: Path) -> None:
    with zipfile.ZipFile(written) as zf:
        doc = zf.read("word/document.xml").decode()
    assert len(re.findall(r"> SEQ 图表 \\\* ARABIC </w:instrText>", doc)) == 2
    d = docx.Document(str(written))
    assert [p.text for p in d.paragraphs if p.style.name == "Caption"] == [
        "图表1：规模图",
        "图表2：市场规模（单位：亿元）",
    ]
    assert [p.text for p in d.paragraphs if p.style.name == "table of figures"] == [
        "图表1：规模图\t2",
        "图表2：市场规模（单位：亿元）\t3",
    ]


def test_captions_above_and_source_notes_below_every_exhibit(written: Path) -> None:
    d = docx.Document(str(written))
    texts = [p.text for p in d.paragraphs]
    cap1 = texts.index("图表1：规模图")
    assert d.paragraphs[cap1 + 1].style.name == "Figure" and d.paragraphs[cap1 + 1]._p.xpath(".//pic:pic")
    assert d.paragraphs[cap1].paragraph_format.keep_with_next and d.paragraphs[cap1 + 1].paragraph_format.keep_with_next
    assert texts[cap1 + 2] == "数据来源：中商产业研究院"
    cap2 = texts.index("图表2：市场规模（单位：亿元）")
    after_caption = d.paragraphs[cap2]._p.getnext()
    assert after_caption.tag.endswith("}tbl")
    assert after_caption.getnext().xpath("string(.)") == "数据来源：中商产业研究院"


def test_table_style_repeating_header_and_right_aligned_numbers(written: Path) -> None:
    d = docx.Document(str(written))
    t = d.tables[0]
    assert t.style.name == "Report Table"
    assert t.rows[0]._tr.xpath("./w:trPr/w:tblHeader")
    assert t.rows[1].cells[1].paragraphs[0].style.name == "Table Number"
    assert d.styles["Table Number"].paragraph_format.alignment == 2  # RIGHT
    assert t.rows[0].cells[0].paragraphs[0].style.name == "Table Heading"


def test_cover_client_and_properties(written: Path) -> None:
    d = docx.Document(str(written))
    assert "专供：某某集团" in [p.text for p in d.paragraphs]
    cp = d.core_properties
    assert "某某集团" in cp.keywords and cp.comments == "专供：某某集团"
    assert (
        cp.title == "测试报告"
        and cp.author == "测试研究院"
        and cp.created.replace(tzinfo=None) == dt.datetime(2024, 1, 1)
    )


def test_ordered_list_numbers_restart(written: Path) -> None:
    d = docx.Document(str(written))
    assert [p.text for p in d.paragraphs if p.text.startswith("（1")] + [
        p.text for p in d.paragraphs if p.text.startswith("（2")
    ] == ["（1）甲", "（2）乙"]


def test_same_model_gives_identical_bytes() -> None:
    a = write_docx(sample(), packaged_reference())
    b = write_docx(sample(), packaged_reference())
    assert a == b
    with zipfile.ZipFile(io.BytesIO(a)) as zf:
        assert {i.date_time for i in zf.infolist()} == {(2024, 1, 1, 0, 0, 0)}


def test_missing_style_in_reference_is_named(tmp_path: Path) -> None:
    ref = docx.Document(str(packaged_reference()))
    el = ref.styles["Source Note"].element
    el.getparent().remove(el)
    broken = tmp_path / "ref.docx"
    ref.save(str(broken))
    with pytest.raises(StyleError) as info:
        write_docx(sample(), broken)
    assert "'Source Note'" in str(info.value)


def test_column_widths_fill_the_text_width() -> None:
    t = sample().blocks[-1]
    widths = column_widths(t, 8300).widths
    assert sum(widths) == 8300 and all(w > 0 for w in widths)
