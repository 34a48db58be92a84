"""``embedsdk search``: search the text files under a folder for the passages closest to a query."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import embedsdk
from embedsdk.cli.common import (
    EXIT_OK,
    add_provider_arguments,
    doc,
    parse_options,
    plural,
    positive_float,
    positive_int,
)
from embedsdk.errors import ConfigurationError
from embedsdk.pipeline.long_inputs import ApproximateTokenizer
from embedsdk.retrieval.passages import Passage, iter_text_files, split_passages
from embedsdk.retrieval.registry import DEFAULT_INDEX, create_index

__all__ = ["FALLBACK_PASSAGE_TOKENS", "add_parser", "search"]

# Passage budget when the provider states no token limit: about 800 characters.
FALLBACK_PASSAGE_TOKENS = 200
SNIPPET_CHARS = 100


def add_parser(commands: Any) -> None:
    """Add ``search PATH QUERY [-k 5] [--index exact] ...``."""
    searching = commands.add_parser("search", help="search the text files of a folder", description=doc(search))
    searching.add_argument("path", metavar="PATH", help="a text file or a folder")
    searching.add_argument("query", metavar="QUERY", help="what to look for")
    searching.add_argument("-k", type=positive_int, default=5, help="number of hits to show (default: 5)")
    add_provider_arguments(searching)
    searching.add_argument(
        "--index",
        default=DEFAULT_INDEX,
        metavar="NAME",
        help=f"index backend, from the index registry (default: {DEFAULT_INDEX})",
    )
    searching.add_argument(
        "--max-file-mb", type=positive_float, default=5.0, metavar="MB", help="skip larger files (default: 5)"
    )
    searching.add_argument(
        "--passage-tokens",
        type=positive_int,
        metavar="N",
        help="at most N tokens a passage (default: the provider's limit)",
    )
    searching.set_defaults(command=search)


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
    create_index(args.index)  # an unknown --index fails now, before any embedding
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
    index = create_index(args.index)
    index.add(
        [str(n) for n in kept],
        documents.vectors[kept],
        [{"path": str(passages[n][0]), "line": passages[n][1].line} for n in kept],
    )
    query = embedsdk.embed([args.query], model, role="query", on_long="chunk", cache=cache)
    note = f", skipped {_describe_skipped(skipped)}" if skipped else ""
    print(f"searched {plural(len(kept), 'passage')} in {plural(files, 'file')}{note}", file=sys.stderr)
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
    return f"{plural(len(skipped), 'file')}: {shown}{more}"


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 3].rstrip() + "..."
