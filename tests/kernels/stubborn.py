"""An ipykernel that ignores shutdown_request and SIGTERM: only SIGKILL stops it.

Run as a kernel spec's argv: `python tests/kernels/stubborn.py -f {connection_file}`.
"""

import signal

from ipykernel.ipkernel import IPythonKernel
from ipykernel.kernelapp import IPKernelApp


class StubbornKernel(IPythonKernel):
    async def shutdown_request(self, stream, ident, parent):  # type: ignore[no-untyped-def]
        """Pretend not to have heard."""


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    IPKernelApp.launch_instance(kernel_class=StubbornKernel)
