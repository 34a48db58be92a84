"""Data for ``benchmarks/search.py``: real sentence embeddings and synthetic vectors, cached on disk.

    python benchmarks/search_data.py [--n 100000] [--queries 1000]

Real data: sentences from the docstrings (``ast``) of every ``.py`` file shipped with Python and the
packages installed beside it, split into sentences, deduplicated, 6 to 60 words, shuffled with a fixed
seed. The first ``--queries`` become queries (embedded with ``role="query"``), the next ``--n`` the
corpus (``role="document"``), all with the default model. Embeddings are written in slices of 4,096
under ``benchmarks/search_data/`` (ignored by git), so an interrupted run resumes where it stopped.

Synthetic data: 1M x 384 float32 vectors, normalized, drawn around 2,000 random centres so that
nearest neighbours mean something (uniform noise in 384-d has none); also cached there.
"""

from __future__ import annotations

import argparse
import ast
import os
import random
import re
import sys
import sysconfig
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np

__all__ = ["DATA", "collect_sentences", "real_embeddings", "synthetic_vectors"]

DATA = Path(__file__).resolve().parent / "search_data"
SLICE = 4096


def _python_files() -> Iterator[Path]:
    roots = {Path(sysconfig.get_paths()["stdlib"]), Path(sysconfig.get_paths()["purelib"])}
    for root in sorted(roots):
        for path in sorted(root.rglob("*.py")):
            if "test" not in path.parts and "tests" not in path.parts:
                yield path


def _docstrings(path: Path) -> Iterator[str]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except (SyntaxError, ValueError, RecursionError):
        return
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            text = ast.get_docstring(node)
            if text:
                yield text


def collect_sentences(total: int, seed: int = 0) -> list[str]:
    """``total`` distinct English sentences of 6 to 60 words, in a fixed shuffled order."""
    found: dict[str, None] = {}
    for path in _python_files():
        for text in _docstrings(path):
            for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z])", re.sub(r"\s+", " ", text)):
                sentence = sentence.strip()
                words = sentence.split()
                if 6 <= len(words) <= 60 and re.search(r"[a-z]{3} [a-z]{2}", sentence):
                    found.setdefault(sentence)
    pool = sorted(found)
    random.Random(seed).shuffle(pool)
    if len(pool) < total:
        raise SystemExit(f"only {len(pool)} sentences found here; ask for fewer")
    return pool[:total]


def _embed_slices(texts: list[str], name: str, role: str, reverse: bool = False) -> np.ndarray:
    import embedsdk_transformers.plugin

    import embedsdk
    from embedsdk.testing import isolated_plugins

    starts = list(range(0, len(texts), SLICE))
    # A second process can fill the slices from the other end (--reverse); each slice is written atomically.
    for start in reversed(starts) if reverse else starts:
        path = DATA / f"{name}_{start // SLICE:04d}.npy"
        if not path.exists():
            # Only the default model's plugin: another half-installed plugin must not stop a long run.
            with isolated_plugins(embedsdk_transformers.plugin):
                vectors = embedsdk.embed(texts[start : start + SLICE], role=role, cache=False, on_long="truncate")
            np.save(str(path) + ".tmp.npy", np.asarray(vectors, dtype=np.float32))
            os.replace(str(path) + ".tmp.npy", path)
            print(f"{name}: slice {start // SLICE} of {len(starts)} done", file=sys.stderr, flush=True)
    return np.concatenate([np.load(DATA / f"{name}_{start // SLICE:04d}.npy") for start in starts])


def real_embeddings(n: int = 100_000, queries: int = 1000, reverse: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(corpus vectors ``(n, 384)``, query vectors ``(queries, 384)``), from the default model, cached."""
    DATA.mkdir(exist_ok=True)
    (DATA / ".gitignore").write_text("*\n")
    texts_path = DATA / f"sentences_{n + queries}.txt"
    if texts_path.exists():
        texts = texts_path.read_text(encoding="utf-8").split("\n")
    else:
        texts = collect_sentences(n + queries)
        texts_path.write_text("\n".join(texts), encoding="utf-8")
    query_vectors = _embed_slices(texts[:queries], f"queries_{queries}", "query")
    corpus = _embed_slices(texts[queries:], f"corpus_{n}", "document", reverse)
    return corpus, query_vectors


def synthetic_vectors(n: int = 1_000_000, dim: int = 384, queries: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """(``n`` normalized clustered vectors, ``queries`` vectors near them), memory-mapped from the cache."""
    DATA.mkdir(exist_ok=True)
    (DATA / ".gitignore").write_text("*\n")
    path, qpath = DATA / f"synthetic_{n}x{dim}.npy", DATA / f"synthetic_queries_{queries}x{dim}.npy"
    if not path.exists():
        rng = np.random.default_rng(0)
        centres = rng.standard_normal((2000, dim)).astype(np.float32)
        out = np.lib.format.open_memmap(str(path) + ".tmp.npy", mode="w+", dtype=np.float32, shape=(n, dim))
        for start in range(0, n, 100_000):
            stop = min(n, start + 100_000)
            block = centres[rng.integers(0, len(centres), stop - start)]
            block += rng.standard_normal(block.shape, dtype=np.float32) * 0.8
            out[start:stop] = block / np.linalg.norm(block, axis=1, keepdims=True)
        out.flush()
        del out
        os.replace(str(path) + ".tmp.npy", path)
        picks = rng.integers(0, n, queries)
        base = np.load(path, mmap_mode="r")[np.sort(picks)]
        noisy = base + rng.standard_normal(base.shape, dtype=np.float32) * 0.03
        np.save(qpath, (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32))
    return np.load(path, mmap_mode="r"), np.load(qpath)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--reverse", action="store_true", help="embed the slices from the last one back")
    parser.add_argument("--real-only", action="store_true", help="skip the synthetic vectors")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    corpus, queries = real_embeddings(args.n, args.queries, args.reverse)
    print(f"real: corpus {corpus.shape}, queries {queries.shape}")
    if args.real_only:
        return
    vectors, synthetic_queries = synthetic_vectors()
    print(f"synthetic: {vectors.shape}, queries {synthetic_queries.shape}")


if __name__ == "__main__":
    main()
