"""One exception hierarchy for reportkit.

The library raises these; only the CLI prints them and exits.  Every error carries a
:class:`Location` so the message can name the file and sheet/cell, or the template and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# -- controls (C0, DEL, C1), invisible format characters (bidi embeddings, overrides and isolates,
# zero-width marks), line and paragraph separators, lone surrogates (undecodable command-line bytes) --
UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u180e\u200b-\u200f\u2028-\u202e"
    "\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff\U000e0001\U000e0020-\U000e007f]"
)


def printable(text: str) -> str:
    """Return `text` safe to show on a terminal as part of one line.

    Data (a sheet name, a cell, a file name) may hold a line break that would forge another line of
    output, an escape sequence the terminal obeys, or a bidi override that reorders what is shown:
    such characters are shown as escapes (\\n, \\x1b, \\u202e) instead.
    """
    if not UNPRINTABLE.search(text):
        return text
    return UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode("ascii"), text)


def printable_json(text: str) -> str:
    """JSON text with the characters :func:`printable` escapes written as \\u escapes: the same JSON
    value, safe on a terminal."""
    import json

    # -- json.dumps escapes control characters inside strings itself: a raw line break is layout --
    return UNPRINTABLE.sub(lambda m: m.group() if m.group() == "\n" else json.dumps(m.group())[1:-1], text)


@dataclass(frozen=True)
class Location:
    """Where a problem is: a workbook cell, a template line, or just a file."""

    file: str | None = None
    sheet: str | None = None
    cell: str | None = None
    template: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        if self.template is not None:
            return printable(f"{self.template}:{self.line}" if self.line else self.template)
        parts = [self.file or "?"]
        if self.sheet is not None:
            parts.append(f"[{self.sheet}]")
        if self.cell is not None:
            parts.append(self.cell)
        return printable(" ".join(parts))


@dataclass
class Problem:
    """One finding: a stable `code`, a one-sentence `message` and where it is."""

    code: str
    message: str
    location: Location = field(default_factory=Location)
    hint: str = ""
    """How to fix it, when the message alone does not say."""
    related: tuple[Location, ...] = ()
    """Every other cell involved (a rule between tables names all of them)."""
    warning: bool = False
    """Worth knowing, but the render goes on: `check` exits 0 and commands print it as `warning:`."""

    def __post_init__(self) -> None:
        # -- one problem, one line: a message that quotes data must not break the line-per-problem output --
        if len(self.message.splitlines()) > 1:
            self.message = " ".join(self.message.splitlines())
        if len(self.hint.splitlines()) > 1:
            self.hint = " ".join(self.hint.splitlines())

    def __str__(self) -> str:
        where = str(self.location)
        message = printable(self.message)
        text = f"{where}: {message}" if where and where != "?" else message
        if self.related:
            text += f" (cells: {'; '.join(str(r) for r in self.related)})"
        return f"{text}; fix: {printable(self.hint)}" if self.hint else text

    def as_dict(self) -> dict[str, object]:
        loc = self.location
        return {
            "file": loc.file if loc.template is None else loc.template,
            "sheet": loc.sheet,
            "cell": loc.cell,
            "template": loc.template,
            "line": loc.line,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "cells": [_location_dict(r) for r in (self.location, *self.related) if r.cell is not None],
        }


def _location_dict(loc: Location) -> dict[str, object]:
    return {"file": loc.file, "sheet": loc.sheet, "cell": loc.cell}


class ReportkitError(Exception):
    """Root of every error reportkit raises on purpose."""

    code = "error"

    def __init__(self, message: str, location: Location | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.location = location or Location()
        if code is not None:
            self.code = code

    @property
    def problems(self) -> list[Problem]:
        return [Problem(self.code, self.message, self.location)]

    def __str__(self) -> str:
        return str(self.problems[0])


class ConfigError(ReportkitError):
    """The manifest (report.toml) or a path it names is wrong."""

    code = "config"


class DataError(ReportkitError):
    """A workbook does not follow the sheet convention or holds a bad value."""

    code = "data"


class TemplateError(ReportkitError):
    """A template does not parse, names something undefined, or misuses a function."""

    code = "template"


class StyleError(ReportkitError):
    """The reference .docx lacks a style the writer needs."""

    code = "style"


class ChartError(ReportkitError):
    """A chart cannot be drawn from the data it was given."""

    code = "chart"


class OutputError(ReportkitError):
    """The output cannot be written (permissions, a converter missing, ...)."""

    code = "output"


class ProblemsFound(ReportkitError):
    """Several problems found at once (validation reports all of them, not the first)."""

    code = "problems"

    def __init__(self, problems: list[Problem]):
        self._problems = list(problems)
        first = self._problems[0] if self._problems else Problem("problems", "no problems")
        super().__init__(first.message, first.location, first.code)

    @property
    def problems(self) -> list[Problem]:
        return list(self._problems)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self._problems)
