"""The ``embedsdk`` command: list providers, embed texts, search a folder of text files.

```
embedsdk providers [--json]
embedsdk embed [TEXT ...] [-f FILE] [-p ID] [-o OUT] [--role query|document] [--normalize] [--dimensions N]
               [--on-long error|truncate|chunk] [--no-cache] [-O key=value ...]
embedsdk search PATH QUERY [-k 5] [-p ID] [--max-file-mb 5] [--passage-tokens N] [--no-cache] [-O key=value ...]
```

Every `EmbedSDKError` ends the command with ``embedsdk: error: <message>`` on stderr and exit code 2, the
same code argparse uses for a bad command line; no traceback is shown for a problem the user can fix.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np

import embedsdk
from embedsdk.errors import ConfigurationError, EmbedSDKError, InvalidInputError, InvalidOptionError
from embedsdk.index import ExactIndex
from embedsdk.passages import Passage, iter_text_files, split_passages
from embedsdk.planner import LONG_POLICIES, ApproximateTokenizer

__all__ = ["build_parser", "main"]

EXIT_OK = 0
EXIT_ERROR = 2
# Passage budget when the provider states no token limit: about 800 characters.
FALLBACK_PASSAGE_TOKENS = 200
SNIPPET_CHARS = 100


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

    listing = commands.add_parser("providers", help="list the registered providers", description=_doc(providers))
    listing.add_argument("--json", action="store_true", help="print one JSON object a line instead of a table")
    listing.set_defaults(command=providers)

    embedding = commands.add_parser("embed", help="embed texts", description=_doc(embed))
    embedding.add_argument("texts", nargs="*", metavar="TEXT", help="texts to embed (else --file, else stdin)")
    embedding.add_argument("-f", "--file", help="read texts from FILE, one a line ('-' for stdin)")
    _add_provider_arguments(embedding)
    embedding.add_argument(
        "-o", "--output", metavar="OUT", help="write to OUT: a .npy matrix, else JSON lines (default: stdout)"
    )
    embedding.add_argument("--role", choices=["query", "document"], help="what the texts are used as")
    embedding.add_argument("--normalize", action="store_true", default=None, help="unit-length vectors")
    embedding.add_argument("--dimensions", type=_positive_int, metavar="N", help="keep the first N dimensions")
    embedding.add_argument(
        "--on-long", choices=LONG_POLICIES, default="error", help="texts over the token limit (default: error)"
    )
    embedding.set_defaults(command=embed)

    searching = commands.add_parser("search", help="search the text files of a folder", description=_doc(search))
    searching.add_argument("path", metavar="PATH", help="a text file or a folder")
    searching.add_argument("query", metavar="QUERY", help="what to look for")
    searching.add_argument("-k", type=_positive_int, default=5, help="number of hits to show (default: 5)")
    _add_provider_arguments(searching)
    searching.add_argument(
        "--max-file-mb", type=_positive_float, default=5.0, metavar="MB", help="skip larger files (default: 5)"
    )
    searching.add_argument(
        "--passage-tokens",
        type=_positive_int,
        metavar="N",
        help="at most N tokens a passage (default: the provider's limit)",
    )
    searching.set_defaults(command=search)
    return parser


def _add_provider_arguments(parser: argparse.ArgumentParser) -> None:
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


def _doc(function: Callable[..., Any]) -> str:
    return (function.__doc__ or "").split("\n\n", 1)[0]


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return number


def _positive_float(value: str) -> float:
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


# -- providers -----------------------------------------------------------------------------------------------


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


# -- embed ---------------------------------------------------------------------------------------------------


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
        texts, places = _read_lines(sys.stdin, "<stdin>")
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


# -- search --------------------------------------------------------------------------------------------------


def search(args: argparse.Namespace) -> int:
    """Search the text files under PATH for the passages closest in meaning to QUERY.

    Files are cut into passages of consecutive lines that fit the provider's token limit (paragraphs kept
    together), embedded as documents through the cache (a rerun only embeds what changed), and ranked by
    cosine similarity to the query. Each hit prints as ``score  file:line  start of the passage``.
    """
    if not args.query.strip():
        raise ConfigurationError("the query is empty; say what to look for, e.g. embedsdk search docs 'install'")
    if not os.path.exists(args.path):
        raise ConfigurationError(f"{args.path}: no such file or folder; pass a text file or a folder of them")
    model = embedsdk.embedder(args.provider, **parse_options(args.option))
    count_tokens, budget = _passage_budget(model, args.passage_tokens)

    skipped: list[tuple[Path, str]] = []
    passages: list[tuple[Path, Passage]] = []
    files = 0
    max_bytes = int(args.max_file_mb * 1_000_000)
    for found in iter_text_files(args.path, max_bytes, on_skip=lambda path, why: skipped.append((path, why))):
        cut = split_passages(found.text, count_tokens, budget)
        files += bool(cut)
        passages.extend((found.path, passage) for passage in cut)
    if not passages:
        detail = f" (skipped {_describe_skipped(skipped)})" if skipped else ""
        raise ConfigurationError(
            f"no text to search in {args.path}{detail}; pass a folder holding UTF-8 text files "
            f"(hidden folders such as .git are not searched; --max-file-mb raises the size cap)"
        )

    cache = not args.no_cache
    documents = embedsdk.embed(
        [passage.text for _, passage in passages],
        model,
        role="document",
        on_long="chunk",
        on_error="collect",
        cache=cache,
        progress=True,
    )
    for error in documents.errors:
        path, passage = passages[error.index]
        print(f"embedsdk: skipped {path}:{passage.line}: {error.message}", file=sys.stderr)
    kept = [n for n, ok in enumerate(documents.ok) if ok]
    if not kept:
        raise ConfigurationError(f"{documents.space.provider} embedded none of the {len(passages)} passages")
    index = ExactIndex()
    index.add(
        [str(n) for n in kept],
        documents.vectors[kept],
        [{"path": str(passages[n][0]), "line": passages[n][1].line} for n in kept],
    )
    query = embedsdk.embed([args.query], model, role="query", on_long="chunk", cache=cache)
    note = f", skipped {_describe_skipped(skipped)}" if skipped else ""
    print(f"searched {_plural(len(kept), 'passage')} in {_plural(files, 'file')}{note}", file=sys.stderr)
    hits = index.search(query.vectors, k=args.k)[0]
    scores = [f"{hit.score:.4f}" for hit in hits]
    width = max(len(score) for score in scores)
    for hit, score in zip(hits, scores):
        passage = passages[int(hit.id)][1]
        print(f"{score:>{width}}  {hit.metadata['path']}:{hit.metadata['line']}  {_snippet(passage.text)}")
    return EXIT_OK


def _passage_budget(model: Any, requested: int | None) -> tuple[Callable[[Sequence[str]], list[int]], int]:
    """How to count a passage's tokens, and how many it may hold."""
    limit: int | None = model.limits.max_tokens_per_item
    tokenizer = model.tokenizer
    if requested is not None:
        budget = min(requested, limit) if limit else requested
    elif tokenizer is not None and limit:
        budget = limit
    else:
        # Without a limit or a real tokenizer, passages of about 800 characters keep hits precise.
        budget = min(limit or FALLBACK_PASSAGE_TOKENS, FALLBACK_PASSAGE_TOKENS)
    if tokenizer is None:
        # The core estimates such providers' tokens the same way, so passages match what it will send.
        tokenizer = ApproximateTokenizer()
    count: Callable[[Sequence[str]], list[int]] = tokenizer.count
    return count, budget


def _describe_skipped(skipped: Sequence[tuple[Path, str]]) -> str:
    shown = ", ".join(f"{path}: {why}" for path, why in skipped[:3])
    more = f", and {len(skipped) - 3} more" if len(skipped) > 3 else ""
    return f"{_plural(len(skipped), 'file')}: {shown}{more}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 3].rstrip() + "..."
