"""Watch mode: a change re-renders, a broken edit prints its error and the watch goes on."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import make_project

from reportkit.watch import watch, watched_paths


def test_watch_loop_renders_reports_errors_and_continues(tmp_path: Path) -> None:
    from reportkit.errors import TemplateError

    proj = make_project(tmp_path / "p")
    outcomes = iter([[proj / "a.docx"], TemplateError("boom", code="syntax"), [proj / "b.docx"]])

    def render_once() -> list[Path]:
        item = next(outcomes)
        if isinstance(item, Exception):
            raise item
        return item

    lines: list[str] = []
    batches = [{(2, str(proj / "templates" / "market.md.j2"))}, {(2, str(proj / "datasets" / "2024" / "市场.xlsx"))}]
    watch(proj, 2024, render_once, lines.append, changes=batches)
    assert lines[0].endswith("a.docx") and lines[1].startswith("rendered in")
    assert lines[2] == "changed: templates/market.md.j2"
    assert lines[3] == "error: boom"
    assert lines[5] == "changed: datasets/2024/市场.xlsx" and lines[6].endswith("b.docx")


def test_watched_paths(tmp_path: Path) -> None:
    proj = make_project(tmp_path / "p")
    names = {p.relative_to(proj).as_posix() for p in watched_paths(proj, 2024)}
    assert names == {"report.toml", "templates", "datasets/2024"}


@pytest.mark.slow
def test_watch_command_rerenders_on_a_file_change(tmp_path: Path) -> None:
    proj = make_project(tmp_path / "p")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "reportkit", "render", "--year", "2024", "--project", str(proj), "--watch"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(ln.rstrip("\n")) for ln in proc.stdout], daemon=True).start()

    def wait_for(prefix: str, timeout: float = 60) -> str:
        end = time.time() + timeout
        while time.time() < end:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if line.startswith(prefix):
                return line
        raise AssertionError(f"no line starting with {prefix!r}")

    try:
        wait_for("rendered in")
        out = next((proj / "build" / "2024").glob("*.docx"))
        before = out.read_bytes()
        time.sleep(0.5)
        tpl = proj / "templates" / "summary.md.j2"
        tpl.write_text(tpl.read_text(encoding="utf-8") + "\n新增一句话。\n", encoding="utf-8")
        assert wait_for("changed:") == "changed: templates/summary.md.j2"
        wait_for("rendered in")
        assert out.read_bytes() != before
        tpl.write_text(tpl.read_text(encoding="utf-8") + "\n{{ oops }}\n", encoding="utf-8")
        assert "templates/summary.md.j2" in wait_for("error:")
        assert proc.poll() is None, "still watching after an error"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        assert proc.stdout is not None
        proc.stdout.close()
