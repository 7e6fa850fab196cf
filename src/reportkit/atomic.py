"""Writing outputs: every file appears whole or not at all, and the files of one render appear together.

Every writer of reportkit (the DOCX with its sidecar and PDF, `diff --redline`, `reference`, a new
edition's workbooks, cache entries) goes through here.

A unit of files in one folder is written to temporary files there first.  Committing it writes a
journal naming the renames, then renames each file into place.  The journal is the commit point: a
process killed during the renames leaves it behind, and the next write in that folder finishes the
renames (the temporary files were complete before the journal existed), so a new DOCX never stays
beside an old sidecar.  A failure before the journal leaves the earlier files untouched; one during
the renames puts them back.  Temporary files of a killed process are removed by the next write in
the folder.  A folder lock (flock on the folder itself, nothing left on disk) keeps concurrent
writers from interleaving their renames.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

from .errors import OutputError

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no locks, the renames stay atomic one by one
    fcntl = None  # type: ignore[assignment]

PREFIX = ".rk-"
TEMP, JOURNAL, BACKUP = ".part", ".commit", ".bak"
_JOURNAL_BYTES = 64 * 1024
_OPEN_FLAGS = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _lock(fd: int, blocking: bool = True) -> bool:
    """Take an exclusive flock on `fd`; False when it is held elsewhere (or locks are unsupported)."""
    if fcntl is None:
        return not blocking
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        return True
    except OSError:
        return False


@contextlib.contextmanager
def _folder_locked(folder: Path) -> Iterator[None]:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _OPEN_FLAGS)
    except OSError:
        yield  # -- a folder that cannot be opened cannot be locked; the write itself will fail or not --
        return
    try:
        _lock(fd)
        yield
    finally:
        os.close(fd)


def _sync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _name(suffix: str) -> str:
    return f"{PREFIX}{secrets.token_hex(8)}{suffix}"


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot write to {folder}: {exc.strerror or exc}") from None
    if not folder.is_dir():
        raise OutputError(f"cannot write to {folder}: not a folder")


def _temp_file(folder: Path, folder_locked: bool = False) -> tuple[Path, int]:
    """A new temporary file in `folder`, open for writing and locked for as long as it is open.

    It is created under the folder lock, so that `recover` never takes it for an abandoned one
    between its creation and its own lock.
    """
    with contextlib.nullcontext() if folder_locked else _folder_locked(folder):
        path = folder / _name(TEMP)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _OPEN_FLAGS, 0o600)
        _lock(fd, blocking=False)
    return path, fd


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.fsync(fd)
    os.fchmod(fd, 0o644)


def write_file(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole: a failure at any point leaves an existing `path` untouched."""
    commit([(path, data)])


def commit(files: Sequence[tuple[Path, bytes]]) -> None:
    """Write every (path, data) as one unit: all of them replace the earlier files, or none does.

    The paths must share one folder.  Raises OutputError naming the file that cannot be written.
    """
    if not files:
        return
    folder = files[0][0].parent
    if any(p.parent != folder for p, _d in files) or len({p.name for p, _d in files}) != len(files):
        raise ValueError("a unit of files lives in one folder, one file per name")
    _make_folder(folder)
    recover(folder)
    temps: list[tuple[Path, int, Path]] = []
    current = files[0][0]
    try:
        for target, data in files:
            current = target
            path, fd = _temp_file(folder)
            temps.append((path, fd, target))
            _write_all(fd, data)
        with _folder_locked(folder):
            for _tmp, _fd, target in temps:
                current = target
                with contextlib.suppress(FileNotFoundError):
                    if stat.S_ISDIR(os.lstat(target).st_mode):
                        raise OutputError(f"cannot write {target}: a folder of that name is in the way")
            if len(temps) == 1:
                os.replace(temps[0][0], temps[0][2])
            else:
                _rename_all(folder, [(tmp, target) for tmp, _fd, target in temps])
        _sync_folder(folder)
    except OSError as exc:
        raise OutputError(f"cannot write {current}: {exc.strerror or exc}") from None
    finally:
        for tmp, fd, _target in temps:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _rename_all(folder: Path, renames: list[tuple[Path, Path]]) -> None:
    """Rename every temporary file onto its target, journalled; called with the folder locked."""
    plan: list[tuple[Path, Path, Path | None, bool]] = []
    for tmp, target in renames:
        existed = os.path.lexists(target)
        backup: Path | None = folder / _name(BACKUP)
        try:
            os.link(target, backup, follow_symlinks=False)  # type: ignore[arg-type]
        except OSError:
            backup = None  # -- nothing there yet (or no hard links here): nothing to put back --
        plan.append((tmp, target, backup, existed))
    journal = folder / _name(JOURNAL)
    entries = [[tmp.name, target.name, backup.name if backup else None] for tmp, target, backup, _e in plan]
    path, fd = _temp_file(folder, folder_locked=True)
    try:
        _write_all(fd, json.dumps(entries).encode())
        os.replace(path, journal)
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(path)
    _sync_folder(folder)
    done: list[tuple[Path, Path | None, bool]] = []
    try:
        for tmp, target, backup, existed in plan:
            os.replace(tmp, target)
            done.append((target, backup, existed))
    except BaseException:
        for target, backup, existed in reversed(done):
            with contextlib.suppress(OSError):
                if backup is not None:
                    os.replace(backup, target)
                elif not existed:
                    os.unlink(target)
        with contextlib.suppress(OSError):
            os.unlink(journal)
        raise
    finally:
        for _tmp, _target, backup, _existed in plan:
            if backup is not None:
                with contextlib.suppress(OSError):
                    os.unlink(backup)
    _sync_folder(folder)
    with contextlib.suppress(OSError):
        os.unlink(journal)


def recover(folder: Path) -> None:
    """Finish the commits that a killed process left in `folder` and remove its temporary files."""
    with _folder_locked(folder):
        try:
            names = sorted(e.name for e in os.scandir(folder) if e.name.startswith(PREFIX))
        except OSError:
            return
        for name in names:
            if name.endswith(JOURNAL):
                _roll_forward(folder, folder / name)
        for name in names:
            path = folder / name
            if name.endswith(BACKUP):
                with contextlib.suppress(OSError):
                    os.unlink(path)  # -- backups live only while a commit holds the folder lock --
            elif name.endswith(TEMP):
                _remove_if_abandoned(path)


def _roll_forward(folder: Path, journal: Path) -> None:
    try:
        with open(journal, "rb") as fh:
            entries = json.loads(fh.read(_JOURNAL_BYTES))
        plan = [(str(tmp), str(target), backup) for tmp, target, backup in entries]
    except (OSError, ValueError, TypeError):
        plan = []
    for tmp, target, _backup in plan:
        # -- only our own temporary files, onto plain names in this folder: a journal is no way out --
        if not (tmp.startswith(PREFIX) and tmp.endswith(TEMP)) or "/" in tmp + target or target.startswith("."):
            continue
        with contextlib.suppress(OSError):
            if os.path.lexists(folder / tmp) and not os.path.isdir(folder / target):
                os.replace(folder / tmp, folder / target)
    _sync_folder(folder)
    with contextlib.suppress(OSError):
        os.unlink(journal)


def _remove_if_abandoned(path: Path) -> None:
    """Remove a temporary file or folder whose writer is gone (its lock is free)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | _OPEN_FLAGS)
    except OSError:
        with contextlib.suppress(OSError):
            if os.path.islink(path):
                os.unlink(path)
        return
    try:
        if not _lock(fd, blocking=False):
            return
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(path)
    finally:
        os.close(fd)


def publish_folder(target: Path, files: dict[str, bytes]) -> None:
    """Create the folder `target` holding `files` (name -> data), whole or not at all; never over an
    existing one."""
    parent = target.parent
    _make_folder(parent)
    recover(parent)
    with _folder_locked(parent):
        tmp = parent / _name(TEMP)
        try:
            os.mkdir(tmp, 0o700)
            fd = os.open(tmp, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _OPEN_FLAGS)
        except OSError as exc:
            raise OutputError(f"cannot write to {parent}: {exc.strerror or exc}") from None
        _lock(fd, blocking=False)
    try:
        for name, data in files.items():
            if "/" in name or name in ("", ".", ".."):
                raise ValueError(f"not a file name: {name!r}")
            out = os.open(tmp / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _OPEN_FLAGS, 0o600)
            try:
                _write_all(out, data)
            finally:
                os.close(out)
        os.chmod(tmp, 0o755)
        with _folder_locked(parent):
            if os.path.lexists(target):
                raise OutputError(f"{target} exists; it is never overwritten")
            os.rename(tmp, target)
        _sync_folder(parent)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
        if os.path.lexists(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
