"""The `livedoc` command line."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from livedoc.cli import accounts, serve, wire_demo

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    from livedoc import __version__

    parser = argparse.ArgumentParser(
        prog="livedoc",
        description="A server for live Python documents, speaking the Bokeh 3 websocket protocol.",
    )
    parser.add_argument("--version", action="version", version=f"livedoc {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    serve.add_parser(subparsers)
    accounts.add_parsers(subparsers)
    wire_demo.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command = getattr(args, "command", None)
    if command is None:
        parser.print_help()
        return 2
    result: int = command(args, sys.stdout)
    return result
