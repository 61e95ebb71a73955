"""The document's own models: `DocumentConfig` and the `Notifications` it points to.

Every document sent to a peer carries a config; Python Bokeh's `Document.from_json` (and so
`bokeh.client`) fails without one.
"""

from __future__ import annotations

from livedoc.document.kinds import Bool, Instance, Nullable
from livedoc.document.model import Model, Property

__all__ = ["DocumentConfig", "Notifications"]


class Notifications(Model):
    """Where BokehJS shows connection notifications."""


class DocumentConfig(Model):
    reconnect_session: Property[bool] = Property(
        Bool(), True, help="Reconnect when the connection drops."
    )
    notify_connection_status: Property[bool] = Property(
        Bool(), True, help="Show connection lost/restored notices."
    )
    notifications: Property[Notifications | None] = Property(
        Nullable(Instance(Notifications)), factory=Notifications
    )
