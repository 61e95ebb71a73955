"""The typed model catalog: every BokehJS 3.9.2 model, with its properties, kinds and defaults.

`catalog.py` is generated from BokehJS's own property tables (`scripts/generate_models.py`);
data sources, selections and the document config are written by hand for their behaviour.
"""

from __future__ import annotations

from livedoc.document.config import DocumentConfig as DocumentConfig, Notifications as Notifications
from livedoc.models.catalog import *  # noqa: F403  # the whole generated catalog
from livedoc.models.catalog import __all__ as _catalog
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
    *_catalog,
]
