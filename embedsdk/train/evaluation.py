"""Before/after evaluation of a training run on held-out examples, through the `embedsdk.eval` harness."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from embedsdk.eval import retrieval, sts
from embedsdk.train.loop import TrainedModel, TrainingReport
from embedsdk.train.model import check_output

__all__ = ["finish", "output_folder", "retrieval_score", "sts_score", "trained_provider"]


def output_folder(output: str | Path | None, objective: str) -> Path:
    """``output`` as an absolute path, or a new temporary folder when None.

    Raises:
        InvalidOptionError: ``output`` exists and is neither empty nor a model folder.
    """
    if output is None:
        return Path(tempfile.mkdtemp(prefix=f"embedsdk-{objective}-"))
    folder = Path(output).expanduser().resolve()
    check_output(folder)  # before training, so a refused folder costs no training time
    return folder


def trained_provider(base: Any, folder: Path) -> Any:
    """A fresh embedder for the saved ``folder``, of the base provider's class.

    Never a memoized one, which could hold the weights of an earlier run written to the same folder.
    """
    return type(base)(f"hf/{folder}")


def sts_score(provider: Any, pairs: Sequence[tuple[str, str, float]]) -> float | None:
    """Spearman of ``provider`` on scored pairs; None when there are too few, or one gold score only."""
    if len(pairs) < 3 or len({score for _, _, score in pairs}) < 2:
        return None
    return sts(provider, list(pairs), progress=False).spearman


def retrieval_score(
    provider: Any, anchors: Sequence[str], positives: Sequence[str], negatives: Sequence[str] = ()
) -> float | None:
    """nDCG@10 of finding each anchor's positive among every positive (and negative); None when too few."""
    if len(anchors) < 2:
        return None
    queries = {f"q{i}": text for i, text in enumerate(anchors)}
    corpus = {f"p{i}": text for i, text in enumerate(positives)} | {f"n{i}": text for i, text in enumerate(negatives)}
    qrels = {f"q{i}": {f"p{i}": 1} for i in range(len(anchors))}
    return retrieval(provider, queries, corpus, qrels, progress=False).ndcg_at_10


def finish(
    model: Any,
    folder: Path,
    report: TrainingReport,
    score: Any,
    before: float | None,
    eval_pairs: Sequence[tuple[str, str, float]] | None,
    eval_before: float | None,
    transformer: Any = None,
) -> TrainedModel:
    """Save the model, evaluate it on the held-out data (and ``eval_pairs``) and write the model card.

    Returns the folder, with the report as ``.report``.
    """
    model.save(folder, transformer=transformer)
    trained = trained_provider(model.embedder, folder)
    if before is not None:
        report.before, report.after = before, score(trained)
    if eval_pairs is not None and eval_before is not None:
        after = sts_score(trained, eval_pairs)
        if after is not None:
            report.extra["sts spearman (eval_pairs)"] = {"before": eval_before, "after": after}
    (folder / "README.md").write_text(report.to_markdown(), encoding="utf-8")
    result = TrainedModel(folder)
    result.report = report
    return result
