"""``embedsdk embed``: embed texts given as arguments, in a file, or on stdin."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import numpy as np

import embedsdk
from embedsdk.cli.common import EXIT_OK, add_provider_arguments, doc, parse_options, positive_int
from embedsdk.errors import ConfigurationError, InvalidInputError
from embedsdk.pipeline.long_inputs import LONG_POLICIES

__all__ = ["add_parser", "embed"]


def add_parser(commands: Any) -> None:
    """Add ``embed [TEXT ...] [-f FILE] ...``."""
    embedding = commands.add_parser("embed", help="embed texts", description=doc(embed))
    embedding.add_argument("texts", nargs="*", metavar="TEXT", help="texts to embed (else --file, else stdin)")
    embedding.add_argument("-f", "--file", help="read texts from FILE, one a line ('-' for stdin)")
    add_provider_arguments(embedding)
    embedding.add_argument(
        "-o", "--output", metavar="OUT", help="write to OUT: a .npy matrix, else JSON lines (default: stdout)"
    )
    embedding.add_argument("--role", choices=["query", "document"], help="what the texts are used as")
    embedding.add_argument("--normalize", action="store_true", default=None, help="unit-length vectors")
    embedding.add_argument("--dimensions", type=positive_int, metavar="N", help="keep the first N dimensions")
    embedding.add_argument(
        "--on-long", choices=LONG_POLICIES, default="error", help="texts over the token limit (default: error)"
    )
    embedding.set_defaults(command=embed)


def embed(args: argparse.Namespace) -> int:
    """Embed texts given as arguments, else read from --file, else from stdin (one text a line).

    Blank lines of a file or stdin are skipped; errors name the line. Output is JSON lines
    ``{"index", "text", "vector"}`` on stdout or in OUT, or a float32 matrix when OUT ends with ``.npy``.
    """
    texts, places = _read_texts(args.texts, args.file)
    options = parse_options(args.option)
    try:
        result = embedsdk.embed(
            texts,
            args.provider,
            role=args.role,
            normalize=args.normalize,
            dimensions=args.dimensions,
            on_long=args.on_long,
            cache=not args.no_cache,
            **options,
        )
    except InvalidInputError as exc:
        if not exc.errors:
            raise
        shown = "; ".join(f"{places[e.index]}: {e.message}" for e in exc.errors[:5])
        more = f"; and {len(exc.errors) - 5} more" if len(exc.errors) > 5 else ""
        raise type(exc)(shown + more, exc.errors) from None
    vectors = np.asarray(result.vectors, dtype=np.float32)
    output: str | None = args.output
    if output and output.endswith(".npy"):
        try:
            np.save(output, vectors)
        except OSError as exc:
            raise ConfigurationError(f"cannot write {output}: {exc.strerror or exc}") from None
    elif output and output != "-":
        try:
            with open(output, "w", encoding="utf-8") as stream:
                _write_json_lines(stream, texts, vectors)
        except OSError as exc:
            raise ConfigurationError(f"cannot write {output}: {exc.strerror or exc}") from None
    else:
        _write_json_lines(sys.stdout, texts, vectors)
        return EXIT_OK
    rows, dim = vectors.shape
    print(f"wrote {rows} x {dim} float32 vectors of {result.space.provider} to {output}", file=sys.stderr)
    return EXIT_OK


def _read_texts(arguments: Sequence[str], file: str | None) -> tuple[list[str], list[str]]:
    """The texts to embed and, for each, where it came from (``argument 2``, ``notes.txt:7``)."""
    if arguments and file:
        raise ConfigurationError("give texts as arguments or with --file, not both")
    if arguments:
        for n, argument in enumerate(arguments):
            _check_decoded(argument, f"argument {n + 1}")
        return list(arguments), [f"argument {n + 1}" for n in range(len(arguments))]
    if file and file != "-":
        try:
            with open(file, encoding="utf-8-sig") as stream:
                texts, places = _read_lines(stream, file)
        except OSError as exc:
            raise ConfigurationError(f"cannot read --file {file}: {exc.strerror or exc}") from None
        except UnicodeDecodeError as exc:
            raise ConfigurationError(f"--file {file} is not UTF-8 text ({exc.reason}); convert it to UTF-8") from None
    else:
        if sys.stdin.isatty():
            print("embedsdk: reading texts from stdin, one a line; end with Ctrl-D", file=sys.stderr)
        try:
            texts, places = _read_lines(sys.stdin, "<stdin>")
        except UnicodeDecodeError as exc:
            raise ConfigurationError(f"stdin is not UTF-8 text ({exc.reason}); convert it to UTF-8") from None
    if not texts:
        raise ConfigurationError(
            f"no texts to embed in {file if file and file != '-' else 'stdin'}; pass them as arguments, "
            f"with --file FILE, or on stdin (one a line)"
        )
    return texts, places


def _read_lines(stream: TextIO, name: str) -> tuple[list[str], list[str]]:
    texts: list[str] = []
    places: list[str] = []
    for number, line in enumerate(stream, start=1):
        text = line.rstrip("\r\n")
        if text.strip():
            texts.append(text)
            places.append(f"{name}:{number}")
    return texts, places


def _write_json_lines(stream: TextIO, texts: Sequence[str], vectors: np.ndarray) -> None:
    for index, (text, vector) in enumerate(zip(texts, vectors)):
        stream.write(json.dumps({"index": index, "text": text, "vector": vector.tolist()}) + "\n")


def _check_decoded(text: str, place: str) -> None:
    """Refuse text that came from bytes that were not UTF-8 (Python keeps them as lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ConfigurationError(
            f"{place} is not valid UTF-8 text; pass UTF-8 (set a UTF-8 locale, or convert the text first)"
        ) from None
