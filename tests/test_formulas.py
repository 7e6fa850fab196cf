"""Workbooks with formulas: values computed without Excel (`recalc`), formulas and charts carried
through `new-edition`, every cell still to fill on the to-do list, and the formula named in provenance.

Each situation starts from a copy of the default project.  Formula workbooks come in two kinds: saved
by openpyxl (formulas without saved values) and saved by LibreOffice Calc (values saved beside them;
tests/fixtures/market_size_formulas_libreoffice.xlsx, made by `libreoffice_fixture` below, see
tests/fixtures/README.md).
"""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, render_ok, run_cli
from openpyxl import load_workbook
from openpyxl.chart import BarChart, Reference

from reportkit.data.recalc import recalculate
from reportkit.errors import DataError, ProblemsFound

FIXTURE = Path(__file__).parent / "fixtures" / "market_size_formulas_libreoffice.xlsx"
MARKET = "datasets/{year}/市场规模.xlsx"
GROWTH = {"G": 42, "H": 36, "I": 31, "J": 27, "K": 24}
"""The default 市场规模 sheet's growth assumptions (row 11), 2026E-2030E."""


def copy_default(dest: Path) -> Path:
    dest.mkdir(parents=True)
    shutil.copy(ROOT / "report.toml", dest)
    shutil.copytree(ROOT / "templates", dest / "templates")
    shutil.copytree(ROOT / "datasets" / "2024", dest / "datasets" / "2024")
    return dest


def market_with_formulas(book: Path, chart: bool = True) -> None:
    """Turn the default 市场规模 sheet's forecasts into formulas, as an analyst would: 2024E as a
    forecast chain (ROUND(D10*2.0812,2), no assumption), 2025E-2030E over the growth row (2025E's
    growth read from a scratch sheet), and a bar chart of the whole row."""
    wb = load_workbook(book)
    ws = wb["市场规模"]
    ws["E10"] = "=ROUND(D10*2.0812,2)"
    ws["F11"] = "=_假设!B2"
    for col in "FGHIJK":
        prev = chr(ord(col) - 1)
        ws[f"{col}10"] = f"={prev}10*(1+{col}11/100)"
    scratch = wb.create_sheet("_假设")
    scratch["A2"], scratch["B2"] = "2025E增速", 68.41
    if chart:
        bars = BarChart()
        bars.title = "中国大模型市场规模"
        bars.add_data(Reference(ws, min_col=2, max_col=11, min_row=10), from_rows=True)
        bars.set_categories(Reference(ws, min_col=2, max_col=11, min_row=9))
        ws.add_chart(bars, "M2")
    wb.save(book)


def libreoffice_fixture(out_dir: Path) -> Path:
    """Make the fixture again (needs LibreOffice Calc): the default 市场规模 workbook with
    `market_with_formulas`, saved by openpyxl, then converted by headless Calc, which computes and
    saves every formula's value and writes the chart its own way."""
    import subprocess

    source = out_dir / "market_size_formulas_libreoffice.xlsx"
    shutil.copy(ROOT / "datasets" / "2024" / "市场规模.xlsx", source)
    market_with_formulas(source)
    converted = out_dir / "calc"
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "xlsx", "--outdir", str(converted), str(source)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return converted / source.name


def saved(book: Path, sheet: str) -> dict[str, object]:
    """Cell -> the value saved in the workbook (what Excel shows without recomputing)."""
    ws = load_workbook(book, data_only=True)[sheet]
    return {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}


def formulas_of(book: Path, sheet: str) -> dict[str, str]:
    ws = load_workbook(book)[sheet]
    return {
        c.coordinate: c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value[:1] == "="
    }


def check_json(proj: Path, year: int) -> list[dict]:
    res = run_cli("check", "--year", str(year), "--project", str(proj), "--json")
    assert "Traceback" not in res.stderr
    return json.loads(res.stdout)


def chart_xml(book: Path) -> str:
    with zipfile.ZipFile(book) as z:
        names = [n for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
        assert len(names) == 1, names
        return z.read(names[0]).decode("utf-8")


def chart_settings(xml: str) -> bytes:
    """The chart without its ranges and their caches, canonical: what the analyst set up."""
    from lxml import etree

    root = etree.fromstring(xml.encode("utf-8"))
    ns = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
    for tag in ("f", "strCache", "numCache"):
        for el in list(root.iter(ns + tag)):
            el.getparent().remove(el)
    return bytes(etree.tostring(root, method="c14n"))


def chart_ranges(xml: str) -> dict[str, list[str]]:
    """Each range the chart draws -> the points it shows for it (its saved cache)."""
    from lxml import etree

    ns = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
    out = {}
    for f in etree.fromstring(xml.encode("utf-8")).iter(ns + "f"):
        out[f.text.replace("'", "")] = [v.text for v in f.getparent().iter(ns + "v")]  # -- 市场规模 or '市场规模' --
    return out


# -- the engine on its own ------------------------------------------------------------------------


def test_recalc_writes_values_beside_formulas_and_nothing_else(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "数据"
    ws["A1"], ws["A2"], ws["A3"] = 10, 20.5, None
    ws["B1"] = "=B2*2"  # -- reads a formula written after it --
    ws["B2"] = "=SUM(A1:A3)+'假 设'!B1"
    ws["B3"] = '=IF(A1>5,"大","小")'
    ws["B4"] = "=A1>5"
    ws["B5"] = "=A1/A3"
    ws["B6"] = "=100-90.2"
    other = wb.create_sheet("假 设")
    other["B1"] = "=数据!A1*3"
    path = tmp_path / "b.xlsx"
    wb.save(path)
    before = path.read_bytes()

    data, count = recalculate(before, "b.xlsx")
    assert count == 7
    out = tmp_path / "out.xlsx"
    out.write_bytes(data)
    values = saved(out, "数据")
    assert values["B2"] == 10 + 20.5 + 30 and values["B1"] == 2 * values["B2"]
    assert values["B3"] == "大" and values["B4"] is True and values["B5"] == "#DIV/0!"
    assert values["B6"] == 9.8, "Excel's 15 significant digits, not 9.799999999999997"
    assert saved(out, "假 设")["B1"] == 30
    assert formulas_of(out, "数据")["B2"] == "=SUM(A1:A3)+'假 设'!B1"
    with zipfile.ZipFile(io.BytesIO(before)) as a, zipfile.ZipFile(out) as b:
        assert a.namelist() == b.namelist()
        changed = [n for n in a.namelist() if a.read(n) != b.read(n)]
        assert changed == ["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"]
        cell = re.search(r'<c r="B3"[^>]*>.*?</c>', b.read("xl/worksheets/sheet1.xml").decode()).group(0)
        assert re.fullmatch(r'<c r="B3" t="str"><f>IF\(A1&gt;5,"大","小"\)</f><v>大</v></c>', cell), cell
    assert recalculate(data, "b.xlsx") == (data, 0), "nothing left without a value"
    assert recalculate(data, "b.xlsx", everything=True)[1] == 7


def test_what_the_engine_cannot_compute_is_one_message_per_cell(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "S"
    ws["A1"], ws["B1"], ws["B2"], ws["B3"] = 1, "=FOO(A1)", "=TODAY()", "=[1]Other!A1"
    ws["C1"], ws["C2"] = "=C2+A1", "=C1*2"
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ProblemsFound) as found:
        recalculate(buf.getvalue(), "w.xlsx")
    lines = [str(p) for p in found.value.problems]
    assert [p.location.cell for p in found.value.problems] == ["B1", "B2", "B3"]
    assert "=FOO(A1) uses FOO" in lines[0] and "TODAY" in lines[1] and "another workbook" in lines[2]
    ws["B1"] = ws["B2"] = ws["B3"] = None
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(DataError, match=r"circle: \[S\] C1 -> \[S\] C2 -> \[S\] C1"):
        recalculate(buf.getvalue(), "w.xlsx")


# -- the command line on the default project ------------------------------------------------------


@pytest.mark.slow
def test_check_lists_every_formula_without_a_value_and_recalc_fills_them(tmp_path: Path) -> None:
    proj = copy_default(tmp_path / "proj")
    book = proj / MARKET.format(year=2024)
    market_with_formulas(book)
    uncached = [p for p in check_json(proj, 2024) if p["code"] == "formula_not_cached"]
    assert sorted(p["cell"] for p in uncached) == ["E10", "F10", "F11", "G10", "H10", "I10", "J10", "K10"]
    assert {(p["file"], p["sheet"]) for p in uncached} == {(MARKET.format(year=2024), "市场规模")}
    assert all("run reportkit recalc --year 2024 (computes it without Excel)" in p["message"] for p in uncached)

    res = run_cli("recalc", "--year", "2024", "--project", str(proj))
    assert res.returncode == 0, res.stderr
    assert f"{MARKET.format(year=2024)}: 8 values computed" in res.stdout
    values = saved(book, "市场规模")
    assert values["E10"] == 294.16 and values["F11"] == 68.41
    expected = values["E10"] * (1 + 68.41 / 100)
    assert values["F10"] == pytest.approx(expected, rel=1e-14)
    for col, growth in GROWTH.items():
        expected *= 1 + growth / 100
        assert values[f"{col}10"] == pytest.approx(expected, rel=1e-13)
    assert formulas_of(book, "市场规模")["K10"] == "=J10*(1+K11/100)", "formulas stay"
    assert not [p for p in check_json(proj, 2024) if p["code"].startswith("formula")]
    again = run_cli("recalc", "--year", "2024", "--project", str(proj))
    assert again.returncode == 0 and "nothing to compute" in again.stdout

    out = render_ok("--year", "2024", "--project", str(proj))
    side = json.loads(out.with_name(out.stem + ".sources.json").read_text(encoding="utf-8"))
    cells = [c for n in side["numbers"] for c in n["cells"] if c["cell"] == "K10" and c["sheet"] == "市场规模"]
    assert cells and all(c["formula"] == "=J10*(1+K11/100)" for c in cells)
    typed = [c for n in side["numbers"] for c in n["cells"] if c["cell"] == "D10" and c["sheet"] == "市场规模"]
    assert typed and all("formula" not in c for c in typed), "a typed value names no formula"
    # -- the metric of a value taken straight from a formula cell says it was computed there --
    raw = [n for n in side["numbers"] if [c["cell"] for c in n["cells"]] == ["K10"] and n["where"]["kind"] == "table"]
    assert raw and all(n["metric"] == "K10 (formula =J10*(1+K11/100))" for n in raw), [n["metric"] for n in raw]


@pytest.mark.slow
def test_a_formula_that_gives_an_error_is_named_with_its_error(tmp_path: Path) -> None:
    proj = copy_default(tmp_path / "proj")
    book = proj / MARKET.format(year=2024)
    wb = load_workbook(book)
    wb["市场规模"]["F10"] = "=E10/(D10-141.34)"
    wb.save(book)
    assert run_cli("recalc", "--year", "2024", "--project", str(proj)).returncode == 0
    assert saved(book, "市场规模")["F10"] == "#DIV/0!"
    found = [p for p in check_json(proj, 2024) if p["cell"] == "F10" and p["sheet"] == "市场规模"]
    assert [(p["code"], p["message"]) for p in found] == [
        ("formula_error", "formula =E10/(D10-141.34) gives the error #DIV/0!; correct the formula or what it reads")
    ]


@pytest.mark.slow
def test_a_failed_recalc_leaves_every_workbook_as_it_was(tmp_path: Path) -> None:
    proj = copy_default(tmp_path / "proj")
    market_with_formulas(proj / MARKET.format(year=2024), chart=False)
    other = proj / "datasets" / "2024" / "研发投入.xlsx"
    wb = load_workbook(other)
    wb["研发投入规模"]["G10"] = "=ROUNDX(F10*1.52)"
    wb["研发投入规模"]["H10"] = "=H10*1.43"
    wb.save(other)
    before = {p.name: p.read_bytes() for p in (proj / "datasets" / "2024").iterdir()}

    res = run_cli("recalc", "--year", "2024", "--project", str(proj))
    assert res.returncode == 1 and "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert any("[研发投入规模] G10: formula =ROUNDX(F10*1.52) uses ROUNDX" in ln for ln in lines)
    assert {p.name: p.read_bytes() for p in (proj / "datasets" / "2024").iterdir()} == before

    wb["研发投入规模"]["G10"] = "=F10*1.52"
    wb.save(other)
    res = run_cli("recalc", "--year", "2024", "--project", str(proj))
    assert res.returncode == 1
    assert res.stderr.count("\n") == 1 and "circle: [研发投入规模] H10 -> [研发投入规模] H10" in res.stderr
    assert (proj / MARKET.format(year=2024)).read_bytes() == before["市场规模.xlsx"]

    # -- new-edition computes what it can, and lists the rest --
    wb["研发投入规模"]["H10"] = "=ROUNDX(100)"
    wb.save(other)
    made = run_cli("new-edition", "--year", "2025", "--project", str(proj))
    assert made.returncode == 0, made.stderr
    assert (
        "[研发投入规模] H10: formula =ROUNDX(100) has no saved value; run reportkit recalc --year 2025" in made.stdout
    )
    assert saved(proj / MARKET.format(year=2025), "市场规模")["F11"] == 68.41


@pytest.mark.slow
@pytest.mark.parametrize("saved_by", ["libreoffice", "openpyxl"])
def test_new_edition_keeps_formulas_and_the_chart_and_lists_every_cell(tmp_path: Path, saved_by: str) -> None:
    proj = copy_default(tmp_path / "proj")
    book = proj / MARKET.format(year=2024)
    if saved_by == "libreoffice":
        shutil.copy(FIXTURE, book)
        assert saved(book, "市场规模")["K10"] == pytest.approx(1973.674123728), "Calc saved the values"
        assert not [p for p in check_json(proj, 2024) if p["code"].startswith("formula")]
        original_chart = chart_xml(book)
    else:
        market_with_formulas(book)  # -- no values saved: new-edition computes them all the same --

    made = run_cli("new-edition", "--year", "2025", "--project", str(proj))
    assert made.returncode == 0, made.stderr
    new = proj / MARKET.format(year=2025)
    kept = formulas_of(new, "市场规模")
    assert "E10" not in kept, "2024 is actual now: its forecast chain is cleared for the actual"
    assert kept["F11"] == "=_假设!B2" and kept["F10"] == "=E10*(1+F11/100)"
    assert kept["K10"] == "=J10*(1+K11/100)" and kept["L10"] == "=K10*(1+L11/100)", "2031E continues the chain"
    ws = load_workbook(new)["市场规模"]
    assert [c.value for c in ws[9]][1:] == [2020, 2022, 2023, 2024, *[f"{y}E" for y in range(2025, 2032)]]
    assert ws["E10"].value is None and ws["L11"].value is None
    assert saved(new, "市场规模")["F11"] == 68.41, "every formula's value is computed and saved"

    listed = {ln.strip().split(":")[0] for ln in made.stdout.splitlines() if "市场规模.xlsx [市场规模]" in ln}
    cells = {f"{MARKET.format(year=2025)} [市场规模] {c}" for c in ["E10", "L11", *(f"{c}10" for c in "FGHIJKL")]}
    assert listed == cells, "the 2024 actual, the 2031E growth, and every formula waiting for them"
    problems = [p for p in check_json(proj, 2025) if p["file"] == MARKET.format(year=2025)]
    assert {p["cell"] for p in problems} == {c.split()[-1] for c in cells}
    assert {p["code"] for p in problems} == {"missing"}

    xml = chart_xml(new)
    ranges = chart_ranges(xml)
    assert set(ranges) == {"市场规模!$B$9:$L$9", "市场规模!$B$10:$L$10"}, "both ranges take in 2031E"
    if saved_by == "libreoffice":
        # -- the points Calc saved with the chart follow the cells (openpyxl saves none) --
        assert ranges["市场规模!$B$9:$L$9"][3:] == ["2024", *[f"{y}E" for y in range(2025, 2032)]]
        # -- as Excel would show it: 2024 still empty, the forecasts built on it 0 until it is entered --
        assert ranges["市场规模!$B$10:$L$10"] == ["15", "70", "141.34", *["0"] * 7]
        # -- the chart as Calc wrote it, not openpyxl's rewrite of it: same parts, same settings --
        assert chart_settings(xml) == chart_settings(original_chart)

    wb = load_workbook(new)
    wb["市场规模"]["E10"], wb["市场规模"]["L11"] = 300, 20
    wb.save(new)
    filled_chart = chart_xml(new)  # -- as openpyxl saved it with the analyst's figures --
    res = run_cli("recalc", "--year", "2025", "--project", str(proj))
    assert res.returncode == 0, res.stderr
    values = saved(new, "市场规模")
    expected = 300 * (1 + 68.41 / 100)
    assert values["F10"] == pytest.approx(expected, rel=1e-14)
    for col, growth in [*GROWTH.items(), ("L", 20)]:
        expected *= 1 + growth / 100
        assert values[f"{col}10"] == pytest.approx(expected, rel=1e-13)
    left = [p for p in check_json(proj, 2025) if p["file"] == MARKET.format(year=2025)]
    # -- the split by field (需求预测) is still the 2024 edition's, and must be revised to add up: not here --
    assert {p["code"] for p in left} <= {"rule_violated"}
    assert chart_xml(new) == filled_chart and "!$B$10:$L$10" in filled_chart, "recalc leaves charts alone"


@pytest.mark.slow
def test_same_column_formulas_stay_and_fill_a_new_actual_year(tmp_path: Path) -> None:
    proj = copy_default(tmp_path / "proj")
    policies = proj / "datasets" / "2024" / "政策环境.xlsx"
    wb = load_workbook(policies)
    counts = wb["政策数量"]
    counts["A11"] = "合计"
    for col in "BCDEFGH":
        counts[f"{col}11"] = f"=SUM({col}9:{col}10)"
        if col != "B":
            counts[f"{col}8"] = f"={chr(ord(col) - 1)}8+1"  # -- years counted on from 2018 --
    wb.save(policies)
    demand = proj / "datasets" / "2024" / "市场需求.xlsx"
    wb = load_workbook(demand)
    wb["需求预测"]["C10"] = "=B10*2.0219"  # -- a forecast chain in 2024E, which turns actual --
    wb["需求预测"]["C11"] = "=C10*0.63"  # -- within 2024E's column: it stays, waiting for C10 --
    wb.save(demand)
    assert run_cli("recalc", "--year", "2024", "--project", str(proj)).returncode == 0
    assert saved(policies, "政策数量")["H11"] == 26 + 148

    made = run_cli("new-edition", "--year", "2025", "--project", str(proj))
    assert made.returncode == 0, made.stderr
    new = proj / "datasets" / "2025" / "政策环境.xlsx"
    totals = {c: f for c, f in formulas_of(new, "政策数量").items() if not c.endswith("8")}
    assert totals == {**{f"{c}11": f"=SUM({c}9:{c}10)" for c in "BCDEFGH"}, "I11": "=SUM(I9:I10)"}
    assert [saved(new, "政策数量")[f"{c}8"] for c in "BCDEFGHI"] == list(range(2018, 2026)), "a year header formula"
    assert saved(new, "政策数量")["H11"] == 26 + 148 and saved(new, "政策数量")["I11"] == 0
    assert formulas_of(proj / "datasets" / "2025" / "市场需求.xlsx", "需求预测") == {"C11": "=C10*0.63"}
    todo = {ln.strip().split(":")[0].split()[-1] for ln in made.stdout.splitlines() if "[政策数量]" in ln}
    assert todo == {"I9", "I10", "I11"}, "the new year's counts, and the total waiting for them"
    lines = [ln for ln in made.stdout.splitlines() if "[政策数量] I11" in ln or "[需求预测] C11" in ln]
    assert len(lines) == 2
    assert "formula =C10*0.63 reads C10, still empty" in lines[0]
    assert "formula =SUM(I9:I10) reads I9, I10, still empty" in lines[1]


@pytest.mark.slow
def test_cells_right_of_the_years_move_on_with_the_formulas_that_read_them(tmp_path: Path) -> None:
    proj = copy_default(tmp_path / "proj")
    policies = proj / "datasets" / "2024" / "政策环境.xlsx"
    wb = load_workbook(policies)
    counts = wb["政策数量"]
    counts["I9"], counts["I10"] = "不完全统计", "=LEN(I9)+H10"  # -- notes right of 2024, where 2025 goes --
    wb.create_sheet("_核对")["A1"] = "=LEN(政策数量!I9)*政策数量!$H$9"
    wb.save(policies)

    made = run_cli("new-edition", "--year", "2025", "--project", str(proj))
    assert made.returncode == 0, made.stderr
    new = proj / "datasets" / "2025" / "政策环境.xlsx"
    ws = load_workbook(new)["政策数量"]
    assert [c.value for c in ws[8]][7:] == [2024, 2025, None]
    assert (ws["I9"].value, ws["J9"].value, ws["J10"].value) == (None, "不完全统计", "=LEN(J9)+H10")
    assert formulas_of(new, "_核对") == {"A1": "=LEN(政策数量!J9)*政策数量!$H$9"}
    assert saved(new, "政策数量")["J10"] == 5 + 148 and saved(new, "_核对")["A1"] == 5 * 26


def test_chart_ranges_follow_the_roll() -> None:
    from reportkit.data.workbook_charts import extend_reference

    appended = {"市场规模": [(11, 12, False)]}
    assert extend_reference("市场规模!$B$9:$K$9", appended) == "市场规模!$B$9:$L$9"
    assert extend_reference("'市场规模'!$B$10:$K$10", appended) == "'市场规模'!$B$10:$L$10"
    assert extend_reference("市场规模!$B$10:$J$10", appended) == "市场规模!$B$10:$J$10", "stops before the end"
    assert extend_reference("市场规模!$K$9:$K$12", appended) == "市场规模!$K$9:$K$12", "a column: one year"
    assert extend_reference("其他!$B$9:$K$9", appended) == "其他!$B$9:$K$9"
    moved = {"市场规模": [(11, 12, True)]}
    assert extend_reference("市场规模!$B$9:$K$9", moved) == "市场规模!$B$9:$L$9"
    assert extend_reference("市场规模!$L$9:$M$9", moved) == "市场规模!$M$9:$N$9", "moved on to make room"
    assert extend_reference("市场规模!$A$10", moved) == "市场规模!$A$10"


@pytest.mark.slow
def test_a_charts_own_parts_come_along(tmp_path: Path) -> None:
    """Excel gives a chart its style and colours as parts of their own: openpyxl drops them."""
    proj = copy_default(tmp_path / "proj")
    book = proj / MARKET.format(year=2024)
    style = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<cs:chartStyle xmlns:cs="http://schemas.microsoft.com/office/drawing/2012/chartStyle" id="201"/>'
    )
    with zipfile.ZipFile(FIXTURE) as src, zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                body = body.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/charts/style1.xml" '
                    b'ContentType="application/vnd.ms-office.chartstyle+xml"/></Types>',
                )
            out.writestr(info, body)
        out.writestr("xl/charts/style1.xml", style)
        out.writestr(
            "xl/charts/_rels/chart1.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
            'microsoft.com/office/2011/relationships/chartStyle" Target="style1.xml"/></Relationships>',
        )
    made = run_cli("new-edition", "--year", "2025", "--project", str(proj))
    assert made.returncode == 0, made.stderr
    with zipfile.ZipFile(proj / MARKET.format(year=2025)) as z:
        chart = next(n for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n))
        rels = z.read(f"xl/charts/_rels/{chart.split('/')[-1]}.rels").decode()
        target = re.search(r'Target="([^"]+)"', rels).group(1)
        assert "chartStyle" in rels and z.read(f"xl/charts/{target}") == style
        assert f'PartName="/xl/charts/{target}" ContentType="application/vnd.ms-office.chartstyle+xml"' in (
            z.read("[Content_Types].xml").decode()
        )
