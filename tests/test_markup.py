"""The markup reader, driven by fixture cases in fixtures/markup.txt (markdown-it style)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportkit.errors import TemplateError
from reportkit.markup import read_markup
from reportkit.model import Heading, ListBlock, Paragraph, Run
from reportkit.templating import Registry

FIXTURES = Path(__file__).parent / "fixtures" / "markup.txt"


def read_fixture_file(path: Path) -> list[tuple[int, str, str, str]]:
    """Return (line, title, input, expected) cases separated by lines holding a single '.'."""
    lines = path.read_text(encoding="utf-8").splitlines()
    cases = []
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        title, start = lines[i], i + 1
        assert lines[i + 1] == "."
        j = i + 2
        src = []
        while lines[j] != ".":
            src.append(lines[j])
            j += 1
        j += 1
        exp = []
        while lines[j] != ".":
            exp.append(lines[j])
            j += 1
        cases.append((start, title, "\n".join(src) + "\n", "\n".join(exp)))
        i = j + 1
    return cases


def runs_text(runs: tuple[Run, ...]) -> str:
    return " ".join(("[b]" if r.bold else "") + ("[i]" if r.italic else "") + r.text for r in runs)


def dump(blocks) -> str:
    out = []
    for b in blocks:
        if isinstance(b, Heading):
            out.append(f"Heading {b.level}: {b.text}")
        elif isinstance(b, Paragraph):
            out.append(f"Paragraph {b.role}: {runs_text(b.runs)}")
        elif isinstance(b, ListBlock):
            out.append(f"List {'ordered' if b.ordered else 'bullet'}: " + " | ".join(runs_text(i) for i in b.items))
    return "\n".join(out)


@pytest.mark.parametrize(
    "line,title,src,expected", read_fixture_file(FIXTURES), ids=[f"{c[0]}-{c[1]}" for c in read_fixture_file(FIXTURES)]
)
def test_fixture(line, title, src, expected) -> None:
    assert dump(read_markup(src, "t.md.j2", Registry())) == expected


def test_outline_heading_levels_are_refused() -> None:
    with pytest.raises(TemplateError) as info:
        read_markup("## 自己写的节标题\n", "templates/x.md.j2", Registry())
    assert info.value.location.template == "templates/x.md.j2"
    assert "belong to the outline" in str(info.value)


def test_placeholders_become_registered_objects() -> None:
    from reportkit.model import PageBreak

    reg = Registry()
    text = "前文\n" + reg.add(PageBreak()) + "后文\n"
    blocks = read_markup(text, "t", reg)
    assert [type(b).__name__ for b in blocks] == ["Paragraph", "PageBreak", "Paragraph"]
