"""The provenance sidecar: every printed number resolves to the workbook cells it came from."""

from __future__ import annotations

import json
import re
from pathlib import Path

import docx
import pytest
from conftest import make_project, render_ok, run_cli
from openpyxl import load_workbook


@pytest.fixture(scope="module")
def sidecar(tmp_path_factory) -> tuple[Path, dict, Path]:
    proj = make_project(tmp_path_factory.mktemp("prov") / "p")
    out = render_ok("--year", "2024", "--project", str(proj))
    side = out.with_name(out.stem + ".sources.json")
    return proj, json.loads(side.read_text(encoding="utf-8")), out


def cell_value(proj: Path, ref: dict) -> float:
    ws = load_workbook(proj / ref["file"], data_only=True)[ref["sheet"]]
    return float(ws[ref["cell"]].value)


def test_the_cagr_in_the_text_names_its_cells_and_metric(sidecar) -> None:
    proj, data, _out = sidecar
    hits = [n for n in data["numbers"] if n["printed"] == "116.02%"]
    assert len(hits) == 1
    n = hits[0]
    assert n["where"]["kind"] == "paragraph" and n["where"]["section"] == "一、市场规模与增长趋势"
    assert n["metric"] == "cagr(B7:D7, 2 years)"
    assert [c["cell"] for c in n["cells"]] == ["B7", "D7"]
    a, b = (cell_value(proj, c) for c in n["cells"])
    assert round(((b / a) ** 0.5 - 1) * 100, 2) == 116.02


def test_raw_values_resolve_to_their_cell(sidecar) -> None:
    proj, data, _out = sidecar
    raw = [n for n in data["numbers"] if len(n["cells"]) == 1 and n["metric"] == n["cells"][0]["cell"]]
    assert raw, "some numbers are shown as they are in the workbook"
    for n in raw:
        assert cell_value(proj, n["cells"][0]) == pytest.approx(n["value"])
        digits = re.sub(r"[^\d.]", "", n["printed"])
        assert float(digits) == pytest.approx(n["value"], abs=0.051), n


def test_every_paragraph_entry_is_in_that_paragraph(sidecar) -> None:
    _proj, data, out = sidecar
    d = docx.Document(str(out))
    body = [
        p.text
        for p in d.paragraphs
        if p.style.name in ("Normal", "List Bullet", "List Number Plain") and p.text.strip()
    ]
    joined = "\n".join(body)
    for n in data["numbers"]:
        if n["where"]["kind"] == "paragraph":
            assert n["printed"] in joined


def test_tables_and_charts_have_entries(sidecar) -> None:
    _proj, data, _out = sidecar
    kinds = {n["where"]["kind"] for n in data["numbers"]}
    assert kinds == {"paragraph", "table", "chart"}
    growth = [n for n in data["numbers"] if n["where"]["kind"] == "table" and n["metric"].startswith("yoy(")]
    assert growth and growth[0]["where"]["row_label"] == "同比增速" and growth[0]["where"]["column_label"] == "2021"
    forecast = [n for n in data["numbers"] if "forecast(" in n["metric"]]
    assert forecast, "computed forecasts say so"


def test_sidecar_is_deterministic(sidecar, tmp_path: Path) -> None:
    proj, data, _out = sidecar
    res = run_cli("render", "--year", "2024", "--project", str(proj), "--output", str(tmp_path / "x.docx"))
    assert res.returncode == 0
    again = json.loads((tmp_path / "x.sources.json").read_text(encoding="utf-8"))
    assert again["numbers"] == data["numbers"]


def test_attribution_is_exact_with_repeated_wording(tmp_path: Path) -> None:
    """The text of one paragraph ("持续增长") contains what a later filter prints ("增长"): each
    figure is credited to the paragraph that prints it, with its template and line."""
    from conftest import MINI_TEMPLATES

    templates = dict(MINI_TEMPLATES)
    templates["policy.md.j2"] = (
        "市场持续增长，政策密集出台。\n\n"
        '{% set s = data.market_size["市场规模"] %}\n'
        "规模同比{{ s.yoy(s.latest.year) | trend }}{{ s.yoy(s.latest.year) | pct_abs(1) }}。\n"
    )
    proj = make_project(tmp_path / "p", templates=templates)
    out = render_ok("--year", "2024", "--project", str(proj), "--no-cache")
    data = json.loads(out.with_name(out.stem + ".sources.json").read_text(encoding="utf-8"))
    texts = [p.text for p in docx.Document(str(out)).paragraphs]
    mine = [n for n in data["numbers"] if n["where"].get("template") == "templates/policy.md.j2"]
    assert [n["printed"] for n in mine] == ["增长", "101.9%"]
    for n in mine:
        assert n["template"] == {"file": "templates/policy.md.j2", "line": 4}
    # -- found again by searching the text, "增长" would be credited to the earlier "持续增长" paragraph --
    assert mine[0]["where"]["paragraph"] == mine[1]["where"]["paragraph"]
    assert "市场持续增长，政策密集出台。" in texts and "规模同比增长101.9%。" in texts


def test_a_figure_in_a_composed_table_keeps_its_cells(tmp_path: Path) -> None:
    from conftest import MINI_TEMPLATES

    templates = dict(MINI_TEMPLATES)
    templates["policy.md.j2"] = (
        '{% set s = data.market_size["市场规模"] %}\n'
        '{{ table_rows(title="关键指标", header=["指标", "数值"], '
        'rows=[["市场规模", s.latest.value | yi]], source="中商产业研究院") }}\n'
    )
    proj = make_project(tmp_path / "p", templates=templates)
    out = render_ok("--year", "2024", "--project", str(proj), "--no-cache")
    data = json.loads(out.with_name(out.stem + ".sources.json").read_text(encoding="utf-8"))
    cell = [n for n in data["numbers"] if n["where"]["kind"] == "table" and n["printed"] == "141.34亿元"]
    assert cell and [c["cell"] for c in cell[0]["cells"]] == ["E7"]
    table_text = [[c.text for c in r.cells] for t in docx.Document(str(out)).tables for r in t.rows]
    assert ["市场规模", "141.34亿元"] in table_text, "no tag characters reach the document"


def test_charts_and_tables_name_the_template_line_that_made_them(sidecar) -> None:
    _proj, data, _out = sidecar
    chart = next(n for n in data["numbers"] if n["where"]["kind"] == "chart")
    table = next(n for n in data["numbers"] if n["where"]["kind"] == "table")
    assert (chart["where"]["template"], chart["where"]["template_line"]) == ("templates/market.md.j2", 8)
    assert (table["where"]["template"], table["where"]["template_line"]) == ("templates/market.md.j2", 14)
