"""livedoc: a server for live Python documents, speaking the Bokeh 3 websocket protocol."""

from __future__ import annotations

from livedoc.application import curdoc as curdoc
from livedoc.document import Document as Document
from livedoc.models import ColumnDataSource as ColumnDataSource

__version__ = "0.1.0"

__all__ = ["ColumnDataSource", "Document", "__version__", "curdoc"]
