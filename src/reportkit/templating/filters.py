"""Chinese number formatting for templates: pure functions, registered as Jinja filters.

Each filter takes a number (a plain float or a provenance-carrying ``Num``) and returns text.
Bad input raises :class:`~reportkit.errors.TemplateError`; the renderer adds template and line.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable
from typing import Any

from .. import limits
from ..data.tables import DateValue
from ..errors import TemplateError

DIGITS = "零一二三四五六七八九"


def _number(value: Any, filter_name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TemplateError(f"filter {filter_name} expects a number, got {value!r}", code="bad_value")
    v = float(value)
    if math.isnan(v) or math.isinf(v):
        raise TemplateError(f"filter {filter_name} got {v}, which is not a printable number", code="bad_value")
    return v


def decimals(digits: Any) -> int:
    """`digits` as a count of decimals to print: a whole number from 0 to DECIMALS."""
    if isinstance(digits, bool) or not isinstance(digits, int) or not 0 <= digits <= limits.DECIMALS:
        raise TemplateError(
            f"digits must be a whole number from 0 to {limits.DECIMALS}, got {digits!r}", code="bad_value"
        )
    return digits


def _digits(value: float, digits: int | None) -> str:
    d = 2 if digits is None else decimals(digits)
    if round(value, d) == 0:
        value = 0.0  # -- never print "-0" --
    text = f"{value:,.{d}f}"
    if digits is None and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


RATIO = "ratio"


def _unit(value: Any, accepted: tuple[str, ...], filter_name: str, hint: str) -> None:
    """Refuse a value whose table unit does not fit the filter (e.g. 万元 printed as 亿元)."""
    unit = getattr(value, "unit", "")
    if unit and unit not in accepted:
        shown = "a fraction (growth, CAGR or share)" if unit == RATIO else f"in {unit}"
        raise TemplateError(f"unit mismatch: filter {filter_name} got a value {shown}; {hint}", code="unit_mismatch")


def num(value: Any, digits: int | None = None) -> str:
    """Return `value` with thousands separators: ``{{ 1234.5 | num }}`` -> ``1,234.5``.

    Without `digits`, at most two decimals are kept and trailing zeros dropped.
    """
    return _digits(_number(value, "num"), digits)


def yi(value: Any, digits: int | None = None) -> str:
    """Return an amount in 亿元: ``70亿元``; 10,000亿 and more become ``1.2万亿元``."""
    _unit(value, ("亿元",), "yi", "use amount to print it with its own unit")
    v = _number(value, "yi")
    if abs(v) >= 10000:
        return f"{_digits(v / 10000, digits)}万亿元"
    return f"{_digits(v, digits)}亿元"


def wan(value: Any, digits: int | None = None) -> str:
    """Return an amount in 万元: ``5,000万元``."""
    _unit(value, ("万元",), "wan", "use amount to print it with its own unit")
    return f"{_digits(_number(value, 'wan'), digits)}万元"


def amount(value: Any, digits: int | None = None) -> str:
    """Return the number followed by its own unit (from its table): ``70亿元``, ``35.2%``."""
    _unit(value, tuple(u for u in (getattr(value, "unit", ""),) if u != RATIO), "amount", "use pct for fractions")
    v = _number(value, "amount")
    unit = getattr(value, "unit", "") or ""
    if unit == "亿元":
        return yi(v, digits)
    return f"{_digits(v, digits)}{unit}"


def pct(value: Any, digits: int = 2) -> str:
    """Return a fraction as a percentage: ``{{ 1.16024 | pct }}`` -> ``116.02%``."""
    _unit(value, (RATIO,), "pct", "values of a % table are already percentage points: use amount or num")
    return f"{_number(value, 'pct') * 100:,.{decimals(digits)}f}%"


def pct_abs(value: Any, digits: int = 2) -> str:
    """Return the size of a fraction as a percentage, without sign (for "下降3.20%")."""
    _unit(value, (RATIO,), "pct_abs", "values of a % table are already percentage points: use amount or num")
    return pct(abs(_number(value, "pct_abs")), digits)


def pp(value: Any, digits: int = 1) -> str:
    """Return the size of a change in percentage points: ``{{ -3.24 | pp }}`` -> ``3.2个百分点``."""
    return f"{abs(_number(value, 'pp')):,.{decimals(digits)}f}个百分点"


def trend(value: Any, up: str = "增长", down: str = "下降", flat: str = "持平") -> str:
    """Return `up`, `down` or `flat` by the sign of `value` (|value| < 0.0005 is flat)."""
    v = _number(value, "trend")
    if abs(v) < 0.0005:
        return flat
    return up if v > 0 else down


def cn(value: Any) -> str:
    """Return a whole number 0-99999 in Chinese numerals: 3 -> 三, 12 -> 十二, 105 -> 一百零五."""
    v = _number(value, "cn")
    if not v.is_integer() or not 0 <= v < 100000:
        raise TemplateError(f"filter cn expects a whole number from 0 to 99999, got {value!r}", code="bad_value")
    n = int(v)
    if n < 10:
        return DIGITS[n]
    if n < 20:
        return "十" + (DIGITS[n - 10] if n > 10 else "")
    units = ["", "十", "百", "千", "万"]
    out: list[str] = []
    digits = [int(c) for c in str(n)]
    zero = False
    for i, d in enumerate(digits):
        pos = len(digits) - 1 - i
        if d == 0:
            zero = True
            continue
        if zero and out:
            out.append("零")
        zero = False
        out.append(DIGITS[d] + units[pos])
    return "".join(out)


def date(value: Any, precision: str = "day") -> str:
    """Return a date in Chinese: ``2023年7月13日``; ``date("month")`` -> ``2023年7月``."""
    if isinstance(value, (_dt.datetime, _dt.date)):
        value = DateValue(value.year, value.month, value.day)
    if not isinstance(value, DateValue):
        raise TemplateError(f"filter date expects a date, got {value!r}", code="bad_value")
    if precision not in ("day", "month", "year"):
        raise TemplateError(f"date precision must be day, month or year, not {precision!r}", code="bad_value")
    text = f"{value.year}年"
    if precision == "year" or value.month is None:
        return text
    text += f"{value.month}月"
    if precision == "month" or value.day is None:
        return text
    return text + f"{value.day}日"


def _year(value: Any, name: str) -> int:
    v = _number(value, name)
    if not v.is_integer():
        raise TemplateError(f"{name} expects a year, got {value!r}", code="bad_value")
    return int(v)


def yrange(start: Any, end: Any) -> str:
    """Return a year range: ``yrange(2020, 2022)`` -> ``2020-2022年`` (one year -> ``2020年``)."""
    a, b = _year(start, "yrange"), _year(end, "yrange")
    return f"{a}年" if a == b else f"{a}-{b}年"


def year(value: Any) -> str:
    """Return ``2023年``."""
    return f"{_year(value, 'year')}年"


FILTERS: dict[str, Callable[..., str]] = {
    "num": num,
    "yi": yi,
    "wan": wan,
    "amount": amount,
    "pct": pct,
    "pct_abs": pct_abs,
    "pp": pp,
    "trend": trend,
    "cn": cn,
    "date": date,
    "yrange": yrange,
    "year": year,
}
