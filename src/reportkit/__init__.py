"""reportkit: regenerate a Chinese industry research report as Word from Excel data and templates.

The pipeline runs one way: datasets -> context -> templates -> document model -> writers.
"""

from .errors import ReportkitError

__version__ = "0.1.0"

__all__ = ["ReportkitError", "__version__"]
