"""``embedsdk providers``: list the registered providers."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

import embedsdk
from embedsdk.cli.common import EXIT_OK, doc

__all__ = ["add_parser", "providers"]


def add_parser(commands: Any) -> None:
    """Add ``providers [--json]``."""
    listing = commands.add_parser("providers", help="list the registered providers", description=doc(providers))
    listing.add_argument("--json", action="store_true", help="print one JSON object a line instead of a table")
    listing.set_defaults(command=providers)


def providers(args: argparse.Namespace) -> int:
    """List the registered providers: id, aliases, modalities, dimension, plugin and description.

    ``family/*`` rows take any model of the family, as ``family/<model id or local path>``.
    """
    rows = [info.to_dict() for info in embedsdk.providers()]
    if args.json:
        for row in rows:
            print(json.dumps(row))
    else:
        header = ["ID", "ALIASES", "MODALITIES", "DIM", "PLUGIN", "DESCRIPTION"]
        cells = [
            [
                row["id"],
                ",".join(row["aliases"]) or "-",
                ",".join(row["modalities"]),
                str(row["dim"]) if row["dim"] is not None else "-",
                row["plugin"],
                row["description"],
            ]
            for row in rows
        ]
        _print_table(header, cells)
    if not rows:
        print("embedsdk: no providers are registered; pip install embedsdk-transformers", file=sys.stderr)
    return EXIT_OK


def _print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(row[n]) for row in [header, *rows]) for n in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
