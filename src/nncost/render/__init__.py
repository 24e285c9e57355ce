"""Renderers: turn a :class:`~nncost.report.Report` into text, JSON, CSV, Markdown or HTML.

The report never depends on a renderer; each renderer reads the report's fields.
"""

from __future__ import annotations

from ..errors import InputError
from ..report import Report

__all__ = ["FORMATS", "render"]

FORMATS = ("table", "json", "csv", "markdown", "html")


def render(report: Report, fmt: str = "table", *, width: int = 100, depth: int | None = None,
           explain: bool = False) -> str:
    """Render ``report`` in ``fmt`` (one of :data:`FORMATS`)."""
    if depth is not None and depth < 0:
        raise InputError(f"depth must be >= 0 (0: the model only), got {depth}")
    if fmt == "json":
        return report.with_depth(depth).to_json() + "\n"
    if fmt == "csv":
        from .tabular import to_csv

        return to_csv(report.with_depth(depth))
    if fmt == "markdown":
        from .tabular import to_markdown

        return to_markdown(report.with_depth(depth))
    if fmt == "html":
        from .html import to_html

        return to_html(report.with_depth(depth))
    if fmt == "table":
        from .table import render_text

        return render_text(report, width=width, depth=depth, explain=explain)
    raise InputError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
