"""The packaged reference .docx: where it is, how to measure it, and how it was made.

`build_reference()` regenerates ``resources/reference.docx`` from python-docx's default template
(run ``python -m reportkit.docx.reference`` after changing it).  Users restyle a copy in Word
(``reportkit reference my.docx``) and point ``reference_docx`` in report.toml at it.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor

from ..house import BODY_FONT, HEADING_FONT
from .intake import load_reference
from .package import drop_styles_with_effects, normalize_package


def packaged_reference() -> Path:
    """Return the path of the reference .docx shipped with reportkit."""
    return Path(__file__).resolve().parent.parent / "resources" / "reference.docx"


def text_width_inches(path: Path, shown: str | None = None) -> float:
    """Return the usable text width of the reference's body section, in inches; raises StyleError
    (located at `shown`) for a reference that cannot be used."""
    return load_reference(path, shown).text_width_in


def _fonts(style: Any, latin: str, east: str, size: float, bold: bool | None = None) -> None:
    font = style.font
    font.name = latin
    font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    rpr = style.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        if rfonts is not None and rfonts.get(qn(attr)) is not None:
            del rfonts.attrib[qn(attr)]
    rfonts.set(qn("w:eastAsia"), east)
    rfonts.set(qn("w:hint"), "eastAsia")


def _para(
    style: Any,
    *,
    align: Any = None,
    first_chars: int | None = None,
    before: float = 0,
    after: float = 0,
    line: float | None = None,
    keep_next: bool = False,
    page_break: bool = False,
) -> None:
    pf = style.paragraph_format
    if align is not None:
        pf.alignment = align
    pf.space_before = Pt(before)
    pf.space_after = Pt(after)
    if line is not None:
        pf.line_spacing_rule = WD_LINE_SPACING.MULTIPLE
        pf.line_spacing = line
    pf.keep_with_next = keep_next or None
    if page_break:
        pf.page_break_before = True
    ppr = style.element.get_or_add_pPr()
    if first_chars is not None:
        ind = ppr.get_or_add_ind()
        # -- two characters whatever the font size: Word's firstLineChars, twips as fallback --
        ind.set(qn("w:firstLineChars"), str(first_chars * 100))
        ind.set(qn("w:firstLine"), str(int(first_chars * 240)))
    else:
        ind = ppr.get_or_add_ind()
        ind.set(qn("w:firstLineChars"), "0")
        ind.set(qn("w:firstLine"), "0")


_PPR_SEQUENCE = (
    "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers pBdr shd tabs "
    "suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN bidi "
    "adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc textDirection "
    "textAlignment textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange"
).split()


def _insert_in_order(ppr: Any, el: Any) -> None:
    """Insert `el` into a w:pPr where the schema's sequence wants it."""
    seq = [qn(f"w:{t}") for t in _PPR_SEQUENCE]
    pos = seq.index(el.tag)
    for child in ppr:
        if child.tag in seq and seq.index(child.tag) > pos:
            child.addprevious(el)
            return
    ppr.append(el)


def _get(doc: Any, name: str, kind: Any = WD_STYLE_TYPE.PARAGRAPH, base: str | None = "Normal") -> Any:
    try:
        style = doc.styles[name]
    except KeyError:
        style = doc.styles.add_style(name, kind)
        if base:
            style.base_style = doc.styles[base]
    style.hidden = False
    style.quick_style = True
    style.unhide_when_used = False
    return style


def _table_style(doc: Any) -> None:
    styles = doc.styles.element
    for old in styles.findall(qn("w:style")):
        if old.get(qn("w:styleId")) == "ReportTable":
            styles.remove(old)
    xml = (
        f'<w:style {nsdecls("w")} w:type="table" w:customStyle="1" w:styleId="ReportTable">'
        '<w:name w:val="Report Table"/><w:basedOn w:val="TableNormal"/><w:uiPriority w:val="59"/><w:qFormat/>'
        '<w:pPr><w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/><w:ind w:firstLine="0"/></w:pPr>'
        '<w:rPr><w:sz w:val="18"/><w:szCs w:val="18"/></w:rPr>'
        "<w:tblPr><w:tblBorders>"
        '<w:top w:val="single" w:sz="12" w:space="0" w:color="1F4E79"/>'
        '<w:bottom w:val="single" w:sz="12" w:space="0" w:color="1F4E79"/>'
        '<w:insideH w:val="single" w:sz="4" w:space="0" w:color="BFBFBF"/>'
        '</w:tblBorders><w:tblCellMar><w:top w:w="28" w:type="dxa"/><w:left w:w="85" w:type="dxa"/>'
        '<w:bottom w:w="28" w:type="dxa"/><w:right w:w="85" w:type="dxa"/></w:tblCellMar></w:tblPr>'
        '<w:tblStylePr w:type="firstRow"><w:rPr><w:b/><w:color w:val="FFFFFF"/></w:rPr>'
        '<w:tcPr><w:shd w:val="clear" w:color="auto" w:fill="1F4E79"/></w:tcPr></w:tblStylePr>'
        "</w:style>"
    )
    styles.append(parse_xml(xml))


def build_reference(out: Path) -> None:
    """Write the default reference document to `out`."""
    doc = Document()
    pkg = doc.part.package
    for rel in list(pkg.rels.values()):
        if rel.reltype.endswith("/thumbnail"):
            pkg.rels.pop(rel.rId)
    drop_styles_with_effects(doc)
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
    sec.top_margin = sec.bottom_margin = Cm(2.3)
    sec.left_margin = sec.right_margin = Cm(2.7)
    sec.header_distance = sec.footer_distance = Cm(1.5)

    # -- document defaults: Chinese language and fonts for anything not styled --
    styles_el = doc.styles.element
    rpr_default = styles_el.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    rpr_default.find(qn("w:rFonts")).set(qn("w:eastAsia"), BODY_FONT[1])
    lang = rpr_default.find(qn("w:lang"))
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    ppr_default = styles_el.find(qn("w:docDefaults")).find(qn("w:pPrDefault")).find(qn("w:pPr"))
    spacing = ppr_default.find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "240")

    normal = doc.styles["Normal"]
    _fonts(normal, *BODY_FONT, 10.5)  # 五号
    _para(normal, align=WD_ALIGN_PARAGRAPH.JUSTIFY, first_chars=2, line=1.5)

    for name, size, level_page, align, before, after in (
        ("Heading 1", 16, False, WD_ALIGN_PARAGRAPH.CENTER, 18, 12),  # 三号; chapters run on, as in the seed
        ("Heading 2", 14, False, WD_ALIGN_PARAGRAPH.LEFT, 8, 4),  # 四号
        ("Heading 3", 12, False, WD_ALIGN_PARAGRAPH.LEFT, 4, 2),  # 小四
        ("Heading 4", 10.5, False, WD_ALIGN_PARAGRAPH.LEFT, 2, 0),
    ):
        st = doc.styles[name]
        _fonts(st, *HEADING_FONT, size, bold=name != "Heading 4")
        st.font.italic = False
        st.font.color.rgb = RGBColor(0, 0, 0)
        _para(st, align=align, before=before, after=after, line=1.5, keep_next=True, page_break=level_page)
        if name == "Heading 4":
            _para(st, align=align, first_chars=2, before=before, after=after, line=1.5, keep_next=True)

    toc_head = _get(doc, "TOC Heading")
    toc_head.base_style = doc.styles["Normal"]
    _fonts(toc_head, *HEADING_FONT, 16, bold=True)
    toc_head.font.color.rgb = RGBColor(0, 0, 0)
    _para(toc_head, align=WD_ALIGN_PARAGRAPH.CENTER, before=12, after=18, line=1.5, keep_next=True)

    for name, indent in (("toc 1", 0), ("toc 2", 2), ("table of figures", 0)):
        st = _get(doc, name)
        _fonts(st, *BODY_FONT, 10.5 if name != "table of figures" else 9, bold=name == "toc 1")
        _para(st, line=1.15, before=3 if name == "toc 1" else 0)
        st.paragraph_format.left_indent = Pt(12 * indent)
        tabs = st.paragraph_format.tab_stops
        from docx.enum.text import WD_TAB_ALIGNMENT, WD_TAB_LEADER

        tabs.add_tab_stop(
            sec.page_width - sec.left_margin - sec.right_margin, WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS
        )

    caption = doc.styles["Caption"]
    _fonts(caption, *HEADING_FONT, 10.5, bold=False)
    caption.font.color.rgb = RGBColor(0, 0, 0)
    caption.font.italic = False
    _para(caption, align=WD_ALIGN_PARAGRAPH.CENTER, before=6, after=3, line=1.0)

    source = _get(doc, "Source Note")
    _fonts(source, *BODY_FONT, 8)
    source.font.color.rgb = RGBColor(0x40, 0x40, 0x40)
    _para(source, align=WD_ALIGN_PARAGRAPH.LEFT, before=2, after=10, line=1.0)

    figure = _get(doc, "Figure")
    _para(figure, align=WD_ALIGN_PARAGRAPH.CENTER, before=6, after=0, line=1.0, keep_next=True)

    for name, align, bold in (
        ("Table Text", WD_ALIGN_PARAGRAPH.LEFT, False),
        ("Table Number", WD_ALIGN_PARAGRAPH.RIGHT, False),
        ("Table Heading", WD_ALIGN_PARAGRAPH.CENTER, True),
    ):
        st = _get(doc, name)
        _fonts(st, *BODY_FONT, 9, bold=bold)
        _para(st, align=align, line=1.0)

    # -- one list style: a bulleted item is laid out as a numbered one (and as a paragraph), its
    #    marker written by the writer, not hung in the margin by Word's numbering --
    lb = doc.styles["List Bullet"]
    _fonts(lb, *BODY_FONT, 10.5)
    for num in lb.element.get_or_add_pPr().findall(qn("w:numPr")):
        num.getparent().remove(num)
    _para(lb, align=WD_ALIGN_PARAGRAPH.JUSTIFY, first_chars=2, line=1.5)
    ln = _get(doc, "List Number Plain")
    _para(ln, align=WD_ALIGN_PARAGRAPH.JUSTIFY, first_chars=2, line=1.5)

    title = doc.styles["Title"]
    _fonts(title, *HEADING_FONT, 24, bold=True)
    title.font.color.rgb = RGBColor(0x1F, 0x4E, 0x79)
    _para(title, align=WD_ALIGN_PARAGRAPH.CENTER, before=0, after=24, line=1.3)
    for child in list(title.element.get_or_add_pPr()):
        if child.tag == qn("w:pBdr"):
            title.element.get_or_add_pPr().remove(child)
    subtitle = doc.styles["Subtitle"]
    _fonts(subtitle, *HEADING_FONT, 16, bold=False)
    subtitle.font.italic = False
    subtitle.font.color.rgb = RGBColor(0x40, 0x40, 0x40)
    _para(subtitle, align=WD_ALIGN_PARAGRAPH.CENTER, before=0, after=12, line=1.3)
    meta = _get(doc, "Cover Meta")
    _fonts(meta, *BODY_FONT, 14)
    _para(meta, align=WD_ALIGN_PARAGRAPH.CENTER, before=0, after=6, line=1.3)

    for name in ("Header", "Footer"):
        st = doc.styles[name]
        _fonts(st, *BODY_FONT, 9)
        _para(st, align=WD_ALIGN_PARAGRAPH.CENTER, line=1.0)
    hdr_ppr = doc.styles["Header"].element.get_or_add_pPr()
    _insert_in_order(
        hdr_ppr,
        parse_xml(f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="6" w:space="1" w:color="808080"/></w:pBdr>'),
    )

    _table_style(doc)
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    doc.core_properties.title = "reportkit reference"
    doc.core_properties.author = "reportkit"
    buf = io.BytesIO()
    doc.save(buf)
    # -- stamped with the template's own date, so regenerating an unchanged builder changes no byte --
    from ..atomic import write_file

    write_file(out, normalize_package(buf.getvalue(), doc.core_properties.created))


if __name__ == "__main__":  # pragma: no cover - developer tool
    target = Path(__file__).resolve().parent.parent / "resources" / "reference.docx"
    build_reference(target)
    print(target)
