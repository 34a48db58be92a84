"""The evaluation harness over every task, and the payoff of fine-tuning, written up as a Markdown report.

    python benchmarks/eval.py [--rounds 2] [--out benchmarks/eval-report.md]     # the harness
    python benchmarks/eval.py --finetune [--out benchmarks/finetune-report.md]   # fine-tuning (CPU-heavy)

On a CPU shared with other work, OMP_NUM_THREADS=1 keeps torch from stalling on its own threads.

Harness: the default model (all-MiniLM-L6-v2), plus GloVe 6B 50d (``glove``) and USE multilingual (``muse``)
when their plugins are installed, on every task:

- STS: STS Benchmark dev (1,500 pairs, ../shared/data or EMBEDSDK_STSB). The default model's Spearman is
  checked against sentence-transformers' own ``EmbeddingSimilarityEvaluator`` on the same pairs (must agree
  within 0.005); the rounds alternate (sentence-transformers, embedsdk, ...) with the cache off, and the
  time ratio is printed.
- Retrieval: STS-B dev turned into retrieval (sentence1 as the query, its sentence2s scored >= 4 relevant,
  among all sentence2s).
- Classification: gensim's pang_lee_polarity.cor (200 sentences, pos/neg); clustering: STS-B dev sentences
  by genre (captions, news, forums).
- Document similarity: the Lee corpus (50 documents, human similarity matrix) from gensim's test data.
- WEAT: the four built-in tests of Caliskan et al. (2017).
- Word similarity (WordSim353) and analogies (Google), from ``embedsdk.eval.words``.

Fine-tuning: the default model on STS-B train for one epoch on this CPU, once with ``mnrl`` over the pairs
scored >= 4 and once with ``cosine`` over every pair (score / 5); STS-B dev Spearman before and after, and
the training time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import embedsdk
import embedsdk.eval
import embedsdk.train
from embedsdk.eval.report import to_markdown, to_table
from embedsdk.eval.wordsets import PAPER_EFFECT_SIZES, WEAT_TESTS

ROOT = Path(__file__).resolve().parents[1]
STSB = Path(os.environ.get("EMBEDSDK_STSB", ROOT.parent / "shared" / "data" / "stsbenchmark-train-dev.tsv.gz"))
# Provider -> options for every task (GloVe meets words it does not know in running text: skip them).
OPTIONAL_PROVIDERS = {"glove": {"oov": "skip"}, "muse": {}}


def providers() -> dict[str, dict[str, Any]]:
    """The default model, and the optional ones whose plugins are installed."""
    known = {alias for info in embedsdk.providers() for alias in (info.id, *info.aliases)}
    chosen: dict[str, dict[str, Any]] = {"minilm": {}}
    chosen.update({name: options for name, options in OPTIONAL_PROVIDERS.items() if name in known})
    return chosen


def sentence_transformers_parity(dev: list[Any], rounds: int) -> list[str]:
    """STS-B dev Spearman from embedsdk and from sentence-transformers' evaluator, alternating rounds."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.evaluation import EmbeddingSimilarityEvaluator

    folder = str(embedsdk.embedder("minilm").recipe.folder)
    model = SentenceTransformer(folder, device="cpu")
    evaluator = EmbeddingSimilarityEvaluator(
        [p.sentence1 for p in dev], [p.sentence2 for p in dev], [p.score / 5 for p in dev], name="stsb-dev"
    )
    theirs, ours, their_times, our_times = [], [], [], []
    for round_ in range(1, rounds + 1):
        start = time.perf_counter()
        theirs.append(evaluator(model)["stsb-dev_spearman_cosine"])
        their_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        ours.append(embedsdk.eval.sts("minilm", dev, cache=False).spearman)
        our_times.append(time.perf_counter() - start)
        print(
            f"round {round_}: sentence-transformers {theirs[-1]:.4f} in {their_times[-1]:.1f} s   "
            f"embedsdk {ours[-1]:.4f} in {our_times[-1]:.1f} s",
            flush=True,
        )
    gap = abs(ours[-1] - theirs[-1])
    ratio = statistics.median(their_times) / statistics.median(our_times)
    verdict = "PASS" if gap <= 0.005 else "FAIL"
    return [
        f"- embedsdk `eval.sts('minilm', dev)`: Spearman **{ours[-1]:.4f}**",
        f"- sentence-transformers `EmbeddingSimilarityEvaluator` on the same {len(dev)} pairs: **{theirs[-1]:.4f}**",
        f"- difference {gap:.5f} ({verdict}: must be <= 0.005); speed, median of {rounds} alternating rounds "
        f"with the cache off: embedsdk {ratio:.2f}x sentence-transformers' evaluator "
        f"({statistics.median(our_times):.1f} s vs {statistics.median(their_times):.1f} s)",
    ]


def harness(rounds: int) -> str:
    """Run every task on every provider and return the Markdown report."""
    from gensim.test.utils import datapath

    dev = embedsdk.eval.read_pairs(STSB, split="dev")
    import torch

    command = f"python benchmarks/eval.py --rounds {rounds}"
    threads = f"{os.cpu_count()} CPU cores (shared), torch {torch.get_num_threads()} thread(s)"
    lines = ["# Evaluation harness report", "", f"`{command}` on {threads}.", ""]
    lines += ["## STS-B dev: embedsdk vs sentence-transformers' evaluator (default model)", ""]
    lines += sentence_transformers_parity(dev, rounds)
    retrieval_task = embedsdk.eval.retrieval_from_pairs(dev)
    polarity_texts, polarity_labels = embedsdk.eval.read_labelled(datapath("pang_lee_polarity.cor"))
    genres = _genres(STSB, "dev")
    lee_docs, lee_matrix = embedsdk.eval.lee_corpus()
    tasks: list[tuple[str, Any]] = [
        ("sts", lambda p, o: embedsdk.eval.sts(p, dev, **o)),
        ("retrieval", lambda p, o: embedsdk.eval.retrieval(p, *retrieval_task, **o)),
        ("classification", lambda p, o: embedsdk.eval.classification(p, polarity_texts, polarity_labels, **o)),
        ("clustering", lambda p, o: embedsdk.eval.clustering(p, [t for t, _ in genres], [g for _, g in genres], **o)),
        ("document_similarity", lambda p, o: embedsdk.eval.document_similarity(p, lee_docs, lee_matrix, **o)),
        *((f"weat {name}", lambda p, o, n=name: embedsdk.eval.weat(p, n, **o)) for name in WEAT_TESTS),
        ("word_similarity", lambda p, o: embedsdk.eval.word_similarity(p, "wordsim353", **o)),
        ("analogy", lambda p, o: embedsdk.eval.analogy(p, "google", **o)),
    ]
    results: dict[str, list[Any]] = defaultdict(list)
    failures: list[str] = []
    for provider, options in providers().items():
        for name, run in tasks:
            start = time.perf_counter()
            try:
                result = run(provider, options)
            except embedsdk.EmbedSDKError as exc:  # a provider that cannot do a task: reported, not fatal
                failures.append(f"- {provider} / {name}: {type(exc).__name__}: {str(exc)[:200]}")
                print(f"{provider:8} {name:28} skipped: {exc}", flush=True)
                continue
            results[name].append(result)
            summary = ", ".join(f"{k} {v:.4f}" for k, v in result.metrics.items())
            print(f"{provider:8} {name:28} {summary}  ({time.perf_counter() - start:.1f} s)", flush=True)
    lines += ["", "## Every task, every provider", ""]
    lines += [f"Providers: {', '.join(providers())}. Cost: items asked for, cache hits, tokens, requests, seconds.", ""]
    for name, rows in results.items():
        lines += [f"### {name}", "", to_markdown(rows), ""]
        print(f"\n{name}\n{to_table(rows)}")
    paper = ", ".join(f"{name} {value:.2f}" for name, value in PAPER_EFFECT_SIZES.items())
    lines += [f"WEAT effect sizes in the paper (GloVe Common Crawl 840B): {paper}", ""]
    if failures:
        lines += ["### Not run", "", *failures, ""]
    return "\n".join(lines)


def _genres(path: Path, split: str) -> list[tuple[str, str]]:
    """(sentence1, genre) of the STS-B rows of ``split``, one per distinct sentence."""
    import csv
    import gzip

    with gzip.open(path, "rt", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    seen: dict[str, str] = {}
    for row in rows:
        if row["split"] == split:
            seen.setdefault(row["sentence1"], row["genre"].removeprefix("main-"))
    return list(seen.items())


def finetune(batch_size: int) -> str:
    """Fine-tune the default model on STS-B train with mnrl and with cosine; STS-B dev before and after."""
    train = embedsdk.eval.read_pairs(STSB, split="train")
    dev = embedsdk.eval.read_pairs(STSB, split="dev")
    import torch

    print(f"torch threads {torch.get_num_threads()}", flush=True)
    start = time.perf_counter()
    base = embedsdk.eval.sts("minilm", dev)
    print(f"base model: STS-B dev Spearman {base.spearman:.4f} ({time.perf_counter() - start:.1f} s)", flush=True)
    runs = {
        "mnrl": ([(p.sentence1, p.sentence2) for p in train if p.score >= 4], None),
        "cosine": ([(p.sentence1, p.sentence2) for p in train], [p.score / 5 for p in train]),
    }
    lines = [
        "# Fine-tuning payoff",
        "",
        "`OMP_NUM_THREADS=1 nice -n 5 python benchmarks/eval.py --finetune` (one torch thread: this 2-core machine "
        "was shared by other jobs): all-MiniLM-L6-v2 on STS Benchmark train, one epoch on this CPU, "
        f"batch size {batch_size}, lr 2e-5, seed 0; STS-B dev Spearman through `embedsdk.eval.sts`.",
        "",
        "| objective | training pairs | steps | training time | STS-B dev Spearman before | after | change |",
        "|---|---|---|---|---|---|---|",
    ]
    for loss, (pairs, labels) in runs.items():
        output = Path(tempfile.mkdtemp(prefix=f"minilm-stsb-{loss}-"))
        folder = embedsdk.train.contrastive(
            "minilm", pairs, labels, loss=loss, epochs=1, batch_size=batch_size, lr=2e-5, seed=0, holdout=0,
            output=output, device="cpu",
        )  # fmt: skip
        after = embedsdk.eval.sts(f"hf/{folder}", dev)
        report = folder.report
        change = after.spearman - base.spearman
        print(
            f"{loss}: {len(pairs)} pairs, {report.steps} steps in {report.seconds:.0f} s; dev Spearman "
            f"{base.spearman:.4f} -> {after.spearman:.4f} ({change:+.4f})",
            flush=True,
        )
        lines.append(
            f"| `{loss}` | {len(pairs)} | {report.steps} | {report.seconds / 60:.1f} min | {base.spearman:.4f} | "
            f"{after.spearman:.4f} | {change:+.4f} |"
        )
    machine = f"{os.cpu_count()} CPU cores (shared), torch {torch.__version__}, {torch.get_num_threads()} threads"
    lines += ["", f"Machine: {machine}.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of the STS-B parity check")
    parser.add_argument("--finetune", action="store_true", help="run the fine-tuning payoff instead (CPU-heavy)")
    parser.add_argument("--batch-size", type=int, default=32, help="training batch size for --finetune")
    parser.add_argument("--out", type=Path, help="where to write the Markdown report")
    args = parser.parse_args()
    if not STSB.is_file():
        sys.exit(f"STS Benchmark not found at {STSB}; set EMBEDSDK_STSB to stsbenchmark-train-dev.tsv.gz")
    report = finetune(args.batch_size) if args.finetune else harness(args.rounds)
    default = "finetune-report.md" if args.finetune else "eval-report.md"
    out = args.out or ROOT / "benchmarks" / default
    out.write_text(report, encoding="utf-8")
    print(f"\nreport written to {out}")


if __name__ == "__main__":
    main()
