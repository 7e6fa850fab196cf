"""The command line of bench/run.py: choose measures and runs, run them per chart engine, report."""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .measures import MEASURES, NEEDS, ORDER, PLAN, SCALES, measure_scale, measure_soffice, soffice
from .proc import CommandFailed, Series, reportkit_command
from .project import ENGINES, ROOT, YEAR, copy_project
from .report import (
    ENV_NOTED,
    code_info,
    load_average,
    machine_info,
    memory_summary,
    notes,
    print_report,
    relative_targets,
    scale_summary,
    timed_summary,
)


def parse_args(argv: list[str] | None, doc: str) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=None, metavar="N", help="runs per measure (default 5; --quick 2)")
    p.add_argument("--quick", action="store_true", help="2 runs per measure")
    p.add_argument(
        "--only", default="", metavar="LIST", help=f"comma-separated measures to run (default all): {','.join(ORDER)}"
    )
    p.add_argument(
        "--engines",
        default=",".join(ENGINES),
        metavar="LIST",
        help=f"chart engines to compare (default {','.join(ENGINES)})",
    )
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
    engines = [x.strip() for x in args.engines.split(",") if x.strip()]
    if not engines or any(e not in ENGINES for e in engines):
        p.error(f"--engines takes {', '.join(ENGINES)}")
    args.engines = [e for e in ENGINES if e in engines]
    return args


def closure(selected: set[str]) -> set[str]:
    """The selected measures and everything they are read from or compared with."""
    needed = set(selected)
    while True:
        more = set().union(*(NEEDS.get(m, set()) for m in needed)) - needed
        if not more:
            return needed
        needed |= more


def run_engine(engine: str, selected: set[str], n: int, tmp: Path, results: dict[str, Any]) -> None:
    """Run the selected per-engine measures in one fresh project copy whose charts are `engine`."""
    measures = results["measures"]
    needed = {m for m in closure(selected) if MEASURES[m].per_engine}
    if soffice() is None and any(MEASURES[m].needs_office for m in needed):
        results["skipped_notes"].append("LibreOffice not found: the PDF measures were not run")
        needed = {m for m in needed if not MEASURES[m].needs_office}
    proj = copy_project(tmp / f"project-{engine}", engine=engine)
    series: dict[str, Series] = {}
    for name, fn in PLAN:
        if name not in needed:
            continue
        print(f"{engine}: {MEASURES[name].label} ...", file=sys.stderr, flush=True)
        series[name] = fn(proj, n)
        if name == "pdf" and "soffice" in needed:
            docx = series["pdf"].runs[-1].written(".docx")
            assert docx is not None, series["pdf"].runs[-1].stdout
            print(f"{engine}: {MEASURES['soffice'].label} ...", file=sys.stderr, flush=True)
            series["soffice"] = measure_soffice(proj, n, proj / docx if not docx.is_absolute() else docx)
    for name, s in series.items():
        if name in selected or name in ("soffice", "pdf") and {"pdf", "batch_pdf"} & selected:
            measures.setdefault(name, {})[engine] = timed_summary(name, s)
    relative_targets(measures, engine)
    if "memory" in selected:
        measures.setdefault("memory", {})[engine] = memory_summary(series)
    if "scale" in selected:
        print(f"{engine}: {MEASURES['scale'].label} ...", file=sys.stderr, flush=True)
        projects = {k: copy_project(tmp / f"scale-{engine}-x{k}", repeat=k, engine=engine) for k in SCALES[1:]}
        measures.setdefault("scale", {})[engine] = scale_summary(measure_scale(projects, n, series["cold"], engine))


def run_once(selected: set[str], n: int, tmp: Path, results: dict[str, Any]) -> None:
    """The measures without charts, timed once in the default project."""
    names = [m for m in ORDER if m in selected and not MEASURES[m].per_engine]
    if not names:
        return
    proj = copy_project(tmp / "project")
    for name, fn in PLAN:
        if name in names:
            print(f"{MEASURES[name].label} ...", file=sys.stderr, flush=True)
            results["measures"][name] = timed_summary(name, fn(proj, n))


def main(argv: list[str] | None = None, doc: str = "") -> int:
    args = parse_args(argv, doc)
    n = args.runs
    results: dict[str, Any] = {
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "code": code_info(),
        "runs": n,
        "command": reportkit_command(),
        "year": YEAR,
        "selected": args.only,
        "engines": args.engines,
        "load_average_before": load_average(),
        "environment": {k: os.environ[k] for k in ENV_NOTED if k in os.environ},
        "measures": {},
        "skipped_notes": [],
    }
    status = 0
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="reportkit-bench-") as tmp:
        try:
            for engine in args.engines:
                run_engine(engine, set(args.only), n, Path(tmp), results)
            run_once(set(args.only), n, Path(tmp), results)
        except CommandFailed as exc:
            print(f"bench: command failed: {' '.join(exc.cmd)} (status {exc.code})", file=sys.stderr)
            print(exc.stderr.rstrip(), file=sys.stderr)
            results["error"] = {"command": exc.cmd, "status": exc.code, "stderr": exc.stderr[-4000:]}
            status = 1
    results["total_seconds"] = round(time.perf_counter() - t_start, 1)
    results["load_average_after"] = load_average()
    results["notes"] = notes(results)
    del results["skipped_notes"]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    print_report(results)
    print(f"\nresults written to {args.out} (total {results['total_seconds']:.0f} s)")
    return status
