"""Which template line produced each line of a template's output.

Jinja's own line table is too coarse for this (it marks statements, not text), so the parsed template
is marked instead: before every piece of output — template text, a printed value, an include — a
short invisible mark names the template line it starts on.  :func:`take_marks` removes the marks from
the rendered text and keeps, for every line of it, the template line that wrote it.  A problem found
later in the text (bad markup, a paragraph's place in the sidecar) then names the template line.

Text that is captured rather than printed (``{% set %}`` blocks, macros, call and filter blocks) is
left unmarked, because templates compare and measure it; it is credited to the line that prints it.
Output of an included template is credited to the ``{% include %}`` line.
"""

from __future__ import annotations

import re

from jinja2 import nodes

_MARK = re.compile("\x1e([SE])(\\d+)\x1d([^\x1f]*)\x1f")
_CAPTURED = (nodes.Macro, nodes.CallBlock, nodes.FilterBlock, nodes.AssignBlock)


def _mark(kind: str, line: int, name: str) -> nodes.TemplateData:
    return nodes.TemplateData(f"\x1e{kind}{line}\x1d{name}\x1f", lineno=line)


def mark_lines(tree: nodes.Template, name: str | None) -> None:
    """Put a line mark before every piece of output of `tree` (in place)."""
    _mark_body(tree.body, name or "")


def _mark_body(body: list[nodes.Node], name: str) -> None:
    out: list[nodes.Node] = []
    for node in body:
        if isinstance(node, nodes.Output):
            marked: list[nodes.Expr] = []
            for child in node.nodes:
                marked.append(_mark("S" if isinstance(child, nodes.TemplateData) else "E", child.lineno, name))
                marked.append(child)
            node.nodes = marked
        elif isinstance(node, nodes.Include):
            out.append(nodes.Output([_mark("E", node.lineno, name)], lineno=node.lineno))
        elif not isinstance(node, _CAPTURED):
            for field in ("body", "else_", "elif_"):
                children = getattr(node, field, None)
                if isinstance(children, list):
                    _mark_body(children, name)
        out.append(node)
    body[:] = out


class RenderedText(str):
    """A template's output; `lines[i]` is the template line that wrote line ``i + 1`` of it."""

    lines: tuple[int, ...]

    def __new__(cls, text: str, lines: tuple[int, ...]) -> RenderedText:
        self = super().__new__(cls, text)
        self.lines = lines
        return self

    def template_line(self, line: int | None) -> int | None:
        """The template line of rendered line `line` (1-based), or None when unknown."""
        if line is None or not 1 <= line <= len(self.lines):
            return None
        return self.lines[line - 1]


def take_marks(text: str, name: str | None) -> RenderedText:
    """`text` without its line marks, knowing the template line of each of its lines.

    Template text advances the line with every newline it holds; a printed value, however many lines
    it has, stays on the line that printed it.  Marks of an included template are dropped.
    """
    name = name or ""
    pieces: list[str] = []
    lines: list[int] = []
    line, static, at_start = 1, True, True
    pos = 0
    for m in [*_MARK.finditer(text), None]:
        chunk = text[pos : m.start() if m else len(text)]
        for k, part in enumerate(chunk.split("\n")):
            if k:
                if static:
                    line += 1
                at_start = True
            if at_start and (part or k < chunk.count("\n")):
                lines.append(line)
                at_start = False
        pieces.append(chunk)
        if m is None:
            break
        pos = m.end()
        if m.group(3) == name:
            static, line = m.group(1) == "S", int(m.group(2))
    if at_start:
        lines.append(line)
    out = "".join(pieces)
    return RenderedText(out, tuple(lines[: out.count("\n") + 1]))
