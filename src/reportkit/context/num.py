"""Numbers that remember where they came from."""

from __future__ import annotations

from collections.abc import Iterable

from ..data.tables import CellRef

RATIO = "ratio"
"""The unit of growth rates, CAGRs and shares: a fraction (0.52 = 52%), printed with `pct`."""

COUNT_UNITS = frozenset("个家项人件篇次台座所条款部名套位")
"""Units of things counted one by one: their values are whole numbers (万人 is not one: 6.3万人 is fine)."""


def is_count_unit(unit: str) -> bool:
    return unit in COUNT_UNITS


class Num(float):
    """A float with provenance: the `unit`, the cells it was computed from, and how.

    Arithmetic keeps the provenance: a ratio a template computes (``a / b``) names the cells of
    both, so it is traced in the sidecar and marked （示例） when either is illustrative.  A sum or
    difference keeps a unit both sides share; a product or quotient has no unit.
    """

    unit: str
    refs: tuple[CellRef, ...]
    expr: str

    def __new__(cls, value: float, unit: str = "", refs: Iterable[CellRef] = (), expr: str = "") -> Num:
        obj = super().__new__(cls, value)
        obj.unit = unit
        obj.refs = tuple(refs)
        obj.expr = expr
        return obj

    @property
    def illustrative(self) -> bool:
        """True when any cell it came from is illustrative (示例): the value must be marked where printed."""
        return any(r.illustrative for r in self.refs)

    def __repr__(self) -> str:
        return f"Num({float(self)!r}, unit={self.unit!r}, expr={self.expr!r})"

    def __reduce__(self) -> tuple[type, tuple[float, str, tuple[CellRef, ...], str]]:
        # -- keep provenance through pickling (process pools) --
        return (Num, (float(self), self.unit, self.refs, self.expr))

    def _combine(self, other: float, value: float, op: str, keeps_unit: bool, reverse: bool = False) -> Num:
        refs = self.refs + tuple(r for r in getattr(other, "refs", ()) if r not in self.refs)
        mine = self.expr or (self.refs[-1].cell if self.refs else repr(float(self)))
        theirs = getattr(other, "expr", "") or repr(other)
        expr = f"({theirs} {op} {mine})" if reverse else f"({mine} {op} {theirs})"
        other_unit = getattr(other, "unit", "")
        unit = self.unit if keeps_unit and (not isinstance(other, Num) or other_unit == self.unit) else ""
        return Num(value, unit, refs, expr)

    def __add__(self, other: float) -> Num:
        return self._combine(other, float(self) + float(other), "+", True)

    def __radd__(self, other: float) -> Num:
        return self._combine(other, float(other) + float(self), "+", True, True)

    def __sub__(self, other: float) -> Num:
        return self._combine(other, float(self) - float(other), "-", True)

    def __rsub__(self, other: float) -> Num:
        return self._combine(other, float(other) - float(self), "-", True, True)

    def __mul__(self, other: float) -> Num:
        return self._combine(other, float(self) * float(other), "×", False)

    def __rmul__(self, other: float) -> Num:
        return self._combine(other, float(other) * float(self), "×", False, True)

    def __truediv__(self, other: float) -> Num:
        return self._combine(other, float(self) / float(other), "/", False)

    def __rtruediv__(self, other: float) -> Num:
        return self._combine(other, float(other) / float(self), "/", False, True)

    def __neg__(self) -> Num:
        return Num(-float(self), self.unit, self.refs, f"-{self.expr}")

    def __abs__(self) -> Num:
        return Num(abs(float(self)), self.unit, self.refs, f"abs({self.expr})")


def cell_range(refs: tuple[CellRef, ...]) -> str:
    """Return `B9:D9` for refs on one sheet, else the refs joined with commas."""
    if not refs:
        return ""
    if len(refs) == 1:
        return refs[0].cell
    return (
        f"{refs[0].cell}:{refs[-1].cell}"
        if len({(r.file, r.sheet) for r in refs}) == 1
        else ",".join(r.cell for r in refs)
    )
