"""Charts as Word charts: a chart part per figure, its data in an embedded workbook equal to the
workbook cells it came from, a secondary % axis for growth lines, forecast points marked; the
picture engine still selectable per project and per chart."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import MARKET_ROWS, ROOT, SHARE_ROWS, docx_findings, make_project, render_ok
from lxml import etree
from openpyxl import load_workbook

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
NS = {"c": C[1:-1], "a": "http://schemas.openxmlformats.org/drawingml/2006/main"}
RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def names(docx: Path) -> list[str]:
    with zipfile.ZipFile(docx) as zf:
        return zf.namelist()


def document_xml(docx: Path) -> str:
    with zipfile.ZipFile(docx) as zf:
        return zf.read("word/document.xml").decode()


def charts_of(docx: Path) -> list[tuple[etree._Element, dict[str, list]]]:
    """Every chart part in document order, with its embedded workbook read back as columns."""
    with zipfile.ZipFile(docx) as zf:
        return _charts(zf)


def _charts(zf: zipfile.ZipFile) -> list[tuple[etree._Element, dict[str, list]]]:
    doc = zf.read("word/document.xml").decode()
    rels = etree.fromstring(zf.read("word/_rels/document.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels.iter(f"{RELS}Relationship")}
    out = []
    for rid in re.findall(r'<c:chart [^>]*r:id="([^"]+)"', doc):
        part = "word/" + targets[rid]
        chart = etree.fromstring(zf.read(part))
        part_rels = etree.fromstring(zf.read(part.replace("charts/", "charts/_rels/") + ".rels"))
        (book_rel,) = [r for r in part_rels.iter(f"{RELS}Relationship") if r.get("Type").endswith("/package")]
        assert chart.find("c:externalData", NS).get(
            "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
        ) == book_rel.get("Id")
        blob = zf.read("word/" + book_rel.get("Target").replace("../", ""))
        ws = load_workbook(io.BytesIO(blob)).active
        columns = {str(col[0].value): [c.value for c in col[1:]] for col in ws.iter_cols(min_col=2)}
        columns["categories"] = [c.value for c in ws["A"][1:]]
        out.append((chart, columns))
    return out


def series(chart: etree._Element) -> dict[str, tuple[list[str], list[float | None]]]:
    """Each series' name -> (categories, cached values), as Word would draw them."""
    out = {}
    for ser in chart.iter(f"{C}ser"):
        name = ser.find("c:tx//c:v", NS).text
        cats = [v.text for v in ser.findall("c:cat//c:pt/c:v", NS)]
        count = int(ser.find("c:val//c:ptCount", NS).get("val"))
        vals: list[float | None] = [None] * count
        for pt in ser.findall("c:val//c:pt", NS):
            vals[int(pt.get("idx"))] = float(pt.find("c:v", NS).text)
        out[name] = (cats, vals)
    return out


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> Path:
    proj = make_project(tmp_path_factory.mktemp("native") / "p")
    return render_ok("--year", "2024", "--project", str(proj), "--no-cache")


def test_every_figure_is_a_chart_part_with_its_workbook(mini: Path) -> None:
    assert not [n for n in names(mini) if n.startswith("word/media/")], "no pictures: the charts are Word charts"
    charts = charts_of(mini)
    assert [c.find("c:chart/c:plotArea", NS)[1].tag.replace(C, "") for c, _b in charts] == [
        "barChart",
        "pieChart",
        "barChart",
    ], "bar+line, pie, stacked bar in template order"
    assert docx_findings(mini) == []


def test_the_embedded_workbook_holds_the_data(mini: Path) -> None:
    chart, book = charts_of(mini)[0]
    data = MARKET_ROWS[6][1:]
    assert book["categories"] == ["2020", "2021", "2022", "2023", "2024E", "2025E", "2026E"]
    assert book["市场规模"][:5] == [float(v) for v in data[:5]]
    assert book["市场规模"][5] == pytest.approx(294.16 * 1.5) and book["市场规模"][6] == pytest.approx(
        294.16 * 1.5 * 1.4
    )
    drawn = series(chart)
    assert drawn["市场规模"] == (book["categories"], book["市场规模"]), "the chart's cache equals the workbook"
    growth = drawn["同比增速"][1]
    assert growth[0] is None and growth[1] == pytest.approx((32.4 / 15 - 1) * 100)


def test_growth_line_reads_off_a_secondary_percent_axis(mini: Path) -> None:
    chart, _book = charts_of(mini)[0]
    plot = chart.find("c:chart/c:plotArea", NS)
    bar_axes = [a.get("val") for a in plot.findall("c:barChart/c:axId", NS)]
    line_axes = [a.get("val") for a in plot.findall("c:lineChart/c:axId", NS)]
    assert line_axes and set(line_axes).isdisjoint(bar_axes)
    right = [v for v in plot.findall("c:valAx", NS) if v.find("c:axId", NS).get("val") == line_axes[1]]
    assert (
        right and right[0].find("c:axPos", NS).get("val") == "r" and right[0].find("c:crosses", NS).get("val") == "max"
    )
    assert right[0].find("c:delete", NS).get("val") == "0", "the rate axis is shown"
    assert '"%"' in right[0].find("c:numFmt", NS).get("formatCode")


def test_forecast_points_are_patterned_and_explained_in_the_legend(mini: Path) -> None:
    chart, book = charts_of(mini)[0]
    ser = next(s for s in chart.iter(f"{C}ser") if s.find("c:tx//c:v", NS).text == "市场规模")
    patterned = sorted(
        int(d.find("c:idx", NS).get("val"))
        for d in ser.findall("c:dPt", NS)
        if d.find("c:spPr/a:pattFill", NS) is not None
    )
    assert [book["categories"][i] for i in patterned] == ["2024E", "2025E", "2026E"]
    assert "预测值（E）" in series(chart), "a legend key says what the pattern means"


def test_stacked_bars_show_their_totals(mini: Path) -> None:
    chart, book = charts_of(mini)[2]
    assert chart.find(".//c:barChart/c:grouping", NS).get("val") == "stacked"
    totals = series(chart)["合计"][1]
    shares = [r for r in SHARE_ROWS[8:]]
    assert totals == [pytest.approx(sum(r[1] for r in shares)), pytest.approx(sum(r[2] for r in shares))]
    line = chart.find(".//c:lineChart/c:ser", NS)
    assert line.find("c:spPr/a:ln/a:noFill", NS) is not None, "the totals line itself is invisible"
    assert line.find("c:dLbls/c:showVal", NS).get("val") == "1"
    hidden = [e.find("c:idx", NS).get("val") for e in chart.findall(".//c:legend/c:legendEntry", NS)]
    assert hidden == [line.find("c:idx", NS).get("val")], "no legend entry for the totals"
    assert book["合计"] == totals


def test_chinese_text_uses_the_house_font(mini: Path) -> None:
    chart, _book = charts_of(mini)[0]
    faces = {e.get("typeface") for e in chart.iter(f"{{{NS['a']}}}ea")}
    assert faces == {"黑体"}


def test_native_output_is_deterministic(tmp_path: Path) -> None:
    proj = make_project(tmp_path / "p")
    a = render_ok("--year", "2024", "--project", str(proj), "--no-cache", "--output", str(tmp_path / "a.docx"))
    b = render_ok("--year", "2024", "--project", str(proj), "--no-cache", "--output", str(tmp_path / "b.docx"))
    assert a.read_bytes() == b.read_bytes()


def test_the_picture_engine_per_project_and_per_chart(tmp_path: Path) -> None:
    proj = make_project(tmp_path / "p")
    manifest = proj / "report.toml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace("[report]\n", '[report]\ncharts = "image"\n', 1), encoding="utf-8"
    )
    out = render_ok("--year", "2024", "--project", str(proj), "--no-cache")
    assert len([n for n in names(out) if n.startswith("word/media/")]) == 3 and not charts_of(out)
    demand = proj / "templates" / "demand.md.j2"
    demand.write_text(
        demand.read_text(encoding="utf-8").replace('kind="pie",', 'kind="pie", engine="native",'), encoding="utf-8"
    )
    out = render_ok("--year", "2024", "--project", str(proj), "--no-cache")
    assert len(charts_of(out)) == 1 and len([n for n in names(out) if n.startswith("word/media/")]) == 2
    assert docx_findings(out) == []


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["native", "image"])
def test_the_default_edition_through_both_engines(tmp_path: Path, engine: str) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    text = (ROOT / "report.toml").read_text(encoding="utf-8")
    (proj / "report.toml").write_text(
        text.replace("[report]\n", f'[report]\ncharts = "{engine}"\n', 1), encoding="utf-8"
    )
    shutil.copytree(ROOT / "templates", proj / "templates")
    shutil.copytree(ROOT / "datasets" / "2024", proj / "datasets" / "2024")
    out = render_ok("--year", "2024", "--project", str(proj), "--no-cache")
    figures = len(re.findall("<w:drawing>", document_xml(out)))
    parts = [
        n
        for n in names(out)
        if (n.startswith("word/charts/chart") if engine == "native" else n.startswith("word/media/"))
    ]
    assert figures >= 15 and len(parts) == figures
    assert docx_findings(out) == []
    if engine == "native":
        for chart, book in charts_of(out):
            for name, (cats, vals) in series(chart).items():
                assert cats == book["categories"] and vals == book[name], name
