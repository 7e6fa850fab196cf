"""The workbook convention: series and record tables, forecasts, provenance and errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import MARKET_ROWS, POLICY_ROWS, SHARE_ROWS, make_project, write_workbook

from reportkit.context import build_data
from reportkit.data import DateValue, load_edition
from reportkit.errors import DataError, ProblemsFound


def load(project: Path, year: int = 2024):
    return build_data(load_edition(project, year))


def problems_of(project: Path) -> list[str]:
    with pytest.raises(ProblemsFound) as info:
        load(project)
    return [str(p) for p in info.value.problems]


def test_series_table_reads_years_forecasts_and_metadata(mini_project: Path) -> None:
    t = load(mini_project).market_size
    assert t.title == "中国工业大模型市场规模" and t.unit == "亿元" and t.source == "中商产业研究院"
    assert t.years == [2020, 2021, 2022, 2023, 2024, 2025, 2026]
    assert t.actual_years == [2020, 2021, 2022, 2023]
    assert t.forecast_years == [2024, 2025, 2026]
    assert t.last_actual_year == 2023 and t.first_forecast_year == 2024
    assert t.labels == ["市场规模"], "assumption rows are not data rows"


def test_values_remember_their_cells(mini_project: Path) -> None:
    s = load(mini_project).market_size["市场规模"]
    v = s[2022]
    assert float(v) == 70.0
    assert v.unit == "亿元"
    assert [str(r) for r in v.refs] == ["datasets/2024/市场.xlsx [市场规模] D7"]


def test_empty_forecast_cells_compound_the_assumed_growth(mini_project: Path) -> None:
    s = load(mini_project).market_size["市场规模"]
    assert float(s[2024]) == pytest.approx(294.16), "analyst-entered forecast wins"
    assert float(s[2025]) == pytest.approx(294.16 * 1.5)
    assert float(s[2026]) == pytest.approx(294.16 * 1.5 * 1.4)
    assert "G8" in s[2025].expr and s.last.year == 2026


def test_growth_given_as_plain_number_is_percent_points(tmp_path: Path) -> None:
    rows = [r[:] for r in MARKET_ROWS]
    rows[7] = ["市场规模（预测增速）", None, None, None, None, None, 50, 40]
    proj = make_project(tmp_path / "p", sheets={"m.xlsx": {"市场规模": rows}}, templates={})
    s = load(proj).market_size["市场规模"]
    assert float(s[2025]) == pytest.approx(294.16 * 1.5)


def test_record_table_columns_units_and_dates(mini_project: Path) -> None:
    p = load(mini_project).policies
    assert p.columns == ["文件名称", "发布时间", "发布机构", "措施数（条）"]
    first = p.records[0]
    assert first.label == "《生成式人工智能服务管理暂行办法》"
    assert first["发布时间"] == DateValue(2023, 7, 13)
    assert p.records[1]["发布时间"] == DateValue(2023 - 6, 7)
    assert float(first.措施数) == 24 and first.措施数.unit == "条"
    assert p.count == 2


def test_text_in_a_numeric_cell_names_file_sheet_and_cell(tmp_path: Path) -> None:
    rows = [r[:] for r in MARKET_ROWS]
    rows[6] = ["市场规模", 15, "abc", 70, 141.34, 294.16, None, None]
    proj = make_project(tmp_path / "p", sheets={"市场.xlsx": {"市场规模": rows}}, templates={})
    msgs = problems_of(proj)
    assert msgs == ['datasets/2024/市场.xlsx [市场规模] C7: expected a number, found "abc"']


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    rows = [r[:] for r in MARKET_ROWS]
    rows[6] = ["市场规模", "x", 32.4, "y", 141.34, 294.16, None, None]
    shares = [r[:] for r in SHARE_ROWS]
    shares[9] = ["能源", 25, 30]
    proj = make_project(tmp_path / "p", sheets={"a.xlsx": {"市场规模": rows, "需求": shares}}, templates={})
    msgs = problems_of(proj)
    assert any("B7" in m for m in msgs) and any("D7" in m for m in msgs)
    assert any("add up to 107" in m and "[需求]" in m for m in msgs)


def test_missing_forecast_without_assumption_is_reported(tmp_path: Path) -> None:
    rows = [r[:] for r in MARKET_ROWS[:7]]
    proj = make_project(tmp_path / "p", sheets={"m.xlsx": {"市场规模": rows}}, templates={})
    msgs = problems_of(proj)
    assert [m.split(":")[0] for m in msgs] == [
        "datasets/2024/m.xlsx [市场规模] G7",
        "datasets/2024/m.xlsx [市场规模] H7",
    ]
    assert "2025E" in msgs[0] and "（预测增速）" in msgs[0]


def test_gap_in_actual_years_is_missing(tmp_path: Path) -> None:
    rows = [r[:] for r in MARKET_ROWS]
    rows[6] = ["市场规模", 15, None, 70, 141.34, 294.16, None, None]
    proj = make_project(tmp_path / "p", sheets={"m.xlsx": {"市场规模": rows}}, templates={})
    assert any("C7" in m and "2021" in m for m in problems_of(proj))


def test_duplicate_year_and_unknown_meta_key(tmp_path: Path) -> None:
    rows = [
        ["ID", "x"],
        ["标题", "t"],
        ["单位", "件"],
        ["来源", "s"],
        ["来原", "typo"],
        [],
        ["指标", 2020, 2020],
        ["a", 1, 2],
    ]
    proj = make_project(tmp_path / "p", sheets={"m.xlsx": {"s": rows}}, templates={})
    msgs = problems_of(proj)
    assert any("did you mean 来源" in m and "A5" in m for m in msgs)
    assert any("2020 appears twice" in m for m in msgs)


def test_duplicate_table_id_across_workbooks(tmp_path: Path) -> None:
    proj = make_project(
        tmp_path / "p", sheets={"a.xlsx": {"m": MARKET_ROWS}, "b.xlsx": {"m": MARKET_ROWS}}, templates={}
    )
    assert any("ID market_size is also used by datasets/2024/a.xlsx" in m for m in problems_of(proj))


def test_missing_edition_folder_lists_available(mini_project: Path) -> None:
    with pytest.raises(DataError) as info:
        load(mini_project, 2031)
    assert "datasets/2031" in str(info.value) and "2024" in str(info.value)


def test_not_a_workbook(tmp_path: Path) -> None:
    proj = make_project(tmp_path / "p", templates={})
    (proj / "datasets" / "2024" / "broken.xlsx").write_bytes(b"not a zip")
    assert any("broken.xlsx" in m and "not an .xlsx" in m for m in problems_of(proj))


def test_formula_without_cached_value(tmp_path: Path) -> None:
    rows = [r[:] for r in SHARE_ROWS]
    rows[8] = ["智能制造", 40, "=B9+2"]
    proj = make_project(tmp_path / "p", sheets={"m.xlsx": {"需求": rows}}, templates={})
    msgs = problems_of(proj)
    assert any("C9" in m and "no saved value" in m for m in msgs)


def test_scratch_sheets_are_ignored(tmp_path: Path) -> None:
    proj = make_project(
        tmp_path / "p", sheets={"m.xlsx": {"需求": SHARE_ROWS, "_草稿": [["anything", "abc"]]}}, templates={}
    )
    assert list(load(proj)) == ["demand"]


def test_a_percent_format_never_changes_what_a_cell_means(tmp_path: Path) -> None:
    """Excel stores 40% as 0.4: reading it through the format would make the value depend on the
    display, so a %-formatted cell is refused with the number to type instead."""
    path = tmp_path / "p" / "datasets" / "2024" / "m.xlsx"
    rows = [r[:] for r in SHARE_ROWS]
    rows[8] = ["智能制造", 0.40, 42]
    make_project(tmp_path / "p", sheets={}, templates={})
    write_workbook(path, {"需求": rows}, [("需求", "B9")])
    with pytest.raises(ProblemsFound) as info:
        load(tmp_path / "p")
    (problem,) = info.value.problems
    assert problem.code == "percent_format" and problem.location.cell == "B9"
    assert "shows 40% but stores 0.4" in problem.message and "(40)" in problem.hint


def test_a_quoted_percent_sign_only_decorates(tmp_path: Path) -> None:
    rows = [r[:] for r in MARKET_ROWS]
    proj = make_project(tmp_path / "p", sheets={"m.xlsx": {"市场规模": rows}}, templates={})
    from openpyxl import load_workbook

    book = proj / "datasets" / "2024" / "m.xlsx"
    wb = load_workbook(book)
    for ref in ("G8", "H8"):
        wb["市场规模"][ref].number_format = '0.0"%"'
    wb.save(book)
    s = load(proj).market_size["市场规模"]
    assert float(s[2025]) == pytest.approx(294.16 * 1.5), "50 with a decorative % sign is still 50%"


def test_policy_rows_fixture_is_consistent() -> None:
    assert POLICY_ROWS[5][0] == "文件名称"


@pytest.mark.parametrize(
    "text, date",
    [
        ("2023-07-13", "2023-07-13"),
        ("2023/7", "2023-07"),
        ("2023年7月13日", "2023-07-13"),
        ("2023年7月", "2023-07"),
        ("2024年1-9月", None),
        ("2023-7/1", None),
        ("2023-13-01", None),
    ],
)
def test_dates_typed_as_text(text: str, date: str | None) -> None:
    from reportkit.data.tables import parse_date_text

    found = parse_date_text(text)
    assert (str(found) if found else None) == date, "a span such as 2024年1-9月 is text, not 9 January"


def test_an_empty_sheet_says_how_to_keep_or_drop_it(tmp_path: Path) -> None:
    from openpyxl import Workbook

    proj = make_project(tmp_path / "p", templates={})
    book = proj / "datasets" / "2024" / "空.xlsx"
    wb = Workbook()
    wb.save(book)
    with pytest.raises(ProblemsFound) as info:
        load(proj)
    (problem,) = [p for p in info.value.problems if p.location.file == "datasets/2024/空.xlsx"]
    assert problem.message == "the sheet is empty" and problem.location.sheet == "Sheet"
    assert "start its name with _" in problem.hint
