"""DOCX writer: the only package that imports python-docx."""

from .reference import packaged_reference, text_width_inches
from .writer import write_docx

__all__ = ["packaged_reference", "text_width_inches", "write_docx"]
