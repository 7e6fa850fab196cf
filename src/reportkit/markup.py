"""Read the Markdown a template rendered into document-model blocks (markdown-it-py tokens).

One small handler per token type, in the style of markdown-it's renderer rules.  Placeholders
left by chart()/table() calls are fenced blocks that are swapped for the registered objects.
"""

from __future__ import annotations

from collections.abc import Callable

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .cjk_emphasis import use_cjk_emphasis
from .errors import Location, Problem, TemplateError
from .model import Block, Figure, Heading, ListBlock, Paragraph, Pos, Provenance, Run, Table
from .templating.environment import Ledger, Registry
from .templating.linemap import RenderedText
from .templating.tags import untag

_PARSER = (
    use_cjk_emphasis(MarkdownIt("commonmark", {"html": False}))
    # -- Chinese prose must never turn into code, quotes, rules or links by accident --
    .disable(
        ["code", "html_block", "html_inline", "lheading", "hr", "blockquote", "reference", "link", "image", "autolink"]
    )
)


def _join_softbreak(before: str, after: str) -> str:
    # -- a line break inside a paragraph is a space only between two Latin words --
    return (
        " " if before[-1:].isascii() and before[-1:].isalnum() and after[:1].isascii() and after[:1].isalnum() else ""
    )


def inline_runs(token: Token, printed: list[int] | None = None) -> tuple[Run, ...]:
    """Return the runs of an `inline` token: text with bold/italic, soft breaks joined.

    Figures come tagged with their ledger index; the tags are removed and the indices appended to
    `printed`, in order.
    """
    runs: list[Run] = []
    bold = italic = False
    pending_break = False
    for child in token.children or []:
        t = child.type
        if t == "strong_open":
            bold = True
        elif t == "strong_close":
            bold = False
        elif t == "em_open":
            italic = True
        elif t == "em_close":
            italic = False
        elif t == "softbreak":
            pending_break = True
        elif t == "hardbreak":
            runs.append(Run("\n", bold, italic))
        elif t in ("text", "code_inline"):
            text, found = untag(child.content)
            if printed is not None:
                printed.extend(found)
            if not text:
                continue
            if pending_break and runs:
                sep = _join_softbreak(runs[-1].text, text)
                if sep:
                    text = sep + text
            pending_break = False
            if runs and runs[-1].bold == bold and runs[-1].italic == italic:
                runs[-1] = Run(runs[-1].text + text, bold, italic)
            else:
                runs.append(Run(text, bold, italic))
    return tuple(runs)


class MarkupReader:
    """Turns the rendered text of one template into blocks."""

    def __init__(self, template: str, registry: Registry, ledger: Ledger | None = None):
        self.template = template
        self.registry = registry
        self.ledger = ledger
        self.handlers: dict[str, Callable[[list[Token], int], int]] = {
            "heading_open": self.heading,
            "paragraph_open": self.paragraph,
            "bullet_list_open": self.listing,
            "ordered_list_open": self.listing,
            "fence": self.fence,
        }

    def line(self, token: Token) -> int | None:
        """The template line that wrote `token` (the rendered line when the text has no line map)."""
        rendered = token.map[0] + 1 if token.map else None
        return self.text.template_line(rendered) if isinstance(self.text, RenderedText) else rendered

    def pos(self, token: Token) -> Pos:
        return Pos(self.template, self.line(token))

    def fail(self, token: Token, message: str, code: str = "markup") -> TemplateError:
        return TemplateError(message, Location(template=self.template, line=self.line(token)), code=code)

    def read(self, text: str, warnings: list[Problem] | None = None) -> list[Block]:
        self.text = text
        if warnings is not None:
            warnings.extend(self.inline_objects(text))
        tokens = _PARSER.parse(text)
        self.blocks: list[Block] = []
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            handler = self.handlers.get(tok.type)
            if handler is None:
                raise self.fail(tok, f"unsupported markup ({tok.type})")
            i = handler(tokens, i)
        return self.blocks

    def inline_objects(self, text: str) -> list[Problem]:
        """A chart() or table() called inside a sentence: its block splits the paragraph in two, which
        the author rarely means."""
        found = []
        for start, end, obj in self.registry.placed(text):
            before = text[start - 1] if start else "\n"
            after = text[end] if end < len(text) else "\n"
            if before == "\n" and after == "\n":
                continue
            what = "table()" if isinstance(obj, Table) else "chart()" if isinstance(obj, Figure) else "page_break()"
            # -- the sentence's line: before the call, or (a call at a line's start) after it --
            line = text.count("\n", 0, start if before != "\n" else end) + 1
            where = text.template_line(line) if isinstance(text, RenderedText) else line
            found.append(
                Problem(
                    "inline_object",
                    f"{what} is called inside a sentence: the exhibit splits the paragraph in two here",
                    Location(template=self.template, line=where),
                    hint=f"put {{{{ {what[:-2]}(...) }}}} on a line of its own, after the paragraph that discusses it",
                    warning=True,
                )
            )
        return found

    def heading(self, tokens: list[Token], i: int) -> int:
        tok = tokens[i]
        level = int(tok.tag[1])
        if level < 3:
            raise self.fail(
                tok,
                f"'{'#' * level}' headings belong to the outline; inside a section use ### or ####",
                "heading_level",
            )
        text = "".join(r.text for r in inline_runs(tokens[i + 1])).strip()
        self.blocks.append(Heading(level, text, toc=False, pos=self.pos(tok)))
        return i + 3

    def sources(self, indices: list[int]) -> tuple[Provenance, ...]:
        entries = self.ledger.entries if self.ledger is not None else []
        return tuple(entries[i] for i in indices if i < len(entries))

    def paragraph(self, tokens: list[Token], i: int) -> int:
        printed: list[int] = []
        runs = inline_runs(tokens[i + 1], printed)
        if runs:
            self.blocks.append(Paragraph(runs, pos=self.pos(tokens[i]), sources=self.sources(printed)))
        return i + 3

    def listing(self, tokens: list[Token], i: int) -> int:
        open_tok = tokens[i]
        close_type = open_tok.type.replace("_open", "_close")
        depth = 0
        items: list[tuple[Run, ...]] = []
        printed: list[int] = []
        j = i
        while j < len(tokens):
            t = tokens[j]
            if t.type == open_tok.type:
                depth += 1
            elif t.type == close_type:
                depth -= 1
                if depth == 0:
                    break
            elif t.type == "inline":
                items.append(inline_runs(t, printed))
            j += 1
        self.blocks.append(
            ListBlock(
                tuple(items),
                ordered=open_tok.type.startswith("ordered"),
                pos=self.pos(open_tok),
                sources=self.sources(printed),
            )
        )
        return j + 1

    def fence(self, tokens: list[Token], i: int) -> int:
        tok = tokens[i]
        obj = self.registry.lookup(tok.info, tok.content)
        if obj is None:
            raise self.fail(tok, "code blocks are not supported in report text")
        self.blocks.append(obj)
        return i + 1


def read_markup(
    text: str,
    template: str,
    registry: Registry,
    ledger: Ledger | None = None,
    warnings: list[Problem] | None = None,
) -> list[Block]:
    """Return the blocks of one template's rendered text; the figures printed in each paragraph or
    list carry their provenance from `ledger`.  What deserves a warning is added to `warnings`."""
    return MarkupReader(template, registry, ledger).read(text, warnings)
