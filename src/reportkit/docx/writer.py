"""Write a :class:`~reportkit.model.Document` as DOCX, starting from the reference .docx.

The body is built by a table of small handlers, one per block type.  Styles come from the
reference; this module only names roles (see :mod:`.styles`).
"""

from __future__ import annotations

import datetime as _dt
import io
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from docx import Document as open_docx
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu
from docx.text.paragraph import Paragraph as DocxParagraph

from ..errors import Location, OutputError, StyleError
from ..model import (
    CAPTION_LABEL,
    REFERENCE_ROLE,
    ChainMap,
    Cover,
    Document,
    Figure,
    Heading,
    ListBlock,
    ListOfFigures,
    PageBreak,
    Paragraph,
    Run,
    SectionBreak,
    Table,
    TableOfContents,
)
from . import chart, oxml
from .chainmap import chain_map_element
from .columns import Grid, lay_out_columns
from .intake import load_reference
from .package import drop_styles_with_effects, normalize_package
from .styles import check_styles

_SECT_AFTER_PGNUM = [
    qn(f"w:{t}")
    for t in (
        "cols",
        "formProt",
        "vAlign",
        "noEndnote",
        "titlePg",
        "textDirection",
        "bidi",
        "rtlGutter",
        "docGrid",
        "printerSettings",
        "sectPrChange",
    )
]


BULLET = "● "
"""The marker of a bulleted item, written like the （1） of a numbered one: both are paragraphs of one layout."""


def source_text(source: str) -> str:
    return f"数据来源：{source}"


CITATION_NUMBER = re.compile(r"\[(\d+)\]")
"""A reference number in a source note ([3]), linked to its entry when the report has a reference list."""


class DocxWriter:
    """Builds one DOCX; `write()` returns its bytes."""

    def __init__(self, reference: Path, shown: str | None = None, fit: Mapping[int, float] | None = None):
        cleaned = load_reference(reference, shown)
        try:
            self.doc = open_docx(io.BytesIO(cleaned.data))
        except Exception as exc:  # python-docx raises several types for a bad package
            raise StyleError(
                f"cannot open the reference document: {exc}", Location(shown or str(reference)), code="bad_reference"
            ) from None
        drop_styles_with_effects(self.doc)
        self.styles = check_styles(self.doc, shown or str(reference))
        # -- python-docx resolves a style object by scanning every style; ids are set directly --
        self.style_ids = {role: st.style_id for role, st in self.styles.items()}
        body = self.doc.element.body
        for child in list(body):
            if child.tag != qn("w:sectPr"):
                body.remove(child)
        sec = self.doc.sections[0]
        self.text_width = int((sec.page_width or 0) - (sec.left_margin or 0) - (sec.right_margin or 0))
        # -- caption number -> height factor of a chart drawn shorter to fit the page before it (DEFER:
        #    it follows the next paragraph instead); a short table named there may run over to the next
        #    page, as a long one does --
        self.fit = dict(fit or {})
        self.bookmark_id = 0
        self.heading_index = 0
        self.references = 0
        """How many entries the reference list has: a note's [n] up to it links to entry n."""
        self.reference_index = 0
        self.revision_id = 0
        self.picture_id = 0
        self.chart_number = 0
        self.created = _dt.datetime(2000, 1, 1)
        self.revision_date = "2000-01-01T00:00:00Z"
        self.handlers: dict[type, Callable[[Any], None]] = {
            Cover: self.cover,
            TableOfContents: self.toc,
            ListOfFigures: self.list_of_figures,
            SectionBreak: self.section_break,
            Heading: self.heading,
            Paragraph: self.paragraph,
            ListBlock: self.listing,
            Figure: self.figure,
            Table: self.table,
            ChainMap: self.chain_map,
            PageBreak: self.page_break,
        }

    # -- helpers ------------------------------------------------------------------------
    def para(self, role: str, text: str = "") -> Any:
        # -- inserted right before the body's sectPr: python-docx would scan the body each time --
        element = OxmlElement("w:p")
        self.doc.element.body.sectPr.addprevious(element)
        p = DocxParagraph(element, self.doc._body)
        p._p.get_or_add_pPr().style = self.style_ids[role]
        if text:
            p.add_run(oxml.clean_text(text))
        return p

    def runs(self, p: Any, runs: tuple[Run, ...]) -> None:
        for r in runs:
            if r.change:
                self.revision_id += 1
                oxml.add_revision(p, r.change, r.text, self.revision_id, self.revision_date)
                continue
            parts = r.text.split("\n")
            for i, part in enumerate(parts):
                run = p.add_run(oxml.clean_text(part))
                if r.bold:
                    run.bold = True
                if r.italic:
                    run.italic = True
                if i < len(parts) - 1:
                    run.add_break()

    # -- handlers ------------------------------------------------------------------------
    def cover(self, block: Cover) -> None:
        for _ in range(6):
            self.para("cover_meta")
        self.para("cover_title", block.title)
        if block.client:
            self.para("cover_subtitle", f"专供：{block.client}")
        for _ in range(10):
            self.para("cover_meta")
        self.para("cover_meta", block.publisher)
        self.para("cover_meta", block.date_text)
        if block.as_of_text:
            self.para("cover_meta", block.as_of_text)
        self.para("cover_meta").add_run().add_break(WD_BREAK.PAGE)

    def _field_list(self, role: str | Callable[[Any], str], instruction: str, entries: Any, anchor: Any) -> None:
        """Entries of a TOC-type field: the field's current result, one paragraph per entry."""
        if not entries:
            oxml.add_field(self.para("body"), instruction, "右键单击此处，选择“更新域”以生成目录。")
            return
        for i, entry in enumerate(entries):
            p = self.para(role(entry) if callable(role) else role)
            if i == 0:
                oxml.field_begin(p, instruction)
            oxml.add_toc_entry(p, anchor(i), entry.text, entry.page)
            if i == len(entries) - 1:
                oxml.field_end(p)

    def toc(self, block: TableOfContents) -> None:
        self.para("front_heading", block.title)
        self._field_list(
            lambda e: f"toc_{min(e.level, 2)}", f'TOC \\o "1-{block.levels}" \\h \\z \\u', block.entries, heading_anchor
        )

    def list_of_figures(self, block: ListOfFigures) -> None:
        self.para("front_heading", block.title)
        self._field_list("toc_figures", f'TOC \\h \\z \\c "{block.label}"', block.entries, caption_anchor)

    def section_break(self, block: SectionBreak) -> None:
        # -- the body is its own section so its page numbers start at 1 --
        new = self.doc.add_section(WD_SECTION.NEW_PAGE)
        self._page_numbers(self.doc.sections[0], fmt="upperRoman", start=1)
        if block.restart_numbering:
            self._page_numbers(new, fmt="decimal", start=1)

    def heading(self, block: Heading) -> None:
        p = self.para(f"heading_{min(block.level, 4)}", block.full_text)
        if block.new_page:
            p.paragraph_format.page_break_before = True
        if block.toc and block.level <= 2:
            self.bookmark_id += 1
            oxml.add_bookmark(p, heading_anchor(self.heading_index), self.bookmark_id)
            self.heading_index += 1

    def caption(self, number: int, title: str, unit_note: str = "") -> Any:
        """Write 图表{SEQ 图表}：title as a Word caption that cross-references and 图表目录 can find."""
        p = self.para("caption")
        oxml.add_text(p, CAPTION_LABEL)
        oxml.add_field(p, f"SEQ {CAPTION_LABEL} \\* ARABIC", str(number))
        oxml.add_text(p, "：" + title + (f"（{unit_note}）" if unit_note else ""))
        self.bookmark_id += 1
        oxml.add_bookmark(p, caption_anchor(number - 1), self.bookmark_id)
        return p

    def paragraph(self, block: Paragraph) -> None:
        p = self.para("body")
        if block.role == REFERENCE_ROLE:
            oxml.hanging_indent(p, chars=3)
        self.runs(p, block.runs)
        if block.role == REFERENCE_ROLE:
            self.reference_index += 1
            self.bookmark_id += 1
            oxml.add_bookmark(p, reference_anchor(self.reference_index), self.bookmark_id)

    def source_note(self, source: str) -> None:
        """数据来源：… with every [n] that numbers an entry of the reference list linked to that entry."""
        p = self.para("source")
        text, at = source_text(source), 0
        for m in CITATION_NUMBER.finditer(text):
            if 1 <= int(m.group(1)) <= self.references:
                if m.start() > at:
                    p.add_run(oxml.clean_text(text[at : m.start()]))
                oxml.add_link(p, reference_anchor(int(m.group(1))), m.group(0))
                at = m.end()
        if at < len(text):
            p.add_run(oxml.clean_text(text[at:]))

    def listing(self, block: ListBlock) -> None:
        for n, item in enumerate(block.items, start=1):
            if block.ordered:
                p = self.para("list_number")
                p.add_run(f"（{n}）")
            else:
                p = self.para("list_bullet")
                p.add_run(BULLET)
            self.runs(p, item)

    def figure(self, block: Figure) -> None:
        # -- Chinese research reports put 图表N above the exhibit and 数据来源 below it, for charts as for tables --
        self.caption(block.number, block.title).paragraph_format.keep_with_next = True
        p = self.para("figure")
        p.paragraph_format.keep_with_next = True
        self.picture_id += 1
        if block.engine == "image" and block.image is None:
            raise OutputError(f"figure {block.title!r} was not drawn", Location(template=block.pos.template))
        if block.image is not None:
            width = int(self.text_width * (self.fit.get(block.number) or 1.0))
            oxml.add_picture(p.add_run(), io.BytesIO(block.image), Emu(width), self.picture_id)
        else:
            self.chart_number += 1
            spec = chart.drawn_spec(block.chart)
            extra = chart.extra_series(spec)
            oxml.add_chart(
                p.add_run(),
                lambda rel_id: chart.chart_xml(spec, rel_id),
                chart.workbook_bytes(spec, extra, self.created),
                self.text_width,
                max(
                    int(self.text_width * chart.aspect(spec) * (self.fit.get(block.number) or 1.0)),
                    min(chart.min_height(spec, self.text_width), int(self.text_width * chart.aspect(spec))),
                ),
                self.chart_number,
                self.picture_id,
            )
        self.source_note(block.source)

    def table(self, block: Table) -> None:
        cap = self.caption(block.number, block.title, block.unit_note)
        cap.paragraph_format.keep_with_next = True
        grid = column_widths(block, self.text_width // 635, *self._table_metrics())  # EMU -> twips
        n = len(block.rows)
        # -- a short table stays on one page; a long one may run on, but never leaves its caption and
        #    header with fewer than two rows, nor carries fewer than two rows over to its source note --
        kept = set(range(n + 1)) if n <= KEEP_WHOLE_ROWS and block.number not in self.fit else {0, 1, n - 1, n}
        header = [(text, self.style_ids["table_heading"], 0 in kept) for text in grid.cells[0]]
        styles = [self.style_ids["table_number" if right else "table_text"] for right in numeric_columns(block)]
        rows = [
            [(text, style, ri in kept) for text, style in zip(grid.cells[ri], styles)]
            for ri, row in enumerate(block.rows, start=1)
        ]
        # -- built as one XML fragment: python-docx's cell-by-cell API is ten times slower --
        self.doc.element.body.sectPr.addprevious(oxml.table_element(self.style_ids["table"], grid.widths, header, rows))
        self.source_note(block.source)

    def _table_metrics(self) -> tuple[float, float]:
        """The table text's font size and the cells' left plus right padding, in twips, as the
        reference's styles set them."""
        size = self.styles["table_text"].font.size
        em = size / 635 if size else 180.0
        margin = 0.0
        mar = self.styles["table"].element.find(f"{qn('w:tblPr')}/{qn('w:tblCellMar')}")
        for side in ("left", "right"):
            el = None if mar is None else mar.find(qn(f"w:{side}"))
            margin += float(el.get(qn("w:w"), "108")) if el is not None else 108.0
        return em, margin

    def chain_map(self, block: ChainMap) -> None:
        self.caption(block.number, block.title).paragraph_format.keep_with_next = True
        element = chain_map_element(
            block, self.text_width // 635, self.style_ids["table_heading"], self.style_ids["table_text"]
        )
        self.doc.element.body.sectPr.addprevious(element)
        self.source_note(block.source)

    def page_break(self, _block: PageBreak) -> None:
        self.para("body").add_run().add_break(WD_BREAK.PAGE)

    # -- page furniture ------------------------------------------------------------------
    def _page_numbers(self, section: Any, fmt: str, start: int) -> None:
        sectpr = section._sectPr
        for old in sectpr.findall(qn("w:pgNumType")):
            sectpr.remove(old)
        el = OxmlElement("w:pgNumType")
        el.set(qn("w:fmt"), fmt)
        el.set(qn("w:start"), str(start))
        for child in sectpr:
            if child.tag in _SECT_AFTER_PGNUM:
                child.addprevious(el)
                break
        else:
            sectpr.append(el)

    def furniture(self, header_text: str, client: str, watermark: str) -> None:
        first = self.doc.sections[0]
        oxml.set_title_page(first)
        hp = first.header.paragraphs[0]
        hp._p.get_or_add_pPr().style = self.style_ids["header"]
        hp.add_run(oxml.clean_text(header_text + (f"　专供：{client}" if client else "")))
        if watermark:
            oxml.add_watermark(hp, watermark)
        fp = first.footer.paragraphs[0]
        fp._p.get_or_add_pPr().style = self.style_ids["footer"]
        oxml.add_field(fp, "PAGE", "1")
        for sec in self.doc.sections[1:]:
            sec.different_first_page_header_footer = False

    def properties(self, document: Document) -> None:
        meta = document.meta
        cp = self.doc.core_properties
        cp.title = meta.title
        cp.subject = meta.subject
        cp.author = meta.author
        cp.keywords = "；".join(k for k in (meta.keywords, meta.client) if k)
        cp.comments = f"专供：{meta.client}" if meta.client else ""
        cp.category = "行业研究报告"
        cp.last_modified_by = meta.author
        cp.created = meta.created
        cp.modified = meta.created
        cp.last_printed = meta.created
        cp.revision = 1
        cp.language = "zh-CN"

    def print_order(self, blocks: Sequence[Any]) -> Iterator[Any]:
        """`blocks` in the order they print: a chart that `fit` defers (it cannot shrink into the foot
        of its page) comes after the paragraph that follows it, whose text then fills that space."""
        held = None
        for block in blocks:
            if isinstance(block, Figure) and self.fit.get(block.number) == DEFER:
                if held is not None:
                    yield held
                held = block
                continue
            if held is not None and not isinstance(block, (Paragraph, ListBlock)):
                yield held
                held = None
            yield block
            if held is not None:
                yield held
                held = None
        if held is not None:
            yield held

    def write(self, document: Document) -> bytes:
        self.revision_date = document.meta.created.strftime("%Y-%m-%dT%H:%M:%SZ")
        self.created = document.meta.created
        self.references = sum(1 for b in document.blocks if isinstance(b, Paragraph) and b.role == REFERENCE_ROLE)
        self.reference_index = 0
        for block in self.print_order(document.blocks):
            handler = self.handlers.get(type(block))
            if handler is None:
                raise OutputError(f"the DOCX writer cannot render {type(block).__name__}")
            handler(block)
        self.furniture(document.meta.header_text or document.meta.title, document.meta.client, document.meta.watermark)
        self.properties(document)
        buf = io.BytesIO()
        self.doc.save(buf)
        return normalize_package(buf.getvalue(), document.meta.created)


def deferrable(blocks: Sequence[Any]) -> set[int]:
    """Caption numbers of the figures that a paragraph or list follows: those DEFER can move after it."""
    return {
        b.number
        for b, after in zip(blocks, blocks[1:])
        if isinstance(b, Figure) and isinstance(after, (Paragraph, ListBlock))
    }


def heading_anchor(index: int) -> str:
    """Bookmark name of the index-th TOC heading."""
    return f"_Toc{index + 1:06d}"


def caption_anchor(index: int) -> str:
    """Bookmark name of the index-th caption (图表 index+1)."""
    return f"_Fig{index + 1:06d}"


def reference_anchor(number: int) -> str:
    """Bookmark name of entry [number] of the reference list."""
    return f"_Ref{number:06d}"


DEFER = 0.0
"""The `fit` of a chart that cannot shrink into the space before it: it follows the next paragraph."""

KEEP_WHOLE_ROWS = 6
"""A table of at most this many rows is never split over two pages."""


_NUMBER = re.compile(r"[+\-−]?[\d,]+(?:\.\d+)?%?(?:（[^）]*）)?|[—–-]")


def numeric_columns(block: Table) -> list[bool]:
    """Which columns are right-aligned: those (but the first, which names the rows) whose every
    filled cell is a number, so that a column never mixes alignments."""
    out = []
    for i in range(len(block.header)):
        cells = [row[i] for row in block.rows if i < len(row) and row[i].text.strip()]
        out.append(i > 0 and bool(cells) and all(c.numeric or _NUMBER.fullmatch(c.text.strip()) for c in cells))
    return out


def column_widths(block: Table, total: int, em: float = 180.0, margin: float = 170.0) -> Grid:
    """Column widths (twips, summing to `total`) sized from the cells' content, and the lines each
    cell prints as; see :func:`.columns.lay_out_columns`."""
    rows = [[c.text for c in block.header]] + [[c.text for c in row] for row in block.rows]
    return lay_out_columns(rows, total, em, margin)


def write_docx(document: Document, reference: Path, fit: Mapping[int, float] | None = None) -> bytes:
    """Return the DOCX bytes of `document`, styled by the reference .docx at `reference`; `fit` draws
    the charts it names (by caption number) that much shorter and lets the short tables it names run
    over to the next page."""
    return DocxWriter(reference, fit=fit).write(document)


__all__ = ["column_widths", "write_docx"]
