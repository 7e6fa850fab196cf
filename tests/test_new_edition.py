"""Next year's edition from data alone: new-edition, the to-do list, rolling years, old editions intact."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import docx
import pytest
from conftest import ROOT, docx_findings, make_project, render_ok, run_cli
from openpyxl import load_workbook
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

pytestmark = pytest.mark.slow


def copy_default(dest: Path) -> Path:
    dest.mkdir(parents=True)
    shutil.copy(ROOT / "report.toml", dest)
    shutil.copytree(ROOT / "templates", dest / "templates")
    shutil.copytree(ROOT / "datasets" / "2024", dest / "datasets" / "2024")
    return dest


def fill(proj: Path, problems: list[dict], market: float) -> None:
    """Work off the to-do list as an analyst would: every listed cell, left to right along its row, gets
    a new actual or a forecast revised flat from the value before it (a growth assumption: 20%), and
    stale notes are reworded."""
    books = {}
    cells = sorted(
        ((p["code"], p["file"], p["sheet"], c["cell"]) for p in problems for c in (p["cells"] or [p])),
        key=lambda c: (
            c[1],
            c[2],
            coordinate_from_string(c[3])[1],
            column_index_from_string(coordinate_from_string(c[3])[0]),
        ),
    )
    for code, file, sheet, ref in cells:
        ws = books.setdefault(file, load_workbook(proj / file))[sheet]
        letter, row = coordinate_from_string(ref)
        col = column_index_from_string(letter)
        cell, prev, label = ws.cell(row, col), ws.cell(row, col - 1).value, str(ws.cell(row, 1).value)
        if code == "stale_text":
            cell.value = "本报告整理"
        elif "预测增速" in label:
            cell.value = 20  # -- percent: 20 means 20% --
        elif label == "市场规模" and code == "missing":
            cell.value = market
        elif code == "stale_forecast" and prev == cell.value:
            cell.value = prev + 1
        else:
            cell.value = prev if isinstance(prev, (int, float)) else 1
    for name, wb in books.items():
        wb.save(proj / name)


def without_rules(proj: Path) -> None:
    """Drop the declared rules: `fill` revises each table on its own, not the splits that must add up
    across tables (the rules themselves are tested in test_trust)."""
    manifest = proj / "report.toml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text[: text.index("[[rules]]")] if "[[rules]]" in text else text, encoding="utf-8")


def all_text(path: Path) -> str:
    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs] + [c.text for t in d.tables for r in t.rows for c in r.cells]
    parts += [p.text for s in d.sections for p in s.header.paragraphs]
    return "\n".join(parts) + "\n" + d.core_properties.title


def test_next_edition_from_data_alone(tmp_path: Path) -> None:
    proj = copy_default(tmp_path / "proj")
    out2024 = render_ok("--year", "2024", "--project", str(proj))
    before = out2024.read_bytes()

    made = run_cli("new-edition", "--year", "2025", "--project", str(proj))
    assert made.returncode == 0, made.stderr
    assert "created datasets/2025" in made.stdout and "cells to fill" in made.stdout
    listed = [ln.strip() for ln in made.stdout.splitlines() if ln.startswith("  datasets/2025/")]
    check = run_cli("check", "--year", "2025", "--project", str(proj), "--json")
    assert check.returncode == 1
    problems = json.loads(check.stdout)
    assert {p["code"] for p in problems} == {"missing", "stale_forecast", "stale_text"}
    assert len(problems) == len(listed) > 0
    assert any(
        p["code"] == "stale_forecast" and p["sheet"] == "市场规模" and "495.39" in p["message"] for p in problems
    )
    assert any(p["file"] == "datasets/2025/市场规模.xlsx" and p["sheet"] == "市场规模" for p in problems)
    again = run_cli("new-edition", "--year", "2025", "--project", str(proj))
    assert again.returncode == 1 and "already exists" in again.stderr

    fill(proj, problems, market=300)
    without_rules(proj)
    clean = run_cli("check", "--year", "2025", "--project", str(proj))
    assert clean.returncode == 0, clean.stdout + clean.stderr

    out2025 = render_ok("--year", "2025", "--project", str(proj))
    assert out2025.name.startswith("2025-2031年")
    text = all_text(out2025)
    assert "2024-2030" not in text
    assert "2025-2031年中国工业大模型产业研发规模与未来建设现状调研报告" in text
    assert "2024年中国大模型市场规模达到300亿元" in text.replace("，", "")
    assert not re.search(r"20(3[2-9])", text), "nothing beyond the new horizon"
    table_years = [c.text for t in docx.Document(str(out2025)).tables for r in t.rows for c in r.cells[:1]]
    assert "2031E" in table_years and "2024E" not in table_years

    rerun = run_cli("render", "--year", "2024", "--project", str(proj))
    assert rerun.returncode == 0, rerun.stderr
    assert out2024.read_bytes() == before, "the 2024 edition re-renders byte for byte"


def test_rolling_rules_on_a_small_project(tmp_path: Path) -> None:
    proj = make_project(tmp_path / "p")
    res = run_cli("new-edition", "--year", "2025", "--project", str(proj))
    assert res.returncode == 0, res.stderr
    ws = load_workbook(proj / "datasets" / "2025" / "市场.xlsx")["市场规模"]
    assert [c.value for c in ws[6]] == ["指标", 2020, 2021, 2022, 2023, 2024, "2025E", "2026E"], (
        "a forecast that ends before the horizon gains no column"
    )
    assert ws["F7"].value is None, "the old first forecast year is now an actual year to fill"
    demand = load_workbook(proj / "datasets" / "2025" / "市场.xlsx")["需求"]
    assert [c.value for c in demand[8]] == ["领域", 2022, 2023, 2024]
    policies = load_workbook(proj / "datasets" / "2025" / "政策.xlsx")["政策"]
    original = load_workbook(proj / "datasets" / "2024" / "政策.xlsx")["政策"]
    assert [[c.value for c in r] for r in policies.iter_rows()] == [[c.value for c in r] for r in original.iter_rows()]
    bad = run_cli("new-edition", "--year", "2027", "--from", "2024", "--project", str(proj))
    assert bad.returncode == 1 and "one year at a time" in bad.stderr


def test_diff_between_editions(tmp_path: Path) -> None:
    proj = make_project(tmp_path / "p")
    assert run_cli("new-edition", "--year", "2025", "--project", str(proj)).returncode == 0
    problems = json.loads(run_cli("check", "--year", "2025", "--project", str(proj), "--json").stdout)
    fill(proj, [p for p in problems if p["code"] == "missing"], market=300)
    policy = proj / "datasets" / "2025" / "政策.xlsx"
    wb = load_workbook(policy)
    wb["政策"].append(
        ["《国家人工智能产业综合标准化体系建设指南（2024版）》", "2024-06-05", "工业和信息化部等四部门", None]
    )
    wb.save(policy)
    res = run_cli("diff", "--from", "2024", "--to", "2025", "--project", str(proj), "--json")
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)
    market = [f for f in d["figures"] if f["table"] == "market_size" and f["year"] == 2024]
    assert market == [
        {
            "table": "market_size",
            "title": "中国工业大模型市场规模",
            "row": "市场规模",
            "year": 2024,
            "old": 294.16,
            "new": 300.0,
            "unit": "亿元",
            "old_forecast": True,
            "new_forecast": False,
            "cell": "F7",
        }
    ]
    assert {"table": "demand", "year": 2024, "forecast": False} in d["years_added"]
    assert {"table": "policies", "row": "《国家人工智能产业综合标准化体系建设指南（2024版）》"} in d["rows_added"]
    summary = [p for p in d["paragraphs"] if p["section"] == "摘要"]
    assert summary and "2024-2030年" in summary[0]["old"] and "2025-2031年" in summary[0]["new"]
    assert "300亿元" in summary[0]["new"]
    red = tmp_path / "redline.docx"
    human = run_cli("diff", "--from", "2024", "--to", "2025", "--project", str(proj), "--redline", str(red))
    assert human.returncode == 0, human.stderr
    assert "market_size [市场规模] 2024: 294.16 -> 300 亿元" in human.stdout
    assert docx_findings(red) == []
    import zipfile

    xml = zipfile.ZipFile(red).read("word/document.xml").decode()
    assert re.search(
        r"<w:del [^>]*><w:r><w:delText[^>]*>2024-2030</w:delText></w:r></w:del>"
        r"<w:ins [^>]*><w:r><w:t[^>]*>2025-2031</w:t></w:r></w:ins>",
        xml,
    ), "the range as a tracked change"
    accepted = "".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", xml))
    assert "2025-2031" in accepted and "300亿元" in accepted
