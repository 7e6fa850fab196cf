"""Data stage: Excel workbooks -> validated raw tables that remember their cells."""

from .edition import load_edition, load_workbook_tables, read_edition
from .tables import CellRef, Citation, Column, DataException, DateValue, RawRow, RawTable

__all__ = [
    "CellRef",
    "Citation",
    "Column",
    "DataException",
    "DateValue",
    "RawRow",
    "RawTable",
    "load_edition",
    "load_workbook_tables",
    "read_edition",
]
