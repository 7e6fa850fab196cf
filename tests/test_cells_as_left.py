"""Workbooks as analysts leave them: numbers stored as text, merged and hidden cells, stray files, scratch
sheets, a header error, a chart called inside a sentence.  Each is decided and said in one located line:
refused (merged cells in a table) or accepted with a warning (check exits 0, render prints `warning:`)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import docx
import pytest
from conftest import ROOT, run_cli
from openpyxl import load_workbook

BOOK = "datasets/2024/市场规模.xlsx"
SHEET = "市场规模"  # -- header in row 9 (2020, 2022, 2023, 2024E …), 市场规模 in row 10 --


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("pristine") / "report"
    dest.mkdir()
    shutil.copy(ROOT / "report.toml", dest)
    shutil.copytree(ROOT / "templates", dest / "templates")
    shutil.copytree(ROOT / "datasets" / "2024", dest / "datasets" / "2024")
    return dest


@pytest.fixture
def default(pristine: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "report"
    shutil.copytree(pristine, dest)
    return dest


def change(proj: Path, edit: object, book: str = BOOK, sheet: str = SHEET) -> None:
    wb = load_workbook(proj / book)
    edit(wb[sheet])  # type: ignore[operator]
    wb.save(proj / book)


def check_json(proj: Path) -> tuple[int, list[dict]]:
    done = run_cli("check", "--year", "2024", "--project", str(proj), "--json")
    return done.returncode, json.loads(done.stdout)


def test_numbers_stored_as_text_are_read_with_a_warning(default: Path) -> None:
    def edit(ws):
        ws["D10"] = "141.34"
        ws["C10"] = "70"

    change(default, edit)
    code, entries = check_json(default)
    assert code == 0, entries
    warned = [e for e in entries if e["code"] == "number_as_text"]
    assert [(e["file"], e["sheet"], e["cell"], e["level"]) for e in warned] == [
        (BOOK, SHEET, "C10", "warning"),
        (BOOK, SHEET, "D10", "warning"),
    ]
    assert "read as 141.34" in next(e["message"] for e in warned if e["cell"] == "D10")
    done = run_cli("render", "--year", "2024", "--project", str(default))
    assert done.returncode == 0, done.stderr
    assert f"warning: {BOOK} [{SHEET}] D10:" in done.stderr
    text = "\n".join(p.text for p in docx.Document(done.stdout.strip().splitlines()[-1]).paragraphs)
    assert "141.34亿元" in text


def test_thousands_separators_are_numbers_but_words_are_not(default: Path) -> None:
    def edit(ws):
        ws["D10"] = "1,141.34"
        ws["C10"] = "约70"

    change(default, edit)
    code, entries = check_json(default)
    assert code == 1
    by_cell = {e["cell"]: e for e in entries if e["sheet"] == SHEET and e["file"] == BOOK}
    assert by_cell["D10"]["code"] == "number_as_text" and "read as 1141.34" in by_cell["D10"]["message"]
    assert by_cell["C10"]["code"] == "not_a_number" and by_cell["C10"]["level"] == "error"


def test_merged_cells_in_a_table_are_refused_where_they_are(default: Path) -> None:
    change(default, lambda ws: ws.merge_cells("C10:D10"))
    done = run_cli("check", "--year", "2024", "--project", str(default))
    assert done.returncode == 1
    line = next(ln for ln in done.stdout.splitlines() if "merged" in ln)
    assert line.startswith(f"{BOOK} [{SHEET}] C10: cells C10:D10 are merged inside the table"), line
    assert "Traceback" not in done.stderr


def test_merged_title_cells_above_the_table_are_fine(default: Path) -> None:
    change(default, lambda ws: ws.merge_cells("B2:E2"))
    code, entries = check_json(default)
    assert code == 0, [e for e in entries if e["level"] == "error"]


def test_a_hidden_row_that_the_report_uses_is_said(default: Path) -> None:
    change(default, lambda ws: setattr(ws.row_dimensions[10], "hidden", True))
    code, entries = check_json(default)
    assert code == 0
    hidden = [e for e in entries if e["code"] == "hidden_row"]
    assert [(e["file"], e["cell"], e["level"]) for e in hidden] == [(BOOK, "A10", "warning")]


def test_a_csv_beside_the_workbooks_is_said_to_be_ignored(default: Path) -> None:
    (default / "datasets" / "2024" / "补充数据.csv").write_text("指标,2024\n市场规模,300\n", encoding="utf-8")
    code, entries = check_json(default)
    assert code == 0
    stray = [e for e in entries if e["code"] == "stray_file"]
    assert [(e["file"], e["level"]) for e in stray] == [("datasets/2024/补充数据.csv", "warning")]
    assert "not read" in stray[0]["message"]


def test_a_table_renamed_to_a_scratch_sheet_says_why_it_is_gone(default: Path) -> None:
    change(default, lambda ws: setattr(ws, "title", "_市场规模"))
    done = run_cli("check", "--year", "2024", "--project", str(default))
    assert done.returncode == 1  # -- the templates still ask for market_size --
    said = done.stdout.splitlines()
    warning = next(ln for ln in said if ln.startswith("warning:"))
    assert warning.startswith(
        f"warning: {BOOK} [_市场规模] A1: sheet _市场规模 holds table market_size but is skipped"
    ), warning
    assert "rename it to 市场规模" in warning
    # -- and the template that asks for it is told where the table went --
    error = next(ln for ln in said if "no table with ID 'market_size'" in ln)
    assert f"{BOOK} [_市场规模] A1: sheet _市场规模 holds table market_size but is skipped" in error, error


def test_a_mixed_header_points_at_the_odd_column(default: Path) -> None:
    change(default, lambda ws: setattr(ws["I9"], "value", "备注"))
    done = run_cli("check", "--year", "2024", "--project", str(default))
    assert done.returncode == 1
    line = next(ln for ln in done.stdout.splitlines() if "mixes years" in ln)
    assert line.startswith(f"{BOOK} [{SHEET}] I9: a header mixes years and named columns ('备注' among years)"), line


def test_a_chart_called_inside_a_sentence_is_said(default: Path) -> None:
    path = default / "templates" / "ch4" / "1_市场规模与增长趋势.md.j2"
    lines = path.read_text(encoding="utf-8").split("\n")
    at = next(i for i, ln in enumerate(lines) if ln.startswith("{{ chart("))
    lines[at] = "市场保持增长，如图所示：" + lines[at]  # -- the call may go on over several lines --
    path.write_text("\n".join(lines), encoding="utf-8")
    code, entries = check_json(default)
    assert code == 0
    inline = [e for e in entries if e["code"] == "inline_object"]
    assert [(e["template"], e["line"], e["level"]) for e in inline] == [
        ("templates/ch4/1_市场规模与增长趋势.md.j2", at + 1, "warning")
    ]
    assert inline[0]["message"].startswith("chart() is called inside a sentence")
