"""Draw many charts: a content-addressed cache, and a process pool for the misses.

The cache key covers everything that affects a picture: the chart spec (its data included), the
width, the house style, the font file, and the versions of matplotlib and of the drawing code.
Entries are written through a temporary file and renamed, so concurrent renders never see a
half-written PNG; the cache is trimmed to a size cap, oldest first.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Sequence

from ..model import ChartSpec
from .style import HOUSE_STYLE, font_path

CACHE_CAP_BYTES = 256 * 1024 * 1024
_ENV_KEY: str | None = None


def _environment_key() -> str:
    """Everything outside the spec that changes pixels: style, font, library and code versions."""
    global _ENV_KEY
    if _ENV_KEY is None:
        font = font_path()
        code = (Path(__file__).parent / "render.py").read_bytes()
        parts = {
            "style": HOUSE_STYLE,
            "font": [font.name, font.stat().st_size],
            "matplotlib": importlib.metadata.version("matplotlib"),
            "render_code": hashlib.sha256(code).hexdigest(),
        }
        _ENV_KEY = json.dumps(parts, sort_keys=True, default=str)
    return _ENV_KEY


def chart_key(spec: ChartSpec, width_in: float) -> str:
    """Return the cache key of `spec` drawn `width_in` inches wide."""
    payload = json.dumps({"spec": dataclasses.asdict(spec), "width": round(width_in, 4),
                          "env": _environment_key()}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class ChartCache:
    """PNG files under `root`, named by key."""

    def __init__(self, root: Path, cap_bytes: int = CACHE_CAP_BYTES):
        self.root = root
        self.cap = cap_bytes

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.png"

    def get(self, key: str) -> bytes | None:
        p = self.path(key)
        try:
            data = p.read_bytes()
        except OSError:
            return None
        if not data.startswith(b"\x89PNG"):
            return None
        try:
            os.utime(p)  # -- mark as recently used for the size cap --
        except OSError:
            pass
        return data

    def put(self, key: str, data: bytes) -> None:
        p = self.path(key)
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=".", suffix=".part")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, p)
        except OSError:
            return  # -- a cache that cannot be written only costs time --

    def trim(self) -> None:
        """Delete least recently used entries until the cache fits its cap."""
        try:
            files = [(f.stat().st_mtime, f.stat().st_size, f) for f in self.root.glob("*/*.png")]
        except OSError:
            return
        total = sum(size for _m, size, _f in files)
        for _mtime, size, f in sorted(files):
            if total <= self.cap:
                break
            try:
                f.unlink()
                total -= size
            except OSError:
                pass


def _draw(args: tuple[ChartSpec, float]) -> bytes:
    from .render import render_png

    return render_png(*args)


def draw_all(specs: Sequence[ChartSpec], width_in: float, cache_dir: Path | None = None,
             jobs: int | None = None) -> tuple[list[bytes], int]:
    """Return the PNG of every spec, in order, and how many were drawn (not taken from the cache)."""
    cache = ChartCache(cache_dir) if cache_dir is not None else None
    keys = [chart_key(s, width_in) for s in specs]
    images: list[bytes | None] = [cache.get(k) if cache else None for k in keys]
    todo = [i for i, img in enumerate(images) if img is None]
    # -- identical charts (same key) are drawn once --
    unique: dict[str, int] = {}
    for i in todo:
        unique.setdefault(keys[i], i)
    work = list(unique.values())
    workers = min(len(work), jobs if jobs is not None else (os.cpu_count() or 1))
    if workers > 1 and len(work) >= 4:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            drawn = list(pool.map(_draw, [(specs[i], width_in) for i in work], chunksize=1))
    else:
        drawn = [_draw((specs[i], width_in)) for i in work]
    by_key = {keys[i]: png for i, png in zip(work, drawn)}
    for i in todo:
        images[i] = by_key[keys[i]]
    if cache:
        for key, png in by_key.items():
            cache.put(key, png)
        if by_key:
            cache.trim()
    return [img for img in images if img is not None], len(work)
