"""The benchmark script runs and reports its figures (no timing is asserted: the benchmark is a report)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from reportkit.config import load_manifest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench" / "run.py"
sys.path.insert(0, str(ROOT / "bench"))

from rkbench.project import copy_project  # noqa: E402
from rkbench.report import relative_targets, rows_for  # noqa: E402


def test_bench_reports_the_selected_measures(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--runs", "1", "--only", "help,check", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    results = json.loads(out.read_text(encoding="utf-8"))
    assert set(results["measures"]) == {"help", "check"}
    for name in ("help", "check"):
        m = results["measures"][name]
        assert m["runs"] == 1 and len(m["seconds"]) == 1
        for key in ("median", "min", "max", "max_rss_mb"):
            assert isinstance(m[key], (int, float)) and m[key] > 0, (name, key, m[key])
    assert isinstance(results["measures"]["help"]["met"], bool)
    assert results["machine"]["cpu_count"] and results["machine"]["python"] and results["machine"]["platform"]
    assert "reportkit --help" in proc.stdout and "reportkit check" in proc.stdout


def test_bench_rejects_an_unknown_measure(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--only", "help,nope", "--out", str(tmp_path / "r.json")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "nope" in proc.stderr
    assert not (tmp_path / "r.json").exists()


def test_scaled_project_repeats_the_outline(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("bench_run", BENCH)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = bench  # -- dataclasses look their module up while the class is built --
    try:
        spec.loader.exec_module(bench)
    finally:
        del sys.modules["bench_run"]
    original = load_manifest(ROOT)
    scaled = load_manifest(bench.copy_project(tmp_path / "x4", repeat=4))
    assert len(scaled.chapters) == 4 * len(original.chapters)
    assert len({c.title for c in scaled.chapters}) == len(scaled.chapters)
    assert [s.template for c in scaled.chapters for s in c.sections] == 4 * [
        s.template for c in original.chapters for s in c.sections
    ]
    assert scaled.front == original.front and scaled.title(2024) == original.title(2024)
    assert scaled.lint_allow == original.lint_allow


def test_engine_copies_differ_only_in_the_chart_engine(tmp_path: Path) -> None:
    original = load_manifest(ROOT)
    for engine in ("native", "image"):
        copy = load_manifest(copy_project(tmp_path / engine, engine=engine))
        assert copy.charts == engine
        assert copy.title(2024) == original.title(2024) and copy.chapters == original.chapters
        assert copy.checks == original.checks and copy.lint_allow == original.lint_allow


def summary(median: float) -> dict:
    return {"runs": 3, "median": median, "min": median, "max": median, "target": None, "met": None}


def test_pdf_targets_are_multiples_of_their_baselines() -> None:
    measures = {
        "soffice": {"native": summary(4.0), "image": summary(3.0)},
        "pdf": {"native": summary(5.0), "image": summary(3.5)},
        "batch_pdf": {"native": summary(9.0), "image": summary(8.0)},
    }
    for engine in ("native", "image"):
        relative_targets(measures, engine)
    assert measures["pdf"]["native"]["target"] == 5.2 and measures["pdf"]["native"]["met"] is True
    assert measures["pdf"]["image"]["target"] == 3.9 and measures["pdf"]["image"]["met"] is True
    assert measures["batch_pdf"]["native"]["target"] == 10.0 and measures["batch_pdf"]["native"]["met"] is True
    assert measures["batch_pdf"]["image"]["ratio"] == round(8.0 / 3.5, 3)
    assert measures["batch_pdf"]["image"]["met"] is False
    rows = rows_for({"engines": ["native", "image"], "measures": measures})
    ratio = next(r for r in rows if r[0].strip() == "ratio batch_pdf / pdf")
    assert ratio[3:] == ["1.80x", "yes", "2.29x", "NO"], "one column pair per engine, side by side"


def test_bench_times_both_chart_engines_side_by_side(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--runs", "1", "--only", "cold", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    results = json.loads(out.read_text(encoding="utf-8"))
    assert results["engines"] == ["native", "image"]
    cold = results["measures"]["cold"]
    assert set(cold) == {"native", "image"} and all(cold[e]["target"] == 1.5 for e in cold)
    assert cold["native"]["charts_drawn"] == [0], "native charts are Word charts: no picture is drawn"
    assert cold["image"]["charts_drawn"][0] > 0, "the image engine draws every chart on a cold render"
    header = next(line for line in proc.stdout.splitlines() if "measure" in line and "target" in line)
    assert header.index("native") < header.index("image")


def test_the_one_cell_measure_finds_its_number() -> None:
    from rkbench.measures import CELL_FILE, CELL_SHEET
    from rkbench.project import YEAR, first_number

    found = first_number(ROOT / "datasets" / str(YEAR) / CELL_FILE, CELL_SHEET)
    assert found is not None, "the workbook the bench edits still has a series under a year header"
    cell, value = found
    assert isinstance(value, (int, float)) and not cell.startswith(("A", "B"))
