"""Problems found in a template's text, and the sidecar's entries, name the template line that wrote
the text — not the line of the rendered text, which loops, `{% set %}` and includes shift."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import make_project, render_ok, run_cli

from reportkit.templating import make_environment, render_template

# -- rendered, line 5 prints twice and the include adds lines: template and text lines differ --
SHIFTED = """\
{% set p = data.policies %}
{% for r in p.records %}
{% if loop.first %}
{% endif %}
循环里的第{{ loop.index | cn }}段，市场规模{{ data.market_size["市场规模"].last.value | yi(1) }}。

{% endfor %}
{% include "part.md.j2" %}

{{ "多行\\n\\n输出" }}

之后的段落：{{ data.market_size["市场规模"][2022] | yi }}。
"""


def write(project: Path, name: str, text: str) -> None:
    (project / "templates" / name).write_text(text, encoding="utf-8")


def test_rendered_lines_map_to_the_lines_that_wrote_them(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "t.md.j2").write_text(
        "一\n\n{% set x = 1 %}\n{% for i in [1, 2] %}\n第{{ i }}段\n\n{% endfor %}\n{% include 'i.md.j2' %}\n尾\n",
        encoding="utf-8",
    )
    (folder / "i.md.j2").write_text("甲\n\n乙\n", encoding="utf-8")
    text = render_template(make_environment(folder), "t.md.j2", {})
    assert str(text) == "一\n\n第1段\n\n第2段\n\n甲\n\n乙\n尾\n"
    # -- each loop pass is line 5/6; the include's lines belong to the include; 尾 is line 9 --
    assert text.lines == (1, 2, 5, 6, 5, 6, 8, 8, 8, 9, 10)
    assert "\x1e" not in text and "\x1f" not in text


def test_captured_text_carries_no_marks(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "t.md.j2").write_text(
        "{% set s %}甲乙{% endset %}{% macro m() %}丙{% endmacro %}"
        "{{ s | length }}{{ (s == '甲乙') | string }}{{ m() | length }}\n",
        encoding="utf-8",
    )
    assert str(render_template(make_environment(folder), "t.md.j2", {})) == "2True1\n"


def test_a_markup_error_names_the_template_line(mini_project: Path) -> None:
    write(mini_project, "policy.md.j2", SHIFTED + "\n```\n代码\n```\n")
    write(mini_project, "part.md.j2", "包含的一段。\n\n包含的第二段。\n")
    done = run_cli("check", "--year", "2024", "--project", str(mini_project))
    assert done.returncode == 1
    fence_line = SHIFTED.count("\n") + 2
    assert f"templates/policy.md.j2:{fence_line}: code blocks are not supported" in done.stdout, done.stdout


def test_sidecar_paragraphs_name_their_template_line(mini_project: Path) -> None:
    write(mini_project, "policy.md.j2", SHIFTED)
    write(mini_project, "part.md.j2", "包含的一段。\n")
    out = render_ok("--year", "2024", "--project", str(mini_project))
    data = json.loads(out.with_name(out.stem + ".sources.json").read_text(encoding="utf-8"))
    lines = {
        n["where"]["template_line"]
        for n in data["numbers"]
        if n["where"]["kind"] == "paragraph" and n["where"]["template"] == "templates/policy.md.j2"
    }
    assert lines == {5, 12}, lines


def test_registry_objects_and_text_agree_on_lines(tmp_path: Path) -> None:
    proj = make_project(tmp_path / "p")
    write(
        proj, "market.md.j2", "{% set t = data.market_size %}\n\n\n" + (proj / "templates" / "market.md.j2").read_text()
    )
    out = render_ok("--year", "2024", "--project", str(proj))
    data = json.loads(out.with_name(out.stem + ".sources.json").read_text(encoding="utf-8"))
    charts = [n for n in data["numbers"] if n["where"]["kind"] == "chart"]
    paragraphs = [n for n in data["numbers"] if n["where"]["kind"] == "paragraph"]
    assert charts and paragraphs
    source = (proj / "templates" / "market.md.j2").read_text(encoding="utf-8").split("\n")
    for n in charts + paragraphs:
        if n["where"]["template"] == "templates/market.md.j2":
            line = source[n["where"]["template_line"] - 1]
            assert line.strip() and not line.startswith("{%"), (n, line)
