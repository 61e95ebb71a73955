"""A test app for sessions in kernels.

- slider `work`: its callback spins the CPU for `value` seconds, then sets `status` to "done N";
- slider `echo`: its callback sets `status` to "echo N" at once;
- `pid` (a Div) shows the process the session runs in;
- on session destruction, a line is appended to the file named by $ISOLATION_DESTROYED.
"""

import os
import time

from livedoc import curdoc
from livedoc.models import Column, Div, Slider

doc = curdoc()
status = Div(text="ready", name="status")
pid = Div(text=str(os.getpid()), name="pid")
work = Slider(start=0, end=30, value=0, step=0.5, title="work", name="work")
echo = Slider(start=0, end=100, value=0, step=1, title="echo", name="echo")


def spin(attr, old, new):
    deadline = time.monotonic() + new
    while time.monotonic() < deadline:
        pass
    status.text = f"done {new}"


def answer(attr, old, new):
    status.text = f"echo {new}"


work.on_change("value", spin)
echo.on_change("value", answer)
doc.add_root(Column(children=[status, pid, work, echo], name="layout"))


def destroyed(session_context):
    marker = os.environ.get("ISOLATION_DESTROYED")
    if marker:
        with open(marker, "a") as handle:
            handle.write(f"{session_context.id}\n")


doc.on_session_destroyed(destroyed)
