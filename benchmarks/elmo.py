"""embedsdk's ELMo port vs the elmoformanylangs reference on the same random model, measured alternately.

    python benchmarks/elmo.py [--n 2000] [--rounds 3] [--cell 512] [--projection 128] [--threads N]

Both read the same ELMoForManyLangs folder (random weights written on the fly by
``embedsdk_elmo.testing.write_random_manylangs``: a character CNN of 256 filters, a 32-d word embedding,
a two-layer BiLSTM with 512-d cells and 128-d projections) and embed the same 2,000 real English
sentences of 1 to 60 words (corpus.py: Python's own docs). Rounds alternate (reference, embedsdk,
reference, embedsdk...) so machine noise hits both alike. The reference gets the sentences already cut
into words and its default batch size (64); embedsdk gets the raw texts and goes through the whole
pipeline (word tokenizer, planner, the port, mean pooling) with the cache off. Prints words/s per round
(wall clock, and per CPU-second of this process, which machine load disturbs less), the ratios of
medians, and the minimum cosine between the two outputs' sentence vectors. ``--threads`` sets torch's
thread count for both (default: torch's own).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from corpus import sentences

import embedsdk


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cell", type=int, default=512)
    parser.add_argument("--projection", type=int, default=128)
    parser.add_argument("--threads", type=int, default=0, help="torch threads for both (0: torch's default)")
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
        reference = Embedder(str(folder), batch_size=64)
        # The reference's BiLSTM carries its states from one batch to the next (a training habit of
        # AllenNLP's); embedsdk starts every sentence from zeros. Turned off so both compute the same thing.
        reference.model.encoder.stateful = False
        ours = embedsdk.embedder(provider, device="cpu")
        print(
            f"{len(texts)} sentences, {total_words} words (1-60 per sentence), cell {args.cell}, projection "
            f"{args.projection}, device cpu, torch threads {torch.get_num_threads()}"
        )
        # Warm-up: load weights and allocator pools on both sides before timing.
        reference.sents2elmo(words[:64])
        ours.embed(texts[:64], cache=False)

        ref_rates, our_rates, ref_cpu, our_cpu = [], [], [], []
        for round_ in range(1, args.rounds + 1):
            start, cpu = time.perf_counter(), time.process_time()
            theirs = reference.sents2elmo(words, output_layer=-2)
            ref_rates.append(total_words / (time.perf_counter() - start))
            ref_cpu.append(total_words / (time.process_time() - cpu))
            start, cpu = time.perf_counter(), time.process_time()
            mine = ours.embed(texts, cache=False)
            our_rates.append(total_words / (time.perf_counter() - start))
            our_cpu.append(total_words / (time.process_time() - cpu))
            print(
                f"round {round_}: elmoformanylangs {ref_rates[-1]:8.1f} words/s ({ref_cpu[-1]:8.1f} per CPU-s)   "
                f"embedsdk {our_rates[-1]:8.1f} words/s ({our_cpu[-1]:8.1f} per CPU-s)   "
                f"ratio {our_rates[-1] / ref_rates[-1]:.2f}x ({our_cpu[-1] / ref_cpu[-1]:.2f}x per CPU-s)"
            )
        # The reference's sentence vectors: the mean over words of the average layer.
        expected = np.stack([layers.mean(0).mean(0) for layers in theirs])
        got = mine.vectors
        cosines = (expected * got).sum(1) / (np.linalg.norm(expected, axis=1) * np.linalg.norm(got, axis=1))
        median = statistics.median
        print(
            f"median: elmoformanylangs {median(ref_rates):.1f} words/s, embedsdk {median(our_rates):.1f} words/s, "
            f"ratio {median(our_rates) / median(ref_rates):.2f}x "
            f"(per CPU-s: {median(our_cpu) / median(ref_cpu):.2f}x); "
            f"min cosine of sentence vectors (last round) {cosines.min():.7f}"
        )


if __name__ == "__main__":
    main()
