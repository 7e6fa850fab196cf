"""The few raw WordprocessingML pieces python-docx has no API for.

Fields (TOC, PAGE, SEQ), bookmarks, keep-with-next, repeating table header rows.  Each helper
takes and returns python-docx objects or lxml elements and does one thing.
"""

from __future__ import annotations

import re
from typing import Any

from docx.oxml import OxmlElement
from docx.oxml.ns import qn

_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Return `text` without the characters XML 1.0 cannot hold."""
    return _XML_FORBIDDEN.sub("", text)


def _fld_char(kind: str, dirty: bool = False) -> Any:
    el = OxmlElement("w:fldChar")
    el.set(qn("w:fldCharType"), kind)
    if dirty:
        el.set(qn("w:dirty"), "true")
    return el


def _run_with(child: Any) -> Any:
    r = OxmlElement("w:r")
    r.append(child)
    return r


def _instr(text: str) -> Any:
    el = OxmlElement("w:instrText")
    el.set(qn("xml:space"), "preserve")
    el.text = f" {text} "
    return el


def add_field(paragraph: Any, instruction: str, result: str = "") -> None:
    """Append a complex field `instruction` with a cached `result` text to `paragraph`."""
    p = paragraph._p
    p.append(_run_with(_fld_char("begin")))
    p.append(_run_with(_instr(instruction)))
    p.append(_run_with(_fld_char("separate")))
    r = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.set(qn("xml:space"), "preserve")
    t.text = clean_text(result)
    r.append(t)
    p.append(r)
    p.append(_run_with(_fld_char("end")))


def field_begin(paragraph: Any, instruction: str) -> None:
    """Open a field whose result spans several paragraphs (a TOC); close it with field_end."""
    p = paragraph._p
    p.append(_run_with(_fld_char("begin")))
    p.append(_run_with(_instr(instruction)))
    p.append(_run_with(_fld_char("separate")))


def field_end(paragraph: Any) -> None:
    paragraph._p.append(_run_with(_fld_char("end")))


def add_bookmark(paragraph: Any, name: str, bid: int) -> None:
    """Wrap the paragraph's content in a bookmark `name` (for TOC hyperlinks and PAGEREF)."""
    p = paragraph._p
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(bid))
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(bid))
    ppr = p.find(qn("w:pPr"))
    if ppr is not None:
        ppr.addnext(start)
    else:
        p.insert(0, start)
    p.append(end)


def add_internal_link(paragraph: Any, anchor: str, text: str) -> None:
    """Append a hyperlink to bookmark `anchor` showing `text`."""
    h = OxmlElement("w:hyperlink")
    h.set(qn("w:anchor"), anchor)
    h.set(qn("w:history"), "1")
    r = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.set(qn("xml:space"), "preserve")
    t.text = clean_text(text)
    r.append(t)
    h.append(r)
    paragraph._p.append(h)


def add_tab(paragraph: Any) -> None:
    paragraph._p.append(_run_with(OxmlElement("w:tab")))


def set_keep_next(paragraph: Any) -> None:
    paragraph.paragraph_format.keep_with_next = True


def set_repeat_header(row: Any) -> None:
    """Mark a table row as a header row repeated on every page, and never split."""
    trpr = row._tr.get_or_add_trPr()
    for tag in ("w:cantSplit", "w:tblHeader"):
        el = OxmlElement(tag)
        trpr.append(el)


def set_cant_split(row: Any) -> None:
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def set_column_widths(table: Any, widths_twips: list[int]) -> None:
    """Give the table a fixed layout with these column widths (twentieths of a point)."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.shared import Twips

    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for col, w in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths_twips):
        col.set(qn("w:w"), str(w))
    for row in table.rows:
        for cell, w in zip(row.cells, widths_twips):
            cell.width = Twips(w)


def set_title_page(section: Any) -> None:
    section.different_first_page_header_footer = True
