"""The kernels this server runs, managed the Jupyter way on jupyter_client.

Each kernel is a child process in its own process group, started from a kernel spec by
jupyter_client's `AsyncIOLoopKernelManager`, which also owns the shutdown ladder (interrupt,
`shutdown_request`, wait half of `shutdown_wait_time`, SIGTERM, wait, SIGKILL to the group,
then connection file and ports released) and the restarter (a dead process is restarted up to
`restart_limit` times in a row; after that the kernel is dead and removed).

On top of that, this module keeps what a server needs and jupyter_client does not: the models
`/api/kernels` shows (`last_activity`, `execution_state`, `connections`), a watcher of each
kernel's iopub that derives them as jupyter_server does, listeners that hear `restarting` and
`dead` (so websockets can tell their clients), idle culling with Jupyter's option names, and
`wait_ready`, which proves a kernel answers before anyone is told it is ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import zmq
import zmq.asyncio
from jupyter_client.ioloop.manager import AsyncIOLoopKernelManager
from jupyter_core.paths import jupyter_runtime_dir
from traitlets.config import Config

from livedoc.kernels.specs import UnknownKernelSpec
from livedoc.kernels.zmqloop import LoopSocket
from livedoc.services.clock import iso_utc

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from livedoc.kernels.specs import KernelSpecs

__all__ = ["DELIMITER", "UNTRACKED_MESSAGE_TYPES", "Kernel", "KernelManager", "NoSuchKernelError"]

log = logging.getLogger("livedoc.kernel")

ExecutionState = Literal["starting", "idle", "busy", "restarting", "dead"]
KernelEvent = Literal["restarting", "restarted", "dead"]

#: Separates ZMQ routing identities from a Jupyter message's parts.
DELIMITER = b"<IDS|MSG>"

#: Messages that are not user activity (jupyter_server's defaults): a kernel that only answers
#: these is idle, for culling.
UNTRACKED_MESSAGE_TYPES = frozenset(
    {
        "comm_info_request",
        "comm_info_reply",
        "kernel_info_request",
        "kernel_info_reply",
        "shutdown_request",
        "shutdown_reply",
        "interrupt_request",
        "interrupt_reply",
        "debug_request",
        "debug_reply",
        "stream",
        "display_data",
        "update_display_data",
        "execute_input",
        "execute_result",
        "error",
        "status",
        "clear_output",
        "debug_event",
        "input_request",
        "input_reply",
    }
)


class NoSuchKernelError(LookupError):
    def __init__(self, kernel_id: str) -> None:
        super().__init__(f"Kernel does not exist: {kernel_id}")
        self.kernel_id = kernel_id


def split_message(frames: list[bytes]) -> list[bytes]:
    """The parts after the delimiter: signature, header, parent, metadata, content, buffers."""
    try:
        return frames[frames.index(DELIMITER) + 1 :]
    except ValueError:
        return []


def _tracked(msg_type: str | None) -> bool:
    return msg_type not in UNTRACKED_MESSAGE_TYPES


class Kernel:
    """One running kernel: its jupyter_client manager and what the API shows of it."""

    def __init__(self, kernel_id: str, name: str, manager: AsyncIOLoopKernelManager) -> None:
        self.id = kernel_id
        self.name = name
        self.manager = manager
        self.last_activity = time.time()
        self.execution_state: ExecutionState = "starting"
        self.connections = 0
        self.reason: str | None = None
        self.started = time.monotonic()
        #: Started ahead of need by a pool: not shown by the API, never culled, until taken.
        self.pooled = False
        self._listeners: list[Callable[[KernelEvent], None]] = []
        self._watcher: LoopSocket | None = None
        self._iopub_listeners: list[Callable[[list[bytes]], None]] = []
        self._last_parent: tuple[bytes, str | None] = (b"", None)
        #: Set once the kernel's iopub subscription receives: before that, what the kernel
        #: publishes is lost (ZMQ's slow joiner), so nobody is told the kernel is ready.
        self.iopub_live = asyncio.Event()
        #: The kernel_info reply once it has answered (cleared when it restarts).
        self.info_reply: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"<Kernel {self.id} {self.name} {self.execution_state}>"

    def model(self) -> dict[str, Any]:
        """The KernelModel of the Jupyter REST API."""
        model: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "last_activity": iso_utc(self.last_activity),
            "execution_state": self.execution_state,
            "connections": self.connections,
        }
        if self.reason:
            model["reason"] = self.reason
        return model

    @property
    def pid(self) -> int | None:
        provisioner = self.manager.provisioner
        process = getattr(provisioner, "process", None)
        pid = getattr(process, "pid", None)
        return pid if isinstance(pid, int) else None

    def never_restart(self) -> None:
        """When this kernel's process dies, do not start a new one: it is dead at once (for
        kernels whose state is the point, such as a session's)."""
        restarter = getattr(self.manager, "_restarter", None)
        if restarter is not None:
            restarter.restart_limit = 0  # read at each poll: the first death is past the limit

    # -- listeners --------------------------------------------------------------------------

    def listen(self, listener: Callable[[KernelEvent], None]) -> Callable[[], None]:
        """Call `listener` on `restarting`, `restarted` and `dead`; returns the way to stop."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def notify(self, event: KernelEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("kernel %s: a %s listener failed", self.id, event)

    # -- iopub: one subscription per kernel ------------------------------------------------

    def subscribe_iopub(self, listener: Callable[[list[bytes]], None]) -> Callable[[], None]:
        """Hand every iopub message (its parts after the delimiter) to `listener` too; returns
        the way to stop. One subscription serves the activity tracking and every client: it has
        been live since the kernel started, so a new client need not prove its own is."""
        self._iopub_listeners.append(listener)
        return lambda: (
            self._iopub_listeners.remove(listener) if listener in self._iopub_listeners else None
        )

    def watch_activity(self, context: zmq.asyncio.Context) -> None:
        """Follow the kernel's iopub to keep `last_activity` and `execution_state` current."""
        if self._watcher is None:
            info = self.manager.get_connection_info()
            watcher = LoopSocket(context, zmq.SUB, self._on_iopub)
            watcher.socket.setsockopt(zmq.SUBSCRIBE, b"")
            watcher.socket.connect(f"{info['transport']}://{info['ip']}:{info['iopub_port']}")
            self._watcher = watcher

    def _on_iopub(self, frames: list[bytes]) -> None:
        self.iopub_live.set()
        parts = split_message(frames)
        if len(parts) < 5:
            return
        self._record(parts)
        for listener in self._iopub_listeners:
            try:
                listener(parts)
            except Exception:
                log.exception("kernel %s: an iopub listener failed", self.id)

    def _record(self, parts: list[bytes]) -> None:
        try:
            header = json.loads(parts[1])
            if parts[2] != self._last_parent[0]:  # a request's messages share their parent
                parent = json.loads(parts[2])
                kind = parent.get("msg_type") if isinstance(parent, dict) else None
                self._last_parent = (parts[2], kind)
        except ValueError:
            return
        msg_type = header.get("msg_type") if isinstance(header, dict) else None
        parent_type = self._last_parent[1]
        if _tracked(msg_type) or _tracked(parent_type) or self.execution_state == "busy":
            self.last_activity = time.time()
        if msg_type != "status":
            return
        try:
            state = json.loads(parts[4]).get("execution_state")
        except (ValueError, AttributeError):
            return
        if state not in ("starting", "idle", "busy"):
            return
        if _tracked(parent_type):
            self.execution_state = state
        elif self.execution_state in ("starting", "restarting") and state != "starting":
            self.execution_state = "idle"

    def stop_watching(self) -> None:
        if self._watcher is not None:
            self._watcher.close()
            self._watcher = None

    # -- readiness --------------------------------------------------------------------------

    async def wait_ready(self, context: zmq.asyncio.Context, time_limit: float) -> dict[str, Any]:
        """Ask `kernel_info` on a socket of its own until the kernel answers *and* its iopub
        subscription has received something (each request makes the kernel publish a status);
        the reply's content. TimeoutError (no answer) or RuntimeError (it died)."""
        deadline = time.monotonic() + time_limit
        while True:
            reply = await self.request(
                context,
                "kernel_info_request",
                {},
                max(0.01, deadline - time.monotonic()),
                repeat=True,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.iopub_live.wait(), 0.25)
                return reply
            if time.monotonic() >= deadline:
                raise TimeoutError(f"kernel {self.id}: its iopub never came alive")

    async def request(
        self,
        context: zmq.asyncio.Context,
        msg_type: str,
        content: dict[str, Any],
        time_limit: float,
        *,
        repeat: bool = False,
    ) -> dict[str, Any]:
        """Send one shell request on a socket of its own and return its reply's content (its
        side effects on iopub go to whoever listens). `repeat` re-sends it every 0.5 s, for a
        kernel that may not be listening yet."""
        deadline = time.monotonic() + time_limit
        session = self.manager.session
        info = self.manager.get_connection_info()
        socket = context.socket(zmq.DEALER)
        socket.setsockopt(zmq.LINGER, 0)
        socket.connect(f"{info['transport']}://{info['ip']}:{info['shell_port']}")
        sent: set[str] = set()
        try:
            while time.monotonic() < deadline:
                if not await self.manager.is_alive():
                    raise RuntimeError(f"kernel {self.id} died")
                if repeat or not sent:
                    message = session.msg(msg_type, content=content)
                    session.send(socket, message)
                    sent.add(message["header"]["msg_id"])
                wait = min(0.5, max(0.01, deadline - time.monotonic()))
                while await socket.poll(wait * 1000):
                    parts = split_message(await socket.recv_multipart())
                    if len(parts) >= 5 and json.loads(parts[2]).get("msg_id") in sent:
                        reply: dict[str, Any] = json.loads(parts[4])
                        return reply
            raise TimeoutError(f"kernel {self.id} did not answer within {time_limit:g} s")
        finally:
            socket.close()


class KernelManager:
    """Every kernel of this server, by id."""

    def __init__(
        self,
        specs: KernelSpecs,
        *,
        root_dir: str | Path = ".",
        # Lifecycle
        shutdown_wait_time: float = 5.0,
        restart_limit: int = 5,
        time_to_dead: float = 3.0,
        kernel_info_timeout: float = 60.0,
        # Culling (jupyter_server's names and defaults)
        cull_idle_timeout: float = 0.0,
        cull_interval: float = 300.0,
        cull_connected: bool = False,
        cull_busy: bool = False,
    ) -> None:
        self.specs = specs
        self.root_dir = Path(root_dir).resolve()
        self.shutdown_wait_time = shutdown_wait_time
        self.kernel_info_timeout = kernel_info_timeout
        self.cull_idle_timeout = cull_idle_timeout
        self.cull_interval = cull_interval if cull_interval > 0 else 300.0
        self.cull_connected = cull_connected
        self.cull_busy = cull_busy
        self._config = Config(
            {
                "KernelRestarter": {
                    "time_to_dead": time_to_dead,
                    "restart_limit": restart_limit,
                    # Ports are kept across restarts, so every open socket reconnects by itself.
                    "random_ports_until_alive": False,
                }
            }
        )
        self._context: zmq.asyncio.Context | None = None
        self._kernels: dict[str, Kernel] = {}
        self._starting: dict[str, asyncio.Future[Kernel]] = {}
        self._culler: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def context(self) -> zmq.asyncio.Context:
        if self._context is None:
            self._context = zmq.asyncio.Context()
        return self._context

    def __len__(self) -> int:
        return len(self._kernels)

    def __contains__(self, kernel_id: object) -> bool:
        return kernel_id in self._kernels

    def get(self, kernel_id: str) -> Kernel:
        kernel = self._kernels.get(kernel_id)
        if kernel is None or kernel.pooled:
            raise NoSuchKernelError(kernel_id)
        return kernel

    def all(self) -> list[Kernel]:
        """The kernels clients may see (not the warm pool's)."""
        return [kernel for kernel in self._kernels.values() if not kernel.pooled]

    @property
    def connections(self) -> int:
        return sum(kernel.connections for kernel in self.all())

    @property
    def last_activity(self) -> float | None:
        return max((k.last_activity for k in self.all()), default=None)

    # -- start ------------------------------------------------------------------------------

    async def start_kernel(
        self,
        name: str | None = None,
        *,
        kernel_id: str | None = None,
        cwd: str | Path | None = None,
        env: Mapping[str, str] | None = None,
        pooled: bool = False,
    ) -> Kernel:
        """Launch a kernel (the process runs when this returns; it may not answer yet: see
        `wait_ready`). An id that is running already returns that kernel, as Jupyter does."""
        if self._closed:
            raise RuntimeError("the kernel manager is shut down")
        name = name or self.specs.default_name
        if name not in self.specs.names():
            raise UnknownKernelSpec(name)
        if kernel_id is not None:
            if kernel_id in self._kernels:
                return self._kernels[kernel_id]
            if kernel_id in self._starting:
                return await asyncio.shield(self._starting[kernel_id])
            uuid.UUID(kernel_id)  # ValueError for anything but a UUID
        kernel_id = kernel_id or str(uuid.uuid4())
        starting: asyncio.Future[Kernel] = asyncio.get_running_loop().create_future()
        self._starting[kernel_id] = starting
        try:
            kernel = await self._launch(name, kernel_id, cwd, env, pooled)
        except BaseException as exc:
            starting.set_exception(exc)
            starting.exception()  # retrieved: waiters re-raise it, nobody logs it twice
            raise
        else:
            starting.set_result(kernel)
            return kernel
        finally:
            del self._starting[kernel_id]

    async def _launch(
        self,
        name: str,
        kernel_id: str,
        cwd: str | Path | None,
        env: Mapping[str, str] | None,
        pooled: bool,
    ) -> Kernel:
        runtime = Path(jupyter_runtime_dir())
        runtime.mkdir(parents=True, exist_ok=True, mode=0o700)  # noqa: ASYNC240  # microseconds
        manager = AsyncIOLoopKernelManager(
            kernel_name=name,
            kernel_id=kernel_id,
            context=self.context,
            kernel_spec_manager=self.specs.manager,
            connection_file=str(runtime / f"kernel-{kernel_id}.json"),
            shutdown_wait_time=self.shutdown_wait_time,
            config=self._config,
        )
        kernel = Kernel(kernel_id, name, manager)
        kernel.pooled = pooled
        directory = Path(cwd) if cwd is not None else self.root_dir
        try:
            await manager.start_kernel(cwd=str(directory), env={**os.environ, **(env or {})})
        except BaseException:
            # Failed or cancelled (a pool closing) after the process may have started: never
            # leave it running unowned.
            with contextlib.suppress(Exception):
                await asyncio.shield(manager.shutdown_kernel(now=True))
            raise
        manager.add_restart_callback(lambda: self._restarting(kernel), "restart")
        manager.add_restart_callback(lambda: self._dead(kernel), "dead")
        self._kernels[kernel_id] = kernel
        kernel.watch_activity(self.context)
        log.info("kernel %s started (%s, pid %s, in %s)", kernel_id, name, kernel.pid, directory)
        self._start_culling()
        return kernel

    async def wait_ready(self, kernel_id: str, time_limit: float | None = None) -> dict[str, Any]:
        """The kernel's `kernel_info_reply` content, once it answers."""
        kernel = self._kernels.get(kernel_id)
        if kernel is None:
            raise NoSuchKernelError(kernel_id)
        if kernel.info_reply is not None and kernel.execution_state in ("idle", "busy"):
            return kernel.info_reply  # it answered, and has not restarted since
        reply = await kernel.wait_ready(self.context, time_limit or self.kernel_info_timeout)
        if kernel.execution_state in ("starting", "restarting"):
            kernel.execution_state = "idle"
        kernel.info_reply = reply
        return reply

    # -- restarts and death -----------------------------------------------------------------

    def _restarting(self, kernel: Kernel) -> None:
        log.warning("kernel %s died; restarting it", kernel.id)
        kernel.execution_state = "restarting"
        kernel.info_reply = None
        kernel.iopub_live.clear()
        kernel.notify("restarting")
        asyncio.get_running_loop().create_task(self._announce_restart(kernel))

    async def _announce_restart(self, kernel: Kernel) -> None:
        # The restarter restarts right after its callbacks; tell listeners once it answers.
        with contextlib.suppress(TimeoutError, RuntimeError, NoSuchKernelError):
            await asyncio.sleep(0.1)
            await self.wait_ready(kernel.id)
            kernel.notify("restarted")

    def _dead(self, kernel: Kernel) -> None:
        log.error("kernel %s is dead: it kept dying after restarts", kernel.id)
        kernel.execution_state = "dead"
        kernel.reason = "the kernel died and could not be restarted"
        kernel.notify("dead")
        if self._kernels.get(kernel.id) is kernel:
            del self._kernels[kernel.id]
            kernel.stop_watching()
            asyncio.get_running_loop().create_task(self._release(kernel))

    async def _release(self, kernel: Kernel) -> None:
        try:
            await kernel.manager.shutdown_kernel(now=True)
        except Exception:
            log.debug("kernel %s: releasing a dead kernel failed", kernel.id, exc_info=True)

    # -- control ----------------------------------------------------------------------------

    async def interrupt_kernel(self, kernel_id: str) -> None:
        """SIGINT to the process group, or an interrupt_request: as the spec's interrupt_mode."""
        kernel = self.get(kernel_id)
        log.info("interrupting kernel %s", kernel_id)
        await kernel.manager.interrupt_kernel()

    async def restart_kernel(self, kernel_id: str) -> Kernel:
        """Restart (same id and ports) and return once the new process answers."""
        kernel = self.get(kernel_id)
        log.info("restarting kernel %s", kernel_id)
        kernel.execution_state = "restarting"
        kernel.info_reply = None
        await kernel.manager.restart_kernel(now=False)
        kernel.iopub_live.clear()  # the old process published while it shut down
        await self.wait_ready(kernel_id)
        kernel.notify("restarted")
        return kernel

    async def shutdown_kernel(self, kernel_id: str, *, now: bool = False) -> None:
        """The whole shutdown ladder; the kernel is gone from the API at once."""
        kernel = self._kernels.pop(kernel_id, None)
        if kernel is None:
            raise NoSuchKernelError(kernel_id)
        kernel.stop_watching()
        started = time.monotonic()
        await kernel.manager.shutdown_kernel(now=now)
        kernel.execution_state = "dead"
        log.info("kernel %s shut down in %.2f s", kernel_id, time.monotonic() - started)

    async def shutdown_all(self) -> None:
        """Stop every kernel (the server is stopping); nothing is left running."""
        self._closed = True
        if self._culler is not None:
            self._culler.cancel()
            self._culler = None
        await asyncio.gather(
            *(self.shutdown_kernel(kid) for kid in list(self._kernels)), return_exceptions=True
        )
        if self._context is not None:
            self._context.destroy(linger=0)
            self._context = None

    # -- culling ----------------------------------------------------------------------------

    def _start_culling(self) -> None:
        if self.cull_idle_timeout > 0 and self._culler is None:
            self._culler = asyncio.get_running_loop().create_task(
                self._cull_forever(), name="livedoc kernel culler"
            )

    async def _cull_forever(self) -> None:
        while True:
            await asyncio.sleep(self.cull_interval)
            await self.cull()

    async def cull(self) -> list[str]:
        """Shut down kernels idle longer than `cull_idle_timeout` (and dead ones); their ids."""
        now = time.time()
        culled = []
        for kernel in self.all():
            idle = now - kernel.last_activity
            if kernel.execution_state == "dead" or (
                idle > self._timeout_for(kernel)
                and (self.cull_busy or kernel.execution_state != "busy")
                and (self.cull_connected or kernel.connections == 0)
            ):
                log.warning(
                    "culling kernel %s (%s, idle %.0f s, %d connections)",
                    kernel.id,
                    kernel.execution_state,
                    idle,
                    kernel.connections,
                )
                culled.append(kernel.id)
                with contextlib.suppress(NoSuchKernelError):
                    await self.shutdown_kernel(kernel.id)
        return culled

    def _timeout_for(self, kernel: Kernel) -> float:
        """A kernel spec's `metadata.cull_idle_timeout` overrides the server's."""
        metadata = getattr(kernel.manager.kernel_spec, "metadata", None)
        override = metadata.get("cull_idle_timeout") if isinstance(metadata, dict) else None
        return float(override) if isinstance(override, int | float) else self.cull_idle_timeout
