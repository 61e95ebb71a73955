"""The kernel side of a session in a kernel (`livedoc serve --isolation kernel`).

This module runs inside the session's kernel (an ipykernel process), started by the server
with one `execute_request`: `await livedoc.server.in_kernel.start({...})`. It builds the app's
document exactly as the server does inline (the same `Application`, hooks and `curdoc()`), runs
the document's callbacks on the kernel's event loop with a `ServerSession`, and talks to the
server over one Jupyter comm (target `livedoc.session`) that carries Bokeh protocol messages:

* every message travels as its Bokeh websocket frames, each frame a comm buffer (no JSON
  re-encoding of payloads), with `data = {"frames": [is_binary, ...]}`;
* kernel to server: first the whole document (PUSH-DOC, in the comm_open), then a PATCH-DOC
  for every change the app makes, encoded once by the session as for any connection;
* server to kernel: the PATCH-DOC (or PUSH-DOC) a browser or Python client sent, applied with
  this comm as the setter, so only the changes it causes go back;
* around each callback, `{"busy": description}` and `{"idle": true}`, so the server can
  interrupt a callback that runs longer than `--callback-timeout` (SIGINT is let through
  for the callback; a `KeyboardInterrupt` stops only that callback and is reported);
* `{"destroy": true}` from the server runs the session-destroyed hooks, answered
  `{"destroyed": true}`.

`session_document` and `session_context` are put in the kernel's user namespace, so a Jupyter
client attached to the kernel can look at (and change) the live session.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import inspect
import logging
import signal
import types
from typing import TYPE_CHECKING, Any

from livedoc.application import Application, bound_document, build_application
from livedoc.application.handlers import FunctionHandler
from livedoc.errors import LivedocError
from livedoc.protocol import Frame, MessageAssembler, encode_message, push_doc
from livedoc.protocol.tokens import TokenPayload
from livedoc.server.contexts import LiveServerContext, LiveSessionContext
from livedoc.server.session import ServerSession

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from livedoc.document import Document, SessionCallback
    from livedoc.protocol import Message

__all__ = ["COMM_TARGET", "KernelSide", "decode_frames", "encode_frames", "prepare", "start"]

log = logging.getLogger("livedoc.session")

#: The comm target of a session's channel between kernel and server.
COMM_TARGET = "livedoc.session"


def encode_frames(frames: Sequence[Frame]) -> tuple[dict[str, Any], list[bytes | memoryview]]:
    """A message's websocket frames as comm `data` and buffers."""
    flags = [frame.binary for frame in frames]
    payloads = [memoryview(frame.payload).cast("B") for frame in frames]
    return {"frames": flags}, list(payloads)


def decode_frames(data: Any, buffers: Sequence[bytes | memoryview]) -> list[str | bytes]:
    """The frames a comm message carries, as a websocket delivers them (text as str)."""
    flags = data.get("frames") if isinstance(data, dict) else None
    if not isinstance(flags, list) or len(flags) != len(buffers):
        raise ValueError("a livedoc comm message needs one buffer per frame")
    return [
        bytes(buffer) if binary else bytes(buffer).decode("utf-8")
        for binary, buffer in zip(flags, buffers, strict=True)
    ]


class _CommConnection:
    """The server, as the kernel-side session sees it: one more connection (and the setter
    of the changes it sends, so they are not echoed back)."""

    def __init__(self, comm: Any) -> None:
        self.comm = comm

    def send_frames(self, frames: Sequence[Frame]) -> None:
        data, buffers = encode_frames(frames)
        self.comm.send(data, buffers=buffers)


class KernelSide:
    """The session inside the kernel: its document, callbacks and the comm to the server."""

    def __init__(
        self,
        session: ServerSession,
        context: LiveSessionContext,
        application: Application,
        comm: Any,
    ) -> None:
        self.session = session
        self.context = context
        self.application = application
        self.comm = comm
        self.connection = _CommConnection(comm)
        self.assembler = MessageAssembler()
        session.attach(self.connection)  # type: ignore[arg-type]
        comm.on_msg(self._on_msg)

    # -- callbacks, watched ---------------------------------------------------------------

    @contextlib.contextmanager
    def busy(self, what: str) -> Any:
        """Tell the server a callback runs (so it can time it), and let SIGINT through."""
        self.comm.send({"busy": what})
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            yield
        except KeyboardInterrupt:
            log.warning("session %s: %s was interrupted", self.session.id, what)
            self.comm.send({"interrupted": what})
        finally:
            signal.signal(signal.SIGINT, previous)
            self.comm.send({"idle": True})

    # -- from the server ------------------------------------------------------------------

    def _on_msg(self, msg: dict[str, Any]) -> None:
        data = msg["content"]["data"]
        if isinstance(data, dict) and data.get("destroy"):
            asyncio.get_running_loop().create_task(self._destroy())
            return
        try:
            message = None
            for frame in decode_frames(data, msg.get("buffers") or []):
                message = self.assembler.receive(frame)
        except (ValueError, LivedocError) as exc:
            log.error("session %s: a malformed message from the server: %s", self.session.id, exc)
            return
        if message is None:
            return
        if self.session.lock.locked():  # an async callback holds the document: wait for it
            asyncio.get_running_loop().create_task(self._apply_locked(message))
        else:
            self._apply(message)

    async def _apply_locked(self, message: Message) -> None:
        async with self.session.lock:
            self._apply(message)

    def _apply(self, message: Message) -> None:
        document = self.session.document
        try:
            with self.busy(f"the change {message.msgid}"), self.session.bound():
                if message.msgtype == "PUSH-DOC":
                    document.replace_with_json(
                        message.content["doc"], message.buffers, setter=self.connection
                    )
                else:
                    document.apply_json_patch(
                        message.content, message.buffers, setter=self.connection
                    )
        except LivedocError as exc:  # the server's replica accepted it: this is a bug
            log.error("session %s: could not apply %s: %s", self.session.id, message.msgtype, exc)
        finally:
            self.session.flush()

    async def _destroy(self) -> None:
        callbacks = list(self.session.document.session_destroyed_callbacks)
        self.session.destroy()
        await self.application.on_session_destroyed(self.context)
        for callback in callbacks:
            try:
                result = callback(self.context)
                if asyncio.iscoroutine(result):
                    await result
            except Exception:
                log.exception(
                    "session %s: an on_session_destroyed callback failed", self.session.id
                )
        self.comm.send({"destroyed": True})


class _WatchedSession(ServerSession):
    """A ServerSession whose callbacks report to the server while they run."""

    side: KernelSide | None = None

    async def run_callback(self, callback: SessionCallback) -> None:
        # An async callback is not timed: SIGINT while it awaits would hit the event loop.
        if self.side is None or inspect.iscoroutinefunction(callback.callback):
            await super().run_callback(callback)
            return
        with self.side.busy(_describe(callback.callback)):
            await super().run_callback(callback)


def _describe(function: Callable[..., Any]) -> str:
    return f"the callback {getattr(function, '__qualname__', None) or function!r}"


class _KernelServerContext(LiveServerContext):
    """The 'server' of a session in a kernel is its kernel: callbacks added here run there."""

    def __init__(self, url: str) -> None:
        super().__init__(types.SimpleNamespace(url=url))  # type: ignore[arg-type]
        self.session_context: LiveSessionContext | None = None

    @property
    def sessions(self) -> list[Any]:
        return [self.session_context] if self.session_context is not None else []


def _application(spec: dict[str, Any]) -> Application:
    if "path" in spec:
        return build_application(spec["path"], spec.get("argv") or [])
    module_name, _, qualname = str(spec["function"]).partition(":")
    target: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        target = getattr(target, part)
    return Application(FunctionHandler(target))


def prepare() -> None:
    """Warm a pooled kernel before a session arrives: import what nearly every app uses and
    settle the model classes' one-time work (which defaults are models), so the first
    document a session builds costs what later ones do (measured: 49 ms cold, 4 ms warm)."""
    import numpy.random  # noqa: F401  # lazily imported by numpy, used by many apps

    import livedoc.plotting  # noqa: F401
    from livedoc.document import Model

    pending: list[type[Model]] = [Model]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        for prop in cls.__properties__.values():
            with contextlib.suppress(Exception):  # a factory that cannot run alone
                prop.default_is_model  # noqa: B018  # a cached property: computed once, here
    # What is loaded now lives as long as the kernel: keep the collector from walking it again
    # on every collection while the session builds its document (tens of ms each, measured).
    gc.collect()
    gc.freeze()


async def start(spec: dict[str, Any]) -> None:
    """Build the session's document and open the comm to the server (see the module doc).

    `spec`: `app` ({"path", "argv"} or {"function": "module:qualname"}), `url` (the app's
    route), `session_id`, `token` ({"session_id", "expiry", "extra"}) and `request` (what the
    opening request carried)."""
    from ipykernel.comm import Comm  # only inside a kernel

    application = _application(spec["app"])
    token = spec["token"]
    payload = TokenPayload(token["session_id"], int(token["expiry"]), token.get("extra") or {})
    server_context = _KernelServerContext(spec.get("url", "/"))
    context = LiveSessionContext(
        spec["session_id"], server_context, payload, spec.get("request") or None
    )
    server_context.session_context = context
    await application.on_session_created(context)
    document = application.create_document(context)
    document.accept_unknown_models = True
    failures = application.errors_for(document)
    error = "; ".join(failure.error for failure in failures) or None
    session = _WatchedSession(
        spec["session_id"], document, bind_document=lambda doc: bound_document(doc, context)
    )
    context.session = session
    doc_json, buffers = document.to_json()
    data, payloads = encode_frames(encode_message(push_doc(doc_json, buffers)))
    opener: Any = Comm  # untyped in ipykernel: through Any, a typed release changes nothing
    comm = opener(target_name=COMM_TARGET, data={**data, "error": error}, buffers=payloads)
    side = KernelSide(session, context, application, comm)
    session.side = side
    _publish(document, context)


def _publish(document: Document, context: LiveSessionContext) -> None:
    """Make the live session visible to code run in the kernel by a Jupyter client."""
    with contextlib.suppress(ImportError, AttributeError):
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None:
            shell.user_ns["session_document"] = document
            shell.user_ns["session_context"] = context
