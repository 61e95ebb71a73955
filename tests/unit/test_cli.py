"""The command line, run as a user runs it."""

from __future__ import annotations

import subprocess
import sys


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "livedoc", *args], capture_output=True, text=True, timeout=60
    )


def test_help_lists_the_commands() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "wire-demo" in result.stdout


def test_no_command_prints_help_and_fails() -> None:
    result = run()
    assert result.returncode == 2
    assert "usage: livedoc" in result.stdout


def test_wire_demo_shows_every_column_operation_reaching_the_replica() -> None:
    result = run("wire-demo", "--rows", "5")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for kind in ("ColumnsStreamed", "ColumnsPatched", "ColumnDataChanged"):
        assert kind in out
    assert out.count("replica equals the document: yes") == 7
    assert "replica in sync: yes" in out
    assert "binary" in out  # numeric columns travel as binary frames
