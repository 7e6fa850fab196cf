"""Property-based: whatever a cell holds, load -> render either refuses with clean one-line
problems (a ReportkitError) or writes a DOCX in which neither openxml-audit (strict) nor reportkit's
own package checks find anything.  Never a traceback.

Random values go into a record table's text column (政策!C7, printed in prose and in a table) and
into a series table's cell (市场规模!C7, printed, charted and tabulated).  One project folder is
reused: each example only rewrites the workbooks.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import MARKET_ROWS, POLICY_ROWS, SHARE_ROWS, docx_findings, make_project, write_workbook
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportkit.errors import ReportkitError
from reportkit.pipeline import render

MANIFEST = """\
[report]
title = "{start}-{end}年性质测试报告"
horizon = 6
publisher = "测试研究院"

[[chapters]]
title = "随机数据"
sections = [
  { title = "序列", template = "series.md.j2" },
  { title = "记录", template = "records.md.j2" },
]
"""

TEMPLATES = {
    "series.md.j2": """\
{% set t = data.market_size %}
{% set s = t["市场规模"] %}
{% for y in t.years %}
{{ year(y) }}市场规模为{{ s[y] | yi }}，{{ s[y] | num(1) }}。
{% endfor %}

{{ chart("market_size", kind="bar", title="市场规模") }}

{{ table("market_size", title="市场规模", growth=true) }}
""",
    "records.md.j2": """\
{% macro show(v) %}{% if v is none %}—{% elif v is string %}{{ v }}{% elif v is number %}{{ v | num }}\
{% else %}{{ v | date }}{% endif %}{% endmacro %}
{% for r in data.policies.records %}
- {{ r.文件名称 }}：{{ show(r.发布机构) }}
{% endfor %}

{{ show(data.policies.records[0].发布机构) }}

{{ table("policies", title="政策") }}
""",
}

# -- characters XML 1.0 cannot hold: Excel stores them in cells as _xHHHH_ escapes --
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

SPECIAL_TEXT = [
    "{{ 7*7 }}",
    "{% if true %}x{% endif %}",
    "{# 注释 #}",
    "**粗体**",
    "_斜_",
    "# 标题",
    "## 节",
    "- 条目",
    "+ 条目",
    "1. 条目",
    "2) 条目",
    "> 引用",
    "```",
    "~~~",
    "    缩进",
    "<b>html</b>",
    "[链接](http://x)",
    "![图](x.png)",
    "&amp; &#49; &copy;",
    "a\\b",
    "|表|格|",
    "---",
    "===",
    "\t制表",
    "第一行\n第二行",
    "\r\n",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "1e309",
    "1,234",
    "约70",
    "70%",
    "2023-02-30",
    "2023-13-01",
    "2023年7月",
    "  ",
    "　",
    "\x00",
    "\x01\x0b",
    "\ufffe",
    "_x0001_",
    "_x005F_x0041_",
    "=1+1",
    "=SUM(A1:A2)",
    "'=1",
    "数据来源：",
    "图表1：",
    "中" * 300,
    "🙂🚀",
    "\u202e反转",
    "\u200b",
    "Ω≈ç√",
    "None",
    "Undefined",
    "True",
]

texts = st.one_of(
    st.sampled_from(SPECIAL_TEXT),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.text(st.sampled_from("中国工业大模型{}%#*_-+<>[]()&|`~\\!. \n\t\x01\x0b0123456789"), max_size=30),
)
floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e-9, 5e-324, -5e-324, 1e15, 999999999999999.0, 1e308, -1e308, 0.1 + 0.2, 123456.789]),
)
values = st.one_of(
    texts,
    floats,
    st.integers(min_value=-(10**18), max_value=10**18),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 12, 31)),
    st.booleans(),
    st.none(),
)
numbers = st.one_of(floats, st.integers(min_value=-(10**18), max_value=10**18), values)


def excel_text(value: Any) -> Any:
    """Store text the way Excel does: characters XML cannot hold as _xHHHH_ escapes."""
    if isinstance(value, str):
        value = re.sub(r"_(?=x[0-9A-Fa-f]{4}_)", "_x005F_", value)  # -- a literal "_x0041_" --
        return _XML_FORBIDDEN.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    return value


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("prop") / "proj", templates=TEMPLATES, manifest=MANIFEST)


def write_data(project: Path, market_value: Any = 32.4, policy_value: Any = "国务院") -> None:
    market = [list(r) for r in MARKET_ROWS]
    market[6][2] = excel_text(market_value)  # -- 市场规模!C7: 2021 --
    policies = [list(r) for r in POLICY_ROWS]
    policies[6][2] = excel_text(policy_value)  # -- 政策!C7: 发布机构 of the first record --
    folder = project / "datasets" / "2024"
    write_workbook(folder / "市场.xlsx", {"市场规模": market, "需求": SHARE_ROWS})
    write_workbook(folder / "政策.xlsx", {"政策": policies})


def load_and_render(project: Path) -> Path | ReportkitError:
    out = project / "build" / "out.docx"
    out.unlink(missing_ok=True)
    try:
        render(project, 2024, out, jobs=1)
    except ReportkitError as exc:  # -- anything else escapes: that is the traceback we must never show --
        return exc
    return out


def assert_clean(result: Path | ReportkitError) -> None:
    if isinstance(result, ReportkitError):
        problems = result.problems
        assert problems
        assert str(result).splitlines() == [str(p) for p in problems]  # -- one line per problem --
        for p in problems:
            assert p.code and p.message and "\n" not in p.message and "\r" not in p.message, p
            assert "Traceback" not in p.message
            loc = p.location
            assert loc.file or loc.template, p  # -- every problem says where it is --
            if loc.file and loc.file.endswith(".xlsx"):
                assert loc.sheet and loc.cell, p
        return
    assert docx_findings(result) == []
    text = result.read_bytes()
    assert b"Traceback" not in text


def test_the_in_process_audit_agrees_with_the_command(project: Path) -> None:
    write_data(project)
    out = load_and_render(project)
    assert isinstance(out, Path), out
    assert docx_findings(out) == []
    cmd = subprocess.run(
        [sys.executable, "-m", "openxml_audit", "--policy", "strict", "--output", "json", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cmd.returncode == 0, cmd.stdout + cmd.stderr
    [verdict] = json.loads(cmd.stdout)
    assert verdict["valid"] and verdict["errors"] == [] and verdict["verdict"]["prediction"] == "opens-clean"


# -- 25 examples keep the suite fast; REPORTKIT_EXAMPLES=500 for a longer hunt --
PROPERTY = settings(
    max_examples=int(os.environ.get("REPORTKIT_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@PROPERTY
@given(value=values)
def test_any_record_value_renders_or_is_refused_cleanly(project: Path, value: Any) -> None:
    write_data(project, policy_value=value)
    result = load_and_render(project)
    assert_clean(result)
    if isinstance(value, str) and value.strip() and not value.lstrip().startswith("=") and isinstance(result, Path):
        # -- text is text: shown as written, never run as template code or read as markup --
        import docx

        shown = "\n".join(p.text for p in docx.Document(str(result)).paragraphs)
        visible = " ".join(_XML_FORBIDDEN.sub("", value).split())
        if visible and not re.fullmatch(r"\d{4}[-/.年]\d{1,2}([-/.月]\d{1,2}日?)?月?", visible):
            assert visible in " ".join(shown.split()), (value, visible)


@PROPERTY
@given(value=numbers)
def test_any_series_value_renders_or_is_refused_cleanly(project: Path, value: Any) -> None:
    write_data(project, market_value=value)
    result = load_and_render(project)
    assert_clean(result)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and (value == 0 or 1e-6 <= abs(value) < 1e15):
        # -- a sane number renders, unless it breaks the series' trend: then only the trust checks speak --
        assert isinstance(result, Path) or all(
            p.code in {"implausible_jump", "negative"} and p.location.cell in ("C7", "D7") for p in result.problems
        ), result
