"""Table cells of the default edition never break a Chinese word, a date or a number.

The DOCX is read back: each cell's lines (the writer breaks wrapped cells itself, between words)
must each fit the column's width from tblGrid, and no line break may fall inside a unit.  With
LibreOffice, the PDF must print each of those lines whole: a line that LibreOffice had to break
again would show up as fragments.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from docx.oxml.ns import qn
from lxml import etree

from reportkit.docx.words import units

pytestmark = pytest.mark.slow

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
EM = 180  # -- 9 pt table text, in twips --
MARGIN = 170  # -- the Report Table style's left and right cell padding --
# -- the breaks a reader of the 2024 edition saw: none of these may be split over two lines --
NEVER_SPLIT = ["张江", "30日", "企业", "平台", "实施意见》", "12日", "科研院所", "2024年8月30日"]


def naive_width(text: str) -> float:
    """Width in ems by character count: a full-width character is one em, anything else 0.6."""
    return sum(1.0 if ord(ch) >= 0x2E80 else 0.6 for ch in text)


def cell_lines(tc: etree._Element) -> list[str]:
    lines = [""]
    for el in tc.iter(f"{W}t", f"{W}br"):
        if el.tag == f"{W}br":
            lines.append("")
        else:
            lines[-1] += el.text or ""
    return lines


def tables(path: Path) -> list[tuple[list[int], list[list[list[str]]]]]:
    """(column widths in twips, rows of cells of lines) of every data table in the DOCX."""
    import zipfile

    root = etree.fromstring(zipfile.ZipFile(path).read("word/document.xml"))
    out = []
    for tbl in root.iter(f"{W}tbl"):
        style = tbl.find(f"{W}tblPr/{W}tblStyle")
        if style is None or style.get(qn("w:val")) != "ReportTable":
            continue  # -- a diagram drawn as a table (the industry chain map), not a table of data --
        widths = [int(g.get(qn("w:w"))) for g in tbl.iter(f"{W}gridCol")]
        rows = [[cell_lines(tc) for tc in tr.iter(f"{W}tc")] for tr in tbl.iter(f"{W}tr")]
        out.append((widths, rows))
    return out


@pytest.fixture(scope="module")
def report(default_docx: Path) -> Path:
    return default_docx


def test_every_cell_line_fits_its_column_and_breaks_only_between_words(report: Path) -> None:
    found = tables(report)
    assert len(found) >= 12
    wrapped = 0
    for widths, rows in found:
        for row in rows:
            assert len(row) == len(widths)
            for lines, width in zip(row, widths):
                text = "".join(lines)
                longest = max((naive_width(u) for u in units(text)), default=0.0)
                assert longest * EM + MARGIN <= width * 1.08, f"{text!r}: its longest word is wider than {width}"
                for line in lines:
                    assert naive_width(line.rstrip()) * EM + MARGIN <= width * 1.08, f"{line!r} overflows its column"
                if len(lines) > 1:
                    wrapped += 1
                    # -- the units of the lines, one after the other, are the units of the cell --
                    assert [u for ln in lines for u in units(ln)] == list(units(" ".join(lines))), lines
                    for word in NEVER_SPLIT:
                        for a, b in zip(lines, lines[1:]):
                            joined = a + b
                            at = joined.find(word)
                            assert not (at != -1 and at < len(a) < at + len(word)), f"{word} split in {lines}"
    assert wrapped >= 10, "the default edition has wrapped cells; none were found"


def test_the_issues_breaks_are_words_to_the_segmenter() -> None:
    assert units("上海市浦东新区张江") == ("上海市", "浦东新区", "张江")
    assert units("2024年8月30日") == ("2024年8月30日",)
    assert units("高校和科研院所") == ("高校", "和", "科研院所")
    assert "企业" in units("科技企业和平台") and "平台" in units("科技企业和平台")
    assert units("《关于推动未来产业创新发展的实施意见》")[-1] == "意见》"


def test_the_pdf_prints_every_cell_line_whole(default_pdf: Path) -> None:
    out = default_pdf.with_suffix(".docx")
    text = subprocess.run(
        ["pdftotext", "-layout", str(out.with_suffix(".pdf")), "-"], capture_output=True, text=True, check=True
    ).stdout
    printed = [re.sub(r"\s+", "", ln) for ln in text.splitlines()]
    missing = []
    for _widths, rows in tables(out):
        for row in rows:
            for lines in row:
                if len(lines) < 2:
                    continue
                for line in lines:
                    want = re.sub(r"\s+", "", line)
                    if want and not any(want in p for p in printed):
                        missing.append(line)
    assert not missing, f"cell lines LibreOffice broke again: {missing[:10]}"
