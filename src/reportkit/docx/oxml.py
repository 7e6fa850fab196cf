"""The few raw WordprocessingML pieces python-docx has no API for.

Fields (TOC, PAGE, SEQ), bookmarks, keep-with-next, repeating table header rows.  Each helper
takes and returns python-docx objects or lxml elements and does one thing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from docx.oxml import OxmlElement
from docx.oxml.ns import nsdecls, qn

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


def _text_run(text: str, tag: str = "w:t") -> Any:
    """A run of `text` whose spaces are kept (a ``w:delText`` run for a tracked deletion)."""
    t = OxmlElement(tag)
    t.set(qn("xml:space"), "preserve")
    t.text = clean_text(text)
    return _run_with(t)


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
    p.append(_text_run(result))
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


Cell = tuple[list[str], str, bool]
"""A table cell: its lines, its paragraph style id, and whether it keeps with the next row."""


def table_element(style_id: str, widths: list[int], header: list[Cell], rows: list[list[Cell]]) -> Any:
    """Return a w:tbl: a fixed-layout table in `style_id`, centred, whose first row repeats on every
    page; a cell's lines are separated by line breaks."""
    from lxml import etree

    def w(parent: Any, tag: str, **attrs: str) -> Any:
        el = etree.SubElement(parent, qn(f"w:{tag}"))
        for key, value in attrs.items():
            el.set(qn(f"w:{key}"), value)
        return el

    # -- built with lxml directly: python-docx's cell-by-cell API is ten times slower --
    tbl = OxmlElement("w:tbl")
    props = w(tbl, "tblPr")
    w(props, "tblStyle", val=style_id)
    w(props, "tblW", w=str(sum(widths)), type="dxa")
    w(props, "jc", val="center")
    w(props, "tblLayout", type="fixed")
    w(
        props,
        "tblLook",
        val="04A0",
        firstRow="1",
        lastRow="0",
        firstColumn="0",
        lastColumn="0",
        noHBand="0",
        noVBand="1",
    )
    grid = w(tbl, "tblGrid")
    for width in widths:
        w(grid, "gridCol", w=str(width))
    for cells, head in [(header, True)] + [(r, False) for r in rows]:
        tr = w(tbl, "tr")
        tr_pr = w(tr, "trPr")
        w(tr_pr, "cantSplit")
        if head:
            w(tr_pr, "tblHeader")
        for (lines, style, keep), width in zip(cells, widths):
            tc = w(tr, "tc")
            w(w(tc, "tcPr"), "tcW", w=str(width), type="dxa")
            p = w(tc, "p")
            p_pr = w(p, "pPr")
            w(p_pr, "pStyle", val=style)
            if keep:
                w(p_pr, "keepNext")
            if any(lines):
                r = w(p, "r")
                for i, line in enumerate(lines):
                    if i:
                        w(r, "br")
                    t = w(r, "t")
                    t.set(qn("xml:space"), "preserve")
                    t.text = clean_text(line)
    return tbl


def hanging_indent(paragraph: Any, chars: int) -> None:
    """Indent every line but the first of `paragraph` by `chars` characters, left-aligned (an entry of
    a reference list: its number stands out, long titles and addresses wrap under the text)."""
    p_pr = paragraph._p.get_or_add_pPr()
    ind = OxmlElement("w:ind")
    for key, value in (("leftChars", chars * 100), ("left", chars * 210), ("hangingChars", chars * 100)):
        ind.set(qn(f"w:{key}"), str(value))
    ind.set(qn("w:hanging"), str(chars * 210))
    jc = OxmlElement("w:jc")
    jc.set(qn("w:val"), "left")
    p_pr.append(ind)
    p_pr.append(jc)


def set_title_page(section: Any) -> None:
    section.different_first_page_header_footer = True


def add_pageref(parent: Any, anchor: str, page: str) -> None:
    """Append a tab and a PAGEREF field (cached result `page`) to a paragraph or hyperlink element."""
    tab_run = OxmlElement("w:r")
    tab_run.append(OxmlElement("w:tab"))
    parent.append(tab_run)
    parent.append(_run_with(_fld_char("begin")))
    parent.append(_run_with(_instr(f"PAGEREF {anchor} \\h")))
    parent.append(_run_with(_fld_char("separate")))
    r = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.text = page
    r.append(t)
    parent.append(r)
    parent.append(_run_with(_fld_char("end")))


def add_toc_entry(paragraph: Any, anchor: str, text: str, page: str) -> None:
    """Append a TOC-style entry: a hyperlink to `anchor` holding the text and, if known, its page."""
    h = OxmlElement("w:hyperlink")
    h.set(qn("w:anchor"), anchor)
    h.set(qn("w:history"), "1")
    h.append(_text_run(text))
    if page:
        add_pageref(h, anchor, page)
    paragraph._p.append(h)


def add_link(paragraph: Any, anchor: str, text: str) -> None:
    """Append `text` as a hyperlink to the bookmark `anchor` in the same document."""
    h = OxmlElement("w:hyperlink")
    h.set(qn("w:anchor"), anchor)
    h.append(_text_run(text))
    paragraph._p.append(h)


def add_revision(paragraph: Any, kind: str, text: str, rid: int, date: str, author: str = "reportkit") -> None:
    """Append `text` as a tracked insertion (`kind` "ins") or deletion ("del") that Word can accept or reject."""
    wrapper = OxmlElement(f"w:{kind}")
    wrapper.set(qn("w:id"), str(rid))
    wrapper.set(qn("w:author"), author)
    wrapper.set(qn("w:date"), date)
    wrapper.append(_text_run(text, "w:delText" if kind == "del" else "w:t"))
    paragraph._p.append(wrapper)


def add_picture(run: Any, stream: Any, width: int, shape_id: int) -> None:
    """Add an inline picture `width` EMU wide to `run`, with a drawing id from the caller's counter.

    python-docx's own `add_picture` finds the next id by scanning the whole document each time,
    which makes long reports quadratic.
    """
    from docx.oxml.shape import CT_Inline

    part = run.part
    r_id, image = part.get_or_add_image(stream)
    cx, cy = image.scaled_dimensions(width, None)
    run._r.add_drawing(CT_Inline.new_pic_inline(shape_id, r_id, image.filename, cx, cy))


_CHART_URI = "http://schemas.openxmlformats.org/drawingml/2006/chart"


def add_chart(
    run: Any, chart_xml: Callable[[str], bytes], workbook: bytes, width: int, height: int, number: int, shape_id: int
) -> None:
    """Add a native chart `width` x `height` EMU to `run`: ``word/charts/chart<number>.xml``, related to
    its embedded workbook (what "Edit Data" opens), drawn inline like a picture.

    `chart_xml(rel_id)` returns the chart part, whose ``c:externalData`` names the workbook's
    relationship.
    """
    from docx.opc.constants import CONTENT_TYPE as CT
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from docx.oxml import parse_xml

    class ChartPart(Part):
        """A chart part whose XML is made once its workbook relationship has an id (`blob` is the
        documented override point of python-docx parts)."""

        xml = b""

        @property
        def blob(self) -> bytes:
            return self.xml

    document_part = run.part
    package = document_part.package
    book = Part(PackURI(f"/word/embeddings/Microsoft_Excel_Worksheet{number}.xlsx"), CT.SML_SHEET, workbook, package)
    chart = ChartPart(PackURI(f"/word/charts/chart{number}.xml"), CT.DML_CHART, None, package)
    chart.xml = chart_xml(chart.relate_to(book, RT.PACKAGE))
    r_id = document_part.relate_to(chart, RT.CHART)
    inline = parse_xml(
        f'<wp:inline distT="0" distB="0" distL="0" distR="0" {nsdecls("wp", "a", "r")}>'
        f'<wp:extent cx="{width}" cy="{height}"/><wp:effectExtent l="0" t="0" r="0" b="0"/>'
        f'<wp:docPr id="{shape_id}" name="图表 {number}"/><wp:cNvGraphicFramePr/>'
        f'<a:graphic><a:graphicData uri="{_CHART_URI}">'
        f'<c:chart xmlns:c="{_CHART_URI}" r:id="{r_id}"/></a:graphicData></a:graphic></wp:inline>'
    )
    drawing = OxmlElement("w:drawing")
    drawing.append(inline)
    run._r.append(drawing)


def add_text(paragraph: Any, text: str) -> None:
    paragraph._p.append(_text_run(text))


_VML = 'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"'
_WATERMARK = (
    "<w:r {w} {vml}><w:rPr><w:noProof/></w:rPr><w:pict>"
    '<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800" '
    'path="m@7,l@8,m@5,21600l@6,21600e">'
    '<v:formulas><v:f eqn="sum #0 0 10800"/><v:f eqn="prod #0 2 1"/><v:f eqn="sum 21600 0 @1"/>'
    '<v:f eqn="sum 0 0 @2"/><v:f eqn="sum 21600 0 @3"/><v:f eqn="if @0 @3 0"/><v:f eqn="if @0 21600 @1"/>'
    '<v:f eqn="if @0 0 @2"/><v:f eqn="if @0 @4 21600"/><v:f eqn="mid @5 @6"/><v:f eqn="mid @8 @5"/>'
    '<v:f eqn="mid @7 @8"/><v:f eqn="mid @6 @7"/><v:f eqn="sum @6 0 @5"/></v:formulas>'
    '<v:path textpathok="t" o:connecttype="custom" o:connectlocs="@9,0;@10,10800;@11,21600;@12,10800" '
    'o:connectangles="270,180,90,0"/><v:textpath on="t" fitshape="t"/>'
    '<v:handles><v:h position="#0,bottomRight" xrange="6629,14971"/></v:handles>'
    '<o:lock v:ext="edit" text="t" shapetype="t"/></v:shapetype>'
    '<v:shape id="PowerPlusWaterMarkObject1" o:spid="_x0000_s2049" type="#_x0000_t136" '
    'style="position:absolute;margin-left:0;margin-top:0;width:415pt;height:104pt;rotation:315;'
    "z-index:-251657216;mso-position-horizontal:center;mso-position-horizontal-relative:margin;"
    'mso-position-vertical:center;mso-position-vertical-relative:margin" o:allowincell="f" '
    'fillcolor="#d8d8d8" stroked="f"><v:fill opacity=".5"/>'
    '<v:textpath style="font-family:&quot;SimHei&quot;;font-size:1pt" string=""/></v:shape>'
    "</w:pict></w:r>"
)


def add_watermark(header_paragraph: Any, text: str) -> None:
    """Put a diagonal text watermark (Word's own kind) behind every page that uses this header."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    # -- the markup is constant; the user's text goes in as an attribute value set by lxml, so no
    # quote or angle bracket in it can change the markup --
    run = parse_xml(_WATERMARK.format(w=nsdecls("w"), vml=_VML))
    for textpath in run.iter("{urn:schemas-microsoft-com:vml}textpath"):
        if textpath.get("string") is not None:
            textpath.set("string", clean_text(text))
    header_paragraph._p.append(run)
