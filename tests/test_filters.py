"""Chinese number formatting filters."""

from __future__ import annotations

import datetime as dt

import pytest

from reportkit.context import Num
from reportkit.data import DateValue
from reportkit.errors import TemplateError
from reportkit.templating import filters as f


@pytest.mark.parametrize(
    "value,digits,expected",
    [
        (1234.5, None, "1,234.5"),
        (70.0, None, "70"),
        (1234567.891, 1, "1,234,567.9"),
        (-0.001, None, "0"),
        (141.34, None, "141.34"),
        (0.125, 2, "0.12"),
        (3, 2, "3.00"),
        (-3.456, 1, "-3.5"),
    ],
)
def test_num(value, digits, expected) -> None:
    assert f.num(value, digits) == expected


def test_units() -> None:
    assert f.yi(70) == "70亿元"
    assert f.yi(12345, 2) == "1.23万亿元"
    assert f.wan(5000) == "5,000万元"
    assert f.amount(Num(35.2, "%")) == "35.2%"
    assert f.amount(Num(70, "亿元")) == "70亿元"
    assert f.amount(Num(12.5, "万人")) == "12.5万人"


def test_percentages_and_trend() -> None:
    assert f.pct(1.160246899) == "116.02%"
    assert f.pct(0.052, 1) == "5.2%"
    assert f.pct_abs(-0.032) == "3.20%"
    assert f.trend(0.1) == "增长" and f.trend(-0.1) == "下降" and f.trend(0.0001) == "持平"
    assert f.trend(-0.2, "提高", "降低") == "降低"


@pytest.mark.parametrize(
    "n,expected",
    [
        (0, "零"),
        (3, "三"),
        (10, "十"),
        (12, "十二"),
        (20, "二十"),
        (25, "二十五"),
        (105, "一百零五"),
        (110, "一百一十"),
        (1001, "一千零一"),
    ],
)
def test_chinese_numerals(n, expected) -> None:
    assert f.cn(n) == expected


def test_dates_and_years() -> None:
    assert f.date(DateValue(2023, 7, 13)) == "2023年7月13日"
    assert f.date(DateValue(2023, 7, 13), "month") == "2023年7月"
    assert f.date(DateValue(2023, 7)) == "2023年7月"
    assert f.date(dt.date(2024, 3, 27)) == "2024年3月27日"
    assert f.yrange(2020, 2022) == "2020-2022年"
    assert f.yrange(2023, 2023) == "2023年"
    assert f.year(2030) == "2030年"


@pytest.mark.parametrize(
    "call",
    [
        lambda: f.num("abc"),
        lambda: f.pct(None),
        lambda: f.cn(2.5),
        lambda: f.num(float("nan")),
        lambda: f.date("2023"),
        lambda: f.yrange(2020.5, 2021),
    ],
)
def test_bad_input_is_a_template_error(call) -> None:
    with pytest.raises(TemplateError):
        call()


@pytest.mark.parametrize(
    "call,needle",
    [
        (lambda: f.yi(Num(5000, "万元")), "in 万元"),
        (lambda: f.wan(Num(70, "亿元")), "in 亿元"),
        (lambda: f.pct(Num(35.2, "%")), "percentage points"),
        (lambda: f.amount(Num(0.52, "ratio")), "use pct"),
    ],
)
def test_unit_mismatch_is_refused(call, needle) -> None:
    with pytest.raises(TemplateError) as info:
        call()
    assert info.value.code == "unit_mismatch" and needle in str(info.value)


def test_matching_units_pass() -> None:
    assert f.yi(Num(70, "亿元")) == "70亿元"
    assert f.pct(Num(0.52, "ratio"), 0) == "52%"
    assert f.pp(-3.24) == "3.2个百分点"
