"""``embedsdk search``: search a folder's text files, or its image files with an image provider.

Text: the passages closest to a query. Images (a provider whose modalities include image, such as
``--provider clip``): the image files closest to a text query or to ``--image FILE``.
"""

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

__all__ = ["FALLBACK_PASSAGE_TOKENS", "IMAGE_EXTENSIONS", "add_parser", "iter_image_files", "search"]

# Passage budget when the provider states no token limit: about 800 characters.
FALLBACK_PASSAGE_TOKENS = 200
SNIPPET_CHARS = 100
# Files an image search embeds, by extension (any case).
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff"})


def add_parser(commands: Any) -> None:
    """Add ``search PATH QUERY [-k 5] [--index exact] ...``."""
    searching = commands.add_parser(
        "search", help="search the text (or image) files of a folder", description=doc(search)
    )
    searching.add_argument("path", metavar="PATH", help="a text file or a folder (of images, for image providers)")
    searching.add_argument("query", metavar="QUERY", nargs="?", help="what to look for (text)")
    searching.add_argument(
        "--image", metavar="FILE", help="search by this image instead of QUERY (providers that embed images)"
    )
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
    # QUERY is optional only beside --image: search() reports its absence the way argparse would.
    searching.set_defaults(command=search, search_parser=searching)


def search(args: argparse.Namespace) -> int:
    """Search the text files under PATH for the passages closest in meaning to QUERY.

    Files are cut into passages of consecutive lines that fit the provider's token limit (paragraphs kept
    together), embedded as documents through the cache (a rerun only embeds what changed), and ranked by
    cosine similarity to the query. Each hit prints as ``score  file:line  start of the passage``.

    With a provider that embeds images (``--provider clip``), the image files under PATH are searched
    instead, for QUERY's text or for the image ``--image FILE``; each hit prints as ``score  file``.
    """
    if args.query is None and getattr(args, "image", None) is None and hasattr(args, "search_parser"):
        args.search_parser.error("the following arguments are required: QUERY (or --image FILE)")
    if getattr(args, "image", None) is not None or _embeds_images(args):
        return _search_images(args)
    if args.query is None or not args.query.strip():
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


def _embeds_images(args: argparse.Namespace) -> bool:
    model = embedsdk.embedder(args.provider, **parse_options(args.option))
    return "image" in frozenset(getattr(model, "modalities", ()))


def iter_image_files(path: str | Path) -> list[Path]:
    """The image files (by `IMAGE_EXTENSIONS`) at or under ``path``, sorted; hidden folders are skipped."""
    root = Path(path)
    if root.is_file():
        return [root] if root.suffix.lower() in IMAGE_EXTENSIONS else []
    found: list[Path] = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        found.extend(Path(folder) / name for name in names if Path(name).suffix.lower() in IMAGE_EXTENSIONS)
    return sorted(found)


def _search_images(args: argparse.Namespace) -> int:
    """Embed the image files under ``args.path`` (progress bar, cache) and rank them against the query."""
    model = embedsdk.embedder(args.provider, **parse_options(args.option))
    provider = getattr(model, "provider_id", args.provider)
    if "image" not in frozenset(getattr(model, "modalities", ())):
        raise ConfigurationError(
            f"--image needs a provider that embeds images, such as --provider clip; {provider} does not"
        )
    text = args.query if args.query is not None and args.query.strip() else None
    if (text is None) == (args.image is None):
        raise ConfigurationError(
            "pass a text QUERY or --image FILE (one of them), e.g. embedsdk search PHOTOS 'a dog on a beach' -p clip"
        )
    if args.image is not None and not Path(args.image).is_file():
        raise ConfigurationError(f"--image {args.image}: no such file; pass an image file to search by")
    if not os.path.exists(args.path):
        raise ConfigurationError(f"{args.path}: no such file or folder; pass a folder of images")
    create_index(args.index)  # an unknown --index fails now, before any embedding
    files = iter_image_files(args.path)
    if not files:
        raise ConfigurationError(
            f"no image files in {args.path} (by extension: {', '.join(sorted(IMAGE_EXTENSIONS))}); "
            f"hidden folders are not searched"
        )
    cache = not args.no_cache
    images = embedsdk.embed(files, model, on_error="collect", cache=cache, progress=True)
    for error in images.errors:
        print(f"embedsdk: skipped {files[error.index]}: {error.message}", file=sys.stderr)
    kept = [n for n, ok in enumerate(images.ok) if ok]
    if not kept:
        raise ConfigurationError(f"{provider} embedded none of the {plural(len(files), 'image')} in {args.path}")
    index = create_index(args.index)
    index.add([str(n) for n in kept], images.vectors[kept], [{"path": str(files[n])} for n in kept])
    query_item: Any = text if text is not None else Path(args.image)
    query = embedsdk.embed([query_item], model, on_long="truncate", cache=cache)
    skipped = f", skipped {len(files) - len(kept)}" if len(kept) < len(files) else ""
    print(f"searched {plural(len(kept), 'image')} in {args.path}{skipped}", file=sys.stderr)
    hits = index.search(query.vectors, k=args.k)[0]
    scores = [f"{hit.score:.4f}" for hit in hits]
    width = max(len(score) for score in scores)
    for hit, score in zip(hits, scores):
        print(f"{score:>{width}}  {hit.metadata['path']}")
    return EXIT_OK
