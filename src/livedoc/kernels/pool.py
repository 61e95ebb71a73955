"""A warm pool: kernels started and answering before anyone needs one.

Opening a session in a kernel then costs a hand-over, not a kernel boot (~0.5 s for
ipykernel). The pool refills in the background after each `take`, one kernel at a time, so
refills do not starve the kernels in use of CPU; an empty pool starts a kernel on demand.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING

from livedoc.kernels.manager import NoSuchKernelError

if TYPE_CHECKING:
    from livedoc.kernels.manager import Kernel, KernelManager

__all__ = ["KernelPool"]

log = logging.getLogger("livedoc.kernel")


class KernelPool:
    """`size` ready kernels of spec `name` (default: the manager's default spec)."""

    def __init__(
        self,
        manager: KernelManager,
        size: int,
        *,
        name: str | None = None,
        warmup: str | None = None,
    ) -> None:
        """`warmup` is code each kernel runs before it is handed out (imports, say)."""
        if size < 0:
            raise ValueError("a kernel pool's size must not be negative")
        self.manager = manager
        self.size = size
        self.name = name
        self.warmup = warmup
        self._ready: list[Kernel] = []
        self._filler: asyncio.Task[None] | None = None
        self._wanted = asyncio.Event()
        self._closed = False

    @property
    def ready(self) -> int:
        return len(self._ready)

    def start(self) -> None:
        """Begin filling (on the running loop)."""
        if self.size and self._filler is None:
            self._filler = asyncio.get_running_loop().create_task(
                self._fill(), name="livedoc kernel pool"
            )
            self._wanted.set()

    async def _fill(self) -> None:
        while not self._closed:
            await self._wanted.wait()
            self._wanted.clear()
            while len(self._ready) < self.size and not self._closed:
                try:
                    kernel = await self._start_one()
                except Exception:
                    log.exception("the kernel pool could not start a kernel; retrying in 5 s")
                    await asyncio.sleep(5)
                    continue
                self._ready.append(kernel)
                log.info("kernel pool: %d of %d ready", len(self._ready), self.size)

    async def _start_one(self) -> Kernel:
        kernel = await self.manager.start_kernel(self.name, pooled=True)
        try:
            await self.manager.wait_ready(kernel.id)
            if self.warmup:
                await self._warm(kernel)
        except BaseException:
            with contextlib.suppress(NoSuchKernelError, RuntimeError):
                await self.manager.shutdown_kernel(kernel.id, now=True)
            raise
        return kernel

    async def _warm(self, kernel: Kernel) -> None:
        content = {"code": self.warmup, "silent": True, "store_history": False}
        reply = await kernel.request(
            self.manager.context, "execute_request", content, self.manager.kernel_info_timeout
        )
        if reply.get("status") != "ok":
            log.warning(
                "kernel %s: the pool's warm-up failed: %s: %s",
                kernel.id,
                reply.get("ename"),
                reply.get("evalue"),
            )

    async def take(self) -> Kernel:
        """A kernel that answers, now shown by the API as any other; from the pool when one
        is ready (and alive), else started on the spot."""
        started = time.monotonic()
        while self._ready:
            kernel = self._ready.pop(0)
            self._wanted.set()
            if await kernel.manager.is_alive():
                kernel.pooled = False
                kernel.last_activity = time.time()
                log.debug("kernel %s taken from the pool", kernel.id)
                return kernel
            with contextlib.suppress(NoSuchKernelError, RuntimeError):
                await self.manager.shutdown_kernel(kernel.id, now=True)
        kernel = await self._start_one()
        kernel.pooled = False
        log.info("kernel pool empty: started %s in %.2f s", kernel.id, time.monotonic() - started)
        self._wanted.set()
        return kernel

    async def close(self) -> None:
        """Stop refilling and shut down the kernels nobody took."""
        self._closed = True
        self._wanted.set()
        if self._filler is not None:
            self._filler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._filler
            self._filler = None
        kernels, self._ready = self._ready, []
        for kernel in kernels:
            with contextlib.suppress(NoSuchKernelError, RuntimeError):
                await self.manager.shutdown_kernel(kernel.id)
