"""``embedsdk collection add|search|info``: a persistent collection of documents, searched by meaning.

```
embedsdk collection add NAME PATH... [-p ID] [--index flat] [--chunk-tokens N] [--max-file-mb 5]
embedsdk collection search NAME QUERY [-k 5] [--filter KEY=VALUE ...] [--chunks] [--json]
embedsdk collection info NAME [--json]
```

NAME is a plain name (kept under ``EMBEDSDK_COLLECTIONS_DIR``, default ``<user data dir>/embedsdk/collections``)
or a folder path. Each file added becomes one document whose id is its path, with ``{"path": ...}`` as
metadata; adding a file again replaces it only when its content changed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from embedsdk.cli.common import EXIT_OK, doc, parse_options, plural, positive_float, positive_int
from embedsdk.errors import ConfigurationError
from embedsdk.retrieval.collection import Collection, collection_folder
from embedsdk.retrieval.passages import iter_text_files

__all__ = ["add", "add_parser", "info", "search"]

SNIPPET_CHARS = 160


def add_parser(commands: Any) -> None:
    """Add ``collection add|search|info``."""
    group = commands.add_parser(
        "collection", help="a persistent collection of documents: add, search, info", description=__doc__.split("\n")[0]
    )
    actions = group.add_subparsers(title="actions", metavar="ACTION", required=True)

    adding = actions.add_parser("add", help="add text files to a collection", description=doc(add))
    adding.add_argument("name", metavar="NAME", help="collection name or folder")
    adding.add_argument("paths", metavar="PATH", nargs="+", help="text files or folders of them")
    adding.add_argument("-p", "--provider", metavar="ID", help="provider, when creating the collection")
    adding.add_argument("--index", metavar="NAME", help="index backend, when creating it (default: flat)")
    adding.add_argument("--chunk-tokens", type=positive_int, metavar="N", help="tokens per chunk, when creating it")
    adding.add_argument(
        "-O", "--option", action="append", default=[], metavar="KEY=VALUE", help="an index option, when creating it"
    )
    adding.add_argument("--max-file-mb", type=positive_float, default=5.0, metavar="MB", help="skip larger files")
    adding.set_defaults(command=add)

    searching = actions.add_parser("search", help="search a collection", description=doc(search))
    searching.add_argument("name", metavar="NAME", help="collection name or folder")
    searching.add_argument("query", metavar="QUERY", help="what to look for")
    searching.add_argument("-k", type=positive_int, default=5, help="number of hits (default: 5)")
    searching.add_argument(
        "--filter", action="append", default=[], metavar="KEY=VALUE", help="metadata condition (VALUE read as JSON)"
    )
    searching.add_argument("--chunks", action="store_true", help="one hit per chunk instead of per document")
    searching.add_argument("--json", action="store_true", help="print hits as JSON lines")
    searching.set_defaults(command=search)

    showing = actions.add_parser("info", help="what a collection holds", description=doc(info))
    showing.add_argument("name", metavar="NAME", help="collection name or folder")
    showing.add_argument("--json", action="store_true", help="print as JSON")
    showing.set_defaults(command=info)


def add(args: argparse.Namespace) -> int:
    """Add the text files under each PATH to collection NAME (created on first use).

    Each file is one document, id = its path; files whose content is already stored are skipped.
    """
    options = parse_options(args.option)
    collection = Collection(args.name, args.provider, args.index, chunk_tokens=args.chunk_tokens, **options)
    texts, ids = [], []
    for path in args.paths:
        for found in iter_text_files(path, int(args.max_file_mb * 1_000_000)):
            if found.text.strip():
                texts.append(found.text)
                ids.append(str(found.path))
    before = len(collection)
    collection.add(texts, ids=ids, metadata=[{"path": i} for i in ids], progress=sys.stderr.isatty())
    print(
        f"{plural(len(texts), 'file')} read; {collection.path} now holds {plural(len(collection), 'document')} "
        f"({len(collection) - before:+d})"
    )
    collection.close()
    return EXIT_OK


def search(args: argparse.Namespace) -> int:
    """Search collection NAME for the documents closest in meaning to QUERY.

    Each hit prints as ``score  id  [start:end]  text of the best chunk``.
    """
    collection = Collection(_existing(args.name))
    hits = collection.search(args.query, k=args.k, filter=parse_options(args.filter) or None, group=not args.chunks)
    for hit in hits:
        if args.json:
            print(json.dumps(hit.model_dump()))
        else:
            snippet = " ".join(hit.text.split())[:SNIPPET_CHARS]
            print(f"{hit.score:.3f}  {hit.id}  [{hit.start}:{hit.end}]  {snippet}")
    collection.close()
    return EXIT_OK


def info(args: argparse.Namespace) -> int:
    """Show what collection NAME holds: folder, provider and space, index, documents and chunks."""
    collection = Collection(_existing(args.name))
    details = collection.info()
    if args.json:
        print(json.dumps(details))
    else:
        for key, value in details.items():
            print(f"{key:14} {value}")
    collection.close()
    return EXIT_OK


def _existing(name: str) -> str | Path:
    folder = collection_folder(name)
    if not (folder / "docstore.sqlite").exists():
        raise ConfigurationError(f"no collection at {folder}; create it with: embedsdk collection add {name} PATH...")
    return folder
