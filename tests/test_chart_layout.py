"""How the native charts lay out their numbers and lines: no false precision, round rate ticks that
stay above the bars, forecasts drawn as a reader can tell them, thin pie slices labelled outside."""

from __future__ import annotations

from lxml import etree

from reportkit.docx import chart
from reportkit.model import ChartSeries, ChartSpec

NS = {"c": chart.C_NS, "a": chart.A_NS}


def spec(kind: str, series: list[tuple[str, list[float | None]]], forecast: int = 0) -> ChartSpec:
    n = len(series[0][1])
    cats = tuple(str(2020 + i) + ("E" if i >= n - forecast else "") for i in range(n))
    return ChartSpec(
        kind,
        cats,
        tuple(ChartSeries(name, tuple(v)) for name, v in series),
        tuple(i >= n - forecast for i in range(n)),
        "亿元",
        "%" if kind == "bar_line" else "",
        "t",
    )


def xml(s: ChartSpec) -> etree._Element:
    drawn = chart.drawn_spec(s)
    return etree.fromstring(chart.chart_xml(drawn, "rId1"))


def test_labels_carry_no_more_digits_than_three_significant_figures_need() -> None:
    assert chart.number_format([3031.0, 15150.57]) == "#,##0"
    assert chart.number_format([8.6, 13.5, 428.67]) == "#,##0"
    assert chart.number_format([27.43, 8.6]) == "#,##0.0"
    assert chart.number_format([1.25, 3.5]) == "#,##0.00"
    assert chart.number_format([140.0, 180.0, 230.0]) == "#,##0"


def test_rate_axis_ticks_are_round_and_only_where_the_rates_are() -> None:
    root = xml(
        spec("bar_line", [("规模", [3031, 4000, 5080, 5800, 6728]), ("同比增速", [None, 32.0, 27.0, 14.2, 16.0])])
    )
    axes = root.findall(".//c:valAx", NS)
    rate = axes[-1]
    step = float(rate.find("c:majorUnit", NS).get("val"))
    assert step in (5.0, 10.0)
    low = float(rate.find("c:scaling/c:min", NS).get("val"))
    high = float(rate.find("c:scaling/c:max", NS).get("val"))
    assert low % step == 0 and high % step == 0 and high >= 32.0
    fmt = rate.find("c:numFmt", NS).get("formatCode")
    assert fmt.startswith("[<") and fmt.endswith('"%"'), "ticks below the lowest rate print nothing"
    # -- the rates start above the top of the tallest bar: the bars' axis is twice their height or more --
    bars = axes[0]
    assert float(bars.find("c:scaling/c:max", NS).get("val")) >= 2 * 6728
    assert (14.2 - low) / (high - low) > 0.5


def test_a_lines_forecast_is_its_own_dashed_series_joined_to_the_actual_line() -> None:
    s = spec("line", [("工业制造", [20.0, 30.0, 45.0, 60.0]), ("金融", [10.0, 12.0, 15.0, 18.0])], forecast=2)
    drawn = chart.drawn_spec(s)
    names = [x.name for x in drawn.series]
    assert names == ["工业制造", "金融", "工业制造" + chart.FORECAST_PART, "金融" + chart.FORECAST_PART]
    assert drawn.series[0].values == (20.0, 30.0, None, None)
    assert drawn.series[2].values == (None, 30.0, 45.0, 60.0), "the forecast starts at the last actual point"
    root = xml(s)
    sers = root.findall(".//c:lineChart/c:ser", NS)
    dashes = [ser.find("c:spPr/a:ln/a:prstDash", NS) for ser in sers]
    assert [d is not None for d in dashes] == [False, False, True, True, True], "forecast parts and the key dashed"
    hidden = [e.find("c:idx", NS).get("val") for e in root.findall(".//c:legend/c:legendEntry", NS)]
    assert hidden == ["2", "3"], "a forecast part shares its line's legend entry"


def test_a_thin_pie_slice_is_labelled_outside() -> None:
    root = xml(spec("pie", [("份额", [52.1, 19.8, 19.8, 8.3])]))
    outside = root.findall(".//c:dLbls/c:dLbl", NS)
    assert [d.find("c:idx", NS).get("val") for d in outside] == ["3"]
    assert outside[0].find("c:dLblPos", NS).get("val") == "outEnd"


def test_a_shortened_chart_keeps_room_for_its_labels() -> None:
    ranked = spec("barh", [("占比", [31.8, 15.9, 15.6, 13.1, 8.7, 7.6, 7.3])])
    assert chart.min_height(chart.drawn_spec(ranked), 10000) == int(10000 * chart.aspect(ranked))
    bars = spec("bar", [("规模", [1.0, 2.0, 3.0, 4.0, 5.0])])
    assert chart.min_height(bars, 10000) < 10000 * chart.aspect(bars)
