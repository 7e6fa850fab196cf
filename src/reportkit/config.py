"""Read and check the manifest (`report.toml`) into frozen dataclasses."""

from __future__ import annotations

import datetime as _dt
import difflib
import os
import re
import string
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import limits
from .data.tables import DateValue
from .errors import ConfigError, Location, OutputError, Problem, ProblemsFound
from .intake import read_file
from .model import CHART_ENGINES
from .validation.settings import CheckSettings, parse_settings

MANIFEST = "report.toml"
PACKAGED_REFERENCE = Path(__file__).resolve().parent / "resources" / "reference.docx"
REPORT_KEYS = (
    "title",
    "horizon",
    "publisher",
    "reference_docx",
    "output",
    "client_output",
    "subject",
    "keywords",
    "clients",
    "watermark",
    "as_of",
    "charts",
)
TOP_KEYS = ("report", "front", "chapters", "references", "lint", "checks", "rules")
REFERENCES_KEYS = ("title",)
DEFAULT_AS_OF = "{prev}-12-31"
LINT_KEYS = ("allow",)
PART_KEYS = ("title", "template", "since", "until")
CHAPTER_KEYS = ("title", "sections", "since", "until")
TITLE_FIELDS = ("start", "end", "year")


def _in_editions(year: int, since: int | None, until: int | None) -> bool:
    return (since is None or year >= since) and (until is None or year <= until)


@dataclass(frozen=True)
class Part:
    """A titled piece of the outline rendered from one template (a section or front matter)."""

    title: str
    template: str
    since: int | None = None
    """The first edition that has it (`since = 2025`); None: every edition from the first."""
    until: int | None = None
    """The last edition that has it; None: every later edition."""

    def in_edition(self, year: int) -> bool:
        return _in_editions(year, self.since, self.until)


@dataclass(frozen=True)
class Chapter:
    title: str
    sections: tuple[Part, ...]
    since: int | None = None
    until: int | None = None

    def in_edition(self, year: int) -> bool:
        return _in_editions(year, self.since, self.until)


@dataclass(frozen=True)
class Manifest:
    """The report project: where it is, its title pattern and its outline."""

    root: Path
    title_pattern: str
    horizon: int
    publisher: str
    output: str
    reference_docx: Path | None
    front: tuple[Part, ...]
    chapters: tuple[Chapter, ...]
    subject: str = ""
    keywords: str = ""
    clients: tuple[str, ...] = ()
    client_output: str = "build/{year}/{title}（{client}）.docx"
    watermark: str = ""
    lint_allow: tuple[str, ...] = ()
    as_of_pattern: str = DEFAULT_AS_OF
    checks: CheckSettings = CheckSettings()
    charts: str = "native"
    """The chart engine of figures that do not choose one: `native` Word charts or `image` pictures."""
    references: str = ""
    """The title of the generated reference list after the last chapter (`[references]`); empty: none,
    and source notes name publishers without numbers."""

    def as_of(self, year: int) -> DateValue:
        """The date edition `year`'s data stands at: years up to it are actuals, later ones forecasts."""
        try:
            return _as_of_date(self.as_of_pattern.format(year=year, prev=year - 1))
        except ValueError:
            raise ConfigError(
                f"[report] as_of {self.as_of_pattern!r} gives no date for the edition {year}",
                Location(MANIFEST),
                code="bad_value",
            ) from None

    def title(self, year: int) -> str:
        """Return the report title of the edition `year`."""
        return self.title_pattern.format(start=year, end=year + self.horizon, year=year)

    @property
    def reference(self) -> Path:
        """The reference .docx in force: the manifest's, or the one shipped with reportkit."""
        return self.reference_docx or PACKAGED_REFERENCE

    def output_for(self, year: int, client: str = "") -> Path:
        """Where the edition's DOCX goes by default (the client pattern for a client edition).

        The title and the client name fill one file name each: the path stays inside the folder the
        pattern names before its first placeholder (build/), never in an input of the project.
        Raises ConfigError (OutputError for a client name) otherwise.
        """
        key = "client_output" if client else "output"
        pattern = self.client_output if client else self.output
        title = self.title(year)
        for what, value in (("title", title), ("client name", client)):
            problem = limits.file_name_problem(value) if value or what == "title" else None
            if problem:
                message = f"the {what} {_short(value)} cannot be part of a file name: it {problem}"
                if what == "title":
                    raise ConfigError(
                        f"[report] {message}; it fills {{title}} in {key}", Location(MANIFEST), code="bad_name"
                    )
                raise OutputError(message, code="bad_name")
        path = self.root / pattern.format(year=year, title=title, client=client)
        folders = Path(pattern).parts[:-1]
        fixed = Path(*folders[: next((i for i, part in enumerate(folders) if "{" in part), len(folders))])
        folder = _real(self.root / fixed)
        target = _real(path.parent) / path.name
        problem = limits.file_name_problem(path.name)
        if problem:
            message = f"[report] {key} gives the file name {_short(path.name)}, which {problem}"
            if client:
                raise OutputError(f"{message}; use a shorter client name", code="bad_name")
            raise ConfigError(f"{message}; use a shorter title", Location(MANIFEST), code="bad_name")
        if not _within(target, folder) or not _within(target, _real(self.root)):
            raise ConfigError(
                f"[report] {key} {pattern!r} puts the output outside {fixed.as_posix() or 'the project'} "
                f"(at {target}); a symbolic link in the way?",
                Location(MANIFEST),
                code="path_escape",
            )
        inputs = self.input_of(target)
        if inputs:
            raise ConfigError(
                f"[report] {key} {pattern!r} would write into {inputs}, an input of the project",
                Location(MANIFEST),
                code="path_escape",
            )
        return target

    def input_of(self, path: Path) -> str | None:
        """The input of the project that writing `path` would overwrite (shown relative), or None."""
        root = _real(self.root)
        target = _real(path.parent) / path.name
        for folder in ("datasets", "templates", "build/.cache"):
            if _within(target, _real(root / folder)):
                return f"{folder}/"
        for file in (root / MANIFEST, self.reference):
            if target == _real(file):
                return _relative_to(target, root)
        return None

    def check_output(self, output: Path, option: str = "--output") -> Path:
        """The explicit `option` path (--output, --redline), resolved; raises OutputError when it names
        no .docx or would overwrite an input of the project (its sidecar and PDF included)."""
        if output.suffix.lower() != ".docx":
            raise OutputError(f"{option} {str(output)!r} must name a .docx file", code="bad_argument")
        target = _real(output.parent) / output.name
        for path in (target, target.with_name(target.stem + ".sources.json"), target.with_suffix(".pdf")):
            inputs = self.input_of(path)
            if inputs:
                raise OutputError(
                    f"{option} {str(output)!r} would overwrite {inputs}, an input of the project; "
                    "write the report elsewhere",
                    code="path_escape",
                )
        return target

    def parts(self) -> list[Part]:
        """Every template-backed part of every edition, in document order."""
        return list(self.front) + [s for c in self.chapters for s in c.sections]

    def outline(self, year: int) -> tuple[tuple[Part, ...], tuple[Chapter, ...]]:
        """The front matter and chapters of edition `year`: parts and chapters outside their
        `since`/`until` editions left out, so numbering and the contents follow."""
        chapters = []
        for c in self.chapters:
            sections = tuple(s for s in c.sections if s.in_edition(year))
            if c.in_edition(year) and sections:
                chapters.append(Chapter(c.title, sections, c.since, c.until))
        return tuple(f for f in self.front if f.in_edition(year)), tuple(chapters)


def _short(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _within(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def _relative_to(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def edition_year_problem(year: int, horizon: int) -> Problem | None:
    """Why edition `year` cannot be made (its dates would not exist), or None."""
    if limits.FIRST_YEAR <= year and year + horizon <= limits.LAST_YEAR:
        return None
    return Problem(
        "bad_value",
        f"edition year {year} is out of range: editions run from {limits.FIRST_YEAR} to "
        f"{limits.LAST_YEAR - horizon} (the forecast horizon reaches {horizon} years on)",
        Location(f"datasets/{year}"),
    )


def source_date() -> _dt.datetime | None:
    """SOURCE_DATE_EPOCH as a date (reproducible builds), or None when it is not set; raises
    ConfigError for a value that is not a whole number of seconds up to the year 9999."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return None
    if not re.fullmatch(r"[0-9]{1,12}", epoch.strip()) or int(epoch) > 253402300799:
        raise ConfigError(
            f"SOURCE_DATE_EPOCH={epoch[:40]!r} is not a number of seconds since 1970 up to the year "
            "9999; unset it or correct it",
            code="bad_value",
        )
    return _dt.datetime.fromtimestamp(int(epoch), _dt.UTC).replace(tzinfo=None, microsecond=0)


def _check_keys(table: dict[str, Any], allowed: tuple[str, ...], where: str, problems: list[Problem]) -> None:
    for key in table:
        if key not in allowed:
            hint = difflib.get_close_matches(key, allowed, n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else f"; allowed: {', '.join(allowed)}"
            problems.append(Problem("unknown_key", f"unknown key {key!r} in {where}{extra}", Location(MANIFEST)))


_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _check_text(value: Any, where: str, problems: list[Problem]) -> None:
    """Report control characters (TOML allows "\\u0001") that a Word document cannot hold."""
    todo = [(value, where)]
    while todo:  # -- a loop, not recursion: arrays may nest as deep as the parser allowed --
        value, where = todo.pop()
        if isinstance(value, str):
            m = _XML_FORBIDDEN.search(value)
            if m:
                problems.append(
                    Problem(
                        "bad_value",
                        f"{where or 'a value'} contains the control character "
                        f"U+{ord(m.group()):04X}, which a Word document cannot hold; remove it",
                        Location(MANIFEST),
                    )
                )
        elif isinstance(value, dict):
            for key, item in reversed(list(value.items())):
                todo.append((item, f"{where}.{key}" if where else str(key)))
                todo.append((key, where or "a key"))
        elif isinstance(value, list):
            todo.extend(reversed([(item, f"{where} #{i}") for i, item in enumerate(value, start=1)]))


def _array(table: dict[str, Any], key: str, where: str, problems: list[Problem]) -> list[Any]:
    """Return `table[key]` when it is a list (of tables); report anything else and return []."""
    value = table.get(key, [])
    if isinstance(value, list):
        return value
    problems.append(
        Problem(
            "bad_value", f"{where} must be a list of tables with title and template, got {value!r}", Location(MANIFEST)
        )
    )
    return []


def _check_pattern(pattern: str, key: str, sample: dict[str, Any], problems: list[Problem]) -> bool:
    """Report a `{placeholder}` pattern that does not parse, uses other fields than `sample`'s, or
    cannot be filled in (`{year:q}`); return True when it is usable."""
    allowed = ", ".join(f"{{{f}}}" for f in sample)
    try:
        fields = [f for _lit, f, _spec, _conv in string.Formatter().parse(pattern) if f is not None]
    except ValueError as exc:
        problems.append(
            Problem(
                "bad_value",
                f"[report] {key} is not a valid pattern ({exc}); write {{{{ or }}}} for a literal brace",
                Location(MANIFEST),
            )
        )
        return False
    unknown = [f for f in fields if f not in sample]
    for f in unknown:
        problems.append(Problem("bad_value", f"[report] {key} uses {{{f}}}; it may use {allowed}", Location(MANIFEST)))
    if unknown:
        return False
    for _lit, _field, spec, _conv in string.Formatter().parse(pattern):
        wide = limits.format_spec_problem(spec or "") or (
            "a width taken from another field" if "{" in (spec or "") else None
        )
        if wide:
            problems.append(Problem("bad_value", f"[report] {key} has a format with {wide}", Location(MANIFEST)))
            return False
    try:
        pattern.format(**sample)
    except (ValueError, TypeError, LookupError, AttributeError) as exc:
        problems.append(Problem("bad_value", f"[report] {key} cannot be filled in: {exc}", Location(MANIFEST)))
        return False
    return True


def _as_of_date(text: str) -> DateValue:
    import datetime as _dt

    d = _dt.date.fromisoformat(text)
    return DateValue(d.year, d.month, d.day)


def _check_as_of(pattern: Any, problems: list[Problem]) -> str:
    if not isinstance(pattern, str) or not _check_pattern(pattern, "as_of", {"year": 2024, "prev": 2023}, problems):
        if not isinstance(pattern, str):
            problems.append(
                Problem(
                    "bad_value",
                    f'[report] as_of must be a date pattern such as "{{year}}-12-31", got {pattern!r}',
                    Location(MANIFEST),
                )
            )
        return DEFAULT_AS_OF
    try:
        _as_of_date(pattern.format(year=2024, prev=2023))
    except ValueError:
        problems.append(
            Problem(
                "bad_value",
                f"[report] as_of {pattern!r} is not a date YYYY-MM-DD (the year may be {{year}} or {{prev}})",
                Location(MANIFEST),
            )
        )
        return DEFAULT_AS_OF
    return pattern


def _inside(root: Path, rel: str, what: str, problems: list[Problem]) -> Path | None:
    if limits.invisible_character(rel):
        return None  # -- reported with the other control characters --
    try:
        path = (root / rel).resolve()
        path.relative_to(root.resolve())
    except (ValueError, OSError, RuntimeError):
        problems.append(Problem("path_escape", f"{what} {rel!r} points outside the project", Location(MANIFEST)))
        return None
    return path


def _editions(raw: dict[str, Any], where: str, problems: list[Problem]) -> tuple[int | None, int | None]:
    """`since`/`until` of an outline entry: edition years, since not after until."""
    out: list[int | None] = []
    for key in ("since", "until"):
        value = raw.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 1900 <= value <= 2999):
            problems.append(
                Problem(
                    "bad_value",
                    f"{where} {key} must be an edition year such as 2025, got {value!r}",
                    Location(MANIFEST),
                )
            )
            value = None
        out.append(value)
    since, until = out
    if since is not None and until is not None and since > until:
        problems.append(Problem("bad_value", f"{where} has since = {since} after until = {until}", Location(MANIFEST)))
    return since, until


def _part(raw: Any, where: str, root: Path, problems: list[Problem]) -> Part | None:
    if not isinstance(raw, dict):
        problems.append(Problem("bad_value", f"{where} must be a table with title and template", Location(MANIFEST)))
        return None
    _check_keys(raw, PART_KEYS, where, problems)
    title, template = raw.get("title"), raw.get("template")
    if not isinstance(title, str) or not title.strip():
        problems.append(Problem("missing", f"{where} needs a title", Location(MANIFEST)))
        return None
    if not isinstance(template, str) or not template.strip():
        problems.append(Problem("missing", f"{where} ({title}) needs a template", Location(MANIFEST)))
        return None
    path = _inside(root / "templates", template, "template", problems)
    if path is not None and not path.is_file():
        problems.append(
            Problem("missing", f"template templates/{template} of {title!r} does not exist", Location(MANIFEST))
        )
    return Part(title.strip(), template, *_editions(raw, f"{where} ({title.strip()})", problems))


def load_manifest(project: Path) -> Manifest:
    """Return the checked manifest of `project`; raises ConfigError/ProblemsFound listing every problem."""
    path = project / MANIFEST
    if not os.path.lexists(path):
        raise ConfigError(
            f"no {MANIFEST} in {project} (is --project the report folder?)", Location(MANIFEST), code="missing"
        )
    data = read_file(path, project, limits.MANIFEST_BYTES, ConfigError, MANIFEST, what="manifest")
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", Location(MANIFEST), code="syntax") from None
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", Location(MANIFEST), code="syntax") from None
    except RecursionError:
        raise ConfigError("arrays or tables nest too deeply", Location(MANIFEST), code="syntax") from None
    problems: list[Problem] = []
    _check_text(raw, "", problems)
    _check_keys(raw, TOP_KEYS, "the manifest", problems)
    report = raw.get("report", {})
    if not isinstance(report, dict):
        report = {}
    _check_keys(report, REPORT_KEYS, "[report]", problems)
    pattern = report.get("title")
    if not isinstance(pattern, str) or not pattern.strip():
        problems.append(Problem("missing", "[report] title is missing", Location(MANIFEST)))
        pattern = "{start}"
    if not _check_pattern(pattern, "title", {f: 2024 for f in TITLE_FIELDS}, problems):
        pattern = "{start}"
    horizon = report.get("horizon", 6)
    if not isinstance(horizon, int) or isinstance(horizon, bool) or not 1 <= horizon <= 30:
        problems.append(
            Problem(
                "bad_value", f"[report] horizon must be a whole number of years, got {horizon!r}", Location(MANIFEST)
            )
        )
        horizon = 6
    reference = None
    if report.get("reference_docx"):
        reference = _inside(project, str(report["reference_docx"]), "reference_docx", problems)
        if reference is not None and not reference.is_file():
            problems.append(
                Problem("missing", f"reference_docx {report['reference_docx']!r} does not exist", Location(MANIFEST))
            )
    output = str(report.get("output", "build/{year}/{title}.docx"))
    client_output = str(report.get("client_output", "build/{year}/{title}（{client}）.docx"))
    for key, out_pattern in (("output", output), ("client_output", client_output)):
        usable = _check_pattern(out_pattern, key, {"year": 2024, "title": "t", "client": "c"}, problems)
        if usable and not problems:
            _inside(project, out_pattern.format(year=0, title="t", client="c"), key, problems)
        if not out_pattern.endswith(".docx"):
            problems.append(Problem("bad_value", f"[report] {key} must end in .docx", Location(MANIFEST)))
    if "{client}" not in client_output:
        problems.append(
            Problem(
                "bad_value",
                "[report] client_output must contain {client} so client files do not overwrite each other",
                Location(MANIFEST),
            )
        )
    front = [
        p
        for i, f in enumerate(_array(raw, "front", "[[front]]", problems))
        if (p := _part(f, f"[[front]] #{i + 1}", project, problems))
    ]
    chapters = []
    raw_chapters = _array(raw, "chapters", "[[chapters]]", problems)
    if not raw_chapters:
        problems.append(Problem("missing", "the outline has no [[chapters]]", Location(MANIFEST)))
    for i, ch in enumerate(raw_chapters):
        where = f"[[chapters]] #{i + 1}"
        if not isinstance(ch, dict) or not isinstance(ch.get("title"), str):
            problems.append(Problem("missing", f"{where} needs a title", Location(MANIFEST)))
            continue
        _check_keys(ch, CHAPTER_KEYS, where, problems)
        sections = [
            p
            for j, s in enumerate(_array(ch, "sections", f"{where} sections", problems))
            if (p := _part(s, f"{where} section {j + 1}", project, problems))
        ]
        if not sections:
            problems.append(Problem("missing", f"chapter {ch['title']!r} has no sections", Location(MANIFEST)))
        chapters.append(Chapter(ch["title"].strip(), tuple(sections), *_editions(ch, where, problems)))
    clients = report.get("clients", [])
    for i, name in enumerate(clients if isinstance(clients, list) else [], start=1):
        problem = (
            "is not text"
            if not isinstance(name, str)
            else (limits.text_problem(name) or limits.file_name_problem(name))
        )
        if problem:
            problems.append(
                Problem(
                    "bad_name",
                    f"[report] clients #{i} {name!r} {problem}; client names go on the cover and into file names",
                    Location(MANIFEST),
                )
            )
    if not isinstance(clients, list):
        problems.append(Problem("bad_value", "[report] clients must be a list of names", Location(MANIFEST)))
    watermark = report.get("watermark", "")
    if watermark and (not isinstance(watermark, str) or limits.text_problem(watermark)):
        problems.append(
            Problem(
                "bad_value",
                f"[report] watermark {watermark!r} "
                f"{limits.text_problem(watermark) if isinstance(watermark, str) else 'is not text'}",
                Location(MANIFEST),
            )
        )
    for key in ("title", "subject", "keywords", "publisher"):
        value = report.get(key)
        if isinstance(value, str) and len(value) > limits.PROPERTY_CHARS - limits.NAME_CHARS:
            problems.append(
                Problem(
                    "bad_value",
                    f"[report] {key} is {len(value)} characters long; Word's document "
                    f"properties hold {limits.PROPERTY_CHARS}, with room for a client name: keep it "
                    f"to {limits.PROPERTY_CHARS - limits.NAME_CHARS}",
                    Location(MANIFEST),
                )
            )
    lint = raw.get("lint", {})
    lint = lint if isinstance(lint, dict) else {}
    _check_keys(lint, LINT_KEYS, "[lint]", problems)
    allow = lint.get("allow", [])
    if not isinstance(allow, list) or not all(isinstance(a, str) and a for a in allow):
        problems.append(Problem("bad_value", "[lint] allow must be a list of strings", Location(MANIFEST)))
        allow = []
    as_of = _check_as_of(report.get("as_of", DEFAULT_AS_OF), problems)
    charts = report.get("charts", "native")
    if charts not in CHART_ENGINES:
        problems.append(
            Problem(
                "bad_value",
                f"[report] charts must be one of {', '.join(CHART_ENGINES)}, got {charts!r}",
                Location(MANIFEST),
            )
        )
        charts = "native"
    checks = parse_settings(raw.get("checks"), raw.get("rules"), problems)
    references = _references(raw.get("references"), problems)
    if problems:
        raise ProblemsFound(problems)
    return Manifest(
        root=project,
        title_pattern=pattern,
        horizon=horizon,
        publisher=str(report.get("publisher", "")),
        output=output,
        reference_docx=reference,
        front=tuple(front),
        chapters=tuple(chapters),
        subject=str(report.get("subject", "")),
        keywords=str(report.get("keywords", "")),
        clients=tuple(str(c) for c in clients) if isinstance(clients, list) else (),
        lint_allow=tuple(allow),
        client_output=client_output,
        watermark=str(report.get("watermark", "")),
        as_of_pattern=as_of,
        checks=checks,
        charts=charts,
        references=references,
    )


def _references(raw: Any, problems: list[Problem]) -> str:
    """The title of the reference list from `[references]` (参考资料 when it gives none), or ""."""
    if raw is None:
        return ""
    if not isinstance(raw, dict):
        problems.append(
            Problem("bad_value", '[references] must be a table, e.g. title = "参考资料"', Location(MANIFEST))
        )
        return ""
    _check_keys(raw, REFERENCES_KEYS, "[references]", problems)
    title = raw.get("title", "参考资料")
    if not isinstance(title, str) or not title.strip() or limits.text_problem(title):
        problems.append(Problem("bad_value", f"[references] title must be text, got {title!r}", Location(MANIFEST)))
        return ""
    return title.strip()
