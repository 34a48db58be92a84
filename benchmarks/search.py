"""Index backends vs faiss IndexFlatIP, in one run: q/s for 1,000 queries, recall@10, build time, memory.

    python benchmarks/search.py [--rounds 2] [--synthetic-n 1000000] [--real-n 100000]

Two data sets (see search_data.py; both cached under benchmarks/search_data/):

- **real**: the default model (all-MiniLM-L6-v2) over 100,000 sentences from the docstrings shipped with
  Python and its packages; 1,000 other sentences, embedded with ``role="query"``, are the queries.
- **synthetic**: 1M x 384 unit vectors around 2,000 random centres; the queries are stored vectors plus noise.

For each data set every index is built once (build time; as its memory, RSS growth over the build and a
first, untimed search of 50 queries, which makes what the index builds lazily: codes, bf16 rows), then
searched for the same 1,000 queries, k=10, in alternating rounds (faiss, flat, flat int8, ..., faiss,
flat, ...) so machine noise hits all alike. q/s is the median over rounds; the ratios are against faiss
``IndexFlatIP`` and against our exact ``flat`` in the same run; recall@10 is against faiss's exact results.
The indexes run with their default options except where the name says otherwise: ``flat`` is exact (a bf16
first pass, then float32 scores with a proof that nothing else can enter the top 10), ``flat int8`` rescores
its best 40 candidates by default, and ``hnsw`` is hnswlib with its defaults (m=16, ef_construction=200,
ef_search=40).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from search_data import real_embeddings, synthetic_vectors

K = 10


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


class Method:
    """One index under test: how to build it and how to search it (returning id numbers)."""

    def __init__(self, name: str, build: Callable[[np.ndarray], Any], search: Callable[[Any, np.ndarray], Any]):
        self.name, self._build, self._search = name, build, search
        self.index: Any = None
        self.build_s = self.memory_mb = 0.0
        self.rates: list[float] = []
        self.found: np.ndarray | None = None

    def build(self, vectors: np.ndarray, warm_up: np.ndarray) -> None:
        gc.collect()
        before, start = rss_mb(), time.perf_counter()
        self.index = self._build(vectors)
        self.build_s = time.perf_counter() - start
        self.run(warm_up)  # first-touch pages, thread pools, and what the first search builds (codes, bf16 rows)
        self.rates.clear()
        self.memory_mb = rss_mb() - before

    def run(self, queries: np.ndarray) -> None:
        start = time.perf_counter()
        self.found = np.asarray(self._search(self.index, queries))
        self.rates.append(len(queries) / (time.perf_counter() - start))

    def release(self) -> None:
        self.index = None
        gc.collect()


def faiss_flat() -> Method:
    import faiss

    def build(vectors: np.ndarray) -> Any:
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(vectors)
        return index

    return Method("faiss IndexFlatIP", build, lambda index, q: index.search(q, K)[1])


def ours(name: str, backend: str, **options: Any) -> Method:
    from embedsdk.retrieval import create_index

    def build(vectors: np.ndarray) -> Any:
        index = create_index(backend, **options)
        index.add([str(i) for i in range(len(vectors))], vectors)
        return index

    def search(index: Any, queries: np.ndarray) -> list[list[int]]:
        return [[int(hit.id) for hit in row] + [-1] * (K - len(row)) for row in index.search(queries, k=K)]

    return Method(name, build, search)


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(a.tolist()) & set(b.tolist())) / K for a, b in zip(found, truth)]))


def bench(title: str, vectors: np.ndarray, queries: np.ndarray, methods: list[Method], rounds: int) -> None:
    print(f"\n== {title}: {len(vectors):,} x {vectors.shape[1]} vectors, {len(queries):,} queries, k={K}", flush=True)
    for method in methods:
        method.build(vectors, queries[:50])
        print(f"built {method.name}: {method.build_s:.1f} s, +{method.memory_mb:,.0f} MB", flush=True)
    for round_ in range(1, rounds + 1):
        for method in methods:
            method.run(queries)
        print(f"round {round_}: " + "   ".join(f"{m.name} {m.rates[-1]:,.0f} q/s" for m in methods), flush=True)
    baseline, ours_flat = methods[0], methods[1]
    assert baseline.found is not None
    base_rate, flat_rate = statistics.median(baseline.rates), statistics.median(ours_flat.rates)
    print(
        f"{'method':32} {'build s':>8} {'memory MB':>10} {'q/s':>9} {'vs faiss flat':>14} {'vs flat':>8} "
        f"{'recall@10':>10}"
    )
    for method in methods:
        assert method.found is not None
        rate = statistics.median(method.rates)
        print(
            f"{method.name:32} {method.build_s:8.1f} {method.memory_mb:10,.0f} {rate:9,.0f} "
            f"{rate / base_rate:13.2f}x {rate / flat_rate:7.2f}x {recall(method.found, baseline.found):10.4f}"
        )
    for method in methods:
        method.release()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--real-n", type=int, default=100_000)
    parser.add_argument("--synthetic-n", type=int, default=1_000_000)
    parser.add_argument("--skip-real", action="store_true", help="only the synthetic vectors")
    parser.add_argument("--skip-synthetic", action="store_true", help="only the real embeddings")
    args = parser.parse_args()

    import embedsdk_faiss.plugin
    import embedsdk_hnswlib.plugin
    import faiss
    import torch

    from embedsdk.testing import isolated_plugins

    print(
        f"faiss {faiss.__version__} ({faiss.omp_get_max_threads()} threads), numpy {np.__version__}, "
        f"torch {torch.__version__} ({torch.get_num_threads()} threads, for flat's bf16 and int8 kernels), "
        f"{os.cpu_count()} CPUs"
    )
    # Only the backends measured here: a half-installed plugin elsewhere must not stop a long run.
    with isolated_plugins(embedsdk_faiss.plugin, embedsdk_hnswlib.plugin):
        run(args)


def run(args: argparse.Namespace) -> None:
    # The synthetic set first: the real embeddings may still be finishing in the background meanwhile.
    if not args.skip_synthetic:
        vectors, synthetic_queries = synthetic_vectors(args.synthetic_n, queries=args.queries)
        vectors = np.array(vectors)  # read the memory-mapped file into memory once, before any index is built
        bench(
            "synthetic (clustered unit vectors)",
            vectors,
            synthetic_queries,
            [
                faiss_flat(),
                ours("flat", "flat"),
                ours("flat int8 (rescore 40)", "flat", quantize="int8"),
                ours("flat int8 (rescore 100)", "flat", quantize="int8", rescore=100),
            ],
            args.rounds,
        )
        del vectors
    if not args.skip_real:
        corpus, queries = real_embeddings(args.real_n, args.queries)
        corpus, queries = np.array(corpus), np.array(queries)  # in memory, so RSS growth is each index's own
        bench(
            "real (all-MiniLM-L6-v2, docstring sentences)",
            corpus,
            queries,
            [
                faiss_flat(),
                ours("flat", "flat"),
                ours("flat int8 (rescore 40)", "flat", quantize="int8"),
                ours("flat int8 (rescore 100)", "flat", quantize="int8", rescore=100),
                ours("flat binary (rescore 400)", "flat", quantize="binary", rescore=400),
                ours("hnsw (m=16 efc=200 ef=40)", "hnsw"),
            ],
            args.rounds,
        )


if __name__ == "__main__":
    main()
