"""Charts as Word charts: a DrawingML chart part (``word/charts/chartN.xml``) with its data in an
embedded workbook, so Word's and WPS's "Edit Data" open the real numbers and the chart restyles
like any chart drawn in Word.

One builder per chart kind, looked up in a table, all reading the same :class:`ChartSpec` as the
picture engine.  The XML follows the element order of the ECMA-376 chart schema; the cached values
(``c:numCache``/``c:strCache``) let Word, WPS and LibreOffice draw the chart without opening the
workbook.  Forecast points (E years) get a diagonal pattern and a legend entry that says so.
"""

from __future__ import annotations

import datetime as _dt
import io
from collections.abc import Callable
from math import ceil, floor

from lxml import etree

from ..errors import ChartError
from ..house import (
    AXIS_COLOR,
    GRID_COLOR,
    HEADING_FONT,
    LINE_COLOR,
    PALETTE,
    TEXT_COLOR,
)
from ..model import ChartSeries, ChartSpec

C_NS = "http://schemas.openxmlformats.org/drawingml/2006/chart"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NSMAP = {"c": C_NS, "a": A_NS, "r": R_NS}
FORECAST_LEGEND = "预测值（E）"
FORECAST_PART = "（预测）"
"""Suffix of the series that holds a line's forecast points (see :func:`drawn_spec`)."""
TOTAL_NAME = "合计"
SHEET = "Sheet1"
# -- axis ids: any unique unsigned numbers (negative ones, python-pptx's default, fail validation) --
PRIMARY = (50010001, 50010002)
SECONDARY = (50010003, 50010004)
FONT_SIZE = 900  # -- hundredths of a point --
LABEL_SIZE = 800


def _c(parent: etree._Element | None, tag: str, val: object = None, **attrs: str) -> etree._Element:
    name = f"{{{C_NS}}}{tag}"
    el = etree.Element(name, nsmap=NSMAP) if parent is None else etree.SubElement(parent, name)
    if val is not None:
        el.set("val", str(val))
    for k, v in attrs.items():
        el.set(k, v)
    return el


def _a(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, f"{{{A_NS}}}{tag}")
    for k, v in attrs.items():
        el.set(k, v)
    return el


def _hex(color: str) -> str:
    return color.lstrip("#").upper()


def _tint(color: str, amount: float) -> str:
    """`color` mixed with `amount` of white, as hex digits."""
    rgb = [int(_hex(color)[i : i + 2], 16) for i in (0, 2, 4)]
    return "".join(f"{round(c + (255 - c) * amount):02X}" for c in rgb)


def _solid(parent: etree._Element, color: str) -> None:
    _a(_a(parent, "solidFill"), "srgbClr", val=_hex(color))


def _line(parent: etree._Element, color: str | None, width_emu: int = 9525, dash: str | None = None) -> None:
    ln = _a(parent, "ln", w=str(width_emu))
    if color is None:
        _a(ln, "noFill")
        return
    _solid(ln, color)
    if dash:
        _a(ln, "prstDash", val=dash)


def _sp_pr(
    parent: etree._Element,
    fill: str | None = None,
    line: str | None = None,
    pattern: bool = False,
    line_width: int = 9525,
    dash: str | None = None,
    no_line: bool = False,
) -> etree._Element:
    sp = _c(parent, "spPr")
    if pattern and fill:
        # -- forecast points: the series colour in diagonal stripes over a pale tint of it, so a stack
        #    of forecast segments still shows whose colour each is, in print and in grey --
        patt = _a(sp, "pattFill", prst="wdUpDiag")
        _a(_a(patt, "fgClr"), "srgbClr", val=_hex(fill))
        _a(_a(patt, "bgClr"), "srgbClr", val=_tint(fill, 0.7))
    elif fill:
        _solid(sp, fill)
    elif fill is None and line is not None:
        _a(sp, "noFill")
    if no_line:
        _line(sp, None)
    elif line is not None:
        _line(sp, line, line_width, dash)
    return sp


def _tx_pr(
    parent: etree._Element, size: int = FONT_SIZE, color: str = TEXT_COLOR, rot: int | None = None, bold: bool = False
) -> None:
    """Text properties with the house CJK font in the East Asian slot, so Chinese never falls back."""
    tx = _c(parent, "txPr")
    body = _a(tx, "bodyPr")
    if rot is not None:
        body.set("rot", str(rot))
        body.set("vert", "horz")
    _a(tx, "lstStyle")
    p = _a(tx, "p")
    ppr = _a(p, "pPr")
    rpr = _a(ppr, "defRPr", sz=str(size), b="1" if bold else "0")
    _solid(rpr, color)
    _a(rpr, "latin", typeface=HEADING_FONT[0])
    _a(rpr, "ea", typeface=HEADING_FONT[1])
    _a(p, "endParaRPr", lang="zh-CN")


def _rich(parent: etree._Element, text: str, size: int = LABEL_SIZE) -> None:
    tx = _c(parent, "tx")
    rich = _c(tx, "rich")
    _a(rich, "bodyPr", rot="0", vert="horz")
    _a(rich, "lstStyle")
    p = _a(rich, "p")
    rpr = _a(_a(p, "pPr"), "defRPr", sz=str(size), b="0")
    _solid(rpr, TEXT_COLOR)
    _a(rpr, "latin", typeface=HEADING_FONT[0])
    _a(rpr, "ea", typeface=HEADING_FONT[1])
    r = _a(p, "r")
    rpr2 = _a(r, "rPr", lang="zh-CN", sz=str(size), b="0")
    _solid(rpr2, TEXT_COLOR)
    _a(rpr2, "latin", typeface=HEADING_FONT[0])
    _a(rpr2, "ea", typeface=HEADING_FONT[1])
    t = _a(r, "t")
    t.text = text


def _col(i: int) -> str:
    """Spreadsheet column letters of 0-based column `i` (0 -> A)."""
    out = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        out = chr(65 + rem) + out
    return out


def number_format(values: list[float | None], percent: bool = False) -> str:
    """The fewest decimals that print every value as the data has it, but no more than three
    significant digits of the largest value call for: 15,151 not 15,150.57, 429 not 428.67, 27.4 not 27.43."""
    decimals = 0
    for v in values:
        if v is None:
            continue
        for d in (0, 1, 2):
            if abs(round(v, d) - v) < 1e-9:
                decimals = max(decimals, d)
                break
        else:
            decimals = 2
    top = max((abs(v) for v in values if v is not None), default=0.0)
    if top > 0:
        from math import floor, log10

        decimals = min(decimals, max(0, 2 - floor(log10(top))))
    base = "#,##0" + ("." + "0" * decimals if decimals else "")
    return base + '"%"' if percent else base


def nice_step(span: float, ticks: int = 4) -> float:
    """A round tick interval (1, 2, 2.5 or 5 times a power of ten) giving about `ticks` intervals over `span`."""
    from math import floor, log10

    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10.0 ** floor(log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


class _Book:
    """Where each series lives in the embedded workbook: categories in column A, series from B."""

    def __init__(self, spec: ChartSpec, extra: list[ChartSeries]):
        self.categories = list(spec.categories)
        self.series = list(spec.series) + extra
        self.n = len(self.categories)

    def name_ref(self, si: int) -> str:
        return f"{SHEET}!${_col(si + 1)}$1"

    def cat_ref(self) -> str:
        return f"{SHEET}!$A$2:$A${self.n + 1}"

    def val_ref(self, si: int) -> str:
        c = _col(si + 1)
        return f"{SHEET}!${c}$2:${c}${self.n + 1}"


def workbook_bytes(spec: ChartSpec, extra: list[ChartSeries], created: _dt.datetime) -> bytes:
    """The embedded workbook: what "Edit Data" opens.  Deterministic for the same chart and date."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.set_properties({"created": created, "author": "", "title": ""})
    ws = wb.add_worksheet(SHEET)
    for si, s in enumerate(list(spec.series) + extra):
        ws.write_string(0, si + 1, s.name)
        for ci, v in enumerate(s.values):
            if v is not None:
                ws.write_number(ci + 1, si + 1, float(v))
    for ci, cat in enumerate(spec.categories):
        ws.write_string(ci + 1, 0, cat)
    ws.set_column(0, 0, max(8, max((len(c) for c in spec.categories), default=4) * 2))
    wb.close()
    return buf.getvalue()


def _tx(ser: etree._Element, book: _Book, si: int) -> None:
    tx = _c(ser, "tx")
    ref = _c(tx, "strRef")
    _c(ref, "f").text = book.name_ref(si)
    cache = _c(ref, "strCache")
    _c(cache, "ptCount", 1)
    _c(_c(cache, "pt", idx="0"), "v").text = book.series[si].name


def _cat(ser: etree._Element, book: _Book) -> None:
    cat = _c(ser, "cat")
    ref = _c(cat, "strRef")
    _c(ref, "f").text = book.cat_ref()
    cache = _c(ref, "strCache")
    _c(cache, "ptCount", book.n)
    for i, name in enumerate(book.categories):
        _c(_c(cache, "pt", idx=str(i)), "v").text = name


def _val(ser: etree._Element, book: _Book, si: int, fmt: str) -> None:
    val = _c(ser, "val")
    ref = _c(val, "numRef")
    _c(ref, "f").text = book.val_ref(si)
    cache = _c(ref, "numCache")
    _c(cache, "formatCode").text = fmt
    _c(cache, "ptCount", book.n)
    for i, v in enumerate(book.series[si].values):
        if v is not None:
            _c(_c(cache, "pt", idx=str(i)), "v").text = repr(float(v))


def _label_flags(percent: bool) -> list[tuple[str, int]]:
    return [
        ("showLegendKey", 0),
        ("showVal", 0 if percent else 1),
        ("showCatName", 0),
        ("showSerName", 0),
        ("showPercent", 1 if percent else 0),
        ("showBubbleSize", 0),
    ]


def _labels(
    parent: etree._Element,
    fmt: str,
    pos: str | None,
    color: str = TEXT_COLOR,
    show: bool = True,
    percent: bool = False,
    skip: list[int] | None = None,
    outside: list[int] | None = None,
) -> None:
    """Data labels of a series; `skip` points get none, `outside` points (a pie's thin slices, too
    narrow to hold their label) get theirs outside the slice, in the text colour."""
    d = _c(parent, "dLbls")
    if not show:
        _c(d, "delete", 1)
        return
    for i in skip or []:
        lbl = _c(d, "dLbl")
        _c(lbl, "idx", i)
        _c(lbl, "delete", 1)
    for i in outside or []:
        lbl = _c(d, "dLbl")
        _c(lbl, "idx", i)
        _c(lbl, "numFmt", formatCode=fmt, sourceLinked="0")
        _c(lbl, "spPr").append(etree.Element(f"{{{A_NS}}}noFill"))
        _tx_pr(lbl, LABEL_SIZE, TEXT_COLOR)
        _c(lbl, "dLblPos", "outEnd")
        for flag, on in _label_flags(percent):
            _c(lbl, flag, on)
    _c(d, "numFmt", formatCode=fmt, sourceLinked="0")
    _c(d, "spPr").append(etree.Element(f"{{{A_NS}}}noFill"))
    _tx_pr(d, LABEL_SIZE, color)
    if pos:
        _c(d, "dLblPos", pos)
    for flag, on in _label_flags(percent):
        _c(d, flag, on)


def axis_format(values: list[float | None], percent: bool = False) -> str:
    """Tick labels: whole numbers unless the values are small."""
    top = max((abs(v) for v in values if v is not None), default=0.0)
    base = "#,##0" if top >= 10 else "#,##0.0"
    return base + '"%"' if percent else base


def _quiet_ticks(axis: etree._Element) -> None:
    """Labels beside the axis, no tick marks: the house look."""
    _c(axis, "majorTickMark", "none")
    _c(axis, "minorTickMark", "none")
    _c(axis, "tickLblPos", "nextTo")


def _axes(
    plot: etree._Element,
    ids: tuple[int, int],
    spec: ChartSpec,
    unit: str,
    fmt: str,
    *,
    bar_dir: str = "col",
    secondary: bool = False,
    hidden: bool = False,
    bounds: tuple[float, float] | None = None,
    major: float | None = None,
) -> None:
    cat_pos, val_pos = ("l", "b") if bar_dir == "bar" else ("b", "l")
    if secondary:
        cat_pos, val_pos = "t", "r"
    cat = _c(plot, "catAx")
    _c(cat, "axId", ids[0])
    _c(_c(cat, "scaling"), "orientation", "maxMin" if bar_dir == "bar" and not secondary else "minMax")
    _c(cat, "delete", 1 if secondary else 0)
    _c(cat, "axPos", cat_pos)
    _c(cat, "numFmt", formatCode="General", sourceLinked="1")
    _quiet_ticks(cat)
    _sp_pr(cat, line=AXIS_COLOR)
    _tx_pr(cat)
    _c(cat, "crossAx", ids[1])
    _c(cat, "crosses", "autoZero")
    _c(cat, "auto", 1)
    _c(cat, "lblAlgn", "ctr")
    _c(cat, "lblOffset", 100)
    _c(cat, "noMultiLvlLbl", 1)
    val = _c(plot, "valAx")
    _c(val, "axId", ids[1])
    scaling = _c(val, "scaling")
    _c(scaling, "orientation", "minMax")
    if bounds is not None:
        _c(scaling, "max", repr(float(bounds[1])))
        _c(scaling, "min", repr(float(bounds[0])))
    _c(val, "delete", 1 if hidden else 0)
    _c(val, "axPos", val_pos)
    if not secondary:
        grid = _c(val, "majorGridlines")
        _sp_pr(grid, line=GRID_COLOR)
    _c(val, "numFmt", formatCode=fmt, sourceLinked="0")
    _quiet_ticks(val)
    _sp_pr(val, no_line=True)
    _tx_pr(val)
    _c(val, "crossAx", ids[0])
    _c(val, "crosses", "max" if secondary else "autoZero")
    _c(val, "crossBetween", "between")
    if major is not None:
        _c(val, "majorUnit", repr(float(major)))


def _forecast_points(ser: etree._Element, spec: ChartSpec, color: str, values: tuple[float | None, ...]) -> None:
    for i, fc in enumerate(spec.forecast):
        if fc and i < len(values) and values[i] is not None:
            dpt = _c(ser, "dPt")
            _c(dpt, "idx", i)
            _c(dpt, "invertIfNegative", 0)
            _c(dpt, "bubble3D", 0)
            _sp_pr(dpt, fill=color, pattern=True, line=color, line_width=6350)


def _has_forecast(spec: ChartSpec) -> bool:
    return any(spec.forecast)


def _bar_series(
    chart: etree._Element,
    spec: ChartSpec,
    book: _Book,
    indices: list[int],
    colors: list[str],
    fmt: str,
    labels: bool,
    label_pos: str | None,
    label_color: str = TEXT_COLOR,
) -> None:
    for si, color in zip(indices, colors):
        s = book.series[si]
        ser = _c(chart, "ser")
        _c(ser, "idx", si)
        _c(ser, "order", si)
        _tx(ser, book, si)
        legend_only = s.name == FORECAST_LEGEND
        _sp_pr(ser, fill=color, pattern=legend_only, line=color if legend_only else None, line_width=6350)
        _c(ser, "invertIfNegative", 0)
        if not legend_only:
            _forecast_points(ser, spec, color, s.values)
        _labels(ser, fmt, label_pos, label_color, show=labels and not legend_only)
        _cat(ser, book)
        _val(ser, book, si, fmt)


def _line_series(
    chart: etree._Element,
    spec: ChartSpec,
    book: _Book,
    si: int,
    color: str,
    fmt: str,
    labels: bool,
    label_pos: str = "t",
    hidden_line: bool = False,
    dashed_forecast: bool = True,
) -> None:
    s = book.series[si]
    ser = _c(chart, "ser")
    _c(ser, "idx", si)
    _c(ser, "order", si)
    _tx(ser, book, si)
    legend_only = s.name == FORECAST_LEGEND
    part = s.name.endswith(FORECAST_PART)
    _sp_pr(
        ser,
        line=None if hidden_line else color,
        line_width=22225,
        no_line=hidden_line,
        dash="dash" if legend_only or part else None,
    )
    marker = _c(ser, "marker")
    if hidden_line or legend_only:
        _c(marker, "symbol", "none")
    else:
        _c(marker, "symbol", "circle")
        _c(marker, "size", 5)
        _sp_pr(marker, fill="#FFFFFF" if part else color, line=color)
    if dashed_forecast and not hidden_line and not legend_only and not part:
        # -- the segment into a forecast point is dashed: the line says where estimates begin --
        for i, fc in enumerate(spec.forecast):
            if fc and i < len(s.values) and s.values[i] is not None:
                dpt = _c(ser, "dPt")
                _c(dpt, "idx", i)
                m = _c(dpt, "marker")
                _c(m, "symbol", "circle")
                _c(m, "size", 5)
                _sp_pr(m, fill="#FFFFFF", line=color)
                _c(dpt, "bubble3D", 0)
                _sp_pr(dpt, line=color, line_width=22225, dash="dash")
    # -- where a forecast part joins its actual line, the actual line's label stands for both --
    joint = [
        i
        for i, v in enumerate(s.values)
        if part and v is not None and not (i < len(spec.forecast) and spec.forecast[i])
    ]
    _labels(ser, fmt, label_pos, color if not hidden_line else TEXT_COLOR, show=labels and not legend_only, skip=joint)
    _cat(ser, book)
    _val(ser, book, si, fmt)
    _c(ser, "smooth", 0)


def _legend(chart_el: etree._Element, hide: list[int], pos: str = "b") -> None:
    legend = _c(chart_el, "legend")
    _c(legend, "legendPos", pos)
    for idx in hide:
        entry = _c(legend, "legendEntry")
        _c(entry, "idx", idx)
        _c(entry, "delete", 1)
    _c(legend, "overlay", 0)
    _tx_pr(legend)


def _palette(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _values_fmt(spec: ChartSpec, series: list[ChartSeries], unit: str) -> str:
    return number_format([v for s in series for v in s.values], percent=unit == "%")


def _axis_fmt(spec: ChartSpec) -> str:
    return axis_format([v for s in spec.series for v in s.values], spec.unit == "%")


Builder = Callable[[etree._Element, ChartSpec, _Book], list[int]]


def _build_bar(plot: etree._Element, spec: ChartSpec, book: _Book, *, bar_dir: str = "col") -> list[int]:
    real = list(range(len(spec.series)))
    fmt = _values_fmt(spec, list(spec.series), spec.unit)
    chart = _c(plot, "barChart")
    _c(chart, "barDir", bar_dir)
    _c(chart, "grouping", "clustered")
    _c(chart, "varyColors", 0)
    n = len(real)
    _bar_series(
        chart, spec, book, real, [_palette(i) for i in real], fmt, n <= 2 or len(spec.categories) <= 6, "outEnd"
    )
    _c(chart, "gapWidth", 60 if n > 1 else 80)
    _c(chart, "overlap", -5 if n > 1 else 0)
    _c(chart, "axId", PRIMARY[0])
    _c(chart, "axId", PRIMARY[1])
    hide: list[int] = [] if n > 1 or _has_forecast(spec) else [0]
    if _has_forecast(spec):
        # -- a legend-only series with the forecast pattern, in its own group so bars stay centred --
        key = len(book.series) - 1
        group = _c(plot, "barChart")
        _c(group, "barDir", bar_dir)
        _c(group, "grouping", "clustered")
        _c(group, "varyColors", 0)
        _bar_series(group, spec, book, [key], [_palette(0)], fmt, False, None)
        _c(group, "gapWidth", 80)
        _c(group, "axId", SECONDARY[0])
        _c(group, "axId", SECONDARY[1])
        _axes(plot, PRIMARY, spec, spec.unit, _axis_fmt(spec), bar_dir=bar_dir)
        _axes(plot, SECONDARY, spec, "", fmt, bar_dir=bar_dir, secondary=True, hidden=True)
        return hide
    _axes(plot, PRIMARY, spec, spec.unit, _axis_fmt(spec), bar_dir=bar_dir)
    return hide


def _build_barh(plot: etree._Element, spec: ChartSpec, book: _Book) -> list[int]:
    return _build_bar(plot, spec, book, bar_dir="bar")


def _build_stacked(plot: etree._Element, spec: ChartSpec, book: _Book) -> list[int]:
    real = list(range(len(spec.series)))
    fmt = _values_fmt(spec, list(spec.series), spec.unit)
    chart = _c(plot, "barChart")
    _c(chart, "barDir", "col")
    _c(chart, "grouping", "stacked")
    _c(chart, "varyColors", 0)
    keys = [i for i, s in enumerate(book.series) if s.name == FORECAST_LEGEND]
    _bar_series(
        chart,
        spec,
        book,
        real + keys,
        [_palette(i) for i in real] + [_palette(0)] * len(keys),
        fmt,
        len(real) <= 4,
        "ctr",
        "#FFFFFF",
    )
    _c(chart, "gapWidth", 60)
    _c(chart, "overlap", 100)
    _c(chart, "axId", PRIMARY[0])
    _c(chart, "axId", PRIMARY[1])
    # -- the totals ride on an invisible line whose labels sit above each stack --
    total = next(i for i, s in enumerate(book.series) if s.name == TOTAL_NAME)
    line = _c(plot, "lineChart")
    _c(line, "grouping", "standard")
    _c(line, "varyColors", 0)
    _line_series(line, spec, book, total, TEXT_COLOR, fmt, True, "t", hidden_line=True)
    _c(line, "marker", 1)
    _c(line, "axId", PRIMARY[0])
    _c(line, "axId", PRIMARY[1])
    _axes(plot, PRIMARY, spec, spec.unit, axis_format(list(book.series[total].values), spec.unit == "%"))
    return [total]


def _build_line(plot: etree._Element, spec: ChartSpec, book: _Book) -> list[int]:
    real = list(range(len(spec.series)))
    base = [si for si in real if not spec.series[si].name.endswith(FORECAST_PART)]
    parts = [si for si in real if si not in base]
    fmt = _values_fmt(spec, list(spec.series), spec.unit)
    chart = _c(plot, "lineChart")
    _c(chart, "grouping", "standard")
    _c(chart, "varyColors", 0)
    for k, si in enumerate(base):
        _line_series(chart, spec, book, si, _palette(k), fmt, len(base) <= 3)
    for si in parts:
        k = next(k for k, b in enumerate(base) if spec.series[b].name + FORECAST_PART == spec.series[si].name)
        _line_series(chart, spec, book, si, _palette(k), fmt, len(base) <= 3)
    for si, s in enumerate(book.series):
        if s.name == FORECAST_LEGEND:
            _line_series(chart, spec, book, si, TEXT_COLOR, fmt, False)
    _c(chart, "marker", 1)
    _c(chart, "axId", PRIMARY[0])
    _c(chart, "axId", PRIMARY[1])
    _axes(plot, PRIMARY, spec, spec.unit, _axis_fmt(spec))
    # -- a forecast part shares its line's legend entry; the dashed key says what dashes mean --
    return parts if len(base) > 1 or _has_forecast(spec) else [0]


def _build_bar_line(plot: etree._Element, spec: ChartSpec, book: _Book) -> list[int]:
    bars, rate = spec.series[0], spec.series[1]
    fmt = _values_fmt(spec, [bars], spec.unit)
    fmt2 = '0.0"%"' if spec.unit2 == "%" else number_format(list(rate.values))
    chart = _c(plot, "barChart")
    _c(chart, "barDir", "col")
    _c(chart, "grouping", "clustered")
    _c(chart, "varyColors", 0)
    keys = [i for i, s in enumerate(book.series) if s.name == FORECAST_LEGEND]
    _bar_series(chart, spec, book, [0] + keys, [_palette(0)] * (1 + len(keys)), fmt, True, "outEnd")
    _c(chart, "gapWidth", 70)
    _c(chart, "overlap", 100)
    _c(chart, "axId", PRIMARY[0])
    _c(chart, "axId", PRIMARY[1])
    line = _c(plot, "lineChart")
    _c(line, "grouping", "standard")
    _c(line, "varyColors", 0)
    _line_series(line, spec, book, 1, LINE_COLOR, fmt2, True, "t", dashed_forecast=False)
    _c(line, "marker", 1)
    _c(line, "axId", SECONDARY[0])
    _c(line, "axId", SECONDARY[1])
    # -- bars fill the lower half, the rate line the top third, so their labels never meet; each axis
    #    labels only the ticks its own data reach (an Excel format's conditions hide the others) --
    top = max((v for v in bars.values if v is not None), default=1.0)
    step = nice_step(top)
    reach = step * ceil(top / step)
    base_fmt = axis_format(list(bars.values))
    _axes(
        plot,
        PRIMARY,
        spec,
        spec.unit,
        f'[>{reach:g}]"";{base_fmt}',
        bounds=(0.0, step * ceil(top * 2.2 / step)),
        major=step,
    )
    rates = [v for v in rate.values if v is not None]
    lo, hi = (min(rates), max(rates)) if rates else (0.0, 1.0)
    rstep = nice_step(max(hi - lo, abs(hi) * 0.25, 1.0), 3)
    low_tick = rstep * floor(lo / rstep)
    rate_fmt = axis_format(list(rates), spec.unit2 == "%")
    # -- the rate reads off its own right-hand axis, whose scale starts well below the data to lift
    #    the line above the bars --
    span = max(hi - low_tick, rstep)
    _axes(
        plot,
        SECONDARY,
        spec,
        spec.unit2,
        f'[<{low_tick - rstep / 100:g}]"";{rate_fmt}',
        secondary=True,
        bounds=(rstep * floor((low_tick - span * 2.4) / rstep), rstep * ceil((hi + span * 0.25) / rstep)),
        major=rstep,
    )
    return []


def _build_pie(plot: etree._Element, spec: ChartSpec, book: _Book, *, hole: int | None = None) -> list[int]:
    chart = _c(plot, "doughnutChart" if hole else "pieChart")
    _c(chart, "varyColors", 1)
    ser = _c(chart, "ser")
    _c(ser, "idx", 0)
    _c(ser, "order", 0)
    _tx(ser, book, 0)
    for i in range(book.n):
        dpt = _c(ser, "dPt")
        _c(dpt, "idx", i)
        _c(dpt, "bubble3D", 0)
        _sp_pr(dpt, fill=_palette(i), line="#FFFFFF")
    values = [v or 0.0 for v in spec.series[0].values]
    thin = [i for i, v in enumerate(values) if hole is None and v < 0.1 * sum(values)]
    _labels(ser, "0.0%", "ctr" if hole is None else None, "#FFFFFF", percent=True, outside=thin)
    _cat(ser, book)
    _val(ser, book, 0, number_format(list(spec.series[0].values)))
    _c(chart, "firstSliceAng", 0)
    if hole:
        _c(chart, "holeSize", hole)
    return []


BUILDERS: dict[str, Builder] = {
    "bar": _build_bar,
    "barh": _build_barh,
    "line": _build_line,
    "bar_line": _build_bar_line,
    "stacked_bar": _build_stacked,
    "pie": _build_pie,
    "donut": lambda plot, spec, book: _build_pie(plot, spec, book, hole=55),
}
KINDS = tuple(BUILDERS)


def extra_series(spec: ChartSpec) -> list[ChartSeries]:
    """Series the chart adds to the data: the stack totals, and the forecast legend key."""
    extra = []
    # -- the legend key first: legend entries are numbered in the order the groups list their series --
    if _has_forecast(spec) and spec.kind not in ("pie", "donut"):
        extra.append(ChartSeries(FORECAST_LEGEND, tuple(None for _ in spec.categories)))
    if spec.kind == "stacked_bar":
        totals = tuple(
            None if all(v is None for v in col) else round(sum(v or 0.0 for v in col), 10)
            for col in zip(*(s.values for s in spec.series))
        )
        extra.append(ChartSeries(TOTAL_NAME, totals))
    return extra


def drawn_spec(spec: ChartSpec) -> ChartSpec:
    """`spec` in the order the chart shows it, which is also the order of the embedded workbook: a
    ranking (barh) reads largest first."""
    if spec.kind not in BUILDERS:
        raise ChartError(
            f'chart kind {spec.kind!r} has no native form; choose engine="image" for it', code="unknown_kind"
        )
    # -- ten decimals are more than any report figure has; the workbook and the chart's cache then
    # hold the same digits (full float precision prints differently in each) --
    spec = ChartSpec(
        spec.kind,
        spec.categories,
        tuple(
            ChartSeries(s.name, tuple(None if v is None else round(float(v), 10) for v in s.values), s.axis, s.as_line)
            for s in spec.series
        ),
        spec.forecast,
        spec.unit,
        spec.unit2,
        spec.title,
    )
    if spec.kind == "line" and _has_forecast(spec):
        return _split_forecasts(spec)
    if spec.kind != "barh":
        return spec
    order = sorted(range(len(spec.categories)), key=lambda i: -(spec.series[0].values[i] or 0.0))
    return ChartSpec(
        spec.kind,
        tuple(spec.categories[i] for i in order),
        (ChartSeries(spec.series[0].name, tuple(spec.series[0].values[i] for i in order)),),
        (),
        spec.unit,
        spec.unit2,
        spec.title,
    )


def _split_forecasts(spec: ChartSpec) -> ChartSpec:
    """A line chart's series as two each: the actual values, and the forecast ones (from the last actual
    point, so the two join), which the chart draws dashed with hollow markers.  Word, WPS and
    LibreOffice all draw a series' own dash; not all of them draw a dash set on single points."""
    actual, forecast = [], []
    last = max((i for i, fc in enumerate(spec.forecast) if not fc), default=-1)
    for ser in spec.series:
        values = list(ser.values) + [None] * (len(spec.categories) - len(ser.values))
        fc = list(spec.forecast) + [False] * (len(values) - len(spec.forecast))
        actual.append(ChartSeries(ser.name, tuple(None if fc[i] else v for i, v in enumerate(values))))
        forecast.append(
            ChartSeries(
                ser.name + FORECAST_PART, tuple(v if fc[i] or i == last else None for i, v in enumerate(values))
            )
        )
    return ChartSpec(
        spec.kind, spec.categories, tuple(actual + forecast), spec.forecast, spec.unit, spec.unit2, spec.title
    )


def min_height(spec: ChartSpec, width: int) -> int:
    """The least height (in the units of `width`) at which every category label and the legend still
    print: a chart drawn shorter to fit a page keeps at least this."""
    if spec.kind == "barh":
        return int(width * aspect(spec))  # -- any shorter, and every other category loses its label --
    return int(width * (0.26 if spec.kind in ("pie", "donut") else 0.27))


def aspect(spec: ChartSpec) -> float:
    """Height over width: room for the plot, the axis labels and the legend below it, and no more (a
    tall chart that does not fit leaves a gap at the foot of the page before it)."""
    if spec.kind in ("pie", "donut"):
        return 0.3
    if spec.kind == "barh":
        return min(0.6, max(0.26, 0.042 * len(spec.categories) + 0.1))
    return 0.32 if len(spec.categories) <= 4 else 0.36


def chart_xml(spec: ChartSpec, rel_id: str) -> bytes:
    """Return the chart part for `spec` (as returned by :func:`drawn_spec`); `rel_id` names the
    embedded workbook's relationship."""
    book = _Book(spec, extra_series(spec))
    space = _c(None, "chartSpace")
    _c(space, "date1904", 0)
    _c(space, "lang", "zh-CN")
    _c(space, "roundedCorners", 0)
    chart = _c(space, "chart")
    if spec.unit and spec.kind not in ("pie", "donut"):
        # -- "单位：亿元" at the top left, as Chinese research reports label a chart's unit --
        title = _c(chart, "title")
        _rich(title, f"单位：{spec.unit}")
        manual = _c(_c(title, "layout"), "manualLayout")
        _c(manual, "xMode", "edge")
        _c(manual, "yMode", "edge")
        _c(manual, "x", "0.01")
        _c(manual, "y", "0.01")
        _c(title, "overlay", 0)
    _c(chart, "autoTitleDeleted", 0 if spec.unit and spec.kind not in ("pie", "donut") else 1)
    plot = _c(chart, "plotArea")
    _c(plot, "layout")
    hide = BUILDERS[spec.kind](plot, spec, book)
    sp_plot = _c(plot, "spPr")
    _a(sp_plot, "noFill")
    _line(sp_plot, None)
    # -- a legend of many lines goes to the right, where it costs width, not the plot's height --
    many = sum(1 for se in spec.series if not se.name.endswith(FORECAST_PART)) > 4
    _legend(chart, hide, "r" if spec.kind in ("pie", "donut") or (spec.kind == "line" and many) else "b")
    _c(chart, "plotVisOnly", 1)
    _c(chart, "dispBlanksAs", "gap")
    sp = _c(space, "spPr")
    _a(sp, "noFill")
    _line(sp, None)
    _tx_pr(space)
    ext = _c(space, "externalData")
    ext.set(f"{{{R_NS}}}id", rel_id)
    _c(ext, "autoUpdate", 0)
    xml: bytes = etree.tostring(space, xml_declaration=True, encoding="UTF-8", standalone=True)
    return xml


__all__ = [
    "KINDS",
    "aspect",
    "chart_xml",
    "drawn_spec",
    "extra_series",
    "min_height",
    "number_format",
    "workbook_bytes",
]
