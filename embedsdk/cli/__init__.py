"""The ``embedsdk`` command line: `main` builds the parser from one module per command group."""

from __future__ import annotations

from embedsdk.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
