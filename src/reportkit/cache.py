"""The one cache of reportkit (build/.cache): data that cannot execute, signed, capped in size.

Entries are bytes (a chart picture) or JSON with a schema (the tables of a workbook, a render
record); nothing is unpickled or run.  Each entry is signed with a key kept outside the project
(`~/.cache/reportkit/cache.key`, made on first use), so an entry copied in with a project, planted
or damaged fails its check and is rebuilt as if it were missing; a folder that is not a plain
folder inside the project disables the cache.  Each kind of cache keeps to CACHE_BYTES, least
recently used entries first to go.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import hmac
import json
import os
import re
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from . import limits

MAGIC = b"RKC1"
_KEY_RE = re.compile(r"^[0-9a-f]{64}$")
_SECRET: bytes | None = None
_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _secret_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "reportkit" / "cache.key"


def _read_secret(path: Path) -> bytes | None:
    try:
        fd = os.open(path, _FLAGS)
    except OSError:
        return None
    info = os.fstat(fd)
    mine = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    if not stat.S_ISREG(info.st_mode) or not mine or info.st_mode & 0o077:
        os.close(fd)
        return None
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(64)
    return data if len(data) == 32 else None


def secret() -> bytes:
    """The signing key: the user's own, made once; a key for this process alone when there is nowhere
    to keep one (the caches then last one run)."""
    global _SECRET
    if _SECRET is None:
        path = _secret_path()
        key = _read_secret(path)
        if key is None:
            key = secrets.token_bytes(32)
            with contextlib.suppress(OSError):
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                tmp = path.with_name(f".{secrets.token_hex(8)}.tmp")
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
                try:
                    with os.fdopen(fd, "wb") as fh:
                        fh.write(key)
                    os.link(tmp, path)  # -- never over a key another process made first --
                except FileExistsError:
                    key = _read_secret(path) or key
                finally:
                    os.unlink(tmp)
        _SECRET = key
    return _SECRET


def digest(*parts: bytes | str) -> str:
    """A cache key: the SHA-256 of `parts` (each one delimited, so no two lists give the same key)."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big") + data)
    return h.hexdigest()


class Cache:
    """One kind of entry under `folder` (e.g. build/.cache/charts), by key: `get`, `put`, `trim`."""

    def __init__(self, folder: Path | None, cap_bytes: int = limits.CACHE_BYTES):
        self.folder = folder if folder is not None and _plain_folder(folder) else None
        self.kind = folder.name if folder is not None else ""
        self.cap = cap_bytes

    @property
    def enabled(self) -> bool:
        return self.folder is not None

    def entry(self, key: str) -> Path | None:
        """Where the entry of `key` is kept (None when the cache is off or the key malformed)."""
        if self.folder is None or not _KEY_RE.match(key):
            return None
        return self.folder / key[:2] / key

    def _sign(self, key: str, payload: bytes) -> bytes:
        return hmac.new(secret(), self.kind.encode() + b"\0" + key.encode() + b"\0" + payload, "sha256").digest()

    def get(self, key: str) -> bytes | None:
        """The payload stored under `key`, or None: missing, damaged, foreign or unreadable alike."""
        path = self.entry(key)
        if path is None:
            return None
        try:
            fd = os.open(path, _FLAGS)
        except OSError:
            return None
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limits.CACHE_ENTRY_BYTES + 64:
            os.close(fd)
            return None
        with os.fdopen(fd, "rb") as fh:
            try:
                blob = fh.read(limits.CACHE_ENTRY_BYTES + 64)
            except OSError:
                return None
        head, payload = blob[:36], blob[36:]
        if head[:4] != MAGIC or not hmac.compare_digest(head[4:], self._sign(key, payload)):
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # -- recently used: the last to go when the cache is trimmed --
        return payload

    def put(self, key: str, payload: bytes) -> None:
        """Store `payload` under `key`; a cache that cannot be written only costs time."""
        path = self.entry(key)
        if path is None or len(payload) > limits.CACHE_ENTRY_BYTES:
            return
        from .atomic import write_file
        from .errors import OutputError

        if not _plain_folder(path.parent):
            return
        with contextlib.suppress(OutputError, OSError):
            write_file(path, MAGIC + self._sign(key, payload) + payload)

    def get_json(self, key: str, types: Iterable[type] = ()) -> Any | None:
        """The value stored by `put_json`, rebuilt with `types` (the only classes it may hold); None
        when missing, or when it does not fit that schema."""
        payload = self.get(key)
        if payload is None:
            return None
        try:
            return from_json(json.loads(payload), {t.__name__: t for t in types})
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            return None

    def put_json(self, key: str, value: Any) -> None:
        try:
            payload = json.dumps(to_json(value), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        except (TypeError, ValueError, RecursionError):
            return
        self.put(key, payload)

    def trim(self) -> None:
        """Delete the least recently used entries until the cache fits its cap; anything in it that
        is not an entry (a stray file, a link) goes too."""
        if self.folder is None:
            return
        entries = []
        with contextlib.suppress(OSError):
            for bucket in os.scandir(self.folder):
                if not bucket.is_dir(follow_symlinks=False):
                    _remove(Path(bucket.path))
                    continue
                for entry in os.scandir(bucket.path):
                    info = entry.stat(follow_symlinks=False)
                    if entry.name.startswith(".rk-"):
                        continue  # -- another process's write in progress, or for atomic.recover --
                    if not stat.S_ISREG(info.st_mode) or not _KEY_RE.match(entry.name):
                        _remove(Path(entry.path))
                        continue
                    entries.append((info.st_mtime, info.st_size, Path(entry.path)))
        total = sum(size for _m, size, _p in entries)
        for _mtime, size, path in sorted(entries):
            if total <= self.cap:
                break
            _remove(path)
            total -= size


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            return
        path.unlink()


def _plain_folder(folder: Path) -> bool:
    """True when `folder` is a real folder reached from the project without symbolic links, made if
    missing; a link planted in build/ must not carry entries in from, or out to, elsewhere."""
    build = next((p for p in folder.parents if p.name == "build"), None)
    base = build.parent if build is not None else folder.parent
    try:
        parts = folder.relative_to(base).parts
    except ValueError:
        return False
    current = base
    for part in parts:
        current = current / part
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            try:
                os.mkdir(current)
                continue
            except FileExistsError:
                info = os.lstat(current)
            except OSError:
                return False
        except OSError:
            return False
        if not stat.S_ISDIR(info.st_mode):
            return False
    return True


# -- JSON with a schema: dataclasses are stored with their class name and rebuilt only as one of
# the classes the reader names, with exactly their fields; tuples and dicts keep their kind --
def to_json(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("not a finite number")
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            "$type": type(value).__name__,
            "fields": {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)},
        }
    if isinstance(value, tuple):
        return {"$tuple": [to_json(v) for v in value]}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"$dict": {k: to_json(v) for k, v in value.items()}}
    raise TypeError(f"cannot cache a {type(value).__name__}")


def from_json(value: Any, types: dict[str, type]) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [from_json(v, types) for v in value]
    if not isinstance(value, dict) or len(value) not in (1, 2):
        raise ValueError("not a cache value")
    if "$tuple" in value and isinstance(value["$tuple"], list):
        return tuple(from_json(v, types) for v in value["$tuple"])
    if "$dict" in value and isinstance(value["$dict"], dict):
        return {str(k): from_json(v, types) for k, v in value["$dict"].items()}
    cls = types[value["$type"]]
    fields = value["fields"]
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    if not isinstance(fields, dict) or set(fields) != names:
        raise ValueError(f"{cls.__name__} has other fields")
    return cls(**{k: from_json(v, types) for k, v in fields.items()})
