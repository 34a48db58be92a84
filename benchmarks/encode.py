"""embedsdk's default provider vs sentence-transformers on the same model, measured alternately.

    python benchmarks/encode.py [--n 4000] [--rounds 3]

Both embed the same 4,000 real sentences (5 to 200 tokens; see corpus.py) with all-MiniLM-L6-v2 on the same
device. Rounds alternate (ST, embedsdk, ST, embedsdk...) so machine noise hits both alike; the embedsdk call
goes through the whole pipeline with the cache off. Prints texts/s per round, the ratio of medians, and
the minimum cosine between the two outputs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from corpus import sentences

import embedsdk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--provider", default="minilm")
    args = parser.parse_args()

    import torch
    from sentence_transformers import SentenceTransformer

    model = embedsdk.embedder(args.provider)
    texts = sentences(args.n, model.tokenizer.count)
    folder = str(model.recipe.folder)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    st = SentenceTransformer(folder, device=device)
    print(f"{len(texts)} sentences, model {folder}, device {device}, torch threads {torch.get_num_threads()}")

    # Warm-up: load weights and allocator pools on both sides before timing.
    st.encode(texts[:64], batch_size=32)
    embedsdk.embed(texts[:64], provider=args.provider, cache=False)

    st_rates, our_rates = [], []
    for round_ in range(1, args.rounds + 1):
        start = time.perf_counter()
        reference = st.encode(texts, batch_size=32, convert_to_numpy=True)
        st_rates.append(len(texts) / (time.perf_counter() - start))
        start = time.perf_counter()
        ours = embedsdk.embed(texts, provider=args.provider, cache=False)
        our_rates.append(len(texts) / (time.perf_counter() - start))
        print(
            f"round {round_}: sentence-transformers {st_rates[-1]:7.1f} texts/s   embedsdk {our_rates[-1]:7.1f} "
            f"texts/s   ratio {our_rates[-1] / st_rates[-1]:.2f}x"
        )

    cosines = np.sum(reference * ours.vectors, axis=1) / (
        np.linalg.norm(reference, axis=1) * np.linalg.norm(ours.vectors, axis=1)
    )
    st_median, our_median = statistics.median(st_rates), statistics.median(our_rates)
    print(
        f"median: sentence-transformers {st_median:.1f} texts/s, embedsdk {our_median:.1f} texts/s, "
        f"ratio {our_median / st_median:.2f}x"
    )
    print(f"min cosine embedsdk vs sentence-transformers: {cosines.min():.7f} (target >= 0.99999)")


if __name__ == "__main__":
    main()
