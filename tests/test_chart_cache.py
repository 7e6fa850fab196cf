"""The chart cache: hits, misses, invalidation by data and by style, safe files."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_project, set_cells

from reportkit.cache import Cache
from reportkit.charts import batch
from reportkit.model import ChartSeries, ChartSpec
from reportkit.pipeline import render


def spec(v: float = 2.0) -> ChartSpec:
    return ChartSpec("bar", ("2020", "2021"), (ChartSeries("规模", (1.0, v)),), (False, False), "亿元")


def test_key_changes_with_data_width_and_style(monkeypatch) -> None:
    k = batch.chart_key(spec(), 5.9)
    assert k == batch.chart_key(spec(), 5.9)
    assert k != batch.chart_key(spec(3.0), 5.9)
    assert k != batch.chart_key(spec(), 5.0)
    monkeypatch.setattr(batch, "_ENV_KEY", None)
    monkeypatch.setitem(batch.HOUSE_STYLE, "dpi", 300)
    assert k != batch.chart_key(spec(), 5.9)


def test_draw_all_uses_the_cache(tmp_path: Path) -> None:
    images, drawn = batch.draw_all([spec(), spec(3.0), spec()], 4.0, tmp_path, jobs=1)
    assert drawn == 2 and images[0] == images[2] and images[0] != images[1]
    again, drawn = batch.draw_all([spec(), spec(3.0)], 4.0, tmp_path, jobs=1)
    assert drawn == 0 and again == images[:2]


def test_corrupt_entry_is_redrawn(tmp_path: Path) -> None:
    images, _ = batch.draw_all([spec()], 4.0, tmp_path, jobs=1)
    path = Cache(tmp_path).entry(batch.chart_key(spec(), 4.0))
    path.write_bytes(b"garbage")
    again, drawn = batch.draw_all([spec()], 4.0, tmp_path, jobs=1)
    assert drawn == 1 and again == images


def test_cap_trims_oldest_first(tmp_path: Path) -> None:
    cache = Cache(tmp_path, cap_bytes=60)
    import os
    import time

    for i, key in enumerate(["aa" + "0" * 62, "bb" + "0" * 62]):
        cache.put(key, b"\x89PNG" + b"x" * 8)
        os.utime(cache.entry(key), (time.time() - 100 + i, time.time() - 100 + i))
    cache.trim()
    assert not cache.entry("aa" + "0" * 62).exists() and cache.entry("bb" + "0" * 62).exists()


@pytest.mark.slow
def test_changing_one_cell_redraws_only_its_charts(tmp_path: Path) -> None:
    proj = make_project(tmp_path / "p")
    manifest = proj / "report.toml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace("[report]\n", '[report]\ncharts = "image"\n', 1), encoding="utf-8"
    )
    first = render(proj, 2024, jobs=1)
    assert first.charts_drawn == 3
    assert render(proj, 2024, jobs=1).charts_drawn == 0
    set_cells(proj / "datasets" / "2024" / "市场.xlsx", "需求", C9=41, C12=15)
    third = render(proj, 2024, jobs=1)
    assert third.charts_drawn == 2, "the two demand charts, not the market chart"
    assert render(proj, 2024, jobs=1, use_cache=False).charts_drawn == 3


def test_changing_the_house_style_redraws_every_chart(tmp_path: Path, monkeypatch) -> None:
    specs = [spec(), spec(3.0), spec(4.0)]
    _images, drawn = batch.draw_all(specs, 4.0, tmp_path, jobs=1)
    assert drawn == 3
    assert batch.draw_all(specs, 4.0, tmp_path, jobs=1)[1] == 0
    monkeypatch.setattr(batch, "_ENV_KEY", None)
    monkeypatch.setitem(batch.HOUSE_STYLE, "line_color", "#000000")
    assert batch.draw_all(specs, 4.0, tmp_path, jobs=1)[1] == 3
