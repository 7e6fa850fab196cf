"""The default edition's PDF has no half-empty pages: only a chapter's last page may end early.

Measured on the PDF LibreOffice exports (pdftotext's line boxes): the share of the text area below a
page's last line.  Chapter starts are the pages that open with a level-1 heading of the outline.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from reportkit.docx.writer import DEFER as WRITER_DEFER
from reportkit.pdf.layout import DEFER, Line, Page, fit_charts, read_pages, stranded_headings

pytestmark = pytest.mark.slow

MOST_EMPTY = 0.20
# -- a level-1 heading: a front part, a chapter or the list of references --
PART = re.compile(r"^(摘要|核心观点|研究方法与免责声明|第[一二三四五六七八九十]+章|参考资料)")


@pytest.fixture(scope="module")
def report_pdf(default_pdf: Path) -> Path:
    return default_pdf


@pytest.fixture(scope="module")
def pages(report_pdf: Path) -> list[Page]:
    found = read_pages(report_pdf)
    assert found is not None
    return found


def test_no_page_but_a_chapters_last_is_more_than_a_fifth_empty(pages: list[Page]) -> None:
    first = next(i for i, p in enumerate(pages) if p.lines and p.lines[0].text == "摘要")
    starts = [i for i, p in enumerate(pages) if p.lines and PART.match(p.lines[0].text)]
    assert len(starts) >= 11, "the front parts and the eight chapters each start a page"
    loose = [
        (i + 1, f"{page.empty():.0%}", page.lines[-1].text[:20] if page.lines else "")
        for i, page in enumerate(pages[first:-1], start=first)
        if i + 1 not in starts and page.empty() > MOST_EMPTY
    ]
    assert not loose, f"pages (physical number, empty share, last line) more than a fifth empty: {loose}"


def test_the_report_stays_in_the_genres_length(pages: list[Page]) -> None:
    assert 30 <= len(pages) <= 46


def test_a_chart_pushed_over_is_drawn_shorter_only_when_that_fills_the_gap() -> None:
    full = Page([Line(60, 70, "正文")] + [Line(80 + 20 * k, 95 + 20 * k, "正文") for k in range(35)], 60, 780)
    gap = Page([Line(60, 75, "正文"), Line(80, 560, "正文")], 60, 780)
    pushed = Page([Line(60, 72, "图表7：某图"), Line(300, 310, "数据来源：某机构"), Line(312, 320, "续")], 60, 780)
    fit = fit_charts([gap, pushed], charts={7})
    # -- the block (caption top to source end) is 260 pt; the gap below 560 is 212 pt --
    assert 7 in fit and 0.6 <= fit[7] < 1.0
    assert fit_charts([full, pushed], charts={7}) == {}, "no gap, nothing to fit"
    assert fit_charts([gap, pushed], charts={8}) == {}, "not a chart"
    assert fit_charts([gap, pushed], charts=(), tables={7}) == {7: 1.0}, "a short table may then run over"
    tall = Page([Line(60, 72, "图表7：某图"), Line(700, 710, "数据来源：某机构")], 60, 780)
    assert fit_charts([gap, tall], charts={7}) == {7: DEFER}, "below 60%, it follows the next paragraph instead"
    assert DEFER == WRITER_DEFER, "the writer reads the same mark"


def test_pdf_read_without_pdftotext_is_none(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    assert read_pages(tmp_path / "none.pdf") is None


SECTION_HEADING = re.compile(r"^([一二三四五六七八九十]+、|（[一二三四五六七八九十]+）)[^。；，]{1,30}$")


def test_no_page_ends_with_a_section_heading(pages: list[Page]) -> None:
    stranded = [
        (i + 1, page.lines[-1].text)
        for i, page in enumerate(pages[:-1])
        if page.lines and SECTION_HEADING.match(page.lines[-1].text.replace(" ", ""))
    ]
    assert not stranded, f"headings left at the foot of a page (physical page, heading): {stranded}"


def test_a_heading_at_the_foot_of_a_page_is_found_to_start_the_next() -> None:
    foot = Page([Line(60, 75, "正文"), Line(740, 760, "四、研发规模增长趋势与预测")], 60, 780)
    text = Page([Line(60, 75, "（一）研发规模增长趋势"), Line(80, 95, "正文")], 60, 780)
    heads = ["四、研发规模增长趋势与预测", "（一）研发规模增长趋势"]
    assert stranded_headings([foot, text], heads) == {"四、研发规模增长趋势与预测"}
    # -- a heading followed by its text on the same page, or on the last page, is left alone --
    assert stranded_headings([text, foot], heads) == set()


def _line_spread(pdf: Path) -> list[tuple[float, int, str]]:
    """(width / natural width, page, text) of every long printed line: the natural width counts a
    full-width character as one em of the body size and any other as half an em."""
    import html
    import subprocess
    import unicodedata

    out = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    found = []
    for number, body in enumerate(re.findall(r"<page [^>]*>(.*?)</page>", out, re.S), start=1):
        for x0, x1, inner in re.findall(
            r'<line xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>(.*?)</line>', body, re.S
        ):
            text = html.unescape("".join(re.findall(r">([^<]*)</word>", inner)))
            if len(text) < 25 or re.search(r"\d{4}E\d{4}E", text):  # -- short lines; a chart's year axis --
                continue
            ems = sum(1.0 if c in "“”‘’" or unicodedata.east_asian_width(c) in "WF" else 0.5 for c in text)
            found.append(((float(x1) - float(x0)) / (ems * BODY_PT), number, text))
    return found


BODY_PT = 10.5
"""五号, the body text size of the reference document."""
MOST_SPREAD = 1.13
"""A justified line whose characters are spread wider than this (a long number pushed to the next line
leaves the gap to the letter spacing) reads as a typesetting fault; a normal line measures about 1.0-1.1."""


def test_no_line_is_letter_spaced_to_fill_the_measure(report_pdf: Path) -> None:
    spread = [(round(r, 2), page, text[:30]) for r, page, text in _line_spread(report_pdf) if r > MOST_SPREAD]
    assert not spread, f"letter-spaced lines (spread, physical page, text): {spread}"
