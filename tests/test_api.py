"""The notebook API: the same data, metrics, check and render as the command line, with pandas only
where a DataFrame is asked for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

pd = pytest.importorskip("pandas")

from reportkit.api import open_project  # noqa: E402


@pytest.fixture
def edition(mini_project: Path):
    return open_project(mini_project).edition(2024)


def test_a_series_table_as_a_frame(edition) -> None:
    frame = edition.frame("market_size")
    assert list(frame.columns) == ["2020", "2021", "2022", "2023", "2024E", "2025E", "2026E"]
    assert frame.loc["市场规模", "2022"] == 70.0 and frame.loc["市场规模", "2025E"] == pytest.approx(294.16 * 1.5)
    assert frame.attrs["unit"] == "亿元" and frame.attrs["sheet"] == "市场规模" and not frame.attrs["illustrative"]


def test_metrics_match_the_filters(edition) -> None:
    m = edition.metrics("market_size").loc["市场规模"]
    assert (m["first_year"], m["latest_year"], m["last_year"]) == (2020, 2023, 2026)
    assert m["cagr"] == pytest.approx((141.34 / 15) ** (1 / 3) - 1)
    assert m["yoy"] == pytest.approx(141.34 / 70 - 1) and m["share"] == pytest.approx(1.0)
    assert edition.frame("demand").attrs["illustrative"]


def test_a_record_table_as_a_frame(edition) -> None:
    frame = edition.frame("policies")
    assert frame.iloc[0]["发布时间"] == "2023-07-13" and frame.iloc[0]["措施数（条）"] == 24.0


def test_check_and_render(edition, tmp_path: Path) -> None:
    assert [p.code for p in edition.check().problems if p.location.template is None] == []
    result = edition.render(tmp_path / "out.docx")
    assert result.path == tmp_path / "out.docx" and result.path.stat().st_size > 0
    assert edition.project.editions == [2024]
    assert edition.findings.problems == []


def test_rendering_never_imports_pandas(mini_project: Path) -> None:
    code = (
        "import sys; from reportkit.api import open_project; "
        f"open_project({str(mini_project)!r}).edition(2024).render({str(mini_project / 'x.docx')!r}); "
        "print('pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
