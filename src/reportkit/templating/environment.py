"""Render section templates: a sandboxed Jinja2 environment and the functions templates call.

Templates produce Markdown text.  A chart or table call registers the object in a
:class:`Registry` and leaves a fenced placeholder block that the markup reader swaps back.
Jinja never emits XML.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import secrets
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import lexer, meta, nodes
from jinja2.defaults import DEFAULT_NAMESPACE
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..context.tables import Data, RecordTable, SeriesTable
from ..errors import Location, Problem, ReportkitError, TemplateError
from ..model import Figure, PageBreak, Pos, Provenance, Table, TableCell
from . import filters
from .chain import build_chain_map
from .linemap import RenderedText, take_marks
from .objects import build_chart, build_composed_table, build_table, provenance
from .sandbox import GuardedSandbox, ProjectLoader
from .tags import TAG, TAG_CHARS, tag, untag

PLACEHOLDER_INFO = "reportkit-object"
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&])")
_LIST_START = re.compile(r"^(\s*\d+)([.)])", re.M)
_BULLET_START = re.compile(r"^(\s*)([-+])")
_OUTLINE_HEADING = re.compile(r"^ {0,3}(#{1,2})(?:[ \t]|$)")


class Raw(str):
    """Text that goes into the Markdown unescaped (placeholders made by reportkit itself)."""


class Registry:
    """The objects (figures, tables, page breaks) registered while rendering one document.

    Figures printed into a title or a composed table's cells by a filter arrive tagged; the tags
    are taken off here, and a composed cell keeps the figure's provenance from the `ledger`.
    """

    def __init__(self, ledger: Ledger | None = None) -> None:
        self.objects: list[Figure | Table | PageBreak] = []
        # -- a fence only this render writes: text a template types cannot pass for an object --
        self.info = f"{PLACEHOLDER_INFO}-{secrets.token_hex(8)}"
        self.ledger = ledger

    def _cell(self, cell: TableCell) -> TableCell:
        text, found = untag(cell.text)
        if not found and text == cell.text:
            return cell
        entries = self.ledger.entries if self.ledger is not None else []
        source = entries[found[0]] if len(found) == 1 and found[0] < len(entries) else cell.source
        return dataclasses.replace(cell, text=text, source=source)

    def add(self, obj: Figure | Table | PageBreak) -> Raw:
        if isinstance(obj, (Figure, Table)):
            # -- where the template called chart()/table(): messages and the sidecar name it --
            template, line = _template_position()
            obj = dataclasses.replace(
                obj, title=untag(obj.title)[0], source=untag(obj.source)[0], pos=Pos(template, line)
            )
        if isinstance(obj, Table):
            obj = dataclasses.replace(
                obj,
                header=tuple(self._cell(c) for c in obj.header),
                rows=tuple(tuple(self._cell(c) for c in row) for row in obj.rows),
            )
        self.objects.append(obj)
        return Raw(self._placeholder(len(self.objects) - 1))

    def _placeholder(self, index: int) -> str:
        return f"\n\n```{self.info}\n{index}\n```\n\n"

    def placed(self, text: str) -> Iterator[tuple[int, int, Figure | Table | PageBreak]]:
        """(start, end, object) of every placeholder this registry left in `text`, in order."""
        for m in re.finditer(rf"\n\n```{re.escape(self.info)}\n(\d+)\n```\n\n", text):
            yield m.start(), m.end(), self.objects[int(m.group(1))]

    def get(self, index: int) -> Figure | Table | PageBreak:
        return self.objects[index]

    def lookup(self, info: str, content: str) -> Figure | Table | PageBreak | None:
        """The object a fenced block stands for, or None when the block is not one of this render's."""
        index = content.strip()
        if info.strip() != self.info or not index.isascii() or not index.isdigit() or int(index) >= len(self.objects):
            return None
        return self.objects[int(index)]


def escape_markdown(text: str) -> str:
    """Return data text that the Markdown reader will show literally, on one line."""
    text = " ".join(text.splitlines())
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _BULLET_START.sub(r"\1\\\2", text)  # -- "- x" / "+ x" would start a list --
    return _LIST_START.sub(r"\1\\\2", text)


def _concat(parts: Iterable[str]) -> Raw:
    return Raw("".join(parts))


def _finalize(value: Any) -> Any:
    """Check every printed value: no None, no unformatted number, data text shown literally."""
    if isinstance(value, jinja2.Undefined):
        str(value)  # -- StrictUndefined and the sandbox's unsafe-attribute marker raise here --
    if value is None:
        raise TemplateError("an expression printed None: the value is missing", code="missing")
    if isinstance(value, Raw):
        return value
    if isinstance(value, str):
        if not TAG.search(value):
            value = TAG_CHARS.sub("", value)  # -- data text cannot forge a figure's tag --
        return escape_markdown(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float):
        raise TemplateError(
            f"a number ({float(value):g}) is printed without a format; use a filter such as num, amount, yi or pct",
            code="unformatted_number",
        )
    hint = "; use the date filter" if type(value).__name__ == "DateValue" else ""
    raise TemplateError(f"cannot print {type(value).__name__} {value!r}{hint}", code="bad_value")


class Ledger:
    """Every figure the filters print while rendering, with its provenance and template position.

    The printed text carries its entry's index between private-use characters (see :func:`tag`), so
    the reader of the rendered text attaches each figure to exactly the run that prints it: nothing
    is found again by searching the text.
    """

    def __init__(self) -> None:
        self.entries: list[Provenance] = []

    def add(self, entry: Provenance) -> int:
        self.entries.append(entry)
        return len(self.entries) - 1


def _template_position() -> tuple[str, int | None]:
    """The template (and its line) whose code is calling the filter: Jinja's compiled templates know
    their template in their globals and map their code lines back to template lines."""
    frame = sys._getframe(2)
    while frame is not None:
        template = frame.f_globals.get("__jinja_template__")
        if template is not None:
            return f"templates/{template.name}", template.get_corresponding_lineno(frame.f_lineno)
        frame = frame.f_back  # type: ignore[assignment]
    return "", None


ILLUSTRATIVE_MARK = "（示例）"
FIGURE_FILTERS = frozenset({"num", "yi", "wan", "amount", "pct", "pct_abs", "pp", "cn"})
"""Filters that print a figure; an illustrative one is marked right after it."""


def _recording(fn: Callable[..., str], ledger: Ledger, marks: bool) -> Callable[..., str]:
    def filter_(value: Any, *args: Any, **kwargs: Any) -> str:
        printed = fn(value, *args, **kwargs)
        found = provenance(value, printed)
        if found is None:
            return printed
        template, line = _template_position()
        index = ledger.add(dataclasses.replace(found, template=template, line=line))
        if marks and found.illustrative:
            # -- the reader must see that a figure is illustrative wherever it is quoted, so the
            # pipeline marks it: authors cannot forget --
            printed += ILLUSTRATIVE_MARK
        return tag(index, printed)

    filter_.__doc__ = fn.__doc__
    return filter_


def make_environment(
    template_dir: Path, ledger: Ledger | None = None, cache_dir: Path | None = None
) -> ImmutableSandboxedEnvironment:
    """Return the sandboxed, strict Jinja environment for `template_dir`.

    With a `ledger`, every number a filter prints is recorded with where it came from; with a
    `cache_dir`, the templates found clean before they run are remembered there.  Templates are read
    only from `template_dir` and run within the limits of :class:`GuardedSandbox`; compiled code is
    never cached (a cache must not hold anything that runs).
    """
    from ..cache import Cache

    env = GuardedSandbox(
        loader=ProjectLoader(template_dir),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
        finalize=_finalize,
    )
    env.reportkit_cache = Cache(cache_dir) if cache_dir is not None else None  # type: ignore[attr-defined]
    env.filters.update(
        filters.FILTERS
        if ledger is None
        else {name: _recording(fn, ledger, name in FIGURE_FILTERS) for name, fn in filters.FILTERS.items()}
    )
    env.globals.update(yrange=filters.yrange, year=filters.year)
    # -- what a macro, call block or {% set %} block produces is template text whose data was
    # escaped when printed inside it: printing it again must not escape it a second time --
    env.concat = lambda parts: _concat(env.output(parts))  # type: ignore[method-assign]
    return env


CONTEXT_NAMES = ("edition", "data", "chart", "table", "table_rows", "chain_map", "page_break")
"""What a template's context holds besides the environment's globals (yrange, year)."""


def template_functions(data: Data, registry: Registry) -> dict[str, Callable[..., Any]]:
    """Return chart(), table() and page_break() bound to this render's data and registry."""

    def resolve(ref: Any) -> SeriesTable | RecordTable:
        if isinstance(ref, (SeriesTable, RecordTable)):
            return ref
        if not isinstance(ref, str):
            raise TemplateError(f"expected a table ID, got {ref!r}", code="bad_argument")
        return data[ref]

    def chart(ref: Any, kind: str = "bar", title: str = "", **kwargs: Any) -> Raw:
        """``{{ chart("market_size", kind="bar_line", title=...) }}`` registers a figure."""
        return registry.add(build_chart(resolve(ref), kind, title, **_known(kwargs, _CHART_ARGS, "chart")))

    def table(ref: Any, title: str = "", **kwargs: Any) -> Raw:
        """``{{ table("market_size", title=..., growth=true) }}`` registers a table."""
        return registry.add(build_table(resolve(ref), title, **_known(kwargs, _TABLE_ARGS, "table")))

    def table_rows(title: str = "", header: Any = (), rows: Any = (), source: str = "") -> Raw:
        """``{{ table_rows(title=..., header=[...], rows=[[...], ...], source=...) }}`` registers a
        table composed in the template from values of several tables."""
        return registry.add(build_composed_table(title, header, rows, source))

    def chain_map(ref: Any, title: str = "", **kwargs: Any) -> Raw:
        """``{{ chain_map("industry_chain", title=...) }}`` registers an industry-chain map (产业链图谱)
        drawn from a record table of players by layer and segment."""
        return registry.add(build_chain_map(resolve(ref), title, resolve, **_known(kwargs, _CHAIN_ARGS, "chain_map")))

    def page_break() -> Raw:
        """``{{ page_break() }}`` starts a new page."""
        return registry.add(PageBreak())

    return {
        "chart": chart,
        "table": table,
        "table_rows": table_rows,
        "chain_map": chain_map,
        "page_break": page_break,
    }


_CHART_ARGS = ("rows", "start", "end", "year", "label", "value", "line", "source", "unit", "engine", "derive")
_TABLE_ARGS = ("rows", "start", "end", "columns", "growth", "transpose", "source", "digits", "derive")
_CHAIN_ARGS = ("layer", "group", "player", "role", "basis", "source")


def _known(kwargs: dict[str, Any], allowed: tuple[str, ...], fn: str) -> dict[str, Any]:
    import difflib

    for key in kwargs:
        if key not in allowed:
            hint = difflib.get_close_matches(key, allowed, n=1)
            extra = f"; did you mean {hint[0]}?" if hint else f"; it takes {', '.join(allowed)}"
            raise TemplateError(f"{fn}() got an unknown argument {key!r}{extra}", code="bad_argument")
    return kwargs


def _template_line(exc: BaseException, filename: str, outermost: bool = False) -> int | None:
    """The template line the error happened at: the innermost frame of the template, or with
    `outermost` the first (where a runaway recursion began)."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename and Path(frame.filename).resolve() == Path(filename).resolve():
            line = frame.lineno
            if outermost:
                break
    return line


class TemplateProblems(TemplateError):
    """Every problem found in one template before it runs (reported together, not one per run)."""

    def __init__(self, problems: list[Problem]):
        first = problems[0]
        super().__init__(first.message, first.location, first.code)
        self._problems = list(problems)

    @property
    def problems(self) -> list[Problem]:
        return list(self._problems)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self._problems)


def provided_names(env: jinja2.Environment, context_names: Iterable[str]) -> set[str]:
    """Return the names a template may use: the context's and reportkit's globals (not Jinja's own)."""
    return set(context_names) | (set(env.globals) - set(DEFAULT_NAMESPACE))


def template_problems(env: jinja2.Environment, source: str, shown: str, known: set[str]) -> list[Problem]:
    """Return what is wrong with a template's source before it runs, each with its line.

    Syntax errors (unknown filters and tests included), names that nobody provides (Jinja's meta
    analysis against `known`), and `#`/`##` headings, which belong to the outline.  `check` and
    `render` both use this, so they report the same problems in the same words.
    """
    try:
        ast = env.parse(source)
        names = meta.find_undeclared_variables(ast)  # -- compiles the template: unknown filters fail here --
    except jinja2.TemplateSyntaxError as exc:
        return [Problem("syntax", f"syntax error: {exc.message}", Location(template=shown, line=exc.lineno))]
    except (RecursionError, MemoryError):
        return [Problem("too_deep", "expressions or blocks are nested too deeply to compile", Location(template=shown))]
    problems = []
    public = sorted(known - set(DEFAULT_NAMESPACE))
    # -- a name the template sets itself, even only inside {% if %}, is the template's own: Jinja's
    # analysis lists it because it may be unset, and the render says so, with its line, if it is --
    assigned = {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}
    assigned |= {m.name for m in ast.find_all(nodes.Macro)}
    for name in sorted(names - known - set(env.globals) - assigned):
        line = next((n.lineno for n in ast.find_all(nodes.Name) if n.name == name), None)
        close = difflib.get_close_matches(name, public, n=1, cutoff=0.7)
        hint = f"did you mean {close[0]!r}?" if close else "templates can use " + ", ".join(public)
        problems.append(
            Problem("undefined_name", f"{name!r} is not defined; {hint}", Location(template=shown, line=line))
        )
    at_line_start = True
    for lineno, kind, value in env.lex(source):
        if kind == lexer.TOKEN_DATA:
            for offset, text in enumerate(value.split("\n")):
                m = _OUTLINE_HEADING.match(text) if (offset or at_line_start) else None
                if m:
                    problems.append(
                        Problem(
                            "heading_level",
                            f"'{m.group(1)}' headings belong to the outline; inside a section use ### or ####",
                            Location(template=shown, line=lineno + offset),
                        )
                    )
        at_line_start = value.endswith("\n")
    return problems


_CHECKED: dict[str, list[Problem]] = {}


def checked_template(env: jinja2.Environment, source: str, shown: str, known: set[str]) -> list[Problem]:
    """:func:`template_problems`, remembered by source and names: in memory, and in the environment's
    cache when it has one (a clean template costs nothing on the next render)."""
    from .. import code_fingerprint
    from ..cache import digest

    key = digest(jinja2.__version__, code_fingerprint(), shown, source, *sorted(known))
    if key in _CHECKED:
        return _CHECKED[key]
    cache = getattr(env, "reportkit_cache", None)
    if cache is not None and cache.get_json(key) == {"clean": True}:
        _CHECKED[key] = []
        return []
    found = template_problems(env, source, shown, known)
    _CHECKED[key] = found
    if cache is not None and not found:
        cache.put_json(key, {"clean": True})
    return found


def render_template(env: ImmutableSandboxedEnvironment, name: str, context: dict[str, Any]) -> RenderedText:
    """Return the Markdown text of template `name`, knowing the template line of each of its lines;
    every failure becomes a TemplateError naming the template (as `templates/<name>`) and line.

    The template is checked before it runs (:func:`template_problems`); all problems found
    that way are raised together as :class:`TemplateProblems`.
    """
    shown = f"templates/{name}"
    try:
        source, _filename, _uptodate = env.loader.get_source(env, name)  # type: ignore[union-attr]
    except jinja2.TemplateNotFound:
        raise TemplateError(
            "template file not found (looked in templates/)", Location(template=shown), code="missing"
        ) from None
    except UnicodeDecodeError:
        raise TemplateError("template is not UTF-8 text", Location(template=shown), code="syntax") from None
    found = checked_template(env, source, shown, provided_names(env, context))
    if found:
        raise TemplateProblems(found)
    try:
        template = env.get_template(name)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            f"syntax error: {exc.message}", Location(template=shown, line=exc.lineno), code="syntax"
        ) from None
    except (RecursionError, MemoryError):
        raise TemplateError(
            "expressions or blocks are nested too deeply to compile", Location(template=shown), code="too_deep"
        ) from None
    filename = template.filename or ""
    try:
        return take_marks(template.render(context), name)
    except jinja2.exceptions.SecurityError as exc:
        line = _template_line(exc, filename)
        raise TemplateError(
            f"not allowed in a template: {exc}", Location(template=shown, line=line), code="security"
        ) from None
    except jinja2.UndefinedError as exc:
        line = _template_line(exc, filename)
        raise TemplateError(
            f"undefined name: {exc.message}", Location(template=shown, line=line), code="undefined_name"
        ) from None
    except ReportkitError as exc:
        line = _template_line(exc, filename)
        raise TemplateError(exc.message, Location(template=shown, line=line), code=exc.code) from None
    except jinja2.TemplateError as exc:
        line = getattr(exc, "lineno", None) or _template_line(exc, filename)
        raise TemplateError(str(exc), Location(template=shown, line=line), code="syntax") from None
    except (ArithmeticError, TypeError, ValueError, LookupError, AttributeError) as exc:
        line = _template_line(exc, filename)
        raise TemplateError(
            f"{type(exc).__name__}: {exc}", Location(template=shown, line=line), code="template_error"
        ) from None
    except RecursionError as exc:
        line = _template_line(exc, filename, outermost=True)
        raise TemplateError(
            "templates nest too deeply: an include, import or extends of itself?",
            Location(template=shown, line=line),
            code="too_deep",
        ) from None
