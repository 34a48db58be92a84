"""``embedsdk eval TASK ...``: score providers side by side on one task (see docs/evaluate.md).

```
embedsdk eval sts FILE [--split dev]
embedsdk eval retrieval [BEIR_FOLDER] [--pairs FILE [--min-score 4]] [--split test]
embedsdk eval classification FILE [--folds 5]        FILE: '__label__<name> text' lines
embedsdk eval clustering FILE [--clusters N]
embedsdk eval document-similarity DOCS MATRIX
embedsdk eval weat TEST | --x W1,W2.. --y .. --a .. --b ..
    each with: [-p ID ...] [-O [ID:]KEY=VALUE ...] [--no-cache] [--json | --markdown] [-o FILE] [--no-progress]
```
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from embedsdk.cli.common import EXIT_OK, doc, parse_options, positive_int
from embedsdk.errors import InvalidOptionError

__all__ = ["add_parser", "evaluate", "options_by_provider"]

TaskRunner = Callable[[Any, argparse.Namespace, dict[str, Any]], Any]


def options_by_provider(pairs: Iterable[str], providers: list[str | None]) -> dict[str | None, dict[str, Any]]:
    """Options for each provider: ``KEY=VALUE`` applies to all, ``ID:KEY=VALUE`` to the provider called ID.

    Raises:
        InvalidOptionError: a malformed pair, or ``ID:`` naming a provider not given with ``-p``.
    """
    shared: list[str] = []
    scoped: dict[str, list[str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        provider, colon, name = key.rpartition(":")
        if sep and colon:
            if provider not in providers:
                raise InvalidOptionError(f"-O {pair!r} names provider {provider!r}, which no -p gives")
            scoped.setdefault(provider, []).append(f"{name}={value}")
        else:
            shared.append(pair)
    return {p: parse_options([*shared, *scoped.get(p or "", [])]) for p in providers}


def _words(value: str) -> list[str]:
    return [word.strip() for word in value.split(",") if word.strip()]


def _run_sts(provider: Any, args: argparse.Namespace, kwargs: dict[str, Any]) -> Any:
    from embedsdk.eval import sts

    return sts(provider, args.data, split=args.split, **kwargs)


def _run_retrieval(provider: Any, args: argparse.Namespace, kwargs: dict[str, Any]) -> Any:
    from embedsdk.eval import retrieval, retrieval_from_pairs

    if (args.folder is None) == (args.pairs is None):
        raise InvalidOptionError("give a BEIR folder, or --pairs FILE to build the task from scored pairs")
    if args.pairs is not None:
        task = retrieval_from_pairs(args.pairs, min_score=args.min_score, split=args.split)
        return retrieval(provider, *task, ks=args.k, **kwargs)
    return retrieval(provider, args.folder, split=args.split or "test", ks=args.k, **kwargs)


def _run_classification(provider: Any, args: argparse.Namespace, kwargs: dict[str, Any]) -> Any:
    from embedsdk.eval import classification

    return classification(provider, args.data, folds=args.folds, seed=args.seed, **kwargs)


def _run_clustering(provider: Any, args: argparse.Namespace, kwargs: dict[str, Any]) -> Any:
    from embedsdk.eval import clustering, read_labelled

    texts, labels = read_labelled(args.data)
    return clustering(provider, texts, labels, n_clusters=args.clusters, seed=args.seed, **kwargs)


def _run_documents(provider: Any, args: argparse.Namespace, kwargs: dict[str, Any]) -> Any:
    from embedsdk.eval import document_similarity

    return document_similarity(provider, args.docs, args.matrix, **kwargs)


def _run_weat(provider: Any, args: argparse.Namespace, kwargs: dict[str, Any]) -> Any:
    from embedsdk.eval import weat

    sets = [args.x, args.y, args.a, args.b]
    if args.test is not None:
        if any(sets):
            raise InvalidOptionError("give a built-in test name, or --x --y --a --b word lists, not both")
        return weat(provider, args.test, permutations=args.permutations, **kwargs)
    if not all(sets):
        raise InvalidOptionError("give a built-in test name (career-family, ...) or all of --x --y --a --b")
    x, y, a, b = (_words(words) for words in sets)
    return weat(provider, x, y, a, b, permutations=args.permutations, **kwargs)


def evaluate(args: argparse.Namespace) -> int:
    """Score each provider on the task and print the results side by side."""
    from embedsdk.eval.report import to_json, to_markdown, to_table

    providers: list[str | None] = args.provider or [None]
    options = options_by_provider(args.option, providers)
    progress = sys.stderr.isatty() and not args.no_progress
    results = []
    for provider in providers:
        kwargs = {"cache": not args.no_cache, "progress": progress, **options[provider]}
        runner: TaskRunner = args.runner
        results.append(runner(provider, args, kwargs))
    text = to_json(results) if args.json else to_markdown(results) if args.markdown else to_table(results)
    if args.output is not None:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.output}")
    else:
        print(text)
    return EXIT_OK


def _common(parser: argparse.ArgumentParser, runner: TaskRunner) -> None:
    parser.add_argument(
        "-p", "--provider", action="append", metavar="ID",
        help="a provider id or alias; repeat to compare providers (default: EMBEDSDK_PROVIDER)",
    )  # fmt: skip
    parser.add_argument(
        "-O", "--option", action="append", default=[], metavar="[ID:]KEY=VALUE",
        help="a provider option for every provider, or with ID: for one (-O glove:oov=skip)",
    )  # fmt: skip
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the vector cache")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the results as JSON")
    output.add_argument("--markdown", action="store_true", help="print a Markdown table (for a report)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the table, JSON or Markdown to FILE")
    parser.set_defaults(command=evaluate, runner=runner)


def add_parser(commands: Any) -> None:
    """Add ``embedsdk eval`` and its tasks."""
    from embedsdk import eval as tasks
    from embedsdk.eval.wordsets import WEAT_TESTS

    group = commands.add_parser(
        "eval", help="score providers on a task, side by side", description=doc(evaluate) + " See docs/evaluate.md."
    )
    sub = group.add_subparsers(title="tasks", metavar="TASK", required=True)

    sts = sub.add_parser("sts", help="scored sentence pairs: Spearman, Pearson", description=doc(tasks.sts))
    sts.add_argument("data", metavar="FILE", help="scored pairs: .tsv/.csv/.jsonl (gzipped or not)")
    sts.add_argument("--split", help="keep rows of this split (dev, train...) when the file has a split column")
    _common(sts, _run_sts)

    ret = sub.add_parser(
        "retrieval", help="queries, corpus, qrels: nDCG@10, MRR@10, recall@k", description=doc(tasks.retrieval)
    )
    ret.add_argument("folder", nargs="?", metavar="BEIR_FOLDER", help="corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv")
    ret.add_argument("--pairs", metavar="FILE", help="build the task from scored pairs instead (sentence1 = query)")
    ret.add_argument("--min-score", type=float, default=4.0, help="with --pairs: the score that makes a relevant pair")
    ret.add_argument("--split", help="qrels split of a BEIR folder (test), or rows of --pairs to keep")
    ret.add_argument("-k", type=positive_int, nargs="+", default=[1, 5, 10, 100], help="recall cut-offs")
    _common(ret, _run_retrieval)

    cls = sub.add_parser(
        "classification", help="labelled texts: accuracy, macro-F1", description=doc(tasks.classification)
    )
    cls.add_argument("data", metavar="FILE", help="'__label__<name> text' lines")
    cls.add_argument("--folds", type=positive_int, default=5)
    cls.add_argument("--seed", type=int, default=0)
    _common(cls, _run_classification)

    clu = sub.add_parser("clustering", help="labelled texts: k-means V-measure, ARI", description=doc(tasks.clustering))
    clu.add_argument("data", metavar="FILE", help="'__label__<name> text' lines")
    clu.add_argument("--clusters", type=positive_int, help="clusters to find (default: the number of labels)")
    clu.add_argument("--seed", type=int, default=0)
    _common(clu, _run_clustering)

    docs = sub.add_parser(
        "document-similarity", help="documents and a human similarity matrix: Pearson, Spearman",
        description=doc(tasks.document_similarity),
    )  # fmt: skip
    docs.add_argument("docs", metavar="DOCS", help="one document a line (gensim's lee.cor)")
    docs.add_argument("matrix", metavar="MATRIX", help="n x n whitespace-separated numbers (similarities0-1.txt)")
    _common(docs, _run_documents)

    bias = sub.add_parser("weat", help="word association bias: effect size, p-value", description=doc(tasks.weat))
    bias.add_argument("test", nargs="?", help=f"a built-in test: {', '.join(WEAT_TESTS)}")
    for name in ("x", "y", "a", "b"):
        bias.add_argument(f"--{name}", metavar="W1,W2", help=f"the {name.upper()} words, comma-separated")
    bias.add_argument("--permutations", type=positive_int, default=10_000)
    _common(bias, _run_weat)
