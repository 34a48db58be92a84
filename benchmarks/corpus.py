"""A corpus of real, mixed-length English sentences from text that ships with Python itself.

The sources are the reference-manual topics of ``pydoc_data`` and the docstrings of a fixed list of
standard-library modules, split into sentences, deduplicated, and kept when they are 5 to 200 tokens long
for the model's tokenizer. Nothing is downloaded; the same Python gives the same corpus.
"""

from __future__ import annotations

import importlib
import inspect
import random
import re
from collections.abc import Callable, Iterator, Sequence

__all__ = ["sentences"]

MODULES = (
    "argparse", "asyncio", "collections", "concurrent.futures", "csv", "datetime", "decimal", "difflib",
    "email", "fractions", "functools", "heapq", "http.client", "inspect", "io", "itertools", "json",
    "logging", "os", "pathlib", "pickle", "random", "re", "shutil", "socket", "sqlite3", "statistics",
    "string", "subprocess", "tarfile", "textwrap", "threading", "typing", "unittest", "urllib.parse",
    "xml.etree.ElementTree", "zipfile", "bisect",
)  # fmt: skip


def _texts() -> Iterator[str]:
    import pydoc_data.topics

    yield from pydoc_data.topics.topics.values()
    for name in MODULES:
        module = importlib.import_module(name)
        yield inspect.getdoc(module) or ""
        for attribute, value in sorted(vars(module).items()):
            if not attribute.startswith("_"):
                yield inspect.getdoc(value) or ""


def sentences(
    n: int = 4000,
    count_tokens: Callable[[Sequence[str]], list[int]] | None = None,
    min_tokens: int = 5,
    max_tokens: int = 200,
    seed: int = 0,
) -> list[str]:
    """``n`` distinct English sentences in a fixed random order, each ``min_tokens``..``max_tokens`` long.

    Args:
        n: How many.
        count_tokens: Counts tokens per text (the model's tokenizer); without it, words are counted.
        min_tokens: Shortest kept.
        max_tokens: Longest kept.
        seed: Shuffle seed, so runs compare the same texts in the same order.
    """
    found: dict[str, None] = {}
    for text in _texts():
        for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z])", re.sub(r"\s+", " ", text)):
            sentence = sentence.strip()
            if re.search(r"[a-z]{3} [a-z]{2}", sentence):
                found.setdefault(sentence)
    pool = list(found)
    counts = count_tokens(pool) if count_tokens else [len(s.split()) for s in pool]
    kept = [s for s, c in zip(pool, counts) if min_tokens <= c <= max_tokens]
    random.Random(seed).shuffle(kept)
    if len(kept) < n:
        raise ValueError(f"only {len(kept)} sentences of {min_tokens}-{max_tokens} tokens here; ask for fewer")
    return kept[:n]
