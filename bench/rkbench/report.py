"""Summaries of the runs, and the tables printed at the end: native and image engine side by side."""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import tomllib
from typing import Any

from .measures import MEASURES, RELATIVE, SCALES
from .proc import Series
from .project import ROOT

# ----------------------------------------------------------------------------------------------------
# summaries (what goes into results.json)


def timed_summary(name: str, series: Series) -> dict[str, Any]:
    target = MEASURES[name].target
    out = {**series.summary(), "target": target}
    out["met"] = None if target is None else out["median"] <= target
    return out


def relative_targets(measures: dict[str, Any], engine: str) -> None:
    """Fill the targets that are a multiple of another measure of the same engine (pdf, batch_pdf)."""
    for name, (base, factor) in RELATIVE.items():
        m = measures.get(name, {}).get(engine)
        b = measures.get(base, {}).get(engine)
        if m and b:
            m["target"] = round(factor * b["median"], 4)
            m["target_rule"] = f"<= {factor:g} x {base}"
            m["ratio"] = round(m["median"] / b["median"], 3)
            m["met"] = m["median"] <= m["target"]


def memory_summary(series: dict[str, Series]) -> dict[str, Any]:
    runs = series["cold"].runs + series["batch"].runs
    rss = [r.max_rss_mb for r in runs]
    trees = [r.tree_mb for r in runs if r.tree_mb is not None]
    target = MEASURES["memory"].target
    assert target is not None
    out: dict[str, Any] = {
        "from": ["cold", "batch"],
        "runs": len(runs),
        "max_rss_mb": round(max(rss), 1),
        "max_rss_mb_min": round(min(rss), 1),
        "max_rss_mb_by_measure": {k: round(max(r.max_rss_mb for r in series[k].runs), 1) for k in ("cold", "batch")},
        "tree_pss_mb": round(max(trees), 1) if trees else None,
        "target_mb": target,
        "met": max(rss) <= target,
        "note": "max_rss_mb: ru_maxrss from wait4, the largest single process (main or chart/client worker); "
        "tree_pss_mb: peak of the sum of PSS over the whole process tree, sampled every 50 ms",
    }
    for name in ("pdf", "batch_pdf"):
        if name in series:
            s = series[name].summary()
            out[f"{name}_pss_mb"] = {"reportkit": s.get("reportkit_pss_mb"), "libreoffice": s.get("office_pss_mb")}
    return out


def scale_summary(scaled: dict[int, Series]) -> dict[str, Any]:
    outline = tomllib.loads((ROOT / "report.toml").read_text(encoding="utf-8"))
    sections_per_copy = sum(len(c.get("sections", [])) for c in outline.get("chapters", []))
    sc: dict[str, Any] = {}
    for k, series in scaled.items():
        sc[f"x{k}"] = {**series.summary(), "repeat": k, "sections": k * sections_per_copy, "docx_mb": None}
        written = series.runs[-1].written(".docx")
        if written is not None and written.is_file():
            sc[f"x{k}"]["docx_mb"] = round(written.stat().st_size / 2**20, 2)
    x1 = sc["x1"]["median"]
    sc["ratio_x4"] = round(sc["x4"]["median"] / x1, 3)
    sc["ratio_x16"] = round(sc["x16"]["median"] / x1, 3)
    sc["target_ratio_x16"] = MEASURES["scale"].target
    sc["met"] = sc["ratio_x16"] <= MEASURES["scale"].target
    return sc


# ----------------------------------------------------------------------------------------------------
# the machine and the code


def machine_info() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
    }
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


ENV_NOTED = (
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONPYCACHEPREFIX",
    "SOURCE_DATE_EPOCH",
    "MPLCONFIGDIR",
    "REPORTKIT_SOFFICE",
    "REPORTKIT_UNO_PYTHON",
)


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def code_info() -> dict[str, Any]:
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    # -- "dirty": the measured code (src/) differs from the commit --
    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--", "src"))}


def notes(results: dict[str, Any]) -> list[str]:
    """Things that make the figures less comparable with another machine or run."""
    out = list(results.get("skipped_notes", []))
    cpus = results["machine"].get("cpu_count") or 1
    loads = [x[0] for x in (results.get("load_average_before"), results.get("load_average_after")) if x]
    if loads and max(loads) > 0.5 * cpus:
        out.append(
            f"the machine was busy (1-minute load average {'/'.join(f'{x:.1f}' for x in loads)} "
            f"before/after on {cpus} CPUs): other work shared the CPUs, figures are pessimistic"
        )
    if results["environment"].get("PYTHONDONTWRITEBYTECODE"):
        out.append("PYTHONDONTWRITEBYTECODE is set: reportkit's own modules are compiled again in every process")
    if results["code"].get("dirty"):
        out.append("src/ has uncommitted changes: the figures are for that code, not for the commit")
    return out


# ----------------------------------------------------------------------------------------------------
# tables


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


def cell(m: dict[str, Any] | None, unit: str = "s") -> tuple[str, str]:
    """'median (min-max)' and met? of one summary."""
    if not m:
        return "-", "-"
    text = f"{fmt(m['median'], unit)} ({m['min']:.2f}-{m['max']:.2f})" if m["runs"] > 1 else fmt(m["median"], unit)
    met = "-" if m.get("met") is None else "yes" if m["met"] else "NO"
    return text, met


def rows_for(results: dict[str, Any]) -> list[list[str]]:
    """measure, runs, target, then median (min-max) and met? for each engine."""
    engines = results["engines"]
    measures = results["measures"]
    rows: list[list[str]] = []

    def target_text(name: str) -> str:
        if name in RELATIVE:
            base, factor = RELATIVE[name]
            return f"<= {factor:g} x {base}"
        t = MEASURES[name].target
        return f"<= {fmt(t, MEASURES[name].unit)}" if t is not None else "-"

    for name in ("cold", "warm", "output", "cell", "batch", "pdf", "soffice", "batch_pdf", "help", "check"):
        if name not in measures:
            continue
        m = measures[name]
        if not MEASURES[name].per_engine:
            text, met = cell(m)
            rows.append(
                [MEASURES[name].label + " (no charts)", str(m["runs"]), target_text(name), text, met]
                + ["", ""] * (len(engines) - 1)
            )
            continue
        per = [m.get(e) for e in engines]
        runs = "/".join(sorted({str(x["runs"]) for x in per if x})) or "-"
        label = MEASURES[name].label
        if name == "warm" and any(x and not all(x["skipped"]) for x in per):
            label += " [skip not always applied]"
        rows.append([label, runs, target_text(name)] + [c for x in per for c in cell(x)])
        if name == "cell" and any(x and x.get("charts_drawn") for x in per):
            rows.append(
                ["  pictures redrawn per one-cell run (median)", "-", "-"]
                + [
                    c
                    for x in per
                    for c in (
                        (f"{statistics.median(x['charts_drawn']):g}", "-")
                        if x and x.get("charts_drawn")
                        else ("-", "-")
                    )
                ]
            )
        if name in RELATIVE and any(x and "ratio" in x for x in per):
            base, factor = RELATIVE[name]
            rows.append(
                [f"  ratio {name} / {base}", "-", f"<= {factor:.2f}x"]
                + [
                    c
                    for x in per
                    for c in ((fmt(x["ratio"], "x"), "yes" if x["met"] else "NO") if x and "ratio" in x else ("-", "-"))
                ]
            )
    mem = measures.get("memory")
    if mem:
        per = [mem.get(e) for e in engines]
        target = f"<= {fmt(MEASURES['memory'].target, 'MB')}"
        rows.append(
            ["peak memory, largest process (cold + batch)", "-", target]
            + [c for x in per for c in ((fmt(x["max_rss_mb"], "MB"), "yes" if x["met"] else "NO") if x else ("-", "-"))]
        )
        rows.append(
            ["peak memory, process tree (PSS, sampled; cold + batch)", "-", target]
            + [
                c
                for x in per
                for c in (
                    (fmt(x["tree_pss_mb"], "MB"), "yes" if x["tree_pss_mb"] <= MEASURES["memory"].target else "NO")
                    if x and x.get("tree_pss_mb") is not None
                    else ("-", "-")
                )
            ]
        )
        for name in ("pdf", "batch_pdf"):
            if any(x and x.get(f"{name}_pss_mb") for x in per):
                rows.append(
                    [f"  {name}: reportkit / LibreOffice (PSS, sampled)", "-", "-"]
                    + [
                        c
                        for x in per
                        for c in (
                            (
                                f"{fmt(x[f'{name}_pss_mb']['reportkit'], 'MB')} / "
                                f"{fmt(x[f'{name}_pss_mb']['libreoffice'], 'MB')}",
                                "-",
                            )
                            if x and x.get(f"{name}_pss_mb")
                            else ("-", "-")
                        )
                    ]
                )
    sc = measures.get("scale")
    if sc:
        per = [sc.get(e) for e in engines]
        for k in SCALES:
            rows.append(
                [f"cold render, report x{k}", "-", "-"]
                + [c for x in per for c in (cell(x[f"x{k}"]) if x else ("-", "-"))]
            )
        rows.append(
            ["  time ratio x16 / x1", "-", f"<= {fmt(MEASURES['scale'].target, 'x')}"]
            + [c for x in per for c in ((fmt(x["ratio_x16"], "x"), "yes" if x["met"] else "NO") if x else ("-", "-"))]
        )
    return rows


def print_table(rows: list[list[str]], title: str, header: list[str]) -> None:
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
        table.add_row(*r, style="bold red" if "NO" in r else None)
    # -- wide enough that no figure is cut, also when the output goes to a file --
    Console(width=max(200, shutil.get_terminal_size().columns), soft_wrap=True).print(table)


STAGES = ["load", "templates", "charts", "write", "pdf"]


def stage_rows(results: dict[str, Any]) -> list[list[str]]:
    rows = []
    for engine in results["engines"]:
        for name in ("cold", "cell", "output", "batch", "pdf", "batch_pdf"):
            m = results["measures"].get(name, {}).get(engine)
            if not m or "stages_median" not in m:
                continue
            st = m["stages_median"]
            inside = sum(st.get(s, 0.0) for s in STAGES)
            rows.append(
                [f"{engine}: {MEASURES[name].label}"]
                + [f"{st.get(s, 0.0):.2f}" for s in STAGES]
                + [f"{inside:.2f}", f"{m['median'] - inside:.2f}"]
            )
    return rows


def print_report(results: dict[str, Any]) -> None:
    m = results["machine"]
    title = (
        f"reportkit benchmark: {results['runs']} run(s) per measure, median (min-max) of whole-process wall "
        f"time; {m['cpu_count']} CPUs, Python {m['python']}, {m['platform']}"
    )
    header = ["measure", "runs", "target"] + [h for e in results["engines"] for h in (e, "met?")]
    rows = rows_for(results)
    if rows:
        print_table(rows, title, header)
    srows = stage_rows(results)
    if srows:
        print()
        print_table(
            srows,
            "where the time goes (median s per stage from render --timings, first edition of a "
            "batch; rest = wall time outside the stages: start-up, imports, the other editions)",
            ["median s per stage", *STAGES, "sum", "rest"],
        )
    if results.get("notes"):
        print()
        for line in results["notes"]:
            print(f"note: {line}")
