"""Schema-agnostic models: a type name, an id and whatever attributes the peer sent.

A server hosts documents built by clients whose model classes it does not have (the real
`bokeh` library, custom extensions). It keeps them as `GenericModel`s: attributes are stored as
decoded and re-encoded as they came, patches apply to them like to typed models, and nothing is
validated beyond what the decoder already guarantees (every decoded value re-encodes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from livedoc.document.model import BaseModel

if TYPE_CHECKING:
    from collections.abc import Mapping

    from livedoc._types import ID

__all__ = ["GenericModel"]


class GenericModel(BaseModel):
    """A model known only by `model_type`, `id` and `attributes`.

    Attributes the peer never sent are unknown here: they hold the peer's defaults.
    """

    def __init__(
        self, model_type: str, id: ID | None = None, attributes: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(id=id)
        self._model_type = model_type
        self._attributes: dict[str, Any] = dict(attributes or {})

    @property
    def model_type(self) -> str:
        return self._model_type

    @property
    def attributes(self) -> Mapping[str, Any]:
        """A read-only view of the attributes; change them with `set`."""
        from types import MappingProxyType

        return MappingProxyType(self._attributes)

    def has_attr(self, attr: str) -> bool:
        # Any attribute name may exist on the peer's class; only values we hold are known.
        return True

    def has_attr_value(self, attr: str) -> bool:
        return attr in self._attributes

    def get(self, attr: str, default: Any = None) -> Any:
        return self._attributes.get(attr, default)

    def validate_value(self, attr: str, value: Any) -> Any:
        return value

    def _store(self, attr: str, value: Any) -> None:
        self._attributes[attr] = value

    def wire_attributes(self) -> dict[str, Any]:
        return dict(self._attributes)
