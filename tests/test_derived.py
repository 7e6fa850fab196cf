"""Derived columns and series in table() and chart(): computed from the data, traced to every cell
used, and marked 示例 when the data is illustrative."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest
from conftest import MARKET_ROWS, MINI_TEMPLATES, POLICY_ROWS, SHARE_ROWS, make_project, render_ok, run_cli

DEMAND = """\
{% set d = data.demand %}
需求结构如下。

{{ table("demand", title="需求结构及变化", derive=["share", "cagr", "change", "rank"]) }}

{{ chart("demand", kind="stacked_bar", title="需求结构占比", derive="share") }}
"""
POLICY = (
    MINI_TEMPLATES["policy.md.j2"]
    + """
{{ table("policies", columns=["文件名称", "措施数"], title="政策措施数",
         derive=[{"share": "措施数"}, {"rank": "措施数"}]) }}
"""
)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    templates = {**MINI_TEMPLATES, "demand.md.j2": DEMAND, "policy.md.j2": POLICY}
    proj = make_project(tmp_path_factory.mktemp("derived") / "p", templates=templates)
    out = render_ok("--year", "2024", "--project", str(proj), "--no-cache")
    sidecar = json.loads(out.with_name(out.stem + ".sources.json").read_text(encoding="utf-8"))
    return out, sidecar


def table_by_header(path: Path, first: str) -> list[list[str]]:
    for t in docx.Document(str(path)).tables:
        rows = [[c.text for c in r.cells] for r in t.rows]
        if rows[0][0] == first and len(rows[0]) > 3:
            return rows
    raise AssertionError(first)


def test_series_table_with_share_cagr_change_rank(rendered: tuple[Path, dict]) -> None:
    out, _sidecar = rendered
    rows = table_by_header(out, "领域")
    assert rows[0] == ["领域", "2022", "2023", "2022-2023年均增速", "2022-2023变化", "2023年排名"]
    data = {r[0]: r[1:] for r in SHARE_ROWS[8:]}
    assert rows[1][:3] == ["智能制造", "40", "42"]
    assert rows[1][3:] == [f"{(42 / 40 - 1) * 100:.1f}%", "+2", "1"]
    share = {r[0]: r for r in rows if r[0].endswith("占比")}
    total_2023 = sum(v[1] for v in data.values())
    assert share["能源占比"][2] == f"{23 / total_2023 * 100:.1f}%"
    assert rows[[r[0] for r in rows].index("其他")][5] == "4"


def test_record_table_share_and_rank(rendered: tuple[Path, dict]) -> None:
    out, _sidecar = rendered
    rows = table_by_header(out, "文件名称")
    assert rows[0] == ["文件名称", "措施数（条）", "措施数占比", "措施数排名"]
    assert rows[1][1:] == [str(POLICY_ROWS[6][3]), "100.0%", "1"]
    assert rows[2][1:] == ["—", "—", "—"], "a record without the number has no share or rank"


def test_derived_values_are_traced_and_marked(rendered: tuple[Path, dict]) -> None:
    _out, sidecar = rendered
    cagr = [n for n in sidecar["numbers"] if n["where"].get("column_label") == "2022-2023年均增速"]
    assert cagr and all(n["illustrative"] and {c["sheet"] for c in n["cells"]} == {"需求"} for n in cagr)
    assert [c["cell"] for c in cagr[0]["cells"]] == ["B9", "C9"]
    rank = [n for n in sidecar["numbers"] if n["where"].get("column_label") == "2023年排名"]
    assert len(rank[0]["cells"]) == 4, "a rank depends on every value it is ranked among"
    share_points = [
        n
        for n in sidecar["numbers"]
        if n["where"]["kind"] == "chart" and n["where"]["caption"].endswith("需求结构占比")
    ]
    assert share_points and all(n["printed"].endswith("%") and n["illustrative"] for n in share_points)


def test_the_chart_plots_the_shares(rendered: tuple[Path, dict]) -> None:
    import zipfile

    from lxml import etree

    out, _sidecar = rendered
    with zipfile.ZipFile(out) as zf:
        charts = [etree.fromstring(zf.read(n)) for n in sorted(zf.namelist()) if n.startswith("word/charts/chart")]
    ns = {"c": "http://schemas.openxmlformats.org/drawingml/2006/chart"}
    stacked = next(c for c in charts if c.find(".//c:grouping[@val='stacked']", ns) is not None)
    totals = [float(v.text) for v in stacked.findall(".//c:lineChart/c:ser/c:val//c:v", ns)]
    assert totals == pytest.approx([100.0, 100.0]), "shares of each year add up to 100%"


@pytest.mark.parametrize(
    "call, message",
    [
        ('table("demand", title="x", derive=["median"])', "unknown derived column 'median'"),
        ('table("policies", title="x", derive=["share"])', "derived columns of a record table are written"),
        ('table("policies", title="x", derive=[{"share": "发布机构"}])', "is not numeric"),
        ('chart("demand", kind="pie", title="x", derive="share")', "cannot plot a derived series"),
    ],
)
def test_bad_derivations_are_located(tmp_path: Path, call: str, message: str) -> None:
    proj = make_project(
        tmp_path / "p",
        templates={**MINI_TEMPLATES, "demand.md.j2": MINI_TEMPLATES["demand.md.j2"] + "\n{{ " + call + " }}\n"},
    )
    res = run_cli("check", "--year", "2024", "--project", str(proj))
    assert res.returncode == 1 and message in res.stdout and "templates/demand.md.j2:" in res.stdout


def test_a_caption_unit_covers_the_rate_columns(tmp_path: Path) -> None:
    templates = {**MINI_TEMPLATES, "policy.md.j2": '{{ table("market_size", title="规模", derive=["yoy", "cagr"]) }}\n'}
    proj = make_project(tmp_path / "p", templates=templates)
    out = render_ok("--year", "2024", "--project", str(proj), "--no-cache")
    captions = [p.text for p in docx.Document(str(out)).paragraphs if p.style.name == "Caption"]
    assert "图表2：2020-2026年中国工业大模型市场规模（单位：亿元；增速：%）" in captions
    assert "图表5：规模（单位：亿元；增速、年均增速：%）" in captions


def test_a_caption_unit_covers_change_and_rank_of_percentages(rendered: tuple[Path, dict]) -> None:
    out, _sidecar = rendered
    captions = [p.text for p in docx.Document(str(out)).paragraphs if p.style.name == "Caption"]
    # -- shares in %, their change in percentage points, the rank a place: all said once, in the caption --
    assert any(c.endswith("需求结构及变化（单位：%；变化：百分点；排名：位）") for c in captions), captions


def test_a_record_column_in_the_tables_unit_shows_its_bare_name(tmp_path: Path) -> None:
    rows = [list(r) for r in POLICY_ROWS]
    rows[2] = ["单位", "条"]  # -- the table's unit is the 措施数（条） column's --
    templates = {
        **MINI_TEMPLATES,
        "policy.md.j2": '{{ table("policies", columns=["文件名称", "措施数"], title="措施") }}\n',
    }
    sheets = {"市场.xlsx": {"市场规模": MARKET_ROWS, "需求": SHARE_ROWS}, "政策.xlsx": {"政策": rows}}
    proj = make_project(tmp_path / "p", templates=templates, sheets=sheets)
    out = render_ok("--year", "2024", "--project", str(proj), "--no-cache")
    document = docx.Document(str(out))
    captions = [p.text for p in document.paragraphs if p.style.name == "Caption"]
    assert any(c.endswith("措施（单位：条）") for c in captions), captions
    header = next([c.text for c in t.rows[0].cells] for t in document.tables if t.rows[0].cells[0].text == "文件名称")
    # -- the unit once, in the caption; not again in the column --
    assert header == ["文件名称", "措施数"]
