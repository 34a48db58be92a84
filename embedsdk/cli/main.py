"""The ``embedsdk`` command: one module per command group, each adding its own subcommand.

```
embedsdk providers [--json]
embedsdk embed [TEXT ...] [-f FILE] [-p ID] [-o OUT] [--role query|document] [--normalize] [--dimensions N]
               [--on-long error|truncate|chunk] [--no-cache] [-O key=value ...]
embedsdk search PATH QUERY [-k 5] [-p ID] [--index exact] [--max-file-mb 5] [--passage-tokens N] [--no-cache]
               [-O key=value ...]
embedsdk collection add NAME PATH... | collection search NAME QUERY [-k 5] | collection info NAME
embedsdk eval sts|retrieval|classification|clustering|document-similarity|weat DATA [-p ID ...] [--json|--markdown]
embedsdk plot FILE [-o map.png] [-p ID] [--method auto|pca|umap]
```

Every `EmbedSDKError` ends the command with ``embedsdk: error: <message>`` on stderr and exit code 2, the
same code argparse uses for a bad command line; no traceback is shown for a problem the user can fix.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable

import embedsdk
from embedsdk.cli.common import EXIT_ERROR
from embedsdk.errors import EmbedSDKError

__all__ = ["COMMAND_MODULES", "build_parser", "main"]

COMMAND_MODULES: tuple[str, ...] = (
    "embedsdk.cli.providers",
    "embedsdk.cli.embed",
    "embedsdk.cli.search",
    "embedsdk.cli.collection",
    "embedsdk.cli.evaluate",
    "embedsdk.cli.plot",
)
"""Each module has ``add_parser(commands)``, which adds its subcommand(s) with ``command=`` set as default."""


def main(argv: list[str] | None = None) -> int:
    """Run the ``embedsdk`` command with ``argv`` (``sys.argv[1:]`` when None) and return its exit code.

    Raises:
        SystemExit: For ``--help``, ``--version`` and command-line errors, as argparse does (code 2 on errors).
    """
    args = build_parser().parse_args(argv)
    command: Callable[[argparse.Namespace], int] = args.command
    try:
        return command(args)
    except EmbedSDKError as exc:
        print(f"embedsdk: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("embedsdk: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`embedsdk embed ... | head`): stop quietly, and keep Python from failing
        # again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``embedsdk`` command and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="embedsdk", description="Anything to embedding vectors in one call; search your text files."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {embedsdk.__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_parser(commands)
    return parser
