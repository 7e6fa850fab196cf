"""Where LibreOffice laid the report out: printed page numbers from the bookmarks of headings and
captions, and from the PDF, how full each page is and which charts to draw shorter so that they fit
the foot of the page before them instead of leaving it empty."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import OutputError

PLACEHOLDER = "0"
"""The page that the laid-out draft shows in every TOC and 图表目录 entry, replaced in the same load."""


@dataclass
class Layout:
    """Page numbers as printed (the body section starts at 1)."""

    headings: list[int | None] = field(default_factory=list)
    captions: dict[int, int] = field(default_factory=dict)


def read_layout(anchors: dict[str, int], headings: Sequence[str], captions: Sequence[tuple[int, str]]) -> Layout:
    """Return the printed page of each TOC heading (by its bookmark, in order) and of each caption
    number (`(number, bookmark)` pairs), from the physical pages in `anchors`.

    Page numbers count from the page of the first heading, where the body section restarts its
    numbering, so the count does not depend on how long the cover and contents are.
    """
    physical = [anchors.get(name) for name in headings]
    start = next((p for p in physical if p is not None), 1)
    return Layout(
        headings=[None if p is None else p - start + 1 for p in physical],
        captions={n: anchors[name] - start + 1 for n, name in captions if name in anchors},
    )


def pdf_pages(pdf: bytes) -> int:
    """The number of pages of a PDF (the only use of pypdf).

    Not Writer's own page count: that includes the blank pages it inserts so that a section whose
    numbering restarts at 1 begins on a right-hand page, which the PDF export leaves out.
    """
    from pypdf import PdfReader

    try:
        return len(PdfReader(io.BytesIO(pdf)).pages)
    except Exception as exc:  # pypdf raises many types for a damaged file
        raise OutputError(f"cannot read the PDF that LibreOffice produced: {exc}", code="pdf_failed") from None


@dataclass(frozen=True)
class Line:
    """One printed line: its top and bottom (points from the top of the page) and its text."""

    top: float
    bottom: float
    text: str


@dataclass(frozen=True)
class Page:
    """The lines printed inside the text area of one page, top to bottom, and the area's height."""

    lines: list[Line]
    area_top: float
    area_bottom: float

    def empty(self) -> float:
        """The share of the text area below the last line (1.0 for a page with no line)."""
        last = max((ln.bottom for ln in self.lines), default=self.area_top)
        return max(0.0, self.area_bottom - last) / (self.area_bottom - self.area_top)


def read_pages(pdf: Path) -> list[Page] | None:
    """Every page's lines, without the running header and the page number, read with pdftotext
    (None where it is not installed).  The text area is where the fullest pages reach."""
    import shutil
    import subprocess
    from collections import Counter

    exe = shutil.which("pdftotext")
    if exe is None:
        return None
    out = subprocess.run([exe, "-bbox-layout", str(pdf), "-"], capture_output=True, text=True, check=False).stdout
    found: list[list[Line]] = []
    for body in re.findall(r"<page [^>]*>(.*?)</page>", out, re.S):
        lines = [
            Line(float(y0), float(y1), html.unescape("".join(re.findall(r">([^<]*)</word>", inner))))
            for y0, y1, inner in re.findall(
                r'<line xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">(.*?)</line>', body, re.S
            )
        ]
        found.append(sorted(lines, key=lambda ln: (ln.top, ln.bottom)))
    header = Counter(ls[0].text for ls in found if ls).most_common(1)
    running = header[0][0] if header and header[0][1] > len(found) / 2 else None
    for ls in found:
        if ls and ls[0].text == running:
            del ls[0]
        if ls and re.fullmatch(r"[0-9IVXLCivxlc]+", ls[-1].text):
            del ls[-1]
    top = min((ls[0].top for ls in found if ls), default=0.0)
    bottom = max((ls[-1].bottom for ls in found if ls), default=1.0)
    return [Page(ls, top, bottom) for ls in found]


GAP = 0.12
"""A page whose next exhibit was pushed over leaves more than this share of its text area empty only
when the exhibit cannot shrink into it."""
SMALLEST = 0.6
"""A chart is drawn at no less than this share of its height to fit the page before it."""
DEFER = 0.0
"""The factor of a chart that cannot shrink enough: it then follows the next paragraph (the writer's
DEFER)."""


_CAPTION = re.compile(r"图表\s*(\d+)：")


def _exhibit(page: Page, at: int) -> tuple[float, float] | None:
    """The height of the chart whose caption is line `at` of `page` (caption to source note, less the
    space around the drawing), and the bottom of its source note; None without a source note."""
    source = next((i for i, ln in enumerate(page.lines) if i > at and ln.text.startswith("数据来源")), None)
    if source is None:
        return None
    end = page.lines[source].bottom
    for ln in page.lines[source + 1 :]:
        if ln.top - end > 4:  # -- the source note's own lines follow closely --
            break
        end = ln.bottom
    return page.lines[source].top - page.lines[at].bottom - 8, end


def fit_charts(pages: Sequence[Page], charts: Collection[int], tables: Collection[int] = ()) -> dict[int, float]:
    """Height factors for charts of `charts` (by caption number) so that pages fill:

    - a chart that did not fit the foot of the page before it, drawn short enough to fit there, or
      DEFER when it would need to shrink below SMALLEST; a short table of `tables` that did not fit
      there gets 1.0: it may then run over to the next page;
    - the charts of a chapter whose last page holds only a few lines, all drawn shorter by as much
      as those lines need, so that the chapter ends a page earlier.
    """
    fit = _pushed(pages, charts, tables)
    for n, factor in _pull_back(pages, charts).items():
        fit.setdefault(n, factor)
    return fit


def _pushed(pages: Sequence[Page], charts: Collection[int], tables: Collection[int]) -> dict[int, float]:
    fit: dict[int, float] = {}
    for before, page in zip(pages, pages[1:]):
        if not page.lines or before.empty() <= GAP:
            continue
        m = _CAPTION.match(page.lines[0].text)
        if m is not None and int(m.group(1)) in tables:
            fit[int(m.group(1))] = 1.0
        if m is None or int(m.group(1)) not in charts:
            continue
        measured = _exhibit(page, 0)
        if measured is None:
            continue
        chart, end = measured
        room = (before.area_bottom - max((ln.bottom for ln in before.lines), default=before.area_top)) - 8
        over = end - page.lines[0].top - room
        if chart > 0 and over > 0:
            # -- a chart that would have to shrink too far follows the next paragraph instead --
            fit[int(m.group(1))] = (chart - over) / chart if (chart - over) / chart >= SMALLEST else DEFER
    return fit


TAIL = 0.2
"""A chapter whose last page is filled no more than this share is pulled back onto the page before."""
PULL = 0.75
"""...by charts drawn no shorter than this share of their height."""


def _pull_back(pages: Sequence[Page], charts: Collection[int]) -> dict[int, float]:
    heights = sorted(ln.bottom - ln.top for p in pages for ln in p.lines)
    if not heights:
        return {}
    body = heights[len(heights) // 2]
    # -- a chapter opens with a heading line much taller than the body text --
    starts = [i for i, p in enumerate(pages) if p.lines and p.lines[0].bottom - p.lines[0].top > body * 1.35]
    fit: dict[int, float] = {}
    for first, nxt in zip(starts, starts[1:] + [len(pages)]):
        last = pages[nxt - 1]
        if nxt - 1 <= first or not last.lines:
            continue
        used = last.lines[-1].bottom - last.area_top
        if used > TAIL * (last.area_bottom - last.area_top):
            continue
        found: dict[int, float] = {}
        for page in pages[first : nxt - 1]:
            for i, ln in enumerate(page.lines):
                m = _CAPTION.match(ln.text)
                measured = _exhibit(page, i) if m and int(m.group(1)) in charts else None
                if m and measured and measured[0] > 0:
                    found[int(m.group(1))] = measured[0]
        total = sum(found.values())
        # -- the lines to pull back, and room for the paragraph spacing and the widow and orphan rules --
        factor = 1 - (used + 30) / total if total else 0.0
        if factor >= PULL:
            fit.update((n, factor) for n in found)
    return fit


FIT_PASSES = 4
"""Layouts a PDF render may take: the first, and up to three more while charts are drawn shorter to fit."""


def stranded_headings(pages: Sequence[Page], headings: Collection[str]) -> set[str]:
    """The headings of `headings` printed as the last line of a page: LibreOffice sometimes leaves a
    section heading at the foot of a page and its text on the next, keep-with-next notwithstanding."""
    wanted = {re.sub(r"\s+", "", h) for h in headings}
    found = set()
    for page, after in zip(pages, pages[1:]):
        last = re.sub(r"\s+", "", page.lines[-1].text) if page.lines else ""
        if last in wanted and after.lines:
            found.add(last)
    return found


def _pages_of(pdf: bytes) -> list[Page] | None:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="reportkit-fit-") as tmp:
        path = Path(tmp) / "draft.pdf"
        path.write_bytes(pdf)
        return read_pages(path)


def headings_to_break(pdf: bytes, headings: Collection[str]) -> set[str]:
    """The headings of `headings` (as printed, spaces aside) that the PDF strands at the foot of a page:
    each then starts the next page itself.  Empty without pdftotext."""
    pages = _pages_of(pdf)
    return set() if pages is None else stranded_headings(pages, headings)


def charts_to_fit(
    pdf: bytes,
    charts: Collection[int],
    fit: Mapping[int, float],
    tables: Collection[int] = (),
    deferrable: Collection[int] = (),
) -> dict[int, float]:
    """New height factors (relative to the chart's undrawn height, after `fit`) for the charts of
    `charts` that the PDF shows pushed to the next page, and 1.0 for such tables of `tables` (see
    :func:`fit_charts`); DEFER only for the charts of `deferrable` (those a paragraph follows); empty
    without pdftotext."""
    pages = _pages_of(pdf)
    if pages is None:
        return {}
    new: dict[int, float] = {}
    for n, factor in _pushed(pages, charts, tables).items():
        if n in tables:
            if n not in fit:
                new[n] = factor
        elif fit.get(n) != DEFER:
            # -- a chart drawn shorter once that still does not fit (a ranked bar chart keeps the height
            #    its labels need, say) follows the next paragraph instead --
            factor = DEFER if n in fit else factor
            if factor != DEFER or n in deferrable:
                new[n] = factor
    for n, factor in _pull_back(pages, charts).items():
        scaled = factor * fit.get(n, 1.0)
        if n not in new and fit.get(n) != DEFER and scaled >= SMALLEST:
            new[n] = scaled
    return new
