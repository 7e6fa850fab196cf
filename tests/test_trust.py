"""Numbers a client can trust: `check` catches format-dependent meanings, implausible values,
contradictions between tables, dates beyond the as-of date and figures left stale by a new edition.

Each mistake is built the way an analyst would make it, on a copy of the default project or on the
small fixture project, and must come back as a located problem with a fix hint.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import docx
import pytest
from conftest import MARKET_ROWS, ROOT, SHARE_ROWS, make_project, render_ok, run_cli
from openpyxl import load_workbook

from reportkit.checks import check_project
from reportkit.errors import Problem

# ---------------------------------------------------------------- helpers


def copy_default(dest: Path) -> Path:
    dest.mkdir(parents=True)
    shutil.copy(ROOT / "report.toml", dest)
    shutil.copytree(ROOT / "templates", dest / "templates")
    shutil.copytree(ROOT / "datasets" / "2024", dest / "datasets" / "2024")
    return dest


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_default(tmp_path_factory.mktemp("trust") / "default")


@pytest.fixture
def default(pristine: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "proj"
    shutil.copytree(pristine, dest)
    return dest


def find_sheet(proj: Path, table_id: str, year: int = 2024) -> tuple[Path, str]:
    """The workbook and sheet that hold table `table_id` (its ID cell), wherever the analysts put it."""
    for book in sorted((proj / "datasets" / str(year)).glob("*.xlsx")):
        wb = load_workbook(book)
        for ws in wb.worksheets:
            if ws["A1"].value == "ID" and ws["B1"].value == table_id:
                return book, ws.title
    raise AssertionError(f"no sheet with ID {table_id}")


def cell_at(proj: Path, table_id: str, label: str, column: str, year: int = 2024) -> str:
    """The A1 reference of row `label` under header `column` (a year such as 2030 or "2030E")."""
    book, sheet = find_sheet(proj, table_id, year)
    ws = load_workbook(book)[sheet]
    header = next(
        r
        for r in ws.iter_rows()
        if r[0].value not in (None, "")
        and any(str(c.value).rstrip("E") == str(column).rstrip("E") for c in r[1:] if c.value is not None)
    )
    col = next(c.column_letter for c in header[1:] if str(c.value).rstrip("E") == str(column).rstrip("E"))
    row = next(r[0].row for r in ws.iter_rows(min_row=header[0].row + 1) if str(r[0].value).strip() == label)
    return f"{col}{row}"


def edit(proj: Path, table_id: str, year: int = 2024, **cells: object) -> tuple[str, str]:
    """Set cells of the sheet holding `table_id`; returns (file relative to the project, sheet)."""
    book, sheet = find_sheet(proj, table_id, year)
    wb = load_workbook(book)
    for ref, value in cells.items():
        wb[sheet][ref] = value
    wb.save(book)
    return book.relative_to(proj).as_posix(), sheet


def add_meta(proj: Path, table_id: str, key: str, *values: object, year: int = 2024) -> None:
    """Insert a metadata row (key, values...) right after the ID row, as an analyst would."""
    book, sheet = find_sheet(proj, table_id, year)
    wb = load_workbook(book)
    ws = wb[sheet]
    ws.insert_rows(2)
    for i, v in enumerate((key, *values), start=1):
        ws.cell(2, i).value = v
    wb.save(book)


def problems(proj: Path, year: int = 2024) -> list[Problem]:
    return check_project(proj, year).problems


def only(found: list[Problem], code: str) -> list[Problem]:
    return [p for p in found if p.code == code]


def append_manifest(proj: Path, text: str) -> None:
    with open(proj / "report.toml", "a", encoding="utf-8") as fh:
        fh.write("\n" + text)


# ---------------------------------------------------------------- the default edition


def test_the_default_edition_is_clean_under_its_own_rules(default: Path) -> None:
    report = check_project(default, 2024)
    assert report.problems == []
    manifest = (default / "report.toml").read_text(encoding="utf-8")
    assert "as_of" in manifest and manifest.count("[[rules]]") >= 3


def test_format_cleared_growth_cell_is_a_likely_fraction(default: Path) -> None:
    ref = cell_at(default, "market_size", "市场规模（预测增速）", 2026)
    file, sheet = edit(default, "market_size", **{ref: 0.42})  # -- 42% pasted as a value without its format --
    found = only(problems(default), "likely_fraction")
    assert [(p.location.file, p.location.sheet, p.location.cell) for p in found] == [(file, sheet, ref)]
    assert "type 42" in found[0].hint


def test_a_percent_format_is_refused_not_reinterpreted(default: Path) -> None:
    book, sheet = find_sheet(default, "market_size")
    ref = cell_at(default, "market_size", "市场规模（预测增速）", 2026)
    wb = load_workbook(book)
    wb[sheet][ref] = 0.42
    wb[sheet][ref].number_format = "0%"
    wb.save(book)
    found = only(problems(default), "percent_format")
    assert [p.location.cell for p in found] == [ref] and "shows 42% but stores 0.42" in found[0].message


def test_a_typo_in_a_forecast_value_is_an_implausible_jump(default: Path) -> None:
    ref = cell_at(default, "market_size", "市场规模", 2030)
    edit(default, "market_size", **{ref: 0.2})
    found = only(problems(default), "implausible_jump")
    assert [p.location.cell for p in found] == [ref] and "0.2 in 2030" in found[0].message


def test_a_fractional_count_is_refused(default: Path) -> None:
    ref = cell_at(default, "bases_by_region", "长三角", 2023)
    edit(default, "bases_by_region", **{ref: 14.04})
    found = only(problems(default), "not_integer")
    assert [p.location.cell for p in found] == [ref] and "14.04" in found[0].message


def test_a_part_larger_than_its_declared_whole(default: Path) -> None:
    """The 头部企业 11.4万 vs 全行业 6.3万 contradiction, declared as a rule, names both cells."""
    book, sheet = find_sheet(default, "rd_talent_facts")
    label = next(
        r[0].value
        for r in load_workbook(book)[sheet].iter_rows()
        if str(r[0].value).startswith("华为") and "研发人员" in str(r[0].value) and "比重" not in str(r[0].value)
    )
    append_manifest(
        default,
        '[[rules]]\nname = "头部企业研发人员是全行业研发人员的一部分"\nkind = "part_of"\n'
        f'part = "rd_talent_facts[{label}].数值"\nwhole = "rd_personnel[研发人员]"\n',
    )
    found = only(problems(default), "rule_violated")
    assert len(found) == 1
    p = found[0]
    assert "11.4万人 exceeds rd_personnel[研发人员]" in p.message
    cells = {(loc.sheet, loc.cell) for loc in (p.location, *p.related)}
    assert len(cells) == 2 and all(c for _s, c in cells)


def test_a_subset_larger_than_the_market_it_belongs_to(default: Path) -> None:
    ref = cell_at(default, "market_industry_llm", "行业大模型市场规模", 2023)
    edit(default, "market_industry_llm", **{ref: 1000})
    found = [p for p in only(problems(default), "rule_violated") if "行业大模型" in p.message]
    assert found and found[0].location.cell == ref and found[0].related


def test_a_forecast_year_inside_the_as_of_date(default: Path) -> None:
    """2024 shown as 2024E while the edition stands at 2024-12-31, with no 截至 to say otherwise."""
    book, sheet = find_sheet(default, "policy_count_by_year")
    wb = load_workbook(book)
    ws = wb[sheet]
    header = next(r for r in ws.iter_rows() if any(c.value == 2024 for c in r))
    cell = next(c for c in header if c.value == 2024)
    cell.value = "2024E"
    wb.save(book)
    found = only(problems(default), "asof_forecast")
    assert [p.location.cell for p in found] == [cell.coordinate]


def test_a_record_dated_after_the_as_of_date(default: Path) -> None:
    book, sheet = find_sheet(default, "filings")
    wb = load_workbook(book)
    wb[sheet].append(["2025年6月", "2025-06-30", 401, "后续统计"])
    wb.save(book)
    found = only(problems(default), "after_as_of")
    assert found and found[0].location.sheet == sheet and "2025-06-30" in found[0].message


def test_an_exception_accepts_one_finding_and_is_listed(default: Path) -> None:
    add_meta(default, "market_size", "例外", "A1 implausible_jump", "测试：该年统计口径调整")
    ref = cell_at(default, "market_size", "市场规模", 2030)
    edit(default, "market_size", **{ref: 0.2, "B2": f"{ref} implausible_jump"})
    report = check_project(default, 2024)
    accepted = [(p.code, p.location.cell, e.reason) for p, e in report.accepted]
    assert ("implausible_jump", ref, "测试：该年统计口径调整") in accepted
    assert not only(report.problems, "implausible_jump")
    res = run_cli("check", "--year", "2024", "--project", str(default))
    assert "accepted by 例外" in res.stdout and "测试：该年统计口径调整" in res.stdout


def test_an_exception_that_matches_nothing_is_a_problem(default: Path) -> None:
    add_meta(default, "market_size", "例外", "C12 implausible_jump", "早已修正的数值")
    found = only(problems(default), "unused_exception")
    assert len(found) == 1 and "C12 implausible_jump" in found[0].message


def test_an_exception_needs_a_reason_and_a_known_finding(default: Path) -> None:
    add_meta(default, "market_size", "例外", "C12 implausible_jump", None)
    add_meta(default, "market_size", "例外", "C12 missing", "想跳过")
    found = problems(default)
    assert any(p.code == "missing" and "gives no reason" in p.message for p in found)
    assert any(p.code == "bad_value" and "cannot accept 'missing'" in p.message for p in found)


# ---------------------------------------------------------------- a new edition


@pytest.mark.slow
def test_new_edition_lists_and_catches_stale_forecasts_and_notes(default: Path) -> None:
    note_book, note_sheet = find_sheet(default, "infra_compute")
    wb = load_workbook(note_book)
    ws = wb[note_sheet]
    source = next(r[1] for r in ws.iter_rows(max_row=10) if r[0].value == "来源")
    source.value = f"{source.value}；2024年为本报告测算"
    wb.save(note_book)
    made = run_cli("new-edition", "--year", "2025", "--project", str(default))
    assert made.returncode == 0, made.stderr
    todo = made.stdout
    stale_ref = cell_at(default, "market_size", "市场规模", 2025, year=2025)
    assert f"[市场规模] {stale_ref}: 2025E of '市场规模' (495.39) is the 2024 edition's forecast" in todo
    assert "2024 is still to be entered" in todo
    assert any(
        f"[{note_sheet}]" in line and ("calls 2024 a forecast" in line or "calls 2024 estimated" in line)
        for line in todo.splitlines()
    ), "the stale source note is on the to-do list"
    # -- the analyst enters the 2024 actuals but forgets the carried-over 2025E --
    actual_ref = cell_at(default, "market_size", "市场规模", 2024, year=2025)
    edit(default, "market_size", year=2025, **{actual_ref: 166.78})
    found = problems(default, 2025)
    stale = only(found, "stale_forecast")
    market = [p for p in stale if (p.location.sheet, p.location.cell) == ("市场规模", stale_ref)]
    assert market and "made on 2024E = 294.16; the actual 2024 is now 166.78" in market[0].message
    notes = only(found, "stale_text")
    assert any(p.location.sheet == note_sheet and "2024" in p.message for p in notes)
    as_json = json.loads(run_cli("check", "--year", "2025", "--project", str(default), "--json").stdout)
    assert any(
        p["code"] == "stale_forecast" and (p["sheet"], p["cell"]) == ("市场规模", stale_ref) and p["hint"]
        for p in as_json
    )


# ---------------------------------------------------------------- each rule kind on the small project

RULES = """
[[rules]]
name = "需求合计"
kind = "sum"
total = 100
parts = "demand"

[[rules]]
name = "同一序列"
kind = "same"
series = ["market_size[市场规模]", "market_copy[市场规模]"]

[[rules]]
name = "部分不超过整体"
kind = "part_of"
part = "market_part[市场规模]"
whole = "market_size[市场规模]"
"""


def rule_project(
    tmp_path: Path, copy_value: float = 70, part_unit: str = "亿元", part_values: tuple[float, ...] = (10, 20, 60, 100)
) -> Path:
    copy = [r[:] for r in MARKET_ROWS]
    copy[0] = ["ID", "market_copy"]
    copy[6] = copy[6][:]
    copy[6][3] = copy_value
    part = [r[:5] for r in MARKET_ROWS[:7]]
    part[0], part[2] = ["ID", "market_part"], ["单位", part_unit]
    part[6] = ["市场规模", *part_values]
    proj = make_project(
        tmp_path / "p",
        sheets={"市场.xlsx": {"市场规模": MARKET_ROWS, "复本": copy, "部分": part, "需求": SHARE_ROWS}},
        templates={"t.md.j2": "文字。\n"},
        manifest='[report]\ntitle = "{start}年测试"\n[[chapters]]\ntitle = "章"\n'
        'sections = [{ title = "节", template = "t.md.j2" }]\n' + RULES,
    )
    return proj


def test_rules_pass_when_the_data_agrees(tmp_path: Path) -> None:
    assert problems(rule_project(tmp_path)) == []


@pytest.mark.parametrize(
    "kwargs, rule, text",
    [
        ({"copy_value": 71}, "同一序列", "market_size[市场规模] = 70亿元 but market_copy[市场规模] = 71亿元 in 2022"),
        (
            {"part_values": (10, 20, 75, 100)},
            "部分不超过整体",
            "market_part[市场规模] = 75亿元 exceeds market_size[市场规模] = 70亿元 in 2022",
        ),
        (
            {"part_unit": "万亿元", "part_values": (0.001, 0.002, 0.01, 0.01)},
            "部分不超过整体",
            "market_part[市场规模] = 0.01万亿元 exceeds market_size[市场规模] = 70亿元 in 2022",
        ),
    ],
)
def test_each_rule_kind_reports_the_cells_involved(tmp_path: Path, kwargs: dict, rule: str, text: str) -> None:
    found = only(problems(rule_project(tmp_path, **kwargs)), "rule_violated")
    assert len(found) == 1 and rule in found[0].message and text in found[0].message, found
    assert found[0].location.cell and found[0].related and found[0].related[0].cell


def test_units_are_compared_after_scaling(tmp_path: Path) -> None:
    # -- 0.006万亿元 = 60亿元 is below 70亿元: no violation --
    assert problems(rule_project(tmp_path, part_unit="万亿元", part_values=(0.001, 0.002, 0.006, 0.01))) == []


def test_a_sum_rule_against_a_constant(tmp_path: Path) -> None:
    proj = rule_project(tmp_path)
    book = proj / "datasets" / "2024" / "市场.xlsx"
    wb = load_workbook(book)
    wb["需求"]["B10"] = 20  # -- 40+20+20+15 = 95 --
    wb["需求"]["A6"] = None  # -- drop 必须合计 so only the rule speaks --
    wb["需求"]["B6"] = None
    wb.save(book)
    found = only(problems(proj), "rule_violated")
    assert len(found) == 1 and "= 95 but 100 in 2022" in found[0].message and len(found[0].related) == 3


def test_a_rule_naming_missing_data_is_reported(tmp_path: Path) -> None:
    proj = rule_project(tmp_path)
    append_manifest(proj, '[[rules]]\nname = "坏规则"\nkind = "part_of"\npart = "nope[行]"\nwhole = "market_size"\n')
    found = only(problems(proj), "bad_rule")
    assert len(found) == 1 and "no table with ID 'nope'" in found[0].message


def test_rule_syntax_errors_name_the_manifest(tmp_path: Path) -> None:
    proj = rule_project(tmp_path)
    append_manifest(proj, '[[rules]]\nname = "x"\nkind = "bigger"\n\n[checks]\nmax_growht = 5\n')
    found = problems(proj)
    assert {p.location.file for p in found} == {"report.toml"}
    assert any("kind must be one of part_of, same, sum" in p.message for p in found)
    assert any("did you mean 'max_growth'" in p.message for p in found)


def test_bounds_are_set_per_project_table_and_row(tmp_path: Path) -> None:
    proj = rule_project(tmp_path)
    assert problems(proj) == []
    append_manifest(proj, "[checks]\nmax_growth = 100\n")
    jumps = only(problems(proj), "implausible_jump")
    assert {p.location.cell for p in jumps} >= {"C7", "D7"}, "15→32.4→70 grows over 100% a year"
    append_manifest(
        proj,
        '[[checks.bounds]]\ntable = "market_size"\nrow = "市场规模"\nmax_growth = 200\n'
        '[[checks.bounds]]\ntable = "market_copy"\nmax_growth = 200\n'
        '[[checks.bounds]]\ntable = "market_part"\nmax_growth = 200\n',
    )
    assert only(problems(proj), "implausible_jump") == []


def test_a_negative_size_and_a_sign_change(tmp_path: Path) -> None:
    proj = rule_project(tmp_path)
    book = proj / "datasets" / "2024" / "市场.xlsx"
    wb = load_workbook(book)
    wb["复本"]["C7"] = -32.4
    wb.save(book)
    assert [p.location.cell for p in only(problems(proj), "negative")] == ["C7"]
    append_manifest(proj, '[[checks.bounds]]\ntable = "market_copy"\nallow_negative = true\n')
    found = problems(proj)
    assert only(found, "negative") == [] and {p.location.cell for p in only(found, "sign_change")} == {"C7", "D7"}


def test_growth_assumption_out_of_range(tmp_path: Path) -> None:
    proj = rule_project(tmp_path)
    book = proj / "datasets" / "2024" / "市场.xlsx"
    wb = load_workbook(book)
    wb["市场规模"]["H8"] = 400  # -- 400% a year --
    wb.save(book)
    found = only(problems(proj), "growth_out_of_range")
    assert [p.location.cell for p in found] == ["H8"] and "400%" in found[0].message


# ---------------------------------------------------------------- as-of dates and illustrative values


def test_as_of_is_declared_per_edition_and_per_sheet(tmp_path: Path) -> None:
    proj = make_project(tmp_path / "p")

    def data_problems() -> list[tuple[str, str | None]]:
        return [(p.code, p.location.cell) for p in problems(proj) if p.location.template is None]

    assert data_problems() == [], "by default an edition stands at the end of the year before it"
    text = (proj / "report.toml").read_text(encoding="utf-8")
    (proj / "report.toml").write_text(
        text.replace("[report]\n", '[report]\nas_of = "{year}-12-31"\n', 1), encoding="utf-8"
    )
    assert data_problems() == [("asof_forecast", "F6")]
    add_meta(proj, "market_size", "截至", "2023-12-31")
    assert data_problems() == [], "a sheet whose figures stand earlier says so"


def test_text_dated_after_the_as_of_date(tmp_path: Path) -> None:
    proj = make_project(tmp_path / "p")
    path = proj / "templates" / "policy.md.j2"
    path.write_text(
        path.read_text(encoding="utf-8") + "\n截至{{ p.records[0].发布时间.year + 1 }}年6月，政策持续出台。\n",
        encoding="utf-8",
    )
    found = only(problems(proj), "after_as_of")
    assert [(p.location.template, p.code) for p in found] == [("templates/policy.md.j2", "after_as_of")]
    assert found[0].location.line


def test_illustrative_figures_are_marked_in_prose_and_the_sidecar(tmp_path: Path) -> None:
    proj = make_project(tmp_path / "p")
    out = render_ok("--year", "2024", "--project", str(proj), "--no-cache")
    text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
    assert "占比最高，为42.0%（示例）" in text, "the 需求 table is flagged 示例"
    assert "达到141.34亿元（示例）" not in text and "达到141.34亿元" in text, "real figures are not marked"
    sidecar = json.loads(out.with_name(out.stem + ".sources.json").read_text(encoding="utf-8"))
    marked = [n for n in sidecar["numbers"] if n.get("illustrative")]
    assert marked and all("需求" in {c["sheet"] for c in n["cells"]} for n in marked)


def test_illustrative_values_never_name_a_real_organisation(tmp_path: Path) -> None:
    proj = make_project(tmp_path / "p")
    book = proj / "datasets" / "2024" / "市场.xlsx"
    wb = load_workbook(book)
    wb["需求"]["A9"] = "国务院"
    wb.save(book)
    found = only(problems(proj), "illustrative_real_name")
    assert [(p.location.sheet, p.location.cell) for p in found] == [("需求", "A9")]
    assert "企业A" in found[0].hint
