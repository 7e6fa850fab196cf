"""Chart stage: ChartSpec -> PNG.  `render` is the only module that imports matplotlib."""

from .style import HOUSE_STYLE

__all__ = ["HOUSE_STYLE"]
