"""The typed model catalog (models matching BokehJS 3.9.2)."""

from __future__ import annotations

from livedoc.document.config import DocumentConfig as DocumentConfig, Notifications as Notifications
from livedoc.models.sources import (
    ColumnarDataSource as ColumnarDataSource,
    ColumnDataSource as ColumnDataSource,
    DataSource as DataSource,
    IntersectRenderers as IntersectRenderers,
    Selection as Selection,
    SelectionPolicy as SelectionPolicy,
    UnionRenderers as UnionRenderers,
)

__all__ = [
    "ColumnDataSource",
    "ColumnarDataSource",
    "DataSource",
    "DocumentConfig",
    "IntersectRenderers",
    "Notifications",
    "Selection",
    "SelectionPolicy",
    "UnionRenderers",
]
