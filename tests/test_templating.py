"""Templates: strict names, errors with template and line, sandbox, data shown literally, objects."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportkit.context import build_data
from reportkit.data import load_edition
from reportkit.errors import TemplateError
from reportkit.markup import read_markup
from reportkit.model import Figure, Table
from reportkit.templating import Registry, make_environment, render_template, template_functions


@pytest.fixture
def env_and_context(mini_project: Path):
    data = build_data(load_edition(mini_project, 2024))
    reg = Registry()
    ctx = {"data": data, **template_functions(data, reg)}
    return mini_project, data, reg, ctx


def render(project: Path, ctx: dict, text: str, name: str = "t.md.j2") -> str:
    (project / "templates" / name).write_text(text, encoding="utf-8")
    return render_template(make_environment(project / "templates"), name, ctx)


def error(project: Path, ctx: dict, text: str) -> TemplateError:
    with pytest.raises(TemplateError) as info:
        render(project, ctx, text)
    return info.value


def test_undefined_name_gives_template_and_line(env_and_context) -> None:
    proj, _d, _r, ctx = env_and_context
    err = error(proj, ctx, "第一行\n第二行\n{{ nothing_here }}\n")
    assert err.location.template == "templates/t.md.j2" and err.location.line == 3
    assert err.code == "undefined_name"
    assert str(err).startswith("templates/t.md.j2:3: ")


def test_unknown_row_is_reported_at_its_line(env_and_context) -> None:
    proj, _d, _r, ctx = env_and_context
    err = error(proj, ctx, "\n\n\n{{ data.market_size['市场规摸'][2020] | yi }}\n")
    assert err.location.line == 4 and "did you mean '市场规模'" in str(err)


def test_syntax_error_line(env_and_context) -> None:
    proj, _d, _r, ctx = env_and_context
    err = error(proj, ctx, "ok\n{% if %}\n")
    assert err.code == "syntax" and err.location.line == 2


def test_unformatted_number_is_refused(env_and_context) -> None:
    proj, _d, _r, ctx = env_and_context
    err = error(proj, ctx, "{{ data.market_size['市场规模'][2020] }}")
    assert err.code == "unformatted_number"


@pytest.mark.parametrize(
    "expr",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ data.__class__ }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ data._tables }}",
    ],
)
def test_sandbox_blocks_escape_attempts(env_and_context, expr) -> None:
    proj, _d, _r, ctx = env_and_context
    err = error(proj, ctx, expr)
    assert err.code in ("security", "undefined_name")


def test_data_text_is_never_template_code_or_markup(env_and_context) -> None:
    proj, _d, reg, ctx = env_and_context
    ctx = {**ctx, "cell": "{{ 7*7 }} **不是粗体** # 不是标题\n第二行"}
    text = render(proj, ctx, "{{ cell }}\n")
    blocks = read_markup(text, "t", reg)
    assert len(blocks) == 1
    assert blocks[0].text == "{{ 7*7 }} **不是粗体** # 不是标题 第二行"
    assert all(not r.bold for r in blocks[0].runs)


def test_chart_and_table_calls_register_objects(env_and_context) -> None:
    proj, _d, reg, ctx = env_and_context
    text = render(
        proj,
        ctx,
        "前文\n{{ chart('market_size', kind='bar', title='规模') }}\n"
        "{{ table('demand', title='结构', growth=true) }}\n后文\n",
    )
    blocks = read_markup(text, "t", reg)
    kinds = [type(b).__name__ for b in blocks]
    assert kinds == ["Paragraph", "Figure", "Table", "Paragraph"]
    fig, tab = blocks[1], blocks[2]
    assert isinstance(fig, Figure) and fig.chart.categories[-1] == "2026E" and fig.chart.forecast[-1]
    assert fig.source == "中商产业研究院"
    assert isinstance(tab, Table) and "示例" in tab.source
    assert [c.text for c in tab.header] == ["领域", "2022", "2023"]
    assert [c.text for c in tab.rows[1]] == ["智能制造增速", "—", "5.0%"]


def test_bad_chart_arguments(env_and_context) -> None:
    proj, _d, _r, ctx = env_and_context
    assert "unknown chart kind" in str(error(proj, ctx, "{{ chart('market_size', kind='radar', title='x') }}"))
    assert "did you mean rows" in str(error(proj, ctx, "{{ chart('market_size', title='x', row=['a']) }}"))
    assert "no row" in str(error(proj, ctx, "{{ chart('market_size', title='x', rows=['规模X']) }}"))
    assert "needs a title" in str(error(proj, ctx, "{{ table('market_size') }}"))
    err = error(proj, ctx, "{{ chart('policies', kind='bar', title='x') }}")
    assert "label= and value=" in str(err)


def test_transposed_table_for_long_series(env_and_context) -> None:
    proj, _d, reg, ctx = env_and_context
    text = render(proj, ctx, "{{ table('market_size', title='规模', transpose=true, growth=true) }}")
    tab = read_markup(text, "t", reg)[0]
    assert [c.text for c in tab.header] == ["年份", "市场规模", "同比增速"]
    assert [c.text for c in tab.rows[2]] == ["2022", "70.00", "116.0%"]
    assert tab.rows[-1][0].text == "2026E"


def test_check_knows_every_name_a_render_provides(env_and_context) -> None:
    from reportkit.templating.environment import CONTEXT_NAMES

    _proj, data, reg, _ctx = env_and_context
    assert set(template_functions(data, reg)) | {"edition", "data"} == set(CONTEXT_NAMES)
