"""Context stage: raw tables -> objects with metrics (latest, YoY, CAGR, shares, forecasts).

Nothing here knows about Excel or about report wording.
"""

from .num import Num
from .tables import Data, Point, Record, RecordTable, Series, SeriesTable, Share, build_data, collect_data

__all__ = [
    "Data",
    "Num",
    "Point",
    "Record",
    "RecordTable",
    "Series",
    "SeriesTable",
    "Share",
    "build_data",
    "collect_data",
]
