"""Static vectors vs MiniLM: GloVe load cost, embed throughput, and the distilled Model2Vec model's quality.

    python benchmarks/static.py [--n 10000] [--rounds 2]

1. GloVe 6B 50d load time and peak RSS, each in a fresh process: cold (empty conversion cache: the
   vocabulary is read from the package's parquet once) and warm (the vocabulary from the cache, the matrix
   memory-mapped).
2. ``embed`` throughput on the same 10,000 STS-B sentences, in alternating rounds, cache off, for ``glove``,
   the Model2Vec model distilled from MiniLM (``embedsdk.train.distill("minilm", dim=256)``, built once and
   kept in the cache folder) and ``minilm`` itself: texts/s per round, medians, ratios against MiniLM.
3. Quality on the held-out STS-B dev pairs (the distillation never saw them): Spearman correlation of the
   distilled model's pair cosines with MiniLM's, and each model's Spearman with the human scores.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import embedsdk
import embedsdk.train
from embedsdk.eval.correlation import spearman

STSB = Path("/work/shared/data/stsbenchmark-train-dev.tsv.gz")

LOAD = """
import resource, time
import embedsdk
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
table = embedsdk.embedder("glove").table
vector = embedsdk.embed(["the cat sat on the mat"], provider="glove", cache=False).vectors
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"{seconds:.3f} {before / 1024:.1f} {peak / 1024:.1f} {len(table)}")
"""


def read_stsb(path: Path) -> list[dict[str, str]]:
    """The STS-B rows (split, score, sentence1, sentence2)."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def load_cost(cache: str) -> tuple[float, float, float]:
    """(seconds, RSS before, peak RSS in MiB) of loading GloVe and embedding one text, in a fresh process."""
    env = {**os.environ, "EMBEDSDK_CACHE_DIR": cache}
    out = subprocess.run([sys.executable, "-c", LOAD], capture_output=True, text=True, env=env, check=True)
    seconds, before, peak, _ = out.stdout.split()
    return float(seconds), float(before), float(peak)


def options(provider: str) -> dict[str, str]:
    """GloVe drops unknown words and gives an all-unknown text a zero vector; the others take no options."""
    return {"oov": "ignore", "oov_fallback": "zero"} if provider == "glove" else {}


def rate(texts: list[str], provider: str) -> float:
    """Texts per second of one uncached ``embed`` call."""
    start = time.perf_counter()
    embedsdk.embed(texts, provider=provider, cache=False, **options(provider))
    return len(texts) / (time.perf_counter() - start)


def pair_cosines(provider: str, pairs: list[tuple[str, str]]) -> np.ndarray:
    """Cosine of each pair's two sentences."""
    left = embedsdk.embed([a for a, _ in pairs], provider=provider, normalize=True, **options(provider)).vectors
    right = embedsdk.embed([b for _, b in pairs], provider=provider, normalize=True, **options(provider)).vectors
    return np.einsum("ij,ij->i", left, right)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--load-runs", type=int, default=3)
    args = parser.parse_args()

    print("== GloVe 6B 50d: load time and peak RSS (fresh process each; 400,000 x 50 float32 = 76 MiB)")
    with tempfile.TemporaryDirectory() as cold_dir:
        cold = load_cost(cold_dir)
        warm = [load_cost(cold_dir) for _ in range(args.load_runs)]
    print(f"cold (vocabulary read from parquet, cached): {cold[0]:.2f} s, RSS {cold[1]:.0f} -> peak {cold[2]:.0f} MiB")
    for seconds, before, peak in warm:
        print(
            f"warm (vocabulary cached, matrix memory-mapped): {seconds:.2f} s, RSS {before:.0f} -> peak {peak:.0f} MiB"
        )

    rows = read_stsb(STSB)
    sentences = list(dict.fromkeys(s for row in rows for s in (row["sentence1"], row["sentence2"])))[: args.n]
    print(f"\n== embed throughput: {len(sentences)} STS-B sentences, cache off, alternating rounds")
    start = time.perf_counter()
    folder = embedsdk.train.distill("minilm", dim=256)
    print(f"distilled Model2Vec folder: {folder} ({time.perf_counter() - start:.1f} s, reused when present)")
    distilled = f"static/{folder}"
    providers = {"minilm": "minilm", "glove": "glove", "model2vec": distilled}
    for provider in providers.values():  # warm-up: weights, tables, tokenizers
        rate(sentences[:64], provider)
    rates: dict[str, list[float]] = {name: [] for name in providers}
    for round_ in range(1, args.rounds + 1):
        for name, provider in providers.items():
            rates[name].append(rate(sentences, provider))
        print(f"round {round_}: " + ", ".join(f"{name} {rates[name][-1]:,.0f} texts/s" for name in providers))
    medians = {name: statistics.median(values) for name, values in rates.items()}
    for name in ("glove", "model2vec"):
        print(
            f"{name}: median {medians[name]:,.0f} texts/s = {medians[name] / medians['minilm']:.1f}x minilm "
            f"({medians['minilm']:,.1f} texts/s)"
        )

    print("\n== quality on the held-out STS-B dev pairs")
    dev = [row for row in rows if row["split"] == "dev"]
    pairs = [(row["sentence1"], row["sentence2"]) for row in dev]
    gold = np.array([float(row["score"]) for row in dev])
    cosines = {name: pair_cosines(provider, pairs) for name, provider in providers.items()}
    agreement = spearman(cosines["model2vec"], cosines["minilm"])
    print(f"{len(pairs)} pairs; Spearman(distilled cosines, MiniLM cosines) = {agreement:.3f}")
    for name in providers:
        print(f"Spearman with human scores: {name} {spearman(cosines[name], gold):.3f}")


if __name__ == "__main__":
    main()
