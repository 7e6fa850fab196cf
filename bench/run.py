#!/usr/bin/env python3
"""Benchmark the real CLI: whole-process timings of `reportkit` runs in a fresh copy of the project.

    .venv/bin/python bench/run.py                  # every measure, 5 runs each (median, min, max)
    .venv/bin/python bench/run.py --quick          # 2 runs each
    .venv/bin/python bench/run.py --only help,check --runs 1 --out /tmp/r.json

Every figure is the wall time of one `reportkit ...` process, started as a user would start it, in a
copy of report.toml, templates/ and datasets/<year>/ made in a temporary folder (the repository's own
build/ is never touched).  Results go to a table on stdout and to bench/results.json.

This is a report, not a test: a missed target never changes the exit status.  The exit status is
non-zero only when a command itself fails (or the command line is wrong).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
YEAR = 2024
CLIENTS = ["A", "B", "C", "D", "E"]
# -- the one cell the "one cell changed" measure edits: a number that feeds one table's charts --
CELL_FILE, CELL_SHEET, CELL = "研发投入.xlsx", "研发投入规模", "C9"
SCALES = (1, 4, 16)

# name -> (label, target, unit); targets are the project's speed and memory goals
MEASURES: dict[str, tuple[str, float | None, str]] = {
    "cold": ("cold render (empty cache)", 3.0, "s"),
    "warm": ("warm re-render (render skipped)", 0.8, "s"),
    "cell": ("re-render after one cell changed", 1.2, "s"),
    "output": ("warm re-render, skip defeated (--output)", None, "s"),
    "batch": ("5-client batch (warm charts)", None, "s"),
    "help": ("reportkit --help", 0.3, "s"),
    "check": ("reportkit check --year 2024", None, "s"),
    "memory": ("peak memory", 400.0, "MB"),
    "scale": ("scaling x1 / x4 / x16", 16.0, "x"),
}
ORDER = list(MEASURES)


class CommandFailed(Exception):
    def __init__(self, cmd: list[str], code: int, stderr: str):
        super().__init__(f"{' '.join(cmd)} exited with status {code}")
        self.cmd, self.code, self.stderr = cmd, code, stderr


@dataclass
class Run:
    """One finished process."""

    seconds: float
    max_rss_mb: float
    """ru_maxrss of the process: the largest resident set of it and of every descendant it waited for."""
    tree_mb: float | None
    """Largest sampled total (PSS) of the whole process tree, or None when not sampled."""
    stdout: str
    stderr: str

    @property
    def stages(self) -> dict[str, float]:
        return {m.group(1): float(m.group(2))
                for m in re.finditer(r"^(\w+)\s+([\d.]+) s$", self.stderr, re.M)}

    @property
    def charts_drawn(self) -> int | None:
        m = re.search(r"charts drawn: (\d+)", self.stderr)
        return int(m.group(1)) if m else None

    @property
    def skipped(self) -> bool:
        return "nothing changed since the last render" in self.stderr


@dataclass
class Series:
    """The runs of one measure."""

    runs: list[Run] = field(default_factory=list)

    @property
    def seconds(self) -> list[float]:
        return [r.seconds for r in self.runs]

    def summary(self) -> dict[str, Any]:
        s = self.seconds
        out: dict[str, Any] = {"runs": len(s), "seconds": [round(x, 4) for x in s],
                               "median": round(statistics.median(s), 4), "min": round(min(s), 4),
                               "max": round(max(s), 4),
                               "max_rss_mb": round(max(r.max_rss_mb for r in self.runs), 1)}
        stages = [r.stages for r in self.runs if r.stages]
        if stages:
            names = [k for k in stages[0]]
            out["stages_median"] = {k: round(statistics.median(st.get(k, 0.0) for st in stages), 3) for k in names}
        drawn = [r.charts_drawn for r in self.runs if r.charts_drawn is not None]
        if drawn:
            out["charts_drawn"] = drawn
        if drawn or any(r.skipped for r in self.runs):
            out["skipped"] = [r.skipped for r in self.runs]
        trees = [r.tree_mb for r in self.runs if r.tree_mb is not None]
        if trees:
            out["tree_pss_mb"] = round(max(trees), 1)
        return out


# ----------------------------------------------------------------------------------------------------
# running a process


def reportkit_command() -> list[str]:
    """The console script next to this interpreter (what users run), else `python -m reportkit`."""
    script = Path(sys.executable).parent / "reportkit"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "reportkit"]


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                kids.extend(int(x) for x in fh.read().split())
    except OSError:
        pass
    return kids


def _memory_kb(pid: int) -> int:
    """Proportional set size (shared pages split between sharers), else RSS."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except (OSError, ValueError, IndexError):
        return 0


class TreeSampler(threading.Thread):
    """Samples the total memory of a process and all its descendants until stopped."""

    def __init__(self, pid: int, interval: float = 0.05):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_kb = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            total, todo, seen = 0, [self.pid], set()
            while todo:
                pid = todo.pop()
                if pid in seen:
                    continue
                seen.add(pid)
                total += _memory_kb(pid)
                todo.extend(_children(pid))
            self.peak_kb = max(self.peak_kb, total)
            self.stop.wait(self.interval)


SAMPLE_TREE = Path("/proc/self/smaps_rollup").exists() or Path("/proc/self/statm").exists()


def run(args: list[str], cwd: Path, sample_tree: bool = False) -> Run:
    """Run `reportkit ARGS` in `cwd`; return its wall time and memory.  Raises CommandFailed."""
    cmd = reportkit_command() + args
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        sampler = TreeSampler(proc.pid) if sample_tree and SAMPLE_TREE else None
        if sampler:
            sampler.start()
        # -- wait4 gives this process's rusage, ru_maxrss included, without mixing in earlier commands --
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if sampler:
            sampler.stop.set()
            sampler.join()
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    if proc.returncode != 0:
        raise CommandFailed(cmd, proc.returncode, stderr or stdout)
    # -- ru_maxrss is in KiB on Linux, bytes on macOS --
    rss_kb = usage.ru_maxrss / 1024 if sys.platform == "darwin" else usage.ru_maxrss
    return Run(seconds, rss_kb / 1024, sampler.peak_kb / 1024 if sampler else None, stdout, stderr)


# ----------------------------------------------------------------------------------------------------
# projects


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # -- JSON string escapes are valid TOML basic strings --
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k, ensure_ascii=False)} = {toml_value(v)}"
                                for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def dump_toml(data: dict[str, Any]) -> str:
    """Write a manifest-shaped dict ([table]s of scalars/lists, [[array]]s of tables) as TOML."""
    lines: list[str] = []
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f"[{key}]")
            lines += [f"{json.dumps(k, ensure_ascii=False)} = {toml_value(v)}" for k, v in value.items()]
        elif isinstance(value, list) and all(isinstance(v, dict) for v in value):
            for item in value:
                lines.append(f"[[{key}]]")
                for k, v in item.items():
                    if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
                        lines.append(f"{k} = [")
                        lines += [f"  {toml_value(x)}," for x in v]
                        lines.append("]")
                    else:
                        lines.append(f"{k} = {toml_value(v)}")
                lines.append("")
        else:
            raise TypeError(f"unexpected top-level key {key!r}")
        lines.append("")
    return "\n".join(lines)


def copy_project(dest: Path, repeat: int = 1) -> Path:
    """Copy report.toml, templates/ and datasets/YEAR/ (and a reference .docx if set) to `dest`.

    With `repeat` > 1 the outline's chapters are repeated that many times with distinct titles,
    every copy pointing at the same templates.
    """
    dest.mkdir(parents=True)
    manifest = tomllib.loads((ROOT / "report.toml").read_text(encoding="utf-8"))
    shutil.copytree(ROOT / "templates", dest / "templates")
    shutil.copytree(ROOT / "datasets" / str(YEAR), dest / "datasets" / str(YEAR))
    ref = manifest.get("report", {}).get("reference_docx")
    if ref:
        (dest / ref).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / ref, dest / ref)
    if repeat == 1:
        shutil.copy2(ROOT / "report.toml", dest / "report.toml")
        return dest
    chapters = manifest.get("chapters", [])
    copies = []
    for k in range(1, repeat + 1):
        for ch in chapters:
            suffix = "" if k == 1 else f"（{k}）"
            copies.append({**ch, "title": ch["title"] + suffix,
                           "sections": [{**s, "title": s["title"] + suffix} for s in ch.get("sections", [])]})
    manifest["chapters"] = copies
    (dest / "report.toml").write_text(dump_toml(manifest), encoding="utf-8")
    return dest


def clear(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


# ----------------------------------------------------------------------------------------------------
# measures


RENDER = ["render", "--year", str(YEAR), "--timings"]


def repeat(n: int, step: Callable[[int], Run], progress: str) -> Series:
    series = Series()
    for i in range(n):
        r = step(i)
        series.runs.append(r)
        print(f"  {progress} {i + 1}/{n}: {r.seconds:.2f} s", file=sys.stderr, flush=True)
    return series


def measure_cold(proj: Path, n: int) -> Series:
    def step(_i: int) -> Run:
        clear(proj / "build" / ".cache")
        return run(RENDER, proj, sample_tree=True)

    return repeat(n, step, "cold")


def measure_warm(proj: Path, n: int) -> Series:
    run(RENDER, proj)  # -- makes sure the render record matches the current inputs and code --
    return repeat(n, lambda _i: run(RENDER, proj), "warm")


def set_cell(path: Path, sheet: str, cell: str, value: float) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    wb[sheet][cell].value = value
    wb.save(path)


def read_cell(path: Path, sheet: str, cell: str) -> Any:
    from openpyxl import load_workbook

    return load_workbook(path, read_only=True)[sheet][cell].value


def measure_cell(proj: Path, n: int) -> Series:
    book = proj / "datasets" / str(YEAR) / CELL_FILE
    original = book.read_bytes()
    base = read_cell(book, CELL_SHEET, CELL)
    if not isinstance(base, (int, float)):
        raise SystemExit(f"bench: {CELL_FILE} [{CELL_SHEET}] {CELL} holds {base!r}, not a number; "
                         "update CELL_* in bench/run.py")
    # -- save once through openpyxl unchanged and render, so the timed runs differ from the last render
    #    by the one value only, not by how openpyxl writes a workbook --
    set_cell(book, CELL_SHEET, CELL, base)
    run(RENDER, proj)

    def step(i: int) -> Run:
        # -- a value never used before in this project, so neither the chart nor the data cache has it --
        set_cell(book, CELL_SHEET, CELL, round(base + 0.01 * (i + 1), 4))
        return run(RENDER, proj)

    try:
        return repeat(n, step, "one cell")
    finally:
        book.write_bytes(original)


def measure_output(proj: Path, n: int) -> Series:
    run(RENDER, proj)  # -- charts, data and compiled templates warm --
    stamp = time.strftime("%H%M%S")
    return repeat(n, lambda i: run(RENDER + ["--output", f"build/bench/{stamp}-{i}.docx"], proj),
                  "--output")


def measure_batch(proj: Path, n: int) -> Series:
    run(RENDER, proj)  # -- charts warm --
    args = RENDER + [x for c in CLIENTS for x in ("--client", c)]

    def step(_i: int) -> Run:
        clear(proj / "build" / ".cache" / "renders")  # -- defeat the render skip, keep every other cache --
        return run(args, proj, sample_tree=True)

    return repeat(n, step, "batch")


def measure_help(proj: Path, n: int) -> Series:
    return repeat(n, lambda _i: run(["--help"], proj), "--help")


def measure_check(proj: Path, n: int) -> Series:
    return repeat(n, lambda _i: run(["check", "--year", str(YEAR)], proj), "check")


def measure_scale(tmp: Path, n: int, x1: Series) -> dict[int, Series]:
    """Cold renders of the outline repeated k times; x1 is the cold measure itself (the same project)."""
    out: dict[int, Series] = {1: x1}
    for k in SCALES[1:]:
        proj = copy_project(tmp / f"scale-x{k}", repeat=k)

        def step(_i: int, proj: Path = proj) -> Run:
            clear(proj / "build" / ".cache")
            return run(RENDER, proj, sample_tree=True)

        out[k] = repeat(min(3, n) if k >= 16 else n, step, f"cold x{k}")
    return out


# ----------------------------------------------------------------------------------------------------
# report


def machine_info() -> dict[str, Any]:
    info: dict[str, Any] = {"cpu_count": os.cpu_count(), "python": platform.python_version(),
                            "implementation": platform.python_implementation(), "platform": platform.platform(),
                            "machine": platform.machine()}
    try:
        with open("/proc/meminfo") as fh:
            info["memory_total_mb"] = round(int(fh.readline().split()[1]) / 1024)
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    info["cpu_model"] = line.split(":", 1)[1].strip()
                    break
    except (OSError, ValueError, IndexError):
        pass
    return info


ENV_NOTED = ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX", "SOURCE_DATE_EPOCH", "MPLCONFIGDIR")


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def notes(results: dict[str, Any]) -> list[str]:
    """Things that make the figures less comparable with another machine or run."""
    out = []
    cpus = results["machine"].get("cpu_count") or 1
    loads = [x[0] for x in (results.get("load_average_before"), results.get("load_average_after")) if x]
    if loads and max(loads) > 0.5 * cpus:
        out.append(f"the machine was busy (1-minute load average {'/'.join(f'{x:.1f}' for x in loads)} "
                   f"before/after on {cpus} CPUs): other work shared the CPUs, figures are pessimistic")
    if results["environment"].get("PYTHONDONTWRITEBYTECODE"):
        out.append("PYTHONDONTWRITEBYTECODE is set: reportkit's own modules are compiled again in every process")
    if results["code"].get("dirty"):
        out.append("src/ has uncommitted changes: the figures are for that code, not for the commit")
    return out


def code_info() -> dict[str, Any]:
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    # -- "dirty": the measured code (src/) differs from the commit --
    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--", "src"))}


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "MB":
        return f"{value:.0f} MB"
    if unit == "x":
        return f"{value:.2f}x"
    return f"{value:g} {unit}"


def rows_for(results: dict[str, Any]) -> list[list[str]]:
    """measure, runs, median, min, max, target, met? -- one row per figure."""
    rows: list[list[str]] = []

    def timed(name: str, label: str | None = None) -> None:
        m = results["measures"].get(name)
        if not m:
            return
        target = m.get("target")
        rows.append([label or MEASURES[name][0], str(m["runs"]), fmt(m["median"], "s"), fmt(m["min"], "s"),
                     fmt(m["max"], "s"), f"<= {fmt(target, 's')}" if target is not None else "-",
                     ("yes" if m["met"] else "NO") if target is not None else "-"])

    for name in ("cold", "warm", "cell"):
        timed(name)
        m = results["measures"].get(name)
        if name == "warm" and m and not all(m["skipped"]):
            rows[-1][0] += f" [skip applied {sum(m['skipped'])}/{m['runs']}]"
        if name == "cell" and m and m.get("charts_drawn"):
            d = m["charts_drawn"]
            rows.append(["  charts redrawn per one-cell run", str(len(d)), str(statistics.median(d)), str(min(d)),
                         str(max(d)), "-", "-"])
    for name in ("output", "batch", "help", "check"):
        timed(name)
    mem = results["measures"].get("memory")
    if mem:
        rows.append([f"peak memory, max RSS of one process ({'+'.join(mem['from'])})", str(mem["runs"]),
                     fmt(mem["max_rss_mb"], "MB"), fmt(mem["max_rss_mb_min"], "MB"), fmt(mem["max_rss_mb"], "MB"),
                     f"<= {fmt(mem['target_mb'], 'MB')}", "yes" if mem["met"] else "NO"])
        if mem.get("tree_pss_mb") is not None:
            rows.append(["peak memory, whole process tree (PSS, sampled)", str(mem["runs"]),
                         fmt(mem["tree_pss_mb"], "MB"), "-", "-", f"<= {fmt(mem['target_mb'], 'MB')}",
                         "yes" if mem["tree_pss_mb"] <= mem["target_mb"] else "NO"])
    sc = results["measures"].get("scale")
    if sc:
        for k in SCALES:
            m = sc[f"x{k}"]
            drawn = statistics.median(m["charts_drawn"]) if m.get("charts_drawn") else "?"
            rows.append([f"cold render, report x{k} ({m['sections']} sections, {drawn:g} charts drawn)"
                         if drawn != "?" else f"cold render, report x{k} ({m['sections']} sections)", str(m["runs"]),
                         fmt(m["median"], "s"), fmt(m["min"], "s"), fmt(m["max"], "s"), "-", "-"])
        rows.append(["  time ratio x4 / x1", "-", fmt(sc["ratio_x4"], "x"), "-", "-", "-", "-"])
        rows.append(["  time ratio x16 / x1", "-", fmt(sc["ratio_x16"], "x"), "-", "-", "<= 16.00x",
                     "yes" if sc["met"] else "NO"])
    return rows


HEADER = ["measure", "runs", "median", "min", "max", "target", "met?"]


def print_table(rows: list[list[str]], title: str, header: list[str] = HEADER) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        print(title)
        for r in [header, ["-" * w for w in widths], *rows]:
            print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
        return
    table = Table(title=title, title_justify="left")
    for i, h in enumerate(header):
        table.add_column(h, justify="left" if i == 0 else "right", no_wrap=True)
    for r in rows:
        table.add_row(*r, style="bold red" if r[-1] == "NO" else None)
    Console(width=max(120, shutil.get_terminal_size().columns), soft_wrap=True).print(table)


def stage_rows(results: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    names = ["load", "templates", "charts", "write"]
    rows = []
    entries = [(MEASURES[n][0], results["measures"].get(n)) for n in ("cold", "cell", "output", "batch")]
    sc = results["measures"].get("scale") or {}
    entries += [(f"cold render, report x{k}", sc.get(f"x{k}")) for k in SCALES[1:]]
    for label, m in entries:
        if not m or "stages_median" not in m:
            continue
        st = m["stages_median"]
        inside = sum(st.values())
        rows.append([label] + [f"{st.get(s, 0.0):.2f}" for s in names] + [f"{inside:.2f}",
                                                                           f"{m['median'] - inside:.2f}"])
    return ["median s per stage", *names, "sum", "rest"], rows


# ----------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=None, metavar="N", help="runs per measure (default 5; --quick 2)")
    p.add_argument("--quick", action="store_true", help="2 runs per measure")
    p.add_argument("--only", default="", metavar="LIST",
                   help=f"comma-separated measures to run (default all): {','.join(ORDER)}")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json", help="where to write the JSON")
    args = p.parse_args(argv)
    args.runs = args.runs if args.runs is not None else (2 if args.quick else 5)
    if args.runs < 1:
        p.error("--runs must be at least 1")
    only = [x.strip() for x in args.only.split(",") if x.strip()] or ORDER
    unknown = [x for x in only if x not in MEASURES]
    if unknown:
        p.error(f"unknown measure(s) {', '.join(unknown)}; choose from {', '.join(ORDER)}")
    args.only = [m for m in ORDER if m in only]
    return args


def memory_summary(series: dict[str, Series]) -> dict[str, Any]:
    runs = series["cold"].runs + series["batch"].runs
    rss = [r.max_rss_mb for r in runs]
    trees = [r.tree_mb for r in runs if r.tree_mb is not None]
    target = MEASURES["memory"][1]
    return {
        "from": ["cold", "batch"], "runs": len(runs), "max_rss_mb": round(max(rss), 1),
        "max_rss_mb_min": round(min(rss), 1),
        "max_rss_mb_by_measure": {k: round(max(r.max_rss_mb for r in series[k].runs), 1) for k in ("cold", "batch")},
        "tree_pss_mb": round(max(trees), 1) if trees else None,
        "target_mb": target, "met": max(rss) <= target,
        "note": "max_rss_mb: ru_maxrss from wait4, the largest single process (main or chart/client worker); "
                "tree_pss_mb: peak of the sum of PSS over the whole process tree, sampled every 50 ms",
    }


def scale_summary(scaled: dict[int, Series]) -> dict[str, Any]:
    outline = tomllib.loads((ROOT / "report.toml").read_text(encoding="utf-8"))
    sections_per_copy = sum(len(c.get("sections", [])) for c in outline.get("chapters", []))
    sc: dict[str, Any] = {}
    for k, series in scaled.items():
        sc[f"x{k}"] = {**series.summary(), "repeat": k, "sections": k * sections_per_copy, "docx_mb": None}
        written = Path(series.runs[-1].stdout.strip().splitlines()[-1])
        if written.is_file():
            sc[f"x{k}"]["docx_mb"] = round(written.stat().st_size / 2**20, 2)
    x1 = sc["x1"]["median"]
    sc["ratio_x4"] = round(sc["x4"]["median"] / x1, 3)
    sc["ratio_x16"] = round(sc["x16"]["median"] / x1, 3)
    sc["target_ratio_x16"] = MEASURES["scale"][1]
    sc["met"] = sc["ratio_x16"] <= MEASURES["scale"][1]
    return sc


PLAN: list[tuple[str, Callable[[Path, int], Series]]] = [
    ("cold", measure_cold), ("warm", measure_warm), ("output", measure_output), ("cell", measure_cell),
    ("batch", measure_batch), ("help", measure_help), ("check", measure_check)]


def run_measures(selected: set[str], n: int, tmp: Path, measures: dict[str, Any]) -> None:
    """Run the selected measures in one fresh project copy under `tmp`, filling `measures`."""
    # -- peak memory is read off the cold renders and the 5-client batch; x1 of the scaling is the cold render --
    needed = set(selected)
    if "memory" in selected:
        needed |= {"cold", "batch"}
    if "scale" in selected:
        needed.add("cold")
    proj = copy_project(tmp / "project")
    series: dict[str, Series] = {}
    for name, fn in PLAN:
        if name not in needed:
            continue
        print(f"{MEASURES[name][0]} ...", file=sys.stderr, flush=True)
        series[name] = fn(proj, n)
        if name in selected:
            target = MEASURES[name][1]
            measures[name] = {**series[name].summary(), "target": target}
            measures[name]["met"] = None if target is None else measures[name]["median"] <= target
    if "memory" in selected:
        measures["memory"] = memory_summary(series)
    if "scale" in selected:
        print(f"{MEASURES['scale'][0]} ...", file=sys.stderr, flush=True)
        measures["scale"] = scale_summary(measure_scale(tmp, n, series["cold"]))


def print_report(results: dict[str, Any]) -> None:
    m = results["machine"]
    title = (f"reportkit benchmark: {results['runs']} run(s) per measure, median/min/max of whole-process wall "
             f"time; {m['cpu_count']} CPUs, Python {m['python']}, {m['platform']}")
    rows = rows_for(results)
    if rows:
        print_table(rows, title)
    header, srows = stage_rows(results)
    if srows:
        print()
        print_table(srows, "where the time goes (median s per stage from render --timings; rest = wall time "
                    "outside the stages: start-up, imports, the other clients' writes)", header)
    if results.get("notes"):
        print()
        for line in results["notes"]:
            print(f"note: {line}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    n = args.runs
    results: dict[str, Any] = {
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_info(), "code": code_info(), "runs": n, "command": reportkit_command(),
        "year": YEAR, "selected": args.only, "load_average_before": load_average(),
        "environment": {k: os.environ[k] for k in ENV_NOTED if k in os.environ}, "measures": {},
    }
    status = 0
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="reportkit-bench-") as tmp:
        try:
            run_measures(set(args.only), n, Path(tmp), results["measures"])
        except CommandFailed as exc:
            print(f"bench: command failed: {' '.join(exc.cmd)} (status {exc.code})", file=sys.stderr)
            print(exc.stderr.rstrip(), file=sys.stderr)
            results["error"] = {"command": exc.cmd, "status": exc.code, "stderr": exc.stderr[-4000:]}
            status = 1
    results["total_seconds"] = round(time.perf_counter() - t_start, 1)
    results["load_average_after"] = load_average()
    results["notes"] = notes(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    print_report(results)
    print(f"\nresults written to {args.out} (total {results['total_seconds']:.0f} s)")
    return status


if __name__ == "__main__":
    sys.exit(main())
