"""The bounds templates run within: files only from templates/, and a budget of steps and sizes.

Jinja's sandbox stops a template reaching Python's internals; it does not stop one from looping for
ever (`range(100000)` inside `range(100000)`), building a number of ten billion digits (`10**(10**10)`),
a string of a gigabyte (`"a".center(10**9)`, `x ~ x` doubled in a loop) or calling itself without
end.  Every loop iteration, call, filter and intercepted operator here costs a step of the document's
budget, every value built is measured before or right after it is built, and each template's output
is counted as it is produced.  Reaching a limit is a TemplateError at the template line.
"""

from __future__ import annotations

import functools
import os
import re
import string
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from jinja2.runtime import Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .. import limits
from ..errors import Location, TemplateError
from ..intake import read_file
from .linemap import mark_lines

STEPS_FILTER = "_reportkit_steps"
_PRINTF = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")
_SIZED = (str, bytes, list, tuple, dict)


def read_template(folder: Path, name: str) -> tuple[str, Path]:
    """Return the text of template `name` and its path: a UTF-8 file inside `folder` (templates/),
    reached without leaving it, of at most TEMPLATE_BYTES.

    Raises jinja2.TemplateNotFound for a missing file (so that `ignore missing` works), TemplateError
    for a name or file that is refused, UnicodeDecodeError for text that is not UTF-8.
    """
    shown = f"templates/{name}"
    pieces = name.split("/")
    if not name or name.startswith("/") or "\\" in name or "\0" in name or any(p in ("", ".", "..") for p in pieces):
        raise TemplateError(
            f"template name {name!r} is not a path inside templates/", Location(template=shown), code="path_escape"
        )
    path = folder.joinpath(*pieces)
    if not os.path.lexists(path):
        raise jinja2.TemplateNotFound(name)
    try:
        data = read_file(path, folder, limits.TEMPLATE_BYTES, TemplateError, shown, what="template", scope="templates/")
    except TemplateError as exc:
        if exc.code == "missing":
            raise jinja2.TemplateNotFound(name) from None
        raise TemplateError(exc.message, Location(template=shown), code=exc.code) from None
    return data.decode("utf-8"), path


class ProjectLoader(jinja2.BaseLoader):
    """Templates, includes, imports and extends: read by :func:`read_template`, never elsewhere."""

    def __init__(self, folder: Path):
        self.folder = folder

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        text, path = read_template(self.folder, template)
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            mtime = None

        def uptodate() -> bool:
            try:
                return path.stat().st_mtime_ns == mtime
            except OSError:
                return False

        return text, str(path), uptodate


def _limit(message: str) -> TemplateError:
    return TemplateError(message, code="too_large")


def _size(value: Any) -> int:
    return len(value) if isinstance(value, _SIZED) else 0


def _check_printf(fmt: str) -> None:
    for m in _PRINTF.finditer(fmt):
        for part in m.groups():
            if part == "*":
                raise _limit("a % format takes its width from the arguments ('*'); write the width out")
            if part and int(part) > limits.FORMAT_WIDTH:
                raise _limit(
                    f"a % format with a width or precision of {int(part):,}; the limit is {limits.FORMAT_WIDTH}"
                )


def _check_format(fmt: str) -> None:
    try:
        fields = list(string.Formatter().parse(fmt))
    except ValueError:
        return  # -- str.format itself reports it --
    for _text, _field, spec, _conversion in fields:
        if spec and "{" in spec:
            raise _limit("a format whose width comes from an argument ('{:{w}}'); write the width out")
        problem = limits.format_spec_problem(spec or "")
        if problem:
            raise _limit(f"a format with {problem}")


def _check_int(value: Any, what: str, limit: int) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and value > limit:
        raise _limit(f"{what} of {value:,}; the limit is {limit:,}")


def _joined_size(items: Iterable[Any], sep: Any) -> int:
    items = list(items)
    return sum(_size(i) if isinstance(i, (str, bytes)) else 0 for i in items) + _size(sep) * len(items)


def _replaced_size(text: Any, old: Any, new: Any, count: Any = -1) -> int:
    if not (isinstance(text, (str, bytes)) and isinstance(old, type(text)) and isinstance(new, type(text))):
        return 0
    n = text.count(old) if old else len(text) + 1  # type: ignore[arg-type]
    if isinstance(count, int) and count >= 0:
        n = min(n, count)
    return len(text) + n * (len(new) - len(old))


def _check_string_method(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """Refuse a str method call whose result would be oversized, before it is built."""
    name, text = getattr(obj, "__name__", ""), getattr(obj, "__self__", None)
    wrapped = getattr(obj, "__wrapped__", None)
    owner = getattr(wrapped, "__self__", None)
    if name in ("format", "format_map") and isinstance(owner, str):
        _check_format(owner)
        return args
    if not isinstance(text, (str, bytes)):
        return args
    if name in ("center", "ljust", "rjust", "zfill") and args:
        _check_int(args[0], "a width", limits.TEMPLATE_VALUE)
    elif name == "expandtabs":
        tab = args[0] if args else kwargs.get("tabsize", 8)
        tabs = text.count("\t") if isinstance(text, str) else text.count(b"\t")
        if isinstance(tab, int) and len(text) + tabs * tab > limits.TEMPLATE_VALUE:
            raise _limit(f"expandtabs({tab:,}) would build more than {limits.TEMPLATE_VALUE:,} characters")
    elif name == "replace" and len(args) >= 2:
        if (
            _replaced_size(text, args[0], args[1], args[2] if len(args) > 2 else kwargs.get("count", -1))
            > limits.TEMPLATE_VALUE
        ):
            raise _limit(f"replace() would build more than {limits.TEMPLATE_VALUE:,} characters")
    elif name == "join" and args:
        items = list(args[0])
        if _joined_size(items, text) > limits.TEMPLATE_VALUE:
            raise _limit(f"join() would build more than {limits.TEMPLATE_VALUE:,} characters")
        return (items, *args[1:])
    elif name in ("format", "format_map"):
        _check_format(text if isinstance(text, str) else "")
    return args


def _filter_checks(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Refuse a built-in filter call whose result would be oversized (args[0] is the filtered value)."""

    def arg(i: int, key: str, default: Any = None) -> Any:
        return args[i] if len(args) > i else kwargs.get(key, default)

    if name in ("center", "indent"):
        _check_int(arg(1, "width"), "a width", limits.TEMPLATE_VALUE)
        if isinstance(arg(1, "width"), str) and name == "indent":
            lines = str(args[0]).count("\n") + 1 if args else 1
            if lines * len(arg(1, "width")) > limits.TEMPLATE_VALUE:
                raise _limit(f"indent would build more than {limits.TEMPLATE_VALUE:,} characters")
    elif name in ("slice", "batch"):
        _check_int(arg(1, "slices" if name == "slice" else "linecount"), "a count", limits.TEMPLATE_VALUE)
    elif name == "format" and args and isinstance(args[0], str):
        _check_printf(args[0])
    elif name == "replace" and len(args) >= 3:
        if _replaced_size(str(args[0]), args[1], args[2], arg(3, "count", -1)) > limits.TEMPLATE_VALUE:
            raise _limit(f"replace would build more than {limits.TEMPLATE_VALUE:,} characters")
    elif name == "join" and args and isinstance(args[0], (list, tuple)):
        if _joined_size(args[0], arg(1, "d", "")) > limits.TEMPLATE_VALUE:
            raise _limit(f"join would build more than {limits.TEMPLATE_VALUE:,} characters")


class _Counted:
    """A loop's iterable whose every item costs a step; its length is the iterable's own, if any."""

    def __init__(self, env: GuardedSandbox, iterable: Any):
        self.env = env
        self.iterable = iterable

    def __len__(self) -> int:
        return len(self.iterable)

    def __iter__(self) -> Iterator[Any]:
        for item in self.iterable:
            self.env.tick()
            yield item


class _Filters(dict):  # type: ignore[type-arg]
    """The environment's filters, each wrapped on the way in to cost a step and respect the limits."""

    def __init__(self, env: GuardedSandbox, filters: dict[str, Any]):
        super().__init__()
        self.env = env
        self.update(filters)

    def __setitem__(self, name: str, fn: Any) -> None:
        super().__setitem__(name, self.env.guard_filter(name, fn))

    def update(self, *args: Any, **kwargs: Any) -> None:
        for name, fn in dict(*args, **kwargs).items():
            self[name] = fn


class _CodeGenerator(CodeGenerator):
    def visit_Concat(self, node: nodes.Concat, frame: Any) -> None:
        # -- `a ~ b` is joined by the environment, which measures what it builds --
        self.write("environment.joined((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class GuardedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with a step budget and size limits (see the module's docstring)."""

    intercepted_binops = frozenset({"*", "**", "%", "+", "//"})
    code_generator_class = _CodeGenerator

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.steps = 0
        self.depth = 0
        self.globals.pop("lipsum", None)  # -- paragraphs of filler text, by the hundred thousand --
        self.filters = _Filters(self, self.filters)
        self.filters[STEPS_FILTER] = lambda iterable: _Counted(self, iterable)

    # -- the budget -------------------------------------------------------------------------
    def tick(self) -> None:
        self.steps += 1
        if self.steps > limits.TEMPLATE_STEPS:
            raise TemplateError(
                f"the templates take more than {limits.TEMPLATE_STEPS:,} steps (loop iterations, "
                "calls, filters); loop over the data, not over large ranges",
                code="too_many_steps",
            )

    def bounded(self, value: Any) -> Any:
        if _size(value) > limits.TEMPLATE_VALUE:
            raise _limit(f"a value of {_size(value):,} characters or items; the limit is {limits.TEMPLATE_VALUE:,}")
        return value

    def output(self, parts: Iterable[str]) -> Iterator[str]:
        """`parts` of a template's (or macro's, or block's) output, counted as they come."""
        total = 0
        for part in parts:
            total += len(part)
            if total > limits.TEMPLATE_OUTPUT:
                raise _limit(f"the template produces more than {limits.TEMPLATE_OUTPUT:,} characters")
            yield part

    def joined(self, parts: Iterable[Any]) -> str:
        self.tick()
        joined: str = self.bounded("".join(map(str, parts)))
        return joined

    # -- what templates compile to ----------------------------------------------------------
    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        if name is not None:
            mark_lines(tree, name)
        for loop in list(tree.find_all(nodes.For)):
            loop.iter = nodes.Filter(
                loop.iter, STEPS_FILTER, [], [], None, None, lineno=loop.iter.lineno, environment=self
            )
        return tree

    def guard_filter(self, name: str, fn: Any) -> Any:
        if getattr(fn, "_reportkit_guarded", False) or not callable(fn):
            return fn
        skip = 1 if getattr(fn, "jinja_pass_arg", None) is not None else 0

        @functools.wraps(fn)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            self.tick()
            _filter_checks(name, args[skip:], kwargs)
            return self.bounded(fn(*args, **kwargs))

        guarded._reportkit_guarded = True  # type: ignore[attr-defined]
        return guarded

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        self.tick()
        ints = isinstance(left, int) and isinstance(right, int)
        digits_bits = limits.NUMBER_DIGITS * 3.33
        if operator == "**" and ints and right > 0 and right * max(abs(left).bit_length() - 1, 1) > digits_bits:
            if abs(left) > 1:
                raise _limit(f"a number of more than {limits.NUMBER_DIGITS:,} digits ({left} ** {right:,})")
        elif operator == "*":
            if ints and left.bit_length() + right.bit_length() > digits_bits:
                raise _limit(f"a number of more than {limits.NUMBER_DIGITS:,} digits")
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, _SIZED) and isinstance(n, int) and _size(seq) * max(n, 0) > limits.TEMPLATE_VALUE:
                    raise _limit(
                        f"repeating a value {n:,} times builds more than {limits.TEMPLATE_VALUE:,} characters or items"
                    )
        elif operator == "+" and isinstance(left, _SIZED) and _size(left) + _size(right) > limits.TEMPLATE_VALUE:
            raise _limit(f"a value of more than {limits.TEMPLATE_VALUE:,} characters or items")
        elif operator == "%" and isinstance(left, str):
            _check_printf(left)
        return self.bounded(super().call_binop(context, operator, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        __self.tick()
        args = _check_string_method(__obj, args, kwargs)
        if not isinstance(__obj, Macro):
            return __self.bounded(super().call(__context, __obj, *args, **kwargs))
        __self.depth += 1
        try:
            if __self.depth > limits.TEMPLATE_DEPTH:
                raise TemplateError(
                    f"macros call each other more than {limits.TEMPLATE_DEPTH} deep (a macro that calls itself?)",
                    code="too_deep",
                )
            return __self.bounded(super().call(__context, __obj, *args, **kwargs))
        finally:
            __self.depth -= 1
