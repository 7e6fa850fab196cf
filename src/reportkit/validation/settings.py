"""What `check` holds the data to, as declared in `report.toml`: bounds (`[checks]`) and rules (`[[rules]]`).

Plain dataclasses parsed from the manifest's TOML; the checks themselves live beside this module.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import Location, Problem

MANIFEST = "report.toml"
BOUND_KEYS = ("max_growth", "min_growth", "assumption_range", "max_pp_change", "allow_negative")
CHECK_KEYS = BOUND_KEYS + ("bounds",)
RULE_KINDS = ("part_of", "same", "sum")
RULE_KEYS = {"part_of": ("part", "whole"), "same": ("series",), "sum": ("total", "parts")}
RULE_COMMON = ("name", "kind", "tolerance", "why")
REF_RE = re.compile(r"^\s*(?P<table>[A-Za-z][A-Za-z0-9_]*)\s*(?:\[(?P<row>[^\[\]]+)\])?\s*(?:\.(?P<col>.+?))?\s*$")


@dataclass(frozen=True)
class Bounds:
    """Limits of what is plausible, in percent.  Defaults hold for the project; `[[checks.bounds]]`
    narrows or widens them for one table or one row of it."""

    max_growth: float = 300.0
    """Largest year-on-year growth, in percent (300 = the value quadruples)."""
    min_growth: float = -75.0
    """Largest fall, in percent (-75 = the value drops to a quarter)."""
    assumption_range: tuple[float, float] = (-50.0, 150.0)
    """Sane range of a growth assumption（预测增速）, in percent."""
    max_pp_change: float = 30.0
    """Largest year-on-year change of a value in a % table, in percentage points."""
    allow_negative: bool = False
    """Whether the values may be below zero (a profit, a balance); most report figures cannot."""


@dataclass(frozen=True)
class BoundsOverride:
    table: str
    row: str | None
    values: dict[str, Any]


@dataclass(frozen=True)
class Ref:
    """`table`, `table[row]` (a series row) or `table[record].column` (one record value)."""

    text: str
    table: str
    row: str | None = None
    column: str | None = None


@dataclass(frozen=True)
class Rule:
    """A relation between tables that the report's story relies on.

    - `part_of`: `part` never exceeds `whole`, in every year both have;
    - `same`: every series in `series` has the same value in every year they share;
    - `sum`: `total` equals the sum of `parts` (a list of refs, or one table ref meaning all its rows).
    """

    name: str
    kind: str
    refs: dict[str, tuple[Ref, ...]]
    tolerance: float = 0.005
    why: str = ""
    constant: float | None = None
    """A `sum` rule's total when it is a number (shares add up to 100) rather than a reference."""


@dataclass(frozen=True)
class CheckSettings:
    defaults: Bounds = field(default_factory=Bounds)
    overrides: tuple[BoundsOverride, ...] = ()
    rules: tuple[Rule, ...] = ()

    def bounds(self, table: str, row: str | None = None) -> Bounds:
        """The bounds in force for one row: project defaults, then the table's, then the row's."""
        values: dict[str, Any] = {}
        for o in self.overrides:
            if o.table == table and o.row is None:
                values.update(o.values)
        for o in self.overrides:
            if o.table == table and row is not None and o.row == row:
                values.update(o.values)
        return replace(self.defaults, **values) if values else self.defaults


def _problem(problems: list[Problem], message: str, code: str = "bad_value") -> None:
    problems.append(Problem(code, message, Location(MANIFEST)))


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _bound_values(raw: dict[str, Any], where: str, problems: list[Problem]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in ("table", "row", "bounds"):
            continue
        if key not in BOUND_KEYS:
            hint = difflib.get_close_matches(key, BOUND_KEYS, n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else f"; allowed: {', '.join(BOUND_KEYS)}"
            _problem(problems, f"unknown key {key!r} in {where}{extra}", "unknown_key")
        elif key == "allow_negative":
            if not isinstance(value, bool):
                _problem(problems, f"{where} allow_negative must be true or false, got {value!r}")
            else:
                out[key] = value
        elif key == "assumption_range":
            if (
                not isinstance(value, list)
                or len(value) != 2
                or not all(_number(v) for v in value)
                or value[0] >= value[1]
            ):
                _problem(problems, f"{where} assumption_range must be [low, high] in percent, got {value!r}")
            else:
                out[key] = (float(value[0]), float(value[1]))
        elif not _number(value):
            _problem(problems, f"{where} {key} must be a number (percent), got {value!r}")
        else:
            out[key] = float(value)
    if out.get("min_growth", -1.0) >= out.get("max_growth", 1.0) or out.get("min_growth", -1.0) <= -100:
        _problem(problems, f"{where} min_growth must be above -100 and below max_growth")
    return out


def parse_ref(text: Any, where: str, problems: list[Problem]) -> Ref | None:
    if not isinstance(text, str) or not (m := REF_RE.match(text)):
        _problem(problems, f"{where}: {text!r} is not a reference; write table, table[row] or table[record].column")
        return None
    return Ref(
        text.strip(), m.group("table"), (m.group("row") or "").strip() or None, (m.group("col") or "").strip() or None
    )


def _rule(raw: Any, index: int, problems: list[Problem]) -> Rule | None:
    where = f"[[rules]] #{index}"
    if not isinstance(raw, dict):
        _problem(problems, f"{where} must be a table with name, kind and its references")
        return None
    kind = raw.get("kind")
    if kind not in RULE_KINDS:
        _problem(problems, f"{where} kind must be one of {', '.join(RULE_KINDS)}, got {kind!r}")
        return None
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        _problem(problems, f"{where} needs a name (it is quoted in every violation)", "missing")
        return None
    where = f"rule {name!r}"
    allowed = RULE_COMMON + RULE_KEYS[kind]
    for key in raw:
        if key not in allowed:
            _problem(
                problems, f"unknown key {key!r} in {where}; a {kind} rule takes {', '.join(allowed)}", "unknown_key"
            )
    refs: dict[str, tuple[Ref, ...]] = {}
    for key in RULE_KEYS[kind]:
        value = raw.get(key)
        if value is None:
            _problem(problems, f"{where} needs {key}", "missing")
            return None
        items = value if isinstance(value, list) else [value]
        if key == "total" and _number(value):
            refs[key] = ()
            continue
        parsed = [parse_ref(v, where, problems) for v in items]
        if any(p is None for p in parsed):
            return None
        refs[key] = tuple(p for p in parsed if p is not None)
    if kind == "same" and len(refs["series"]) < 2:
        _problem(problems, f"{where} needs at least two series to compare")
        return None
    tolerance = raw.get("tolerance", 0.005)
    if not _number(tolerance) or not 0 <= tolerance < 1:
        _problem(problems, f"{where} tolerance must be a fraction such as 0.005, got {tolerance!r}")
        return None
    total = raw.get("total")
    return Rule(
        name.strip(),
        kind,
        refs,
        float(tolerance),
        str(raw.get("why", "")),
        float(total) if kind == "sum" and isinstance(total, (int, float)) else None,
    )


def parse_settings(raw_checks: Any, raw_rules: Any, problems: list[Problem]) -> CheckSettings:
    """Return the settings of `[checks]` and `[[rules]]`; report what is wrong to `problems`."""
    checks = raw_checks if isinstance(raw_checks, dict) else {}
    if raw_checks is not None and not isinstance(raw_checks, dict):
        _problem(problems, "[checks] must be a table")
    defaults = Bounds()
    values = _bound_values({k: v for k, v in checks.items() if k != "bounds"}, "[checks]", problems)
    if values:
        defaults = replace(defaults, **values)
    overrides = []
    raw_bounds = checks.get("bounds", [])
    for i, b in enumerate(raw_bounds if isinstance(raw_bounds, list) else [raw_bounds], start=1):
        where = f"[[checks.bounds]] #{i}"
        if not isinstance(b, dict) or not isinstance(b.get("table"), str):
            _problem(problems, f"{where} must name the table (its ID) it applies to", "missing")
            continue
        row = b.get("row")
        if row is not None and not isinstance(row, str):
            _problem(problems, f"{where} row must be a row label, got {row!r}")
            continue
        overrides.append(BoundsOverride(b["table"], row, _bound_values(b, where, problems)))
    rules = []
    if raw_rules is not None and not isinstance(raw_rules, list):
        _problem(problems, "[[rules]] must be a list of tables")
        raw_rules = []
    for i, r in enumerate(raw_rules or [], start=1):
        rule = _rule(r, i, problems)
        if rule is not None:
            rules.append(rule)
    return CheckSettings(defaults, tuple(overrides), tuple(rules))
