"""Running one process as a user would, with its wall time and memory."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# -- LibreOffice's processes, told apart from reportkit's own when memory is sampled --
OFFICE = ("soffice.bin", "oosplash", "soffice")


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
    office_mb: float | None = None
    """Largest sampled PSS of LibreOffice's processes in the tree; the rest of tree_mb is reportkit's."""

    @property
    def stages(self) -> dict[str, float]:
        return {m.group(1): float(m.group(2)) for m in re.finditer(r"^(\w+)\s+([\d.]+) s$", self.stderr, re.M)}

    @property
    def charts_drawn(self) -> int | None:
        m = re.search(r"charts drawn: (\d+)", self.stderr)
        return int(m.group(1)) if m else None

    @property
    def skipped(self) -> bool:
        return "nothing changed since the last render" in self.stderr

    def written(self, suffix: str) -> Path | None:
        """The last file with `suffix` that the command printed (reportkit prints what it wrote)."""
        for line in reversed(self.stdout.strip().splitlines()):
            path = line.split("  (")[0]
            if path.endswith(suffix):
                return Path(path)
        return None


@dataclass
class Series:
    """The runs of one measure."""

    runs: list[Run] = field(default_factory=list)

    @property
    def seconds(self) -> list[float]:
        return [r.seconds for r in self.runs]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def summary(self) -> dict[str, Any]:
        s = self.seconds
        out: dict[str, Any] = {
            "runs": len(s),
            "seconds": [round(x, 4) for x in s],
            "median": round(statistics.median(s), 4),
            "min": round(min(s), 4),
            "max": round(max(s), 4),
            "max_rss_mb": round(max(r.max_rss_mb for r in self.runs), 1),
        }
        stages = [r.stages for r in self.runs if r.stages]
        if stages:
            names = list(stages[0])
            out["stages_median"] = {k: round(statistics.median(st.get(k, 0.0) for st in stages), 3) for k in names}
        drawn = [r.charts_drawn for r in self.runs if r.charts_drawn is not None]
        if drawn:
            out["charts_drawn"] = drawn
        if drawn or any(r.skipped for r in self.runs):
            out["skipped"] = [r.skipped for r in self.runs]
        trees = [r.tree_mb for r in self.runs if r.tree_mb is not None]
        if trees:
            out["tree_pss_mb"] = round(max(trees), 1)
        offices = [r.office_mb for r in self.runs if r.office_mb]
        if offices:
            out["office_pss_mb"] = round(max(offices), 1)
            out["reportkit_pss_mb"] = round(max((r.tree_mb or 0) - (r.office_mb or 0) for r in self.runs), 1)
        return out


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


def _is_office(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/comm") as fh:
            return fh.read().strip() in OFFICE
    except OSError:
        return False


class TreeSampler(threading.Thread):
    """Samples the total memory of a process and all its descendants (and LibreOffice's share) until stopped."""

    def __init__(self, pid: int, interval: float = 0.05):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_kb = 0
        self.office_peak_kb = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            total, office, todo, seen = 0, 0, [self.pid], set()
            while todo:
                pid = todo.pop()
                if pid in seen:
                    continue
                seen.add(pid)
                kb = _memory_kb(pid)
                total += kb
                if _is_office(pid):
                    office += kb
                todo.extend(_children(pid))
            self.peak_kb = max(self.peak_kb, total)
            self.office_peak_kb = max(self.office_peak_kb, office)
            self.stop.wait(self.interval)


SAMPLE_TREE = Path("/proc/self/smaps_rollup").exists() or Path("/proc/self/statm").exists()


def run(cmd: list[str], cwd: Path, sample_tree: bool = False, env: dict[str, str] | None = None) -> Run:
    """Run `cmd` in `cwd`; return its wall time and memory.  Raises CommandFailed."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=None if env is None else {**os.environ, **env},
        )
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
    return Run(
        seconds,
        rss_kb / 1024,
        sampler.peak_kb / 1024 if sampler else None,
        stdout,
        stderr,
        sampler.office_peak_kb / 1024 if sampler else None,
    )


def reportkit(args: list[str], cwd: Path, sample_tree: bool = False) -> Run:
    """Run `reportkit ARGS` in `cwd`, as a user would."""
    return run(reportkit_command() + args, cwd, sample_tree)
