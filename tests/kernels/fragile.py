"""An ipykernel that refuses to start while the file named by $FRAGILE_KERNEL_BROKEN exists,
so its restarts fail: the way to drive a kernel past its restart limit.

Run as a kernel spec's argv: `python tests/kernels/fragile.py -f {connection_file}`.
"""

import os
import sys

if __name__ == "__main__":
    marker = os.environ.get("FRAGILE_KERNEL_BROKEN", "")
    if marker and os.path.exists(marker):
        sys.exit(3)
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance()
