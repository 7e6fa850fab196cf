"""Shared fixtures: small report projects built in a temporary folder, and readers of DOCX output."""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

ROOT = Path(__file__).resolve().parent.parent

MARKET_ROWS = [
    ["ID", "market_size"],
    ["标题", "中国工业大模型市场规模"],
    ["单位", "亿元"],
    ["来源", "中商产业研究院"],
    [],
    ["指标", 2020, 2021, 2022, 2023, "2024E", "2025E", "2026E"],
    ["市场规模", 15, 32.4, 70, 141.34, 294.16, None, None],
    ["市场规模（预测增速）", None, None, None, None, None, 50, 40],
]
SHARE_ROWS = [
    ["ID", "demand"],
    ["标题", "需求结构"],
    ["单位", "%"],
    ["来源", "本报告整理"],
    ["示例", "是"],
    ["必须合计", 100],
    [],
    ["领域", 2022, 2023],
    ["智能制造", 40, 42],
    ["能源", 25, 23],
    ["汽车", 20, 21],
    ["其他", 15, 14],
]
POLICY_ROWS = [
    ["ID", "policies"],
    ["标题", "政策"],
    ["单位", "-"],
    ["来源", "国务院"],
    [],
    ["文件名称", "发布时间", "发布机构", "措施数（条）"],
    ["《生成式人工智能服务管理暂行办法》", "2023-07-13", "国家网信办等七部门", 24],
    ["《新一代人工智能发展规划》", "2017-07", "国务院", None],
]

MINI_MANIFEST = """\
[report]
title = "{start}-{end}年中国工业大模型测试报告"
horizon = 6
publisher = "测试研究院"

[[front]]
title = "摘要"
template = "summary.md.j2"

[[chapters]]
title = "市场分析"
sections = [
  { title = "市场规模与增长趋势", template = "market.md.j2" },
  { title = "需求结构", template = "demand.md.j2" },
]

[[chapters]]
title = "政策环境"
sections = [ { title = "国家政策", template = "policy.md.j2" } ]
"""

MINI_TEMPLATES = {
    "summary.md.j2": """\
{% set s = data.market_size["市场规模"] %}
本报告覆盖{{ yrange(edition.start, edition.end) }}，市场规模{{ year(s.latest.year) }}达到{{ s.latest.value | yi }}。
""",
    "market.md.j2": """\
{% set t = data.market_size %}
{% set s = t["市场规模"] %}
### 市场规模现状

中国大模型产业市场规模从{{ year(s.first.year) }}的{{ s[s.first.year] | yi }}
攀升至{{ year(2022) }}的{{ s[2022] | yi }}，年均复合增长率高达{{ s.cagr(s.first.year, 2022) | pct }}。

{{ chart("market_size", kind="bar_line", title=yrange(t.first_year, t.last_year) ~ "中国工业大模型市场规模及增速") }}

### 规模预测

预计{{ year(t.last_year) }}市场规模将达到{{ s.last.value | yi(1) }}。

{{ table("market_size", title=yrange(t.first_year, t.last_year) ~ "中国工业大模型市场规模", growth=true) }}
""",
    "demand.md.j2": """\
{% set d = data.demand %}
{% set y = d.last_actual_year %}
{{ year(y) }}，{{ d.top(y).label }}占比最高，为{{ d.top(y).share | pct(1) }}。

{{ chart("demand", kind="pie", title=year(y) ~ "需求结构") }}
{{ chart("demand", kind="stacked_bar", title="需求结构变化") }}
""",
    "policy.md.j2": """\
{% set p = data.policies %}
国家层面共出台{{ p.count | cn }}项代表性政策。

{% for r in p.records %}
- {{ r.文件名称 }}（{{ r.发布时间 | date }}，{{ r.发布机构 }}）
{% endfor %}

{{ table("policies", columns=["发布时间", "发布机构", "文件名称"], title="国家层面主要政策") }}
""",
}


def write_workbook(
    path: Path, sheets: dict[str, list[list[Any]]], percent_cells: Iterable[tuple[str, str]] = ()
) -> Path:
    """Write an .xlsx with one sheet per entry; `percent_cells` are (sheet, A1) cells given a % format."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    for sheet, cell in percent_cells:
        wb[sheet][cell].number_format = "0%"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def make_project(
    root: Path,
    templates: dict[str, str] | None = None,
    manifest: str = MINI_MANIFEST,
    sheets: dict[str, dict[str, list[list[Any]]]] | None = None,
    year: int = 2024,
) -> Path:
    """Build a small report project under `root` and return it."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "report.toml").write_text(manifest, encoding="utf-8")
    for name, text in (MINI_TEMPLATES if templates is None else templates).items():
        p = root / "templates" / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    books = (
        sheets
        if sheets is not None
        else {
            "市场.xlsx": {"市场规模": MARKET_ROWS, "需求": SHARE_ROWS},
            "政策.xlsx": {"政策": POLICY_ROWS},
        }
    )
    for fname, content in books.items():
        write_workbook(root / "datasets" / str(year) / fname, content)
    return root


@pytest.fixture
def mini_project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "proj")


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m reportkit ARGS` as a user would; returns the finished process."""
    import os

    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "reportkit", *args], cwd=cwd, capture_output=True, text=True, env=full_env, timeout=300
    )


def render_ok(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Path:
    """Run `reportkit render ARGS`, require success, and return the path it printed last."""
    res = run_cli("render", *args, cwd=cwd, env=env)
    assert res.returncode == 0, res.stderr
    return Path(res.stdout.strip().splitlines()[-1])


def set_cells(book: Path, sheet: str, **cells: Any) -> None:
    """Overwrite cells of one sheet, as an analyst editing the workbook would: set_cells(p, "s", C7=1)."""
    from openpyxl import load_workbook

    wb = load_workbook(book)
    for ref, value in cells.items():
        wb[sheet][ref] = value
    wb.save(book)


def docx_xml(path: Path, part: str = "word/document.xml") -> str:
    with zipfile.ZipFile(path) as zf:
        return zf.read(part).decode("utf-8")


@functools.cache
def _audit() -> Any:
    """openxml-audit's validator, made once: its schemas load on construction."""
    from openxml_audit import OpenXmlValidator

    return OpenXmlValidator(strict=True, max_errors=0)


def docx_findings(path: Path) -> list[str]:
    """Everything a reader of the DOCX at `path` could trip on, one line each; [] for a sound file.

    openxml-audit in strict mode (the ECMA-376 schemas, the Open XML SDK's semantic rules and the
    rules that make Word repair a file; warnings count too), then reportkit's own package and body
    rules (relationships, content types, fields, drawing ids, bookmarks, table cells, images).
    """
    from reportkit.docx.verify import docx_problems

    audit = [str(finding) for finding in _audit().validate(path).errors]
    return audit + docx_problems(path.read_bytes())


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture(scope="session")
def default_docx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default edition rendered once for the whole run (DOCX only); tests read it, never write it."""
    out = tmp_path_factory.mktemp("default-docx") / "report.docx"
    res = run_cli("render", "--year", "2024", "--output", str(out), cwd=ROOT)
    assert res.returncode == 0, res.stderr
    return out


@pytest.fixture(scope="session")
def default_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default edition's PDF (with the DOCX of the same layout beside it), rendered once; skips
    without LibreOffice and pdftotext."""
    if soffice() is None or shutil.which("pdftotext") is None:
        pytest.skip("needs LibreOffice and pdftotext")
    out = tmp_path_factory.mktemp("default-pdf") / "report.docx"
    res = run_cli("render", "--year", "2024", "--pdf", "--output", str(out), cwd=ROOT)
    assert res.returncode == 0, res.stderr
    return out.with_suffix(".pdf")
