"""Sessions in kernels (`--isolation kernel`): the server side of each session's own process.

A session's app code runs in a kernel from the warm pool (see `livedoc.server.in_kernel` for
the kernel side). The server keeps a schema-agnostic replica of the session's document: it
answers PULL-DOC from it, checks every browser change against it before relaying it to the
kernel, and applies the kernel's changes to it before sending them, encoded once, to every
connection. A callback blocking in one kernel stalls only that session.

When the kernel dies (a crash, an OOM kill) the page is told so (its document is replaced by a
message) and the kernel is not restarted: the app's state died with it, and a reload opens a
new session. A callback that runs longer than `--callback-timeout` is interrupted (SIGINT, or
the kernel spec's interrupt message) and reported in the server log.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import time
from typing import TYPE_CHECKING, Any

from livedoc.document import Document
from livedoc.document.ids import make_id
from livedoc.errors import DocumentError, LivedocError
from livedoc.kernels.channels import KernelChannels
from livedoc.kernels.manager import NoSuchKernelError, split_message
from livedoc.kernels.wire import RawMessage, WireError, load_part
from livedoc.protocol import Limits, MessageAssembler, encode_message
from livedoc.server.in_kernel import COMM_TARGET, decode_frames, encode_frames
from livedoc.server.session import ServerSession

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from livedoc.application import Application
    from livedoc.kernels.manager import Kernel, KernelEvent
    from livedoc.protocol import Message
    from livedoc.protocol.tokens import TokenPayload
    from livedoc.server.jupyter.services import JupyterServices

__all__ = ["KernelBridge", "KernelSessions", "SessionKernelError", "app_spec"]

log = logging.getLogger("livedoc.session")

#: What a kernel may send the server in one message (documents with big arrays included).
KERNEL_LIMITS = Limits(max_message_size=2**31, max_buffers=100_000)
#: Seconds a session's kernel has to run the destroy hooks before it is shut down.
DESTROY_WAIT = 5.0

CRASHED = (
    "<div style='font: 15px sans-serif; padding: 1em; border: 1px solid #c33; color: #822'>"
    "<b>This session stopped.</b> Its Python process ended ({reason}), and what it held is "
    "gone. Reload the page to start a new session.</div>"
)


class SessionKernelError(LivedocError):
    """A session's kernel could not start the app."""


def app_spec(application: Application) -> dict[str, Any]:
    """How a kernel rebuilds `application`: its file or directory, or an importable function.
    Raises SessionKernelError for an app that only exists in the server (a local function)."""
    source = getattr(application, "source", None)
    if source is not None:
        return dict(source)
    from livedoc.application.handlers import FunctionHandler

    [handler] = application.handlers or [None]
    function = getattr(handler, "_func", None) if isinstance(handler, FunctionHandler) else None
    module = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", "")
    if function is None or module in (None, "__main__") or "<locals>" in qualname:
        raise SessionKernelError(
            "--isolation kernel runs each session in its own process, which must be able to "
            "load the app: serve a script, notebook or directory, or a module-level function"
        )
    return {"function": f"{module}:{qualname}"}


class KernelBridge:
    """One session's link to its kernel: the comm, the relay both ways, the watchdog."""

    def __init__(self, services: JupyterServices, kernel: Kernel, callback_timeout: float) -> None:
        self.services = services
        self.kernel = kernel
        self.callback_timeout = callback_timeout
        self.session: ServerSession | None = None
        self.comm_id: str | None = None
        self.stopped: str | None = None  # why the kernel is gone, once it is
        self._channels: KernelChannels | None = None
        self._opened: asyncio.Future[tuple[Message, str | None]] | None = None
        self._destroyed = asyncio.Event()
        self._assembler = MessageAssembler(KERNEL_LIMITS)
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._consumer: asyncio.Task[None] | None = None
        self._start_msg_id: str | None = None
        self._overdue: asyncio.TimerHandle | None = None
        self._busy: tuple[str, float] | None = None
        self._unlisten: Callable[[], None] | None = None
        self.connected_at = 0.0

    # -- opening ------------------------------------------------------------------------

    async def open(self, spec: Mapping[str, Any], time_limit: float) -> tuple[Message, str | None]:
        """Start the app in the kernel; its document (as PUSH-DOC) and the app's error."""
        loop = asyncio.get_running_loop()
        self._opened = loop.create_future()
        channels = KernelChannels(
            self.services.kernels, self.kernel, f"livedoc-{spec['session_id']}", self._deliver
        )
        channels.open()
        self.connected_at = time.perf_counter()
        self._channels = channels
        self._unlisten = self.kernel.listen(self._on_kernel_event)
        code = (
            "import livedoc.server.in_kernel as _livedoc_session\n"
            f"await _livedoc_session.start({json.dumps(spec)})\n"
        )
        request = self._send(
            "execute_request",
            {
                "code": code,
                "silent": True,
                "store_history": False,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": True,
            },
        )
        self._start_msg_id = request
        try:
            return await asyncio.wait_for(asyncio.shield(self._opened), time_limit)
        except TimeoutError:
            raise SessionKernelError(
                f"the app did not build its document within {time_limit:g} s in kernel "
                f"{self.kernel.id}"
            ) from None

    def attach(self, session: ServerSession) -> None:
        """Relay for `session` from now on (its replica was built from `open`'s document)."""
        self.session = session
        session.persist = self._relay
        self._consumer = asyncio.get_running_loop().create_task(
            self._apply_from_kernel(), name=f"livedoc session {session.id} kernel relay"
        )

    # -- to the kernel --------------------------------------------------------------------

    def _send(self, msg_type: str, content: dict[str, Any], buffers: tuple[Any, ...] = ()) -> str:
        assert self._channels is not None
        session = self.kernel.manager.session
        message = session.msg(msg_type, content=content)
        parts = split_message(session.serialize(message))
        self._channels.send(RawMessage("shell", parts[1], parts[2], parts[3], parts[4], buffers))
        msg_id: str = message["header"]["msg_id"]
        return msg_id

    def _send_to_comm(self, data: dict[str, Any], buffers: tuple[Any, ...] = ()) -> None:
        self._send("comm_msg", {"comm_id": self.comm_id, "data": data}, buffers)

    async def _relay(self, message: Message, apply: Callable[[], None]) -> None:
        """A client's change: checked against the replica (applied to it), then to the kernel."""
        if self.stopped is not None:
            raise DocumentError(f"this session stopped ({self.stopped}): reload the page")
        apply()
        data, buffers = encode_frames(encode_message(message))
        self._send_to_comm(data, tuple(buffers))

    # -- from the kernel ------------------------------------------------------------------

    def _deliver(self, raw: RawMessage) -> None:
        try:
            header = load_part(raw.header, "header")
            msg_type = header.get("msg_type")
            if raw.channel == "shell" and msg_type == "execute_reply":
                self._started(load_part(raw.parent_header), load_part(raw.content))
            elif raw.channel == "iopub":
                self._iopub(msg_type, raw)
        except (WireError, ValueError, KeyError) as exc:
            log.warning("kernel %s: an unreadable message: %s", self.kernel.id, exc)

    def _started(self, parent: dict[str, Any], content: dict[str, Any]) -> None:
        if parent.get("msg_id") != self._start_msg_id or content.get("status") == "ok":
            return
        if self._opened is not None and not self._opened.done():
            trace = "\n".join(content.get("traceback") or [])
            log.error("kernel %s could not start the app:\n%s", self.kernel.id, _plain(trace))
            self._opened.set_exception(
                SessionKernelError(
                    f"the app failed in its kernel: {content.get('ename')}: {content.get('evalue')}"
                )
            )

    def _iopub(self, msg_type: Any, raw: RawMessage) -> None:
        if msg_type == "stream":
            content = load_part(raw.content)
            text = str(content.get("text", "")).rstrip("\n")
            if text:
                level = logging.WARNING if content.get("name") == "stderr" else logging.INFO
                log.log(level, "session kernel %s: %s", self.kernel.id, text)
            return
        if msg_type not in ("comm_open", "comm_msg", "comm_close"):
            return
        content = load_part(raw.content)
        if msg_type == "comm_open":
            if content.get("target_name") == COMM_TARGET and self.comm_id is None:
                self.comm_id = content.get("comm_id")
                self._opening(content.get("data") or {}, raw.buffers)
            return
        if content.get("comm_id") != self.comm_id:
            return
        if msg_type == "comm_close":
            self._destroyed.set()
            return
        self._comm_message(content.get("data") or {}, raw.buffers)

    def _frames_message(self, data: Any, buffers: tuple[Any, ...]) -> Message | None:
        message = None
        for frame in decode_frames(data, buffers):
            message = self._assembler.receive(frame)
        return message

    def _opening(self, data: dict[str, Any], buffers: tuple[Any, ...]) -> None:
        assert self._opened is not None
        try:
            message = self._frames_message(data, buffers)
            if message is None or message.msgtype != "PUSH-DOC":
                raise SessionKernelError("the kernel did not send its document")
        except (ValueError, LivedocError) as exc:
            if not self._opened.done():
                self._opened.set_exception(SessionKernelError(f"the kernel's document: {exc}"))
            return
        error = data.get("error")
        if not self._opened.done():
            self._opened.set_result((message, error if isinstance(error, str) else None))

    def _comm_message(self, data: dict[str, Any], buffers: tuple[Any, ...]) -> None:
        if "frames" in data:
            try:
                message = self._frames_message(data, buffers)
            except (ValueError, LivedocError) as exc:
                log.error("session kernel %s sent a broken message: %s", self.kernel.id, exc)
                return
            if message is not None:
                self._inbox.put_nowait(message)
        elif "busy" in data:
            self._watch(str(data["busy"]))
        elif "idle" in data:
            self._unwatch()
        elif "interrupted" in data:
            log.warning(
                "session %s: %s ran longer than %g s and was interrupted",
                self.session.id if self.session else "?",
                data["interrupted"],
                self.callback_timeout,
            )
        elif "destroyed" in data:
            self._destroyed.set()

    async def _apply_from_kernel(self) -> None:
        """The kernel's changes, in order, to the replica and from there to every client."""
        session = self.session
        assert session is not None
        while True:
            message = await self._inbox.get()
            async with session.lock:
                try:
                    if message.msgtype == "PUSH-DOC":
                        session.document.replace_with_json(
                            message.content["doc"], message.buffers, setter=self
                        )
                    else:
                        session.document.apply_json_patch(
                            message.content, message.buffers, setter=self
                        )
                except LivedocError as exc:
                    log.error("session %s: the kernel's change was refused: %s", session.id, exc)
                finally:
                    session.flush()

    # -- the watchdog ---------------------------------------------------------------------

    def _watch(self, what: str) -> None:
        self._busy = (what, time.monotonic())
        if self.callback_timeout > 0 and self._overdue is None:
            self._overdue = asyncio.get_running_loop().call_later(
                self.callback_timeout, self._interrupt
            )

    def _unwatch(self) -> None:
        self._busy = None
        if self._overdue is not None:
            self._overdue.cancel()
            self._overdue = None

    def _interrupt(self) -> None:
        self._overdue = None
        if self._busy is None or self.stopped is not None:
            return
        what, since = self._busy
        log.warning(
            "session %s: %s has run for %.1f s (--callback-timeout %g): interrupting it",
            self.session.id if self.session else "?",
            what,
            time.monotonic() - since,
            self.callback_timeout,
        )
        asyncio.get_running_loop().create_task(self._interrupt_kernel())

    async def _interrupt_kernel(self) -> None:
        with contextlib.suppress(NoSuchKernelError):
            await self.services.kernels.interrupt_kernel(self.kernel.id)

    # -- the end --------------------------------------------------------------------------

    def _on_kernel_event(self, event: KernelEvent) -> None:
        if event == "dead" and self.stopped is None:
            self.stopped = "it crashed or was killed"
            log.error(
                "session %s: its kernel %s died; the page is told to reload",
                self.session.id if self.session else "?",
                self.kernel.id,
            )
            asyncio.get_running_loop().create_task(self._crashed())

    async def _crashed(self) -> None:
        self._unwatch()
        session = self.session
        if session is not None and not session.destroyed:
            async with session.lock:
                try:
                    _show_message(session.document, CRASHED.format(reason=self.stopped))
                finally:
                    session.flush()
        if self._opened is not None and not self._opened.done():
            self._opened.set_exception(SessionKernelError("the kernel died while starting the app"))
        await self.shut_down(now=True)

    async def close(self) -> None:
        """The session ends: run its destroy hooks in the kernel, then shut the kernel down."""
        if self.stopped is None and self.comm_id is not None:
            self._send_to_comm({"destroy": True})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._destroyed.wait(), DESTROY_WAIT)
        self.stopped = self.stopped or "the session ended"
        await self.shut_down(now=False)

    async def shut_down(self, *, now: bool) -> None:
        self._unwatch()
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        if self._consumer is not None:
            self._consumer.cancel()
            self._consumer = None
        if self._channels is not None:
            channels, self._channels = self._channels, None
            channels.close()
        with contextlib.suppress(NoSuchKernelError):
            await self.services.kernels.shutdown_kernel(self.kernel.id, now=now)


#: How much lower a session's kernel runs than the server (the `nice` increment): a session
#: that spins the CPU then yields to the server, which relays for every other session.
SESSION_NICENESS = 5


def _lower_priority(kernel: Kernel) -> None:
    if kernel.pid is None:
        return
    try:
        current = os.getpriority(os.PRIO_PROCESS, kernel.pid)
        os.setpriority(os.PRIO_PROCESS, kernel.pid, min(19, current + SESSION_NICENESS))
    except OSError as exc:  # not permitted here: the session still works, at equal priority
        log.debug("kernel %s: could not lower its priority: %s", kernel.id, exc)


def _show_message(document: Document, text: str) -> None:
    """Replace the document's roots with one Div saying `text` (a schema-agnostic patch)."""
    events: list[dict[str, Any]] = [
        {"kind": "RootRemoved", "model": {"id": root.id}} for root in document.roots
    ]
    div = {"type": "object", "name": "Div", "id": make_id(), "attributes": {"text": text}}
    events.append({"kind": "RootAdded", "model": div})
    document.apply_json_patch({"events": events}, {})


def _plain(traceback: str) -> str:
    """A kernel's traceback without its terminal colours."""
    return re.sub(r"\x1b\[[0-9;]*m", "", traceback)


class KernelSessions:
    """Opens sessions in kernels for one app."""

    def __init__(
        self,
        services: JupyterServices,
        application: Application,
        url: str,
        *,
        callback_timeout: float,
    ) -> None:
        self.services = services
        self.spec = app_spec(application)
        self.url = url
        self.callback_timeout = callback_timeout

    async def open(
        self,
        token: TokenPayload,
        opening_request: Mapping[str, Any] | None,
        time_limit: float,
    ) -> tuple[ServerSession, KernelBridge, str | None]:
        """A new session whose document lives in a kernel of its own; also the app's error."""
        started = time.perf_counter()
        kernel = await self.services.pool.take()
        kernel.never_restart()  # a new process would not hold the session: it is over
        _lower_priority(kernel)
        bridge = KernelBridge(self.services, kernel, self.callback_timeout)
        spec = {
            "app": self.spec,
            "url": self.url,
            "session_id": token.session_id,
            "token": {
                "session_id": token.session_id,
                "expiry": token.expiry,
                "extra": dict(token.extra),
            },
            "request": dict(opening_request or {}),
        }
        taken = time.perf_counter()
        try:
            message, error = await bridge.open(spec, time_limit)
            built = time.perf_counter()
            document = Document.from_json(message.content["doc"], message.buffers, generic=True)
        except BaseException:
            await bridge.shut_down(now=True)
            raise
        document.accept_unknown_models = True
        session = ServerSession(token.session_id, document)
        bridge.attach(session)
        done = time.perf_counter()
        log.info(
            "session %s runs in kernel %s (pid %s), opened in %.1f ms (kernel %.1f, channels %.1f,"
            " app %.1f, replica %.1f)",
            token.session_id,
            kernel.id,
            kernel.pid,
            (done - started) * 1000,
            (taken - started) * 1000,
            (bridge.connected_at - taken) * 1000,
            (built - bridge.connected_at) * 1000,
            (done - built) * 1000,
        )
        return session, bridge, error
