"""Kernel specs for tests, written into a directory that JUPYTER_PATH points at."""

from __future__ import annotations

import json
import sys
from pathlib import Path

__all__ = ["install_test_kernel_specs"]

HERE = Path(__file__).resolve().parent


def install_test_kernel_specs(data_dir: Path) -> Path:
    """`stubborn`, `fragile` and `python3-message` (interrupts by message) under
    `<data_dir>/kernels`; returns `data_dir`, for JUPYTER_PATH."""
    specs = {
        "stubborn": {
            "argv": [sys.executable, str(HERE / "stubborn.py"), "-f", "{connection_file}"],
            "display_name": "Stubborn (ignores shutdown)",
        },
        "fragile": {
            "argv": [sys.executable, str(HERE / "fragile.py"), "-f", "{connection_file}"],
            "display_name": "Fragile (restarts can fail)",
        },
        "python3-message": {
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (message interrupts)",
            "interrupt_mode": "message",
        },
    }
    for name, spec in specs.items():
        folder = data_dir / "kernels" / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "kernel.json").write_text(json.dumps({"language": "python", **spec}))
    return data_dir
