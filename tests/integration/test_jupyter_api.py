"""The Jupyter-compatible API of a real livedoc server, driven over HTTP and the kernel
websocket with real ipykernel kernels: authentication as Jupyter does it, kernel specs,
kernels (start, get, list, delete), execution over both websocket framings, interrupt and
restart, sessions and contents."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from tests.jupyter_peer import Channels, JupyterPeer
from tests.live_server import LiveServer

if TYPE_CHECKING:
    from pathlib import Path

    from livedoc.document import Document

Start = Callable[..., LiveServer]
TOKEN = "a-test-token"
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def no_app(doc: Document) -> None:
    """The server's one app; these tests use its Jupyter API."""


@pytest.fixture
def jupyter(live_server: Start, tmp_path: Path) -> JupyterPeer:
    server = live_server({"/": no_app}, token=TOKEN, root_dir=str(tmp_path))
    return JupyterPeer(server.url(), TOKEN)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_authentication_is_jupyters(jupyter: JupyterPeer) -> None:
    anonymous = JupyterPeer(jupyter.base, None)
    assert anonymous.call("GET", "/api")[0] == 200  # clients probe it without a token
    status, body, _ = anonymous.call("GET", "/api/kernels")
    assert status == 403
    assert body == {"message": "the Jupyter API needs the server's token", "reason": None}
    assert anonymous.call("GET", f"/api/kernels?token={TOKEN}")[0] == 200
    for scheme in ("token", "Bearer"):
        headers = {"Authorization": f"{scheme} {TOKEN}"}
        assert anonymous.call("GET", "/api/kernels", headers=headers)[0] == 200
    assert anonymous.call("GET", "/api/kernels", headers={"Authorization": "token nope"})[0] == 403
    # A browser that came with ?token= keeps a cookie; writes with only the cookie need XSRF.
    _, _, headers = anonymous.call("GET", f"/api/status?token={TOKEN}")
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    assert anonymous.call("GET", "/api/kernels", headers={"Cookie": cookie})[0] == 200
    status, body, _ = anonymous.call("POST", "/api/kernels", headers={"Cookie": cookie})
    assert status == 403
    assert "_xsrf" in body["message"]
    evil = {"Cookie": cookie, "Origin": "http://evil.example"}
    assert anonymous.call("GET", "/api/kernels", headers=evil)[0] == 404


def test_kernel_specs(jupyter: JupyterPeer) -> None:
    status, specs, _ = jupyter.call("GET", "/api/kernelspecs")
    assert status == 200
    assert specs["default"] == "python3"
    python = specs["kernelspecs"]["python3"]
    assert python["spec"]["language"] == "python"
    assert python["spec"]["argv"][-2:] == ["-f", "{connection_file}"]
    assert jupyter.call("GET", "/api/kernelspecs/python3")[1] == python
    assert jupyter.call("GET", "/api/kernelspecs/cobol")[:2] == (
        404,
        {"message": "Kernel spec cobol not found", "reason": None},
    )
    logo = python["resources"]["logo-64x64"]
    status, _, headers = jupyter.call("GET", logo)
    assert (status, headers["Content-Type"]) == (200, "image/png")


def test_kernel_lifecycle_over_rest_and_both_websocket_framings(jupyter: JupyterPeer) -> None:
    model = jupyter.start_kernel()
    kernel_id = model["id"]
    assert model["name"] == "python3"
    assert model["execution_state"] == "starting"
    assert ISO.match(model["last_activity"])
    dt.datetime.strptime(model["last_activity"], "%Y-%m-%dT%H:%M:%S.%fZ")  # as GatewayClient
    status, listed, _ = jupyter.call("GET", "/api/kernels")
    assert [k["id"] for k in listed] == [kernel_id]

    async def execute(v1: bool) -> tuple[bool, str, dict[str, Any], int]:
        channels = await Channels.open(jupyter, kernel_id, v1=v1)
        reply = await channels.execute("x = 40 + 2\nprint('hello')\nx")
        connections = jupyter.call("GET", f"/api/kernels/{kernel_id}")[1]["connections"]
        channels.close()
        [result] = reply.of_type("execute_result")
        return channels.v1, reply.stdout, result["content"]["data"], connections

    assert run(execute(True)) == (True, "hello\n", {"text/plain": "42"}, 1)
    assert run(execute(False)) == (False, "hello\n", {"text/plain": "42"}, 1)
    kernel = jupyter.call("GET", f"/api/kernels/{kernel_id}")[1]
    assert kernel["execution_state"] == "idle"
    status, _, _headers = jupyter.call("DELETE", f"/api/kernels/{kernel_id}")
    assert status == 204
    assert jupyter.call("DELETE", f"/api/kernels/{kernel_id}")[:2] == (
        404,
        {"message": f"Kernel does not exist: {kernel_id}", "reason": None},
    )
    assert jupyter.call("GET", "/api/kernels")[1] == []


def test_a_client_chosen_id_and_a_bad_body(jupyter: JupyterPeer) -> None:
    chosen = "0b7e3f4c-1d2e-4f5a-8b9c-0123456789ab"
    model = jupyter.start_kernel(kernel_id=chosen)
    status, _, headers = jupyter.call("POST", "/api/kernels", {"kernel_id": chosen})
    assert model["id"] == chosen
    assert status == 201  # the running kernel, as jupyter_server answers
    assert headers["Location"] == f"/api/kernels/{chosen}"
    assert jupyter.call("POST", "/api/kernels", raw=b"{not json")[0] == 400
    assert jupyter.call("POST", "/api/kernels", {"name": "cobol"})[0] == 404
    assert jupyter.call("GET", "/api/kernels/not-a-kernel-id")[0] == 404
    jupyter.call("DELETE", f"/api/kernels/{chosen}")


def test_interrupt_stops_a_busy_kernel_and_restart_clears_it(jupyter: JupyterPeer) -> None:
    kernel_id = jupyter.start_kernel()["id"]

    async def scenario() -> tuple[str, str, str]:
        channels = await Channels.open(jupyter, kernel_id)
        await channels.execute("state = 'set'")
        busy = asyncio.ensure_future(channels.execute("import time\ntime.sleep(60)", timeout=20))
        await jupyter.until_state(kernel_id, "busy")
        assert jupyter.call("POST", f"/api/kernels/{kernel_id}/interrupt", {})[0] == 204
        interrupted = await busy
        [error] = interrupted.of_type("error")
        status, model, _ = jupyter.call("POST", f"/api/kernels/{kernel_id}/restart", {})
        assert (status, model["id"]) == (200, kernel_id)
        channels.close()
        channels = await Channels.open(jupyter, kernel_id)
        after = await channels.execute("print(state)")
        channels.close()
        [name_error] = after.of_type("error")
        return error["content"]["ename"], name_error["content"]["ename"], model["execution_state"]

    assert run(scenario()) == ("KeyboardInterrupt", "NameError", "idle")
    jupyter.call("DELETE", f"/api/kernels/{kernel_id}")


def test_sessions(jupyter: JupyterPeer, tmp_path: Path) -> None:
    (tmp_path / "work").mkdir()
    body = {
        "path": "work/nb.ipynb",
        "type": "notebook",
        "name": "nb.ipynb",
        "kernel": {"name": "python3"},
    }
    status, session, headers = jupyter.call("POST", "/api/sessions", body)
    assert status == 201
    assert headers["Location"] == f"/api/sessions/{session['id']}"
    assert session["notebook"] == {"path": "work/nb.ipynb", "name": "nb.ipynb"}
    kernel_id = session["kernel"]["id"]
    assert jupyter.call("POST", "/api/sessions", body)[1]["id"] == session["id"]  # same path
    assert jupyter.call("POST", "/api/sessions", {"type": "notebook"})[0] == 400
    assert (
        jupyter.call(
            "POST", "/api/sessions", {"path": "x", "type": "notebook", "kernel": {"name": "cobol"}}
        )[0]
        == 501
    )

    async def cwd() -> str:
        channels = await Channels.open(jupyter, kernel_id)
        reply = await channels.execute(
            "import os; print(os.getcwd(), os.environ['JPY_SESSION_NAME'])"
        )
        channels.close()
        return reply.stdout.strip()

    here = str((tmp_path / "work").resolve())
    assert run(cwd()) == f"{here} {here}/nb.ipynb"  # the notebook's directory, as Jupyter
    status, renamed, _ = jupyter.call(
        "PATCH", f"/api/sessions/{session['id']}", {"path": "work/b.ipynb", "name": "b.ipynb"}
    )
    assert (status, renamed["path"], renamed["kernel"]["id"]) == (200, "work/b.ipynb", kernel_id)
    assert [s["id"] for s in jupyter.call("GET", "/api/sessions")[1]] == [session["id"]]
    jupyter.call("DELETE", f"/api/kernels/{kernel_id}")  # its kernel goes: the session goes too
    assert jupyter.call("GET", f"/api/sessions/{session['id']}")[0] == 404
    second = jupyter.call("POST", "/api/sessions", {"path": "c.py", "type": "console"})[1]
    assert jupyter.call("DELETE", f"/api/sessions/{second['id']}")[0] == 204
    assert jupyter.call("GET", f"/api/kernels/{second['kernel']['id']}")[0] == 404  # shut down


def test_contents_with_checkpoints(jupyter: JupyterPeer, tmp_path: Path) -> None:
    status, created, headers = jupyter.call("POST", "/api/contents", {"type": "notebook"})
    assert (status, created["path"]) == (201, "Untitled.ipynb")
    assert headers["Location"] == "/api/contents/Untitled.ipynb"
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "source": "1+1",
                "metadata": {},
                "outputs": [],
                "execution_count": None,
            }
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    status, saved, _ = jupyter.call(
        "PUT", "/api/contents/Untitled.ipynb", {"type": "notebook", "content": notebook}
    )
    assert status == 200
    assert saved["content"] is None
    status, listing, headers = jupyter.call("GET", "/api/contents")
    assert [item["name"] for item in listing["content"]] == ["Untitled.ipynb"]
    assert "GMT" in headers["Last-Modified"]
    status, checkpoint, _ = jupyter.call("POST", "/api/contents/Untitled.ipynb/checkpoints")
    assert (status, checkpoint["id"]) == (201, "checkpoint")
    jupyter.call(
        "PUT",
        "/api/contents/Untitled.ipynb",
        {"type": "notebook", "content": {**notebook, "cells": []}},
    )
    assert jupyter.call("POST", "/api/contents/Untitled.ipynb/checkpoints/checkpoint")[0] == 204
    restored = jupyter.call("GET", "/api/contents/Untitled.ipynb")[1]
    assert restored["content"]["cells"][0]["source"] == "1+1"
    status, text, _ = jupyter.call(
        "PUT", "/api/contents/notes.txt", {"type": "file", "format": "text", "content": "hi"}
    )
    assert (status, text["mimetype"]) == (201, "text/plain")
    assert (tmp_path / "notes.txt").read_text() == "hi"
    assert (
        jupyter.call("PATCH", "/api/contents/notes.txt", {"path": "renamed.txt"})[1]["path"]
        == "renamed.txt"
    )
    assert jupyter.call("GET", "/api/contents/notes.txt")[0] == 404
    assert jupyter.call("GET", "/api/contents/renamed.txt?content=2")[0] == 400
    assert jupyter.call("GET", "/api/contents/../../etc/passwd")[0] in (403, 404)
    assert jupyter.call("DELETE", "/api/contents/renamed.txt")[0] == 204
    assert not (tmp_path / "renamed.txt").exists()


def test_status(jupyter: JupyterPeer) -> None:
    status, body, _ = jupyter.call("GET", "/api/status")
    assert status == 200
    assert sorted(body) == ["connections", "kernels", "last_activity", "started"]
    assert body["kernels"] == 0
    assert ISO.match(body["started"])
    assert json.loads(json.dumps(body)) == body


def test_identity_and_terminals(jupyter: JupyterPeer) -> None:
    status, me, _ = jupyter.call("GET", '/api/me?permissions={"kernels":["read","write"]}')
    assert status == 200
    assert me["identity"]["username"] == "livedoc"
    assert me["permissions"] == {"kernels": ["read", "write"]}
    assert jupyter.call("GET", "/api/me?permissions=nope")[0] == 400
    assert jupyter.call("GET", "/api/terminals")[:2] == (200, [])
    assert JupyterPeer(jupyter.base, None).call("GET", "/api/me")[0] == 403


def test_a_client_that_reconnects_gets_what_it_missed(jupyter: JupyterPeer) -> None:
    kernel_id = jupyter.start_kernel()["id"]

    async def scenario() -> tuple[str, str, int]:
        channels = await Channels.open(jupyter, kernel_id)
        request = channels.message(
            "execute_request",
            {
                "code": "import time\ntime.sleep(1)\nprint('done')",
                "silent": False,
                "store_history": True,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": True,
            },
        )
        channels.send(request)
        await jupyter.until_state(kernel_id, "busy")
        channels.close()  # the network drops while the cell runs
        await asyncio.sleep(0.5)
        assert jupyter.call("GET", f"/api/kernels/{kernel_id}")[1]["connections"] == 0
        back = await Channels.open(jupyter, kernel_id, session=channels.session)
        seen: list[dict[str, Any]] = []
        while not any(m["header"]["msg_type"] == "execute_reply" for m in seen):
            message = await back.receive(timeout=10)
            assert message is not None
            if message["parent_header"].get("msg_id") == request["header"]["msg_id"]:
                seen.append(message)
        back.close()
        stdout = "".join(m["content"]["text"] for m in seen if m["header"]["msg_type"] == "stream")
        [reply] = [m for m in seen if m["header"]["msg_type"] == "execute_reply"]
        return stdout, reply["content"]["status"], len(seen)

    stdout, status, _ = run(scenario())
    assert (stdout, status) == ("done\n", "ok")  # held while it was away, then replayed
    jupyter.call("DELETE", f"/api/kernels/{kernel_id}")


def test_a_flood_of_output_is_cut_for_the_client_and_it_is_told(jupyter: JupyterPeer) -> None:
    kernel_id = jupyter.start_kernel()["id"]

    async def flood() -> tuple[str, int, str]:
        channels = await Channels.open(jupyter, kernel_id)
        reply = await channels.execute("print('x' * 5_000_000)\nprint('end')")  # 5 MB at once
        channels.close()
        notices = [
            m["content"]["text"]
            for m in reply.of_type("stream")
            if m["content"]["name"] == "stderr"
        ]
        shown = sum(
            len(m["content"]["text"])
            for m in reply.of_type("stream")
            if m["content"]["name"] == "stdout"
        )
        assert reply.reply is not None
        return "".join(notices), shown, reply.reply["content"]["status"]

    notice, shown, status = run(flood())
    assert "IOPub data rate exceeded" in notice
    assert shown < 5_000_000  # the browser is spared the flood
    assert status == "ok"  # and the kernel went on
    jupyter.call("DELETE", f"/api/kernels/{kernel_id}")
