"""Metrics the templates rely on: YoY, CAGR, shares, rankings, provenance of each."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportkit.context import build_data
from reportkit.context.tables import LookupProblem
from reportkit.data import load_edition


@pytest.fixture
def data(mini_project: Path):
    return build_data(load_edition(mini_project, 2024))


def test_cagr_of_the_seed_figures(data) -> None:
    s = data.market_size["市场规模"]
    g = s.cagr(2020, 2022)
    assert round(float(g) * 100, 2) == 116.02
    assert g.expr == "cagr(B7:D7, 2 years)"
    assert [r.cell for r in g.refs] == ["B7", "D7"]


def test_yoy_change_multiple(data) -> None:
    s = data.market_size["市场规模"]
    assert float(s.yoy(2023)) == pytest.approx(141.34 / 70 - 1)
    assert float(s.change(2020, 2022)) == pytest.approx(55)
    assert float(s.multiple(2020, 2022)) == pytest.approx(70 / 15)
    assert s.latest.year == 2023 and s.first.year == 2020 and s.last.year == 2026


def test_shares_rankings_totals(data) -> None:
    d = data.demand
    assert float(d.total(2023)) == pytest.approx(100)
    assert d.ranking(2023) == ["智能制造", "能源", "汽车", "其他"]
    top = d.top(2023)
    assert top.label == "智能制造" and float(top.share) == pytest.approx(0.42) and top.rank == 1
    assert d["汽车"].rank(2023) == 3
    assert float(d["汽车"].share(2022)) == pytest.approx(0.20)


def test_unknown_row_suggests_the_closest(data) -> None:
    with pytest.raises(LookupProblem) as info:
        data.market_size["市场规模2"]
    assert "did you mean '市场规模'" in str(info.value)


def test_unknown_table_suggests_the_closest(data) -> None:
    with pytest.raises(LookupProblem) as info:
        _ = data.market_sise
    assert "did you mean 'market_size'" in str(info.value)


def test_missing_year_lists_the_years(data) -> None:
    with pytest.raises(LookupProblem) as info:
        data.market_size["市场规模"][2019]
    assert "no value for 2019" in str(info.value) and "2020, 2021" in str(info.value)


def test_record_lookup_by_label_and_column_base(data) -> None:
    p = data.policies
    r = p.find("《新一代人工智能发展规划》")
    assert r.发布机构 == "国务院"
    assert p.unit_of("措施数") == "条"
    with pytest.raises(LookupProblem):
        p.column("不存在")
