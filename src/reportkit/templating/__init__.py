"""Template stage: Jinja2 section templates -> Markdown text plus registered objects."""

from .environment import PLACEHOLDER_INFO, Ledger, Registry, make_environment, render_template, template_functions

__all__ = ["PLACEHOLDER_INFO", "Ledger", "Registry", "make_environment", "render_template", "template_functions"]
