"""What the command groups share: exit codes, provider arguments, option parsing, argument types, wording."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable
from typing import Any

from embedsdk.errors import InvalidOptionError

__all__ = [
    "EXIT_ERROR",
    "EXIT_OK",
    "add_provider_arguments",
    "doc",
    "parse_options",
    "plural",
    "positive_float",
    "positive_int",
]

EXIT_OK = 0
EXIT_ERROR = 2


def add_provider_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``-p/--provider``, ``--no-cache`` and ``-O/--option KEY=VALUE``."""
    parser.add_argument("-p", "--provider", metavar="ID", help="provider id or alias (default: EMBEDSDK_PROVIDER)")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the vector cache")
    parser.add_argument(
        "-O",
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a provider option; VALUE is read as JSON when it parses (8, true, [1,2]), else as a string",
    )


def doc(function: Callable[..., Any]) -> str:
    """The first paragraph of ``function``'s docstring, for a subcommand's description."""
    return (function.__doc__ or "").split("\n\n", 1)[0]


def positive_int(value: str) -> int:
    """An argparse type: a whole number of 1 or more."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return number


def positive_float(value: str) -> float:
    """An argparse type: a number over 0."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not number > 0:
        raise argparse.ArgumentTypeError(f"{value} must be over 0")
    return number


def parse_options(pairs: Iterable[str]) -> dict[str, Any]:
    """Provider options from ``key=value`` strings; a value is JSON when it parses, else the string itself.

    Raises:
        InvalidOptionError: a pair without ``=`` or with an empty key.
    """
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InvalidOptionError(f"-O {pair!r}: write provider options as key=value, e.g. -O pooling=cls")
        try:
            options[key] = json.loads(raw)
        except ValueError:
            options[key] = raw
    return options


def plural(count: int, noun: str) -> str:
    """``"1 file"``, ``"2 files"``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
