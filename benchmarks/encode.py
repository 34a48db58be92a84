"""embedsdk's default provider in each precision vs sentence-transformers fp32 on the same model, measured alternately.

    python benchmarks/encode.py [--n 4000] [--rounds 3] [--variants fp32,auto,onnx] [--threads N] [--cache-n 10000]

All embed the same real sentences (5 to 200 tokens; see corpus.py) with all-MiniLM-L6-v2 on the same device.
After an untimed full round on every side (warm-up), each round runs every variant once, in turn (ST,
embedsdk fp32, embedsdk auto...), so machine noise hits them alike; the embedsdk calls go through the whole
pipeline with the cache off. A variant is a precision (``fp32``, ``auto``, ``bf16``...) on the torch backend,
or ``onnx`` (``backend="onnx"``, fp32). Prints texts/s per round, each variant's median as a ratio to ST's,
the minimum cosine against ST fp32, and a GEMM probe: the peak GFLOP/s of large matrix products in fp32 and
bf16 (the best of several sizes, and of torch and numpy for fp32, of torch's matmul and oneDNN's packed linear
for bf16), and each variant's useful GFLOP/s (the
model's FLOPs on the real, unpadded tokens per second) as a percentage of the peak of its precision. Last, the
cache: ``--cache-n`` texts embedded once into an empty cache folder by the default provider, then again, fully
cached.

What was tried and lost is recorded in docs/speed.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from corpus import sentences

import embedsdk


def gemm_peak(dtype: Any, sizes: Sequence[int] = (1024, 2048, 4096), repeats: int = 5) -> float:
    """Best GFLOP/s of square matrix products in ``dtype``: torch at each size, numpy too for float32, and for
    bf16 oneDNN's packed linear (the fast path's kernel) too.

    The best over sizes and libraries, so the percentages below are against what this CPU can really do (a
    single size or library under-reports it, and a kernel elsewhere then shows over 100 %).
    """
    import torch
    from embedsdk_transformers.fastpath import _supported

    onednn = _supported(torch)
    best = 0.0
    for size in sizes:
        a = torch.randn(size, size).to(dtype)
        b = torch.randn(size, size).to(dtype)
        candidates: list[Callable[[], Any]] = [lambda a=a, b=b: torch.matmul(a, b)]
        if dtype == torch.float32:
            x, y = a.numpy(), b.numpy()
            candidates.append(lambda x=x, y=y: x @ y)
        elif dtype == torch.bfloat16 and onednn:
            # The kernel the bf16 fast path runs: oneDNN's linear with its weight packed once.
            packed = torch.ops.mkldnn._reorder_linear_weight(b.t().contiguous(), None)
            candidates.append(lambda a=a, w=packed: torch.ops.mkldnn._linear_pointwise(a, w, None, "none", [], ""))
        for run in candidates:
            run()
            for _ in range(repeats):
                start = time.perf_counter()
                run()
                best = max(best, 2 * size**3 / (time.perf_counter() - start) / 1e9)
    return best


def model_flops(config: Any, lengths: Sequence[int]) -> float:
    """Multiply-adds x 2 of a BERT-style encoder over sequences of ``lengths`` tokens (no padding)."""
    hidden, inner, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    total = 0.0
    for length in lengths:
        projections = 4 * 2 * length * hidden * hidden  # Q, K, V, output
        feed_forward = 2 * 2 * length * hidden * inner
        attention = 2 * 2 * length * length * hidden  # scores and weighted sum
        total += layers * (projections + feed_forward + attention)
    return total


def min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float((np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))).min())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--provider", default="minilm")
    parser.add_argument("--variants", default="fp32,auto,onnx", help="embedsdk precisions or onnx, comma-separated")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own)")
    parser.add_argument("--cache-n", type=int, default=10_000, help="texts for the cached-throughput check")
    parser.add_argument("--no-warmup", dest="warmup", action="store_false", help="skip the untimed full round")
    args = parser.parse_args()

    import torch
    from sentence_transformers import SentenceTransformer

    if args.threads:
        torch.set_num_threads(args.threads)
    precisions = [p.strip() for p in args.variants.split(",") if p.strip()]
    models = {
        p: embedsdk.embedder(args.provider, **({"backend": "onnx"} if p == "onnx" else {"precision": p}))
        for p in precisions
    }
    first = models[precisions[0]]
    texts = sentences(args.n, first.tokenizer.count)
    folder = str(first.recipe.folder)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    st = SentenceTransformer(folder, device=device)
    print(f"{len(texts)} sentences, model {folder}, device {device}, torch threads {torch.get_num_threads()}")
    for precision, model in models.items():
        print(f"embedsdk {precision}: computes in {model.precision} on {model.backend}")

    # Warm-up: load weights (and run each gate), then one untimed full round on every side, so each side's
    # caches for the batch shapes of these texts (oneDNN primitives, ONNX Runtime allocations) are warm and
    # the rounds measure the steady state.
    st.encode(texts[:64], batch_size=32)
    for model in models.values():
        embedsdk.embed(texts[:64], provider=model, cache=False)
    if args.warmup:
        st.encode(texts, batch_size=32)
        for model in models.values():
            embedsdk.embed(texts, provider=model, cache=False)

    runs: dict[str, Callable[[], np.ndarray]] = {
        "sentence-transformers fp32": lambda: st.encode(texts, batch_size=32, convert_to_numpy=True)
    }
    for precision, model in models.items():
        runs[f"embedsdk {precision}"] = lambda model=model: embedsdk.embed(texts, provider=model, cache=False).vectors
    rates: dict[str, list[float]] = {name: [] for name in runs}
    outputs: dict[str, np.ndarray] = {}
    for round_ in range(1, args.rounds + 1):
        line = []
        for name, run in runs.items():
            start = time.perf_counter()
            outputs[name] = run()
            rates[name].append(len(texts) / (time.perf_counter() - start))
            line.append(f"{name} {rates[name][-1]:7.1f}")
        print(f"round {round_}: " + "   ".join(line) + "  texts/s")

    # Cached throughput: --cache-n texts through a cache folder of their own, filled by the first call.
    import tempfile

    # More distinct texts than the corpus has sentences: pairs of its sentences, cut at the model's limit.
    pool = sentences(4000, first.tokenizer.count)
    pairs = (f"{pool[i]} {pool[(i * 7 + 1) % len(pool)]}" for i in range(len(pool)))
    many = list(dict.fromkeys([*pool, *pairs, *(f"{t} {t}" for t in pool)]))[: args.cache_n]
    with tempfile.TemporaryDirectory() as folder:
        cache = embedsdk.EmbeddingCache(folder)
        model = embedsdk.embedder(args.provider)
        start = time.perf_counter()
        embedsdk.embed(many, provider=model, cache=cache, on_long="truncate")
        uncached = time.perf_counter() - start
        start = time.perf_counter()
        hit = embedsdk.embed(many, provider=model, cache=cache, on_long="truncate")
        cached = time.perf_counter() - start
        cache.close()
    print(
        f"cache ({len(many)} texts, default provider, {model.precision}): uncached {len(many) / uncached:.1f} "
        f"texts/s, fully cached {len(many) / cached:.0f} texts/s ({hit.stats.cache_hits} hits), "
        f"ratio {uncached / cached:.0f}x (target >= 50x)"
    )

    baseline = "sentence-transformers fp32"
    reference = outputs[baseline]
    base = statistics.median(rates[baseline])
    peaks = {"fp32": gemm_peak(torch.float32), "bf16": gemm_peak(torch.bfloat16)}
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(str(first.recipe.transformer_folder), local_files_only=True)
    flops = model_flops(config, first.tokenizer.count(texts))
    print(
        f"GEMM peak (best square matmul, 1024-4096; fp32: torch, numpy; bf16: torch, oneDNN packed): "
        f"fp32 {peaks['fp32']:.0f} GFLOP/s, bf16 {peaks['bf16']:.0f} GFLOP/s"
    )
    print(f"model work: {flops / 1e9:.0f} GFLOP on the unpadded tokens of the {len(texts)} sentences")
    for name in runs:
        median = statistics.median(rates[name])
        computed = "fp32" if name == baseline else models[name.split()[-1]].precision
        useful = flops * median / len(texts) / 1e9
        peak = peaks.get(computed, peaks["fp32"])
        print(
            f"{name:28s} median {median:7.1f} texts/s  ratio {median / base:5.2f}x  min cosine vs ST fp32 "
            f"{min_cosine(outputs[name], reference):.6f}  useful {useful:6.1f} GFLOP/s = "
            f"{100 * useful / peak:4.1f}% of the {computed} peak"
        )


if __name__ == "__main__":
    main()
