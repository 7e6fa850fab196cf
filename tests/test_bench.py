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


def test_bench_reports_the_selected_measures(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    proc = subprocess.run([sys.executable, str(BENCH), "--quick", "--runs", "1", "--only", "help,check",
                           "--out", str(out)], capture_output=True, text=True, timeout=300)
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
    proc = subprocess.run([sys.executable, str(BENCH), "--only", "help,nope", "--out", str(tmp_path / "r.json")],
                          capture_output=True, text=True, timeout=60)
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
    assert [s.template for c in scaled.chapters for s in c.sections] == \
        4 * [s.template for c in original.chapters for s in c.sections]
    assert scaled.front == original.front and scaled.title(2024) == original.title(2024)
    assert scaled.lint_allow == original.lint_allow
