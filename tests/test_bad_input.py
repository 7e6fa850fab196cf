"""Bad input gets one clear line naming where it is, and never costs the previous output.

Table-driven (`CASES`): every case builds the small test project, puts a known-good DOCX where
`render` writes, breaks one thing, then runs `reportkit check --json` and `reportkit render` and
asserts:

- both exit 1, and neither lets an exception escape (what a user would see as a traceback);
- `check --json` prints a list of objects with exactly the keys file, sheet, cell, template,
  line, code, message, and one of them has the expected code and location;
- `render` prints only lines starting with `error: `, one of them the same problem, named the
  same way (`file [sheet] cell`, `template:line` or the file);
- the DOCX that was there before is byte-identical and no temporary `*.part` file is left.

The table runs the command line in this process (click's runner): a Python process per command
would cost a second each.  The tests after the table run real processes: several problems in one
run, usage errors, concurrent renders, and renders killed or interrupted half-way.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import MINI_MANIFEST, MINI_TEMPLATES, SHARE_ROWS, docx_findings, make_project, run_cli, write_workbook
from openpyxl import load_workbook

from reportkit.docx.writer import BULLET
from reportkit.errors import Location

YEAR = "2024"
TITLE = "2024-2030年中国工业大模型测试报告"
KEYS = {"file", "sheet", "cell", "template", "line", "code", "message", "hint", "cells", "level"}
MARKET = "datasets/2024/市场.xlsx"
POLICY = "datasets/2024/政策.xlsx"

# -- the mini project's templates without literal years, so that `check` (which lints) is clean --
TEMPLATES = dict(MINI_TEMPLATES)
TEMPLATES["market.md.j2"] = (
    MINI_TEMPLATES["market.md.j2"]
    .replace('{% set s = t["市场规模"] %}\n', '{% set s = t["市场规模"] %}\n{% set y2 = t.actual_years[-2] %}\n')
    .replace("2022", "y2")
)
END = {name: len(text.splitlines()) for name, text in TEMPLATES.items()}  # last line of each template


def new_project(root: Path) -> Path:
    return make_project(root, templates=TEMPLATES)


def default_output(project: Path) -> Path:
    return project / "build" / YEAR / f"{TITLE}.docx"


# ------------------------------------------------------------------------------------------
# mutations
# ------------------------------------------------------------------------------------------
def set_cells(rel: str, sheet: str, cells: dict[str, Any], delete_rows: tuple[int, ...] = ()) -> Callable[[Path], None]:
    """Return a mutation that sets `cells` (A1 -> value) of `sheet` in workbook `rel`."""

    def mutate(project: Path) -> None:
        path = project / rel
        wb = load_workbook(path)
        ws = wb[sheet]
        for row in sorted(delete_rows, reverse=True):
            ws.delete_rows(row)
        for ref, value in cells.items():
            ws[ref] = value
        wb.save(path)

    return mutate


def replace_text(rel: str, old: str, new: str) -> Callable[[Path], None]:
    def mutate(project: Path) -> None:
        path = project / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {rel}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return mutate


def append_to(template: str, text: str) -> Callable[[Path], None]:
    """Append `text` to a template; its first line becomes line END[template] + 1."""

    def mutate(project: Path) -> None:
        path = project / "templates" / template
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")

    return mutate


def in_report_section(line: str) -> Callable[[Path], None]:
    return replace_text("report.toml", 'publisher = "测试研究院"\n', f'publisher = "测试研究院"\n{line}\n')


def write_bytes(rel: str, data: bytes) -> Callable[[Path], None]:
    def mutate(project: Path) -> None:
        (project / rel).write_bytes(data)

    return mutate


def add_workbook(rel: str, sheets: dict[str, list[list[Any]]]) -> Callable[[Path], None]:
    def mutate(project: Path) -> None:
        write_workbook(project / rel, sheets)

    return mutate


def rename_dataset_folder(project: Path) -> None:
    (project / "datasets" / YEAR).rename(project / "datasets" / "2023")


def reference_without(style: str) -> Callable[[Path], None]:
    """Point the manifest at a copy of the packaged reference .docx whose `style` is renamed."""

    def mutate(project: Path) -> None:
        import docx

        from reportkit.docx import packaged_reference

        doc = docx.Document(str(packaged_reference()))
        doc.styles[style].name = f"{style} (renamed)"
        doc.save(str(project / "ref.docx"))
        in_report_section('reference_docx = "ref.docx"')(project)

    return mutate


def patch_sheet_xml(project: Path, placeholder: str, replacement: bytes, prolog: bytes = b"") -> None:
    """Put `placeholder` in 政策!C8, then swap it for raw `replacement` bytes inside the sheet's XML."""
    set_cells(POLICY, "政策", {"C8": placeholder})(project)
    path = project / POLICY
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    assert placeholder.encode() in parts[sheet]
    parts[sheet] = prolog + parts[sheet].replace(placeholder.encode(), replacement)
    with zipfile.ZipFile(path, "w") as zf:
        for n, data in parts.items():
            zf.writestr(n, data)


def zip_bomb(rel: str) -> Callable[[Path], None]:
    """A small .xlsx whose one part inflates to more than the 200 MB reportkit accepts."""

    def mutate(project: Path) -> None:
        with zipfile.ZipFile(project / rel, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            zf.writestr("[Content_Types].xml", "<Types/>")
            with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
                block = b" " * (1 << 20)
                for _ in range(201):
                    fh.write(block)

    return mutate


def both(*mutations: Callable[[Path], None]) -> Callable[[Path], None]:
    def mutate(project: Path) -> None:
        for m in mutations:
            m(project)

    return mutate


# ------------------------------------------------------------------------------------------
# cases
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    name: str
    mutate: Callable[[Path], None]
    code: str
    where: dict[str, Any]  # all five location fields, as `check --json` prints them
    text: str = ""  # part of the expected message


def manifest() -> dict[str, Any]:
    return {"file": "report.toml", "sheet": None, "cell": None, "template": None, "line": None}


def cell(rel: str, sheet: str | None, ref: str | None) -> dict[str, Any]:
    return {"file": rel, "sheet": sheet, "cell": ref, "template": None, "line": None}


def tpl(name: str, line: int | None) -> dict[str, Any]:
    shown = f"templates/{name}"
    return {"file": shown, "sheet": None, "cell": None, "template": shown, "line": line}


def market(ref: str) -> dict[str, Any]:
    return cell(MARKET, "市场规模", ref)


def demand(ref: str) -> dict[str, Any]:
    return cell(MARKET, "需求", ref)


M = END["market.md.j2"] + 1  # the first appended line of market.md.j2
D = END["demand.md.j2"] + 1

MANIFEST_CASES = [
    Case("toml_syntax", replace_text("report.toml", "[report]", "[report"), "syntax", manifest(), "not valid TOML"),
    Case(
        "unknown_key_did_you_mean",
        replace_text("report.toml", "horizon = 6", "horizen = 6"),
        "unknown_key",
        manifest(),
        "did you mean 'horizon'",
    ),
    Case(
        "missing_template",
        replace_text("report.toml", '"policy.md.j2"', '"policies.md.j2"'),
        "missing",
        manifest(),
        "templates/policies.md.j2",
    ),
    Case(
        "template_escapes_project",
        replace_text("report.toml", '"policy.md.j2"', '"../../etc/passwd"'),
        "path_escape",
        manifest(),
        "outside the project",
    ),
    Case(
        "reference_docx_missing",
        in_report_section('reference_docx = "styles/ref.docx"'),
        "missing",
        manifest(),
        "styles/ref.docx",
    ),
    Case(
        "reference_docx_escapes_project",
        in_report_section('reference_docx = "../ref.docx"'),
        "path_escape",
        manifest(),
        "reference_docx",
    ),
    Case(
        "no_chapters",
        lambda p: (p / "report.toml").write_text(MINI_MANIFEST.split("[[chapters]]")[0], encoding="utf-8"),
        "missing",
        manifest(),
        "[[chapters]]",
    ),
    Case(
        "bad_horizon",
        replace_text("report.toml", "horizon = 6", 'horizon = "六年"'),
        "bad_value",
        manifest(),
        "horizon",
    ),
    Case(
        "control_character_in_manifest",
        replace_text("report.toml", 'publisher = "测试研究院"', 'publisher = "测试\\u0001研究院"'),
        "bad_value",
        manifest(),
        "report.publisher contains the control character U+0001",
    ),
    Case(
        "title_pattern_unbalanced_brace",
        replace_text("report.toml", "{start}-{end}", "{start-{end}"),
        "bad_value",
        manifest(),
        "title is not a valid pattern",
    ),
    Case(
        "output_pattern_bad_format",
        in_report_section('output = "build/{year:q}.docx"'),
        "bad_value",
        manifest(),
        "output cannot be filled in",
    ),
    Case(
        "chapters_not_a_list",
        lambda p: (p / "report.toml").write_text(
            "chapters = 3\n" + MINI_MANIFEST.split("[[chapters]]")[0], encoding="utf-8"
        ),
        "bad_value",
        manifest(),
        "[[chapters]] must be a list",
    ),
    Case(
        "title_placeholder_unknown",
        replace_text("report.toml", "{start}-{end}", "{start}-{finish}"),
        "bad_value",
        manifest(),
        "{finish}",
    ),
]

WORKBOOK_CASES = [
    Case(
        "text_in_numeric_cell",
        set_cells(MARKET, "市场规模", {"C7": "abc"}),
        "not_a_number",
        market("C7"),
        'expected a number, found "abc"',
    ),
    Case(
        # -- plain numeric text ("1,413") is read with a warning (test_cells_as_left); words are not guessed --
        "number_with_words_typed_as_text",
        set_cells(MARKET, "市场规模", {"E7": "约1,413"}),
        "not_a_number",
        market("E7"),
        '"约1,413"',
    ),
    Case("bool_in_numeric_cell", set_cells(MARKET, "市场规模", {"D7": True}), "not_a_number", market("D7"), "True"),
    Case(
        "date_in_numeric_column",
        set_cells(MARKET, "市场规模", {"E7": dt.datetime(2023, 5, 1)}),
        "not_a_number",
        market("E7"),
        "2023-05-01",
    ),
    Case(
        "text_in_record_unit_column",
        set_cells(POLICY, "政策", {"D7": "二十四"}),
        "not_a_number",
        cell(POLICY, "政策", "D7"),
        "二十四",
    ),
    Case("duplicate_year", set_cells(MARKET, "市场规模", {"D6": 2021}), "duplicate", market("D6"), "2021"),
    Case("duplicate_row_label", set_cells(MARKET, "需求", {"A10": "智能制造"}), "duplicate", demand("A10"), "智能制造"),
    Case("missing_id", set_cells(MARKET, "市场规模", {}, delete_rows=(1,)), "missing", market("A1"), "ID"),
    Case("missing_source_key", set_cells(MARKET, "市场规模", {}, delete_rows=(4,)), "missing", market("A1"), "来源"),
    Case("empty_source_value", set_cells(MARKET, "市场规模", {"B4": None}), "missing", market("B4"), "来源"),
    Case(
        "unknown_metadata_key",
        set_cells(MARKET, "市场规模", {"A3": "单元"}),
        "unknown_key",
        market("A3"),
        "did you mean 单位",
    ),
    Case("empty_header_cell", set_cells(POLICY, "政策", {"C6": None}), "missing", cell(POLICY, "政策", "C6"), "header"),
    Case(
        "years_out_of_order",
        set_cells(MARKET, "市场规模", {"C6": 2022, "D6": 2021}),
        "bad_order",
        market("D6"),
        "increase",
    ),
    Case(
        "actual_year_after_forecast",
        set_cells(MARKET, "市场规模", {"H6": 2026}),
        "bad_order",
        market("H6"),
        "after a forecast",
    ),
    Case("gap_in_actual_years", set_cells(MARKET, "市场规模", {"D7": None}), "missing", market("D7"), "2022"),
    Case(
        "empty_forecast_without_assumption",
        set_cells(MARKET, "市场规模", {}, delete_rows=(8,)),
        "missing",
        market("G7"),
        "2025E",
    ),
    Case(
        "empty_growth_assumption",
        set_cells(MARKET, "市场规模", {"G8": None}),
        "missing",
        market("G8"),
        "forecast value in G7",
    ),
    Case("shares_do_not_add_up", set_cells(MARKET, "需求", {"B9": 50}), "bad_total", demand("B8"), "110"),
    Case(
        "formula_without_cached_value",
        set_cells(MARKET, "需求", {"C9": "=B9+2"}),
        "formula_not_cached",
        demand("C9"),
        "=B9+2",
    ),
    Case(
        "not_a_zip",
        write_bytes("datasets/2024/坏.xlsx", b"PK\x03\x04 this is not a workbook"),
        "bad_workbook",
        cell("datasets/2024/坏.xlsx", None, None),
        ".xlsx",
    ),
    Case(
        "invalid_xml_character",
        lambda p: patch_sheet_xml(p, "XMLBREAK", b"&#1;"),
        "bad_workbook",
        cell(POLICY, None, None),
        "invalid character",
    ),
    Case(
        "xml_entity_expansion_attack",
        lambda p: patch_sheet_xml(
            p,
            "XMLBOMB",
            b"&lol5;",
            prolog=b"<!DOCTYPE worksheet ["
            + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1)) * 10 if i else b"lol") for i in range(6))
            + b"]>",
        ),
        "bad_workbook",
        cell(POLICY, None, None),
        "refused",
    ),
    Case(
        "workbook_too_large",
        write_bytes("datasets/2024/大.xlsx", b"\0" * (21 * 1024 * 1024)),
        "too_large",
        cell("datasets/2024/大.xlsx", None, None),
        "limit is 20 MB",
    ),
    Case(
        "workbook_inflates_too_much",
        zip_bomb("datasets/2024/膨胀.xlsx"),
        "too_large",
        cell("datasets/2024/膨胀.xlsx", None, None),
        "200 MB",
    ),
    Case(
        "duplicate_table_id_across_workbooks",
        add_workbook("datasets/2024/重复.xlsx", {"又一张": SHARE_ROWS}),
        "duplicate",
        cell("datasets/2024/重复.xlsx", "又一张", "B1"),
        "datasets/2024/市场.xlsx [需求]",
    ),
    Case("no_dataset_folder_for_year", rename_dataset_folder, "missing", cell("datasets/2024", None, None), "2023"),
    Case(
        "assumption_row_names_no_data_row",
        set_cells(MARKET, "市场规模", {"A8": "市场规摸（预测增速）"}),
        "unknown_row",
        market("A8"),
        "did you mean '市场规模'",
    ),
    Case("bad_illustrative_flag", set_cells(MARKET, "需求", {"B5": "也许"}), "bad_value", demand("B5"), "示例"),
    Case("non_ascii_id", set_cells(MARKET, "市场规模", {"B1": "市场规模"}), "bad_id", market("B1"), "ASCII"),
    # -- the unit is wrong for the filter the template applies: 万元 printed with yi --
    Case(
        "unit_mismatch_yi_on_wan_table",
        set_cells(MARKET, "市场规模", {"B3": "万元"}),
        "unit_mismatch",
        tpl("summary.md.j2", 2),
        "filter yi",
    ),
]

TEMPLATE_CASES = [
    Case(
        "syntax_error",
        append_to("market.md.j2", "正文\n{% if %}\n"),
        "syntax",
        tpl("market.md.j2", M + 1),
        "syntax error",
    ),
    Case(
        "unknown_filter",
        append_to("market.md.j2", "{{ s.latest.value | yuan }}\n"),
        "syntax",
        tpl("market.md.j2", M),
        "yuan",
    ),
    Case(
        "undefined_name",
        append_to("market.md.j2", "\n\n{{ markt.title }}\n"),
        "undefined_name",
        tpl("market.md.j2", M + 2),
        "markt",
    ),
    Case(
        "unknown_table_id",
        append_to("market.md.j2", "{{ data.market_sise.title }}\n"),
        "undefined_name",
        tpl("market.md.j2", M),
        "did you mean 'market_size'",
    ),
    Case(
        "unknown_row",
        append_to("market.md.j2", "\n{{ t['市场规摸'].latest.value | yi }}\n"),
        "undefined_name",
        tpl("market.md.j2", M + 1),
        "did you mean '市场规模'",
    ),
    Case(
        "unknown_year",
        append_to("market.md.j2", "{{ s[t.first_year - 1] | yi }}\n"),
        "undefined_name",
        tpl("market.md.j2", M),
        "no value for 2019",
    ),
    Case(
        "unknown_record_column",
        append_to("policy.md.j2", "{{ p.records[0].发布日期 | date }}\n"),
        "undefined_name",
        tpl("policy.md.j2", END["policy.md.j2"] + 1),
        "available: 文件名称, 发布时间",
    ),
    Case(
        "unknown_chart_kind",
        append_to("market.md.j2", '{{ chart("market_size", kind="radar", title="雷达") }}\n'),
        "unknown_kind",
        tpl("market.md.j2", M),
        "radar",
    ),
    Case(
        "unknown_chart_argument",
        append_to("market.md.j2", '{{ chart("market_size", kind="bar", title="规模", row=["市场规模"]) }}\n'),
        "bad_argument",
        tpl("market.md.j2", M),
        "did you mean rows",
    ),
    Case(
        "outline_heading_in_section",
        append_to("market.md.j2", "\n## 另起一节\n\n正文。\n"),
        "heading_level",
        tpl("market.md.j2", M + 1),
        "###",
    ),
    Case(
        "unit_mismatch_pct_on_percent_table",
        append_to("demand.md.j2", "{{ d.top(y).value | pct }}\n"),
        "unit_mismatch",
        tpl("demand.md.j2", D),
        "filter pct",
    ),
    Case(
        "unformatted_number",
        append_to("market.md.j2", "\n{{ s[y2] }}\n"),
        "unformatted_number",
        tpl("market.md.j2", M + 1),
        "num",
    ),
    Case(
        "sandbox_class_mro",
        append_to("market.md.j2", "{{ ''.__class__.__mro__ }}\n"),
        "security",
        tpl("market.md.j2", M),
        "__class__",
    ),
    Case(
        "sandbox_subclasses",
        append_to("policy.md.j2", "{{ p.__class__.__subclasses__() }}\n"),
        "security",
        tpl("policy.md.j2", END["policy.md.j2"] + 1),
        "__class__",
    ),
    Case(
        "sandbox_os_via_globals",
        append_to("market.md.j2", "{{ yrange.__globals__.os }}\n"),
        "security",
        tpl("market.md.j2", M),
        "__globals__",
    ),
    Case(
        "template_not_utf8",
        write_bytes("templates/policy.md.j2", "政策\n".encode("gb18030")),
        "syntax",
        tpl("policy.md.j2", None),
        "UTF-8",
    ),
]

STYLE_CASES = [
    Case(
        "reference_lacks_a_style",
        reference_without("Source Note"),
        "missing_style",
        cell("ref.docx", None, None),
        "Source Note",
    ),
]

CASES = MANIFEST_CASES + WORKBOOK_CASES + TEMPLATE_CASES + STYLE_CASES


# ------------------------------------------------------------------------------------------
# running
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def good_docx(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The bytes of a good render of the base project (which `check` finds clean)."""
    proj = new_project(tmp_path_factory.mktemp("good") / "proj")
    checked = invoke("check", "--year", YEAR, "--project", str(proj))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    rendered = invoke("render", "--year", YEAR, "--project", str(proj), "--jobs", "1")
    assert rendered.returncode == 0, rendered.stderr
    return default_output(proj).read_bytes()


def run_together(*commands: list[str]) -> list[subprocess.CompletedProcess[str]]:
    """Run several `python -m reportkit` commands at the same time; return them finished."""
    procs = [
        (
            cmd,
            subprocess.Popen(
                [sys.executable, "-m", "reportkit", *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            ),
        )
        for cmd in commands
    ]
    done = []
    for cmd, proc in procs:
        out, err = proc.communicate(timeout=300)
        done.append(subprocess.CompletedProcess(cmd, proc.returncode, out, err))
    return done


def invoke(*args: str) -> subprocess.CompletedProcess[str]:
    """Run `reportkit ARGS` in this process (the table below has many cases; a process costs ~1 s).

    An exception that escapes the command line is what a user would see as a traceback: it fails
    the test with that traceback.
    """
    from click.testing import CliRunner

    from reportkit.cli import main

    result = CliRunner().invoke(main, list(args), catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"reportkit {' '.join(args)} raised instead of reporting") from result.exception
    return subprocess.CompletedProcess(list(args), result.exit_code, result.stdout, result.stderr)


def location_text(where: dict[str, Any]) -> str:
    if where["template"] is not None:
        return str(Location(template=where["template"], line=where["line"]))
    return str(Location(where["file"], where["sheet"], where["cell"]))


def matching(problems: list[dict[str, Any]], case: Case) -> list[dict[str, Any]]:
    return [
        p
        for p in problems
        if p["code"] == case.code and all(p[k] == v for k, v in case.where.items()) and case.text in p["message"]
    ]


def assert_check_json(res: subprocess.CompletedProcess[str], case: Case) -> dict[str, Any]:
    assert res.returncode == 1, (res.returncode, res.stdout, res.stderr)
    assert "Traceback" not in res.stderr + res.stdout
    problems = json.loads(res.stdout)
    assert isinstance(problems, list) and problems
    for p in problems:
        assert set(p) == KEYS, p
        assert isinstance(p["code"], str) and p["code"] and isinstance(p["message"], str) and p["message"]
        assert "\n" not in p["message"], p
        assert p["line"] is None or isinstance(p["line"], int)
        assert p["file"] is None or not Path(p["file"]).is_absolute(), p  # relative to the project
    found = matching(problems, case)
    assert found, f"no {case.code} at {case.where} with {case.text!r} in:\n" + json.dumps(
        problems, ensure_ascii=False, indent=1
    )
    return found[0]


def assert_render_refused(res: subprocess.CompletedProcess[str], expected: dict[str, Any]) -> None:
    assert res.returncode == 1, (res.returncode, res.stdout, res.stderr)
    assert "Traceback" not in res.stderr + res.stdout
    assert res.stdout == ""  # -- no path printed: nothing was written --
    lines = res.stderr.strip().splitlines()
    assert lines and all(ln.startswith("error: ") for ln in lines), res.stderr
    where = location_text(expected)
    # -- the same message as `check`, at the same place --
    line = f"error: {where}: {expected['message']}"
    assert line in lines, f"{line}\n{res.stderr}"


def assert_nothing_lost(project: Path, before: bytes) -> None:
    out = default_output(project)
    assert out.read_bytes() == before
    assert not list(project.rglob("*.part")), list(project.rglob("*.part"))
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name]


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 30
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_input_is_reported_and_loses_nothing(case: Case, tmp_path: Path, good_docx: bytes) -> None:
    proj = new_project(tmp_path / "proj")
    out = default_output(proj)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(good_docx)
    case.mutate(proj)
    check = invoke("check", "--year", YEAR, "--project", str(proj), "--json")
    render = invoke("render", "--year", YEAR, "--project", str(proj), "--jobs", "1")
    expected = assert_check_json(check, case)
    assert_render_refused(render, expected)
    assert_nothing_lost(proj, good_docx)


# ------------------------------------------------------------------------------------------
# all at once, human output, usage errors
# ------------------------------------------------------------------------------------------
def test_problems_in_several_files_are_reported_in_one_run(tmp_path: Path, good_docx: bytes) -> None:
    proj = new_project(tmp_path / "proj")
    out = default_output(proj)
    out.parent.mkdir(parents=True)
    out.write_bytes(good_docx)
    both(
        set_cells(MARKET, "市场规模", {"C7": "abc"}),
        set_cells(MARKET, "需求", {"B9": 50}),
        set_cells(POLICY, "政策", {"D7": "二十四"}),
        append_to("market.md.j2", "{{ markt }}\n"),
        append_to("demand.md.j2", "{% if %}\n"),
        reference_without("Caption"),
    )(proj)
    check, render = run_together(
        ["check", "--year", YEAR, "--project", str(proj), "--json"],
        ["render", "--year", YEAR, "--project", str(proj), "--jobs", "1"],
    )
    assert check.returncode == 1 and "Traceback" not in check.stderr
    problems = json.loads(check.stdout)
    found = {(p["file"], p["cell"] or p["line"], p["code"]) for p in problems}
    assert {
        (MARKET, "C7", "not_a_number"),
        (MARKET, "B8", "bad_total"),
        (POLICY, "D7", "not_a_number"),
        ("templates/market.md.j2", M, "undefined_name"),
        ("templates/demand.md.j2", D, "syntax"),
        ("ref.docx", None, "missing_style"),
    } <= found, found
    # -- render stops at the data, but reports every data problem of every workbook at once --
    assert render.returncode == 1 and "Traceback" not in render.stderr
    lines = render.stderr.strip().splitlines()
    assert all(ln.startswith("error: ") for ln in lines)
    for where in (f"{MARKET} [市场规模] C7: ", f"{MARKET} [需求] B8: ", f"{POLICY} [政策] D7: "):
        assert any(ln.startswith(f"error: {where}") for ln in lines), (where, lines)
    assert_nothing_lost(proj, good_docx)


def test_human_output_is_one_line_per_problem(tmp_path: Path) -> None:
    proj = new_project(tmp_path / "proj")
    both(set_cells(MARKET, "市场规模", {"C7": "abc"}), set_cells(POLICY, "政策", {"D7": "二十四"}))(proj)
    res = run_cli("check", "--year", YEAR, "--project", str(proj))
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert res.stdout.splitlines() == [
        f'{MARKET} [市场规模] C7: expected a number, found "abc"',
        f'{POLICY} [政策] D7: expected a number, found "二十四"',
    ]
    assert res.stderr.strip() == "2 problems"


def test_clean_project_checks_ok(tmp_path: Path) -> None:
    proj = new_project(tmp_path / "proj")
    res = run_cli("check", "--year", YEAR, "--project", str(proj), "--json")
    assert res.returncode == 0, res.stdout
    assert json.loads(res.stdout) == []
    assert not (proj / "build").exists()  # -- check writes nothing --


@pytest.mark.parametrize(
    "args",
    [
        ["check"],
        ["check", "--year", "二〇二四"],
        ["check", "--year", YEAR, "--bogus"],
        ["render"],
        ["render", "--year", YEAR, "--jobs", "0"],
        ["frobnicate"],
    ],
    ids=lambda a: " ".join(a),
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    res = run_cli(*args)
    assert res.returncode == 2, (res.returncode, res.stderr)
    assert "Traceback" not in res.stderr and "Usage:" in res.stderr


# ------------------------------------------------------------------------------------------
# data is data; XML-forbidden characters never reach the DOCX
# ------------------------------------------------------------------------------------------
def docx_text(path: Path) -> tuple[list[Any], str]:
    import docx

    d = docx.Document(str(path))
    texts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            # -- a wrapped cell's lines are broken by the writer: the breaks are layout, not text --
            texts.extend(c.text.replace("\n", "") for c in row.cells)
    return d.paragraphs, "\n".join(texts)


LITERAL = (
    "{{ 7*7 }} {% if true %}是{% endif %} **不粗** _不斜_ `不是代码` # 不是标题 [不是链接](http://x) "
    "<b>标签</b> 1. 不是列表 | 竖线 |"
)


@pytest.fixture(scope="module")
def odd_text_docx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A render whose data holds template code, Markdown and control characters (Excel stores those
    as _xHHHH_ escapes, ECMA-376 ST_Xstring), and whose template holds control characters and a macro."""
    proj = new_project(tmp_path_factory.mktemp("odd") / "proj")
    set_cells(POLICY, "政策", {"C7": LITERAL, "A8": "- 《不是条目》 *星号*", "C8": "国务_x0001_院_x000B__x001F_"})(proj)
    append_to(
        "policy.md.j2",
        "\n模板里的控制字符\x01\x0b\x1f不会写入。\n\n"
        "{% macro em(x) %}**{{ x }}**{% endmacro %}重点：{{ em(p.records[0].发布机构) }}\n",
    )(proj)
    target = proj / "out.docx"
    res = invoke("render", "--year", YEAR, "--project", str(proj), "--jobs", "1", "--output", str(target))
    assert res.returncode == 0, res.stderr
    assert docx_findings(target) == []
    return target


def test_data_values_are_shown_literally(odd_text_docx: Path) -> None:
    paragraphs, text = docx_text(odd_text_docx)
    assert "49" not in text and "{{" in text
    item = next(p for p in paragraphs if LITERAL in p.text)  # the list item printed by the template
    assert item.text.endswith(f"（2023年7月13日，{LITERAL}）")
    assert not any(r.bold or r.italic for r in item.runs)
    # -- the data's "- " stays text at the start of its item, after the item's own marker --
    assert any(p.text.removeprefix(BULLET).startswith("- 《不是条目》 *星号*") for p in paragraphs)
    # -- a macro's own markup works, and the data it prints stays literal (escaped once, not twice) --
    emphasis = next(p for p in paragraphs if p.text.startswith("重点："))
    assert emphasis.text == f"重点：{LITERAL}"
    assert [r.text for r in emphasis.runs if r.bold] == [LITERAL]
    assert text.count(LITERAL) == 3  # -- in the list, in the table and after 重点 --


def test_xml_forbidden_characters_never_reach_the_docx(odd_text_docx: Path) -> None:
    _paragraphs, text = docx_text(odd_text_docx)
    assert "国务院" in text and "模板里的控制字符不会写入。" in text
    assert "_x000" not in text and "_x001" not in text
    with zipfile.ZipFile(odd_text_docx) as zf:
        for name in zf.namelist():
            if name.endswith((".xml", ".rels")):
                data = zf.read(name).decode("utf-8")
                assert not any(ch in data for ch in "\x01\x0b\x1f"), name
                assert not re.search(r"&#x?0*(1|b|B|11|1f|1F|31);", data), name


# ------------------------------------------------------------------------------------------
# the output is replaced whole or not at all
# ------------------------------------------------------------------------------------------
def test_two_renders_to_the_same_path_leave_a_valid_docx(tmp_path: Path) -> None:
    proj = new_project(tmp_path / "proj")
    target = tmp_path / "out" / "same.docx"
    args = ["render", "--year", YEAR, "--project", str(proj), "--jobs", "1", "--output", str(target)]
    first, second = run_together(args, args)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    with zipfile.ZipFile(target) as zf:
        assert zf.testzip() is None
    assert docx_findings(target) == []
    left = sorted(p.name for p in target.parent.iterdir())
    assert not [n for n in left if n.endswith(".part") or n.startswith(".")], left
    for sidecar in target.parent.glob("*.json"):  # -- a sidecar, when the render writes one, is whole too --
        json.loads(sidecar.read_text(encoding="utf-8"))


def _render_process(proj: Path) -> subprocess.Popen[str]:
    """A render of `proj` in its own process, to be interrupted or killed while it works."""
    cmd = [sys.executable, "-m", "reportkit", "render", "--year", YEAR, "--project", str(proj), "--jobs", "1"]
    return subprocess.Popen([*cmd, "--no-cache"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _whole_docx(data: bytes) -> bool:
    import io

    import docx

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        if z.testzip() is not None:
            return False
    return bool(docx.Document(io.BytesIO(data)).paragraphs)


def test_a_killed_render_leaves_the_previous_file(tmp_path: Path, good_docx: bytes) -> None:
    proj = new_project(tmp_path / "proj")
    # -- a finished render would now write different bytes --
    replace_text("report.toml", 'publisher = "测试研究院"', 'publisher = "另一家研究院"')(proj)
    out = default_output(proj)
    out.parent.mkdir(parents=True)
    out.write_bytes(good_docx)
    killed = 0
    for delay in (0.3, 1.0):
        proc = _render_process(proj)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.communicate(timeout=120)
        if proc.returncode == -signal.SIGKILL:
            now = out.read_bytes()
            # -- killed before its commit: the old file; killed after the atomic rename, while exiting:
            # the finished new one. Never a file in between --
            assert now == good_docx or _whole_docx(now), f"killed after {delay} s"
    assert killed, "every render finished before it could be killed"


def test_an_interrupted_render_cleans_up(tmp_path: Path, good_docx: bytes) -> None:
    proj = new_project(tmp_path / "proj")
    replace_text("report.toml", 'publisher = "测试研究院"', 'publisher = "另一家研究院"')(proj)
    out = default_output(proj)
    out.parent.mkdir(parents=True)
    out.write_bytes(good_docx)
    proc = _render_process(proj)
    time.sleep(1.0)
    if proc.poll() is not None:
        proc.communicate(timeout=120)  # -- closes the pipes, which would otherwise warn in a later test --
        pytest.skip("the render finished before it could be interrupted")
    proc.send_signal(signal.SIGINT)  # -- Ctrl-C --
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode != 0
    assert "Traceback" not in err
    if out.read_bytes() != good_docx:
        # -- Ctrl-C came after the render's files were committed together, while it was exiting: the new
        # edition is whole, with its sidecar, and nothing half-written is left --
        assert _whole_docx(out.read_bytes())
        assert not list(proj.rglob("*.part")), list(proj.rglob("*.part"))
        assert sorted(p.name for p in out.parent.iterdir()) == sorted([out.name, out.stem + ".sources.json"])
        return
    assert_nothing_lost(proj, good_docx)


def test_write_failure_keeps_the_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reportkit.atomic import write_file
    from reportkit.errors import OutputError

    target = tmp_path / "report.docx"
    target.write_bytes(b"previous")

    def disk_full(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OutputError) as info:
        write_file(target, b"new" * 1000)
    assert "No space left on device" in str(info.value)
    monkeypatch.undo()
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["report.docx"]


def test_interrupt_while_renaming_keeps_the_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reportkit.atomic import write_file

    target = tmp_path / "report.docx"
    target.write_bytes(b"previous")

    def interrupted(_src: Any, _dst: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_file(target, b"new" * 1000)
    monkeypatch.undo()
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["report.docx"]
