#!/usr/bin/env python3
"""Benchmark the real CLI: whole-process timings of `reportkit` runs, native and picture charts side by side.

    .venv/bin/python bench/run.py                  # every measure, 5 runs each (median, min, max)
    .venv/bin/python bench/run.py --quick          # 2 runs each
    .venv/bin/python bench/run.py --only help,check --runs 1 --out /tmp/r.json
    .venv/bin/python bench/run.py --only cold,pdf --engines native

Every figure is the wall time of one process (`reportkit ...`, or the plain `soffice --convert-to pdf`
it is compared with), started as a user would start it, in a copy of report.toml, templates/ and
datasets/<year>/ made in a temporary folder (the repository's own build/ is never touched).  Each
measure that involves charts runs twice: in a copy whose report.toml says `charts = "native"` and in
one that says `charts = "image"`.  Results go to a table on stdout and to bench/results.json.

This is a report, not a test: a missed target never changes the exit status.  The exit status is
non-zero only when a command itself fails (or the command line is wrong).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rkbench.cli import main  # noqa: E402
from rkbench.project import copy_project  # noqa: E402,F401  (tests build scaled projects with it)

if __name__ == "__main__":
    sys.exit(main(doc=__doc__ or ""))
