"""Re-render when an input changes: workbooks, templates, the manifest or the reference .docx."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .errors import ReportkitError

IGNORED_PREFIXES = ("~$", ".~lock", ".")


def watched_paths(project: Path, year: int) -> list[Path]:
    """The files and folders whose changes can change edition `year`."""
    from .config import load_manifest

    paths = [project / "report.toml", project / "templates", project / "datasets" / str(year)]
    try:
        ref = load_manifest(project).reference_docx
    except ReportkitError:
        ref = None
    if ref is not None:
        paths.append(ref)
    return [p for p in paths if p.exists()]


def _relevant(_change: Any, path: str) -> bool:
    name = Path(path).name
    return not name.startswith(IGNORED_PREFIXES) and not name.endswith((".part", ".tmp", "~"))


def watch(
    project: Path,
    year: int,
    render_once: Callable[[], list[Path]],
    echo: Callable[[str], None],
    changes: Iterable[set[tuple[Any, str]]] | None = None,
    stop_event: Any = None,
) -> None:
    """Render once, then again after every batch of changes until stopped (Ctrl-C or `stop_event`).

    A failing render prints its errors and the watch goes on.
    """
    project = project.resolve()

    def once() -> None:
        t0 = time.perf_counter()
        try:
            paths = render_once()
        except ReportkitError as exc:
            for line in str(exc).splitlines():
                echo(f"error: {line}")
            echo("fix the problem and save; still watching")
            return
        for p in paths:
            echo(str(p))
        echo(f"rendered in {time.perf_counter() - t0:.2f} s; watching for changes (Ctrl-C to stop)")

    once()
    if changes is None:
        import watchfiles

        changes = watchfiles.watch(
            *watched_paths(project, year),
            watch_filter=_relevant,
            debounce=400,
            step=50,
            stop_event=stop_event,
            raise_interrupt=False,
        )
    for batch in changes:
        names = sorted({_shown(project, path) for _kind, path in batch})
        if not names:
            continue
        echo(f"changed: {', '.join(names)}")
        once()


def _shown(project: Path, path: str) -> str:
    try:
        return Path(path).resolve().relative_to(project).as_posix()
    except ValueError:
        return path
