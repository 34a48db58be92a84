"""embedsdk's ELMo port (fp32 and precision="auto") vs the elmoformanylangs reference, measured alternately.

    python benchmarks/elmo.py [--n 2000] [--rounds 3] [--cell 512] [--projection 128] [--threads N] [--no-reference]

Both read the same ELMoForManyLangs folder (random weights written on the fly by
``embedsdk_elmo.testing.write_random_manylangs``: a character CNN of 256 filters, a 32-d word embedding,
a two-layer BiLSTM with 512-d cells and 128-d projections) and embed the same 2,000 real English
sentences of 1 to 60 words (corpus.py: Python's own docs). Rounds alternate (reference, embedsdk fp32,
embedsdk auto, and again...) so machine noise hits all alike. The reference gets the sentences already
cut into words and its default batch size (64); embedsdk gets the raw texts and goes through the whole
pipeline (word tokenizer, planner, the port, mean pooling) with the cache off. Prints texts/s per round
(wall clock, and per CPU-second of this process, which machine load disturbs less), the medians with
words/s and their ratios, and each output's minimum cosine of sentence vectors against embedsdk fp32.
``--threads`` sets torch's thread count for all (default: torch's own).

embedsdk runs two ways: ``precision="fp32"`` (exact) and ``precision="auto"`` (bf16 where the CPU has
AVX512-BF16 or AMX, behind the quality gate: the line before the rounds says what the gate measured and
kept; the gate's memo goes to a temporary cache folder, so it is measured in every run). Ratios are
against the reference and, for auto, against fp32 in the same run. ``--no-reference`` skips the (slow)
reference.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from corpus import sentences

import embedsdk
from embedsdk import devices


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cell", type=int, default=512)
    parser.add_argument("--projection", type=int, default=128)
    parser.add_argument("--threads", type=int, default=0, help="torch threads for both (0: torch's default)")
    parser.add_argument("--no-reference", action="store_true", help="time embedsdk only (fp32, auto)")
    args = parser.parse_args()

    import torch
    from elmoformanylangs import Embedder
    from embedsdk_elmo.testing import write_random_manylangs
    from embedsdk_elmo.tokenizer import WordTokenizer

    logging.getLogger("elmoformanylangs").setLevel(logging.ERROR)
    if args.threads:
        torch.set_num_threads(args.threads)
    tokenizer = WordTokenizer()
    texts = sentences(args.n, tokenizer.count, min_tokens=1, max_tokens=60)
    words = [tokenizer.words(t) for t in texts]
    total_words = sum(len(w) for w in words)
    vocabulary = sorted({w for sentence in words for w in sentence})
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["EMBEDSDK_CACHE_DIR"] = str(Path(tmp) / "cache")  # the gate measures afresh in every run
        folder = write_random_manylangs(
            Path(tmp) / "elmo",
            vocabulary[:5000],
            char_dim=16,
            filters=((1, 32), (2, 32), (3, 64), (4, 128)),
            n_highway=2,
            word_dim=32,
            projection_dim=args.projection,
            cell_dim=args.cell,
            scale=0.1,
        )
        provider = f"elmo/{folder}"
        exact = embedsdk.embedder(provider, device="cpu", precision="fp32")
        auto = embedsdk.embedder(provider, device="cpu")  # precision="auto", the default
        print(
            f"{len(texts)} sentences, {total_words} words (1-60 per sentence), cell {args.cell}, projection "
            f"{args.projection}, device cpu, torch threads {torch.get_num_threads()}"
        )
        precision = auto.precision  # runs the gate where auto means bf16
        memo = Path(tmp) / "cache" / "memos" / "embedsdk_elmo.precision_gate.json"
        verdicts = json.loads(memo.read_text()) if memo.exists() else {}
        print(
            f"auto: native bf16 {devices.cpu_has_native_bf16()}, runs in {precision}; "
            f"gate verdicts {verdicts if verdicts else '(none: fp32 needs no probe)'}"
        )
        contestants: dict[str, Any] = {"embedsdk fp32": exact, f"embedsdk auto({auto.precision})": auto}
        if not args.no_reference:
            reference = Embedder(str(folder), batch_size=64)
            # The reference's BiLSTM carries its states from one batch to the next (a training habit of
            # AllenNLP's); embedsdk starts every sentence from zeros. Turned off so both compute the same thing.
            reference.model.encoder.stateful = False
            contestants = {"elmoformanylangs": reference, **contestants}
        # Warm-up: load weights and allocator pools on every side before timing.
        for contestant in contestants.values():
            _run(contestant, texts[:64], words[:64])

        rates: dict[str, list[float]] = {name: [] for name in contestants}
        cpu_rates: dict[str, list[float]] = {name: [] for name in contestants}
        outputs: dict[str, np.ndarray] = {}
        for round_ in range(1, args.rounds + 1):
            line = []
            for name, contestant in contestants.items():
                start, cpu = time.perf_counter(), time.process_time()
                outputs[name] = _run(contestant, texts, words)
                rates[name].append(len(texts) / (time.perf_counter() - start))
                cpu_rates[name].append(len(texts) / (time.process_time() - cpu))
                line.append(f"{name} {rates[name][-1]:7.1f} texts/s ({cpu_rates[name][-1]:7.1f} per CPU-s)")
            print(f"round {round_}: " + "   ".join(line))
        median = statistics.median
        base = "elmoformanylangs" if not args.no_reference else "embedsdk fp32"
        summary = []
        for name in contestants:
            rate = median(rates[name])
            words_rate = rate * total_words / len(texts)
            against = [f"{rate / median(rates[base]):.2f}x {base}"] if name != base else []
            if name not in (base, "embedsdk fp32") and base != "embedsdk fp32":
                against.append(f"{rate / median(rates['embedsdk fp32']):.2f}x fp32")
            cosine = _min_cosine(outputs["embedsdk fp32"], outputs[name])
            summary.append(
                f"  {name}: {rate:.1f} texts/s ({words_rate:.0f} words/s)"
                + (f", {', '.join(against)}" if against else "")
                + (f"; min cosine vs embedsdk fp32 {cosine:.7f}" if name != "embedsdk fp32" else "")
            )
        print("median of rounds:\n" + "\n".join(summary))


def _run(contestant: Any, texts: list[str], words: list[list[str]]) -> np.ndarray:
    """Sentence vectors (mean over words of the average layer) from either side."""
    if hasattr(contestant, "sents2elmo"):
        return np.stack([layers.mean(0).mean(0) for layers in contestant.sents2elmo(words, output_layer=-2)])
    vectors: np.ndarray = contestant.embed(texts, cache=False).vectors
    return vectors


def _min_cosine(expected: np.ndarray, got: np.ndarray) -> float:
    norms = np.linalg.norm(expected, axis=1) * np.linalg.norm(got, axis=1)
    return float(((expected * got).sum(1) / norms).min())


if __name__ == "__main__":
    main()
