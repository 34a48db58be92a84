"""``embedsdk plot FILE -o map.png``: a 2-D map of a file's texts, coloured by their labels.

```
embedsdk plot FILE [-o map.png] [-p ID] [--method auto|pca|umap] [--annotate 30] [--title T] [--no-cache]
              [-O key=value ...]
```

FILE holds one text a line; lines written ``__label__<name> text`` are coloured by ``<name>``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from embedsdk.cli.common import EXIT_OK, add_provider_arguments, doc, parse_options
from embedsdk.errors import InvalidInputError

__all__ = ["add_parser", "plot", "read_lines"]


def read_lines(path: Path) -> tuple[list[str], list[str] | None]:
    """Texts of ``path``, one a line, and their labels when every line has a ``__label__<name>`` prefix.

    Raises:
        InvalidInputError: the file is missing or holds no text.
    """
    from embedsdk.eval import read_labelled

    if not path.is_file():
        raise InvalidInputError(f"{path}: no such file")
    lines = [line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise InvalidInputError(f"{path}: no text to plot")
    if all(line.startswith("__label__") for line in lines):
        texts, labels = read_labelled(path)
        return texts, labels
    return lines, None


def plot(args: argparse.Namespace) -> int:
    """Embed a file's texts and draw their 2-D map, coloured by label, into a PNG."""
    import embedsdk
    import embedsdk.plot

    texts, labels = read_lines(Path(args.file))
    options: dict[str, Any] = parse_options(args.option)
    vectors = embedsdk.embed(texts, args.provider, cache=not args.no_cache, **options)
    out = embedsdk.plot.map(
        vectors, labels, args.output, texts=texts, annotate=args.annotate, method=args.method, title=args.title
    )
    print(f"wrote {out} ({len(texts)} points{', ' + str(len(set(labels))) + ' labels' if labels else ''})")
    return EXIT_OK


def add_parser(commands: Any) -> None:
    """Add ``embedsdk plot``."""
    parser = commands.add_parser("plot", help="draw a 2-D map of texts, coloured by label", description=doc(plot))
    parser.add_argument("file", metavar="FILE", help="one text a line; '__label__<name> text' lines are coloured")
    parser.add_argument("-o", "--output", default="embedding-map.png", help="the PNG to write (embedding-map.png)")
    parser.add_argument("--method", choices=("auto", "pca", "umap"), default="auto", help="auto: UMAP if installed")
    parser.add_argument("--annotate", type=int, default=30, help="write the text of this many points (0: none)")
    parser.add_argument("--title", help="the picture's title")
    add_provider_arguments(parser)
    parser.set_defaults(command=plot)
