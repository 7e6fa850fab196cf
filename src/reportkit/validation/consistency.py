"""Declared relations between tables (`[[rules]]` in report.toml): a part never exceeds its whole,
the same series agrees wherever it is shown, a total equals the sum of its parts.

A violation names the rule, the year, the values compared and every cell involved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..context import Data, Num, RecordTable, SeriesTable
from ..context.tables import LookupProblem
from ..data.tables import CellRef
from ..errors import Location, Problem
from .settings import MANIFEST, Ref, Rule

_SCALE = {
    "": 1.0,
    "十": 10.0,
    "百": 100.0,
    "千": 1e3,
    "万": 1e4,
    "十万": 1e5,
    "百万": 1e6,
    "千万": 1e7,
    "亿": 1e8,
    "万亿": 1e12,
}
_UNIT = re.compile(r"^(万亿|十万|百万|千万|十|百|千|万|亿)?(.*)$")


def split_unit(unit: str) -> tuple[float, str]:
    """`万人` -> (1e4, `人`); `亿元` -> (1e8, `元`): values in units of one base compare after scaling."""
    m = _UNIT.match(unit.strip())
    assert m is not None
    scale, base = m.group(1) or "", m.group(2)
    if not base:  # -- a bare 万 or 亿 is a unit of its own (参数规模（亿）) --
        return 1.0, unit
    return _SCALE[scale], base


@dataclass
class Values:
    """What one reference stands for: a value per year (a series) or one value (a record cell)."""

    ref: Ref
    unit: str
    by_year: dict[int, Num]
    scalar: Num | None = None
    latest_year: int | None = None


class RuleError(Exception):
    """A rule names something the data does not have (reported as a problem of the manifest)."""


def _resolve(data: Data, ref: Ref) -> list[Values]:
    try:
        table = data[ref.table]
    except LookupProblem as exc:
        raise RuleError(exc.message) from None
    if isinstance(table, SeriesTable):
        if ref.column is not None:
            raise RuleError(f"{ref.text}: {ref.table} is a series table; write {ref.table}[row]")
        rows = [table.row(ref.row)] if ref.row is not None else list(table.rows)
        out = []
        for s in rows:
            actual = [y for y in s.years if not table.is_forecast(y)]
            out.append(
                Values(
                    Ref(f"{ref.table}[{s.label}]", ref.table, s.label),
                    table.unit,
                    {p.year: p.value for p in s.points()},
                    latest_year=actual[-1] if actual else None,
                )
            )
        return out
    assert isinstance(table, RecordTable)
    if ref.row is None or ref.column is None:
        raise RuleError(f"{ref.text}: {ref.table} is a record table; write {ref.table}[record].column")
    record = table.find(ref.row)
    value = record[ref.column]
    if not isinstance(value, Num):
        raise RuleError(f"{ref.text} is not a number")
    unit = table.unit_of(ref.column)
    if not unit and "单位" in record:
        unit = str(record["单位"])
    return [Values(ref, unit, {}, scalar=value)]


def _cells(*nums: Num) -> list[CellRef]:
    out: list[CellRef] = []
    for n in nums:
        for r in n.refs:
            if r not in out:
                out.append(r)
    return out


def _problem(rule: Rule, message: str, cells: list[CellRef], hint: str) -> Problem:
    first, *rest = [Location(c.file, c.sheet, c.cell) for c in cells] or [Location(MANIFEST)]
    why = f" ({rule.why})" if rule.why else ""
    return Problem("rule_violated", f"rule {rule.name!r}{why}: {message}", first, hint=hint, related=tuple(rest))


def _fmt(v: float) -> str:
    return f"{v:,.4f}".rstrip("0").rstrip(".")


def _common_unit(values: list[Values], rule: Rule) -> list[float]:
    """Scale factors that bring every side to the first side's unit; RuleError when units differ."""
    base_scale, base = split_unit(values[0].unit)
    factors = []
    for v in values:
        scale, unit = split_unit(v.unit)
        if unit != base:
            raise RuleError(
                f"rule {rule.name!r} compares {values[0].ref.text} ({values[0].unit or 'no unit'}) with "
                f"{v.ref.text} ({v.unit or 'no unit'}); the units must match"
            )
        factors.append(scale / base_scale)
    return factors


def _pairs(a: Values, b: Values) -> list[tuple[int | None, Num, Num]]:
    """The values of `a` and `b` to compare: year by year, or a record value against a series' latest actual."""
    if a.scalar is not None and b.scalar is not None:
        return [(None, a.scalar, b.scalar)]
    if a.scalar is not None:
        y = b.latest_year
        return [(y, a.scalar, b.by_year[y])] if y is not None else []
    if b.scalar is not None:
        y = a.latest_year
        return [(y, a.by_year[y], b.scalar)] if y is not None else []
    return [(y, a.by_year[y], b.by_year[y]) for y in sorted(set(a.by_year) & set(b.by_year))]


def _when(year: int | None) -> str:
    return f"in {year}" if year is not None else ""


def _part_of(rule: Rule, data: Data) -> list[Problem]:
    out = []
    for part in (v for r in rule.refs["part"] for v in _resolve(data, r)):
        for whole in (v for r in rule.refs["whole"] for v in _resolve(data, r)):
            fp, fw = _common_unit([part, whole], rule)
            for year, p, w in _pairs(part, whole):
                if float(p) * fp > float(w) * fw * (1 + rule.tolerance):
                    out.append(
                        _problem(
                            rule,
                            f"{part.ref.text} = {_fmt(float(p))}{part.unit} exceeds "
                            f"{whole.ref.text} = {_fmt(float(w))}{whole.unit} {_when(year)}".rstrip(),
                            _cells(p, w),
                            "a part cannot exceed its whole: correct one of the cells, "
                            "or relabel the series if it is not a part",
                        )
                    )
    return out


def _same(rule: Rule, data: Data) -> list[Problem]:
    out = []
    sides = [v for r in rule.refs["series"] for v in _resolve(data, r)]
    first = sides[0]
    for other in sides[1:]:
        f0, f1 = _common_unit([first, other], rule)
        for year, a, b in _pairs(first, other):
            x, y = float(a) * f0, float(b) * f1
            if abs(x - y) > rule.tolerance * max(abs(x), abs(y)):
                out.append(
                    _problem(
                        rule,
                        f"{first.ref.text} = {_fmt(float(a))}{first.unit} but {other.ref.text} = "
                        f"{_fmt(float(b))}{other.unit} {_when(year)}".rstrip(),
                        _cells(a, b),
                        "the same figure must agree wherever it is shown: correct the stale copy",
                    )
                )
    return out


def _sum(rule: Rule, data: Data) -> list[Problem]:
    parts = [v for r in rule.refs["parts"] for v in _resolve(data, r)]
    totals = [v for r in rule.refs["total"] for v in _resolve(data, r)]
    factors = _common_unit(totals + parts, rule)
    tf, pf = factors[: len(totals)], factors[len(totals) :]
    years = set.intersection(*(set(p.by_year) for p in parts)) if all(p.scalar is None for p in parts) else {None}
    out = []
    for year in sorted(years, key=lambda y: -1 if y is None else y):
        nums = [p.scalar if p.scalar is not None else p.by_year[year] for p in parts]  # type: ignore[index]
        got = sum(float(n) * f for n, f in zip(nums, pf))
        if totals:
            t = totals[0]
            if t.scalar is None and year not in t.by_year:
                continue
            tn = t.scalar if t.scalar is not None else t.by_year[year]  # type: ignore[index]
            want, label, cells = float(tn) * tf[0], f"{t.ref.text} = {_fmt(float(tn))}{t.unit}", _cells(tn, *nums)
        else:
            assert rule.constant is not None
            want, label, cells = rule.constant, f"{rule.constant:g}", _cells(*nums)
        if abs(got - want) > rule.tolerance * max(abs(want), 1e-9):
            names = " + ".join(p.ref.text for p in parts) if len(parts) <= 4 else f"{len(parts)} parts"
            out.append(
                _problem(
                    rule,
                    f"{names} = {_fmt(got)} but {label} {_when(year)}".rstrip(),
                    cells,
                    "a total must equal the sum of its parts: correct the total or a part",
                )
            )
    return out


CHECKS = {"part_of": _part_of, "same": _same, "sum": _sum}


def rule_problems(data: Data, rules: tuple[Rule, ...]) -> list[Problem]:
    """Return every violation of the declared rules, and every rule that names what the data lacks."""
    out: list[Problem] = []
    for rule in rules:
        try:
            out.extend(CHECKS[rule.kind](rule, data))
        except (RuleError, LookupProblem) as exc:
            message = exc.args[0] if isinstance(exc, RuleError) else exc.message
            out.append(Problem("bad_rule", f"rule {rule.name!r}: {message}", Location(MANIFEST)))
    return out
