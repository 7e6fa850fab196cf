"""An industry-chain map as a Word table: the layers side by side, a shaded title over each, its
segments below as boxes of players, and an arrow column between layers.  A table, not a picture, so
editors can change a name in Word; its rows do not split and the whole map keeps to one page."""

from __future__ import annotations

from typing import Any

from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from ..model import ChainMap
from .oxml import clean_text

ARROW = "→"
ARROW_TWIPS = 480
ARROW_HALF_POINTS = 36
LAYER_FILL = "1F4E79"
BOX_FILL = "EAF1F8"
BOX_BORDER = "8EAADB"


def _w(parent: Any, tag: str, **attrs: str) -> Any:
    from lxml import etree

    el = etree.SubElement(parent, qn(f"w:{tag}"))
    for key, value in attrs.items():
        el.set(qn(f"w:{key}"), value)
    return el


def _borders(tc_pr: Any, color: str | None) -> None:
    borders = _w(tc_pr, "tcBorders")
    for side in ("top", "left", "bottom", "right"):
        if color is None:
            _w(borders, side, val="nil")
        else:
            _w(borders, side, val="single", sz="6", space="0", color=color)


def _paragraph(
    tc: Any, text: str, style: str, keep: bool, bold: bool = False, color: str = "", half_points: int = 0
) -> None:
    p = _w(tc, "p")
    p_pr = _w(p, "pPr")
    _w(p_pr, "pStyle", val=style)
    if keep:
        _w(p_pr, "keepNext")
    _w(p_pr, "jc", val="center")
    if not text:
        return
    r = _w(p, "r")
    if bold or color or half_points:
        r_pr = _w(r, "rPr")
        if bold:
            _w(r_pr, "b")
        if color:
            _w(r_pr, "color", val=color)
        if half_points:
            _w(r_pr, "sz", val=str(half_points))
    t = _w(r, "t")
    t.set(qn("xml:space"), "preserve")
    t.text = clean_text(text)


def chain_map_element(block: ChainMap, width: int, heading_style: str, text_style: str) -> Any:
    """Return the w:tbl of `block` filling `width` twips; `heading_style` and `text_style` are the
    paragraph style ids of the layer titles and of the boxes."""
    layers = block.layers
    arrows = len(layers) - 1
    layer_width = (width - arrows * ARROW_TWIPS) // len(layers)
    widths: list[int] = []
    for i in range(len(layers)):
        widths += [layer_width] + ([ARROW_TWIPS] if i < arrows else [])
    widths[0] += width - sum(widths)
    depth = max(len(layer.groups) for layer in layers)
    tbl = OxmlElement("w:tbl")
    props = _w(tbl, "tblPr")
    _w(props, "tblW", w=str(width), type="dxa")
    _w(props, "jc", val="center")
    # -- white space between the boxes, so each segment reads as a box of its own --
    _w(props, "tblCellSpacing", w="40", type="dxa")
    _w(props, "tblLayout", type="fixed")
    margins = _w(props, "tblCellMar")
    for side, size in (("top", "60"), ("left", "80"), ("bottom", "60"), ("right", "80")):
        _w(margins, side, w=size, type="dxa")
    grid = _w(tbl, "tblGrid")
    for w in widths:
        _w(grid, "gridCol", w=str(w))
    for row in range(depth + 1):
        tr = _w(tbl, "tr")
        _w(_w(tr, "trPr"), "cantSplit")
        keep = row < depth  # -- every paragraph but the last row's keeps with the next: one page --
        for i, layer in enumerate(layers):
            tc = _w(tr, "tc")
            tc_pr = _w(tc, "tcPr")
            _w(tc_pr, "tcW", w=str(widths[2 * i]), type="dxa")
            if row == 0:
                _borders(tc_pr, LAYER_FILL)
                _w(tc_pr, "shd", val="clear", color="auto", fill=LAYER_FILL)
                _w(tc_pr, "vAlign", val="center")
                _paragraph(tc, layer.name, heading_style, keep, bold=True, color="FFFFFF")
            elif row <= len(layer.groups):
                group = layer.groups[row - 1]
                _borders(tc_pr, BOX_BORDER)
                _w(tc_pr, "shd", val="clear", color="auto", fill=BOX_FILL)
                _paragraph(tc, group.name, text_style, keep, bold=True, color=LAYER_FILL)
                for player in group.players:
                    _paragraph(tc, player, text_style, keep)
            else:
                _borders(tc_pr, None)
                _paragraph(tc, "", text_style, keep)
            if i < arrows:
                arrow = _w(tr, "tc")
                arrow_pr = _w(arrow, "tcPr")
                _w(arrow_pr, "tcW", w=str(ARROW_TWIPS), type="dxa")
                _w(arrow_pr, "vMerge", **({"val": "restart"} if row == 0 else {}))
                _borders(arrow_pr, None)
                _w(arrow_pr, "vAlign", val="center")
                _paragraph(arrow, ARROW if row == 0 else "", heading_style, keep, True, LAYER_FILL, ARROW_HALF_POINTS)
    return tbl


__all__ = ["chain_map_element"]
