"""Draw many charts: cached by content, and a process pool for the misses.

The cache key covers everything that affects a picture: the chart spec (its data included), the
width, the house style, the font file, and the versions of matplotlib and of the drawing code.
Entries live in reportkit's one cache (:mod:`reportkit.cache`): signed, written whole, capped.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
import os
from collections.abc import Sequence
from pathlib import Path

from ..cache import Cache
from ..model import ChartSpec
from ..workers import worker_pool
from .style import HOUSE_STYLE, font_path

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
    payload = json.dumps(
        {"spec": dataclasses.asdict(spec), "width": round(width_in, 4), "env": _environment_key()},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _draw(args: tuple[ChartSpec, float]) -> bytes:
    from .render import render_png

    return render_png(*args)


def draw_all(
    specs: Sequence[ChartSpec], width_in: float, cache_dir: Path | None = None, jobs: int | None = None
) -> tuple[list[bytes], int]:
    """Return the PNG of every spec, in order, and how many were drawn (not taken from the cache)."""
    cache = Cache(cache_dir)
    keys = [chart_key(s, width_in) for s in specs]
    images: list[bytes | None] = [cache.get(k) for k in keys]
    todo = [i for i, img in enumerate(images) if img is None]
    # -- identical charts (same key) are drawn once --
    unique: dict[str, int] = {}
    for i in todo:
        unique.setdefault(keys[i], i)
    work = list(unique.values())
    workers = min(len(work), jobs if jobs is not None else (os.cpu_count() or 1))
    if workers > 1 and len(work) >= 4:
        with worker_pool(workers) as pool:
            drawn = list(pool.map(_draw, [(specs[i], width_in) for i in work], chunksize=1))
    else:
        drawn = [_draw((specs[i], width_in)) for i in work]
    by_key = {keys[i]: png for i, png in zip(work, drawn)}
    for i in todo:
        images[i] = by_key[keys[i]]
    for key, png in by_key.items():
        cache.put(key, png)
    if by_key:
        cache.trim()
    return [img for img in images if img is not None], len(work)
