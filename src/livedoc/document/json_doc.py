"""Decoding a whole document (PULL-DOC-REPLY or PUSH-DOC content) into a `Document`.

The JSON is checked as a whole before a document exists: `roots` must be a list of models,
`title` a string, `config` a model, `callbacks` a map of event names to model lists and `defs`
a list. A push that would wipe a document by mistake (`"roots": {}`) is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from livedoc.document.model import BaseModel
from livedoc.errors import DeserializationError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from livedoc._types import ID, Buffer, JSONObject
    from livedoc.document.document import Document

__all__ = ["decode_document"]

D = TypeVar("D", bound="Document")


def _model(value: Any, where: str) -> BaseModel:
    if not isinstance(value, BaseModel):
        raise DeserializationError(f"{where} must be a model, got {type(value).__name__}")
    return value


def decode_document(
    cls: type[D], doc_json: JSONObject, buffers: Mapping[ID, Buffer], *, generic: bool
) -> D:
    if not isinstance(doc_json, dict):
        raise DeserializationError("a document must be a JSON object")
    roots_json = doc_json.get("roots")
    if not isinstance(roots_json, list):
        raise DeserializationError("a document needs 'roots', a list of models")
    title = doc_json.get("title", "Bokeh Application")
    if not isinstance(title, str):
        raise DeserializationError("a document's 'title' must be a string")
    defs = doc_json.get("defs", [])
    if not isinstance(defs, list):
        raise DeserializationError("a document's 'defs' must be a list")

    doc = cls(title=title, generic=generic)
    decoder = doc.make_deserializer(buffers)
    config = (
        _model(decoder.decode(doc_json["config"]), "'config'") if "config" in doc_json else None
    )
    roots = [_model(decoder.decode(rep), f"root {index}") for index, rep in enumerate(roots_json)]
    if len({root.id for root in roots}) != len(roots):
        raise DeserializationError("a document lists the same root twice")
    callbacks: dict[str, list[BaseModel]] = {}
    if "callbacks" in doc_json:
        decoded = decoder.decode(doc_json["callbacks"])
        if not isinstance(decoded, dict):
            raise DeserializationError(
                "a document's 'callbacks' must be a map of event names to models"
            )
        for name, models in decoded.items():
            if not isinstance(name, str) or not isinstance(models, list):
                raise DeserializationError(
                    "a document's 'callbacks' must map event names to lists of models"
                )
            callbacks[name] = [_model(model, f"callback of {name!r}") for model in models]

    if config is not None:
        doc._config = config
    doc._roots = roots
    doc.js_event_callbacks = callbacks
    doc.defs = defs
    doc._reindex()
    doc._synced.update(doc._models)
    return doc
