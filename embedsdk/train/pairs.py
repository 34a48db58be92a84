"""`contrastive`: fine-tune on sentence pairs with in-batch negatives, the margin loss, or cosine regression."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from embedsdk.errors import InvalidInputError, InvalidOptionError
from embedsdk.eval import read_pairs
from embedsdk.train.evaluation import finish, output_folder, retrieval_score, sts_score
from embedsdk.train.loop import TrainedModel, fit_and_report, seed_everything, split_holdout
from embedsdk.train.losses import LOSSES, contrastive_loss, cosine_loss, mnrl_loss
from embedsdk.train.model import SentenceModel, import_torch

__all__ = ["contrastive"]


def _examples(pairs: Sequence[Any], labels: Sequence[float] | None, loss: str) -> list[tuple[str, str, float]]:
    if not pairs:
        raise InvalidInputError("no training pairs")
    if labels is not None and len(labels) != len(pairs):
        raise InvalidInputError(f"{len(pairs)} pairs but {len(labels)} labels; give one label per pair")
    rows: list[tuple[str, str, float]] = []
    for index, pair in enumerate(pairs):
        if isinstance(pair, str) or len(pair) not in (2, 3):
            raise InvalidInputError(f"pair {index}: {pair!r} is not (text, text) or (text, text, label)")
        first, second = pair[0], pair[1]
        if not isinstance(first, str) or not isinstance(second, str) or not first.strip() or not second.strip():
            raise InvalidInputError(f"pair {index}: both sides must be non-empty texts")
        label = labels[index] if labels is not None else (pair[2] if len(pair) == 3 else math.nan)
        rows.append((first, second, float(label)))
    has_labels = [not math.isnan(label) for _, _, label in rows]
    if loss == "mnrl":
        if any(has_labels):
            raise InvalidOptionError(
                "loss='mnrl' trains on (anchor, positive) pairs without labels; keep only the positive pairs "
                "(e.g. STS pairs scored >= 4), or use loss='contrastive' or 'cosine' for labelled pairs"
            )
        return rows
    if not all(has_labels):
        raise InvalidInputError(f"loss={loss!r} needs a label for every pair (pair {has_labels.index(False)} has none)")
    if loss == "contrastive":
        bad = [i for i, (_, _, label) in enumerate(rows) if label not in (0.0, 1.0)]
        if bad:
            raise InvalidInputError(
                f"loss='contrastive' takes labels 1 (similar) or 0 (dissimilar); pair {bad[0]} has {rows[bad[0]][2]}"
            )
    else:
        bad = [i for i, (_, _, label) in enumerate(rows) if not -1.0 <= label <= 1.0]
        if bad:
            raise InvalidInputError(
                f"loss='cosine' regresses cosines on scores in -1..1; pair {bad[0]} has {rows[bad[0]][2]} "
                f"(divide STS scores of 0-5 by 5)"
            )
    return rows


def contrastive(
    provider: Any,
    pairs: Sequence[Any] | str | Path,
    labels: Sequence[float] | None = None,
    *,
    loss: str = "mnrl",
    margin: float = 0.5,
    scale: float = 20.0,
    epochs: int = 1,
    batch_size: int = 16,
    lr: float = 2e-5,
    seed: int = 0,
    output: str | Path | None = None,
    holdout: float = 0.1,
    eval_pairs: Sequence[Any] | str | Path | None = None,
    device: str = "auto",
    progress: bool = True,
) -> TrainedModel:
    """Fine-tune an ``hf/`` provider on sentence pairs and save it as a sentence-transformers folder.

    Args:
        provider: An ``hf/`` id, an alias (``minilm``) or its Embedder.
        pairs: ``(text, text)`` pairs for ``mnrl``; ``(text, text, label)`` triples (or ``labels``) for the
            others; or a scored-pairs file (see `embedsdk.eval.read_pairs`) for ``cosine``.
        labels: One label per pair: 1/0 (similar/dissimilar) for ``contrastive``, a score in -1..1 for
            ``cosine``.
        loss: ``mnrl`` (in-batch negatives: each text's partner against the batch's other partners),
            ``contrastive`` (the margin loss on labelled pairs) or ``cosine`` (regress cosine on the score).
        margin: The cosine-distance margin of ``contrastive``.
        scale: The similarity scale (inverse temperature) of ``mnrl``.
        epochs: Passes over the pairs.
        batch_size: Pairs per step (for ``mnrl``, also the number of candidates each text is ranked among).
        lr: Peak learning rate of AdamW (linear warm-up over 10% of the steps, then linear decay).
        seed: Seeds the held-out split, the shuffling, dropout and initialization: the same seed on CPU
            gives the same weights.
        output: The folder to write (an earlier model folder there is replaced; a folder holding anything
            else is refused); a new temporary folder when None.
        holdout: Share of the pairs kept aside and evaluated before and after training (``mnrl``: nDCG@10
            of finding each partner; labelled: Spearman); 0 skips it.
        eval_pairs: Scored pairs (STS style, any scale) to evaluate with `embedsdk.eval.sts` before and after.
        device: ``auto`` (cuda, then mps, then cpu) or a torch device.
        progress: Show a progress bar with the loss.

    Returns:
        The saved folder (a `pathlib.Path` with the run's `TrainingReport` as ``.report``); embed with it
        through ``provider=f"hf/{folder}"``.

    Raises:
        InvalidOptionError: an unknown loss, labels with ``mnrl``, a provider that is not ``hf/``.
        InvalidInputError: no pairs, an empty text, a missing or out-of-range label, labels and pairs of
            different lengths.
        MissingDependencyError: torch or transformers is not installed.
    """
    if loss not in LOSSES:
        raise InvalidOptionError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    if isinstance(pairs, str | Path):
        pairs = [(p.sentence1, p.sentence2, p.score) for p in read_pairs(pairs)]
    rows = _examples(pairs, labels, loss)
    checked_eval = None if eval_pairs is None else [tuple(p) for p in read_pairs(eval_pairs)]
    torch = import_torch()
    seed_everything(seed)
    model = SentenceModel(provider, device=device)
    train_rows, held = split_holdout(rows, holdout, seed)
    folder = output_folder(output, loss)

    def score(candidate: Any) -> float | None:
        if loss == "mnrl":
            return retrieval_score(candidate, [a for a, _, _ in held], [b for _, b, _ in held])
        return sts_score(candidate, held)

    before = score(model.embedder)
    eval_before = sts_score(model.embedder, checked_eval) if checked_eval else None  # type: ignore[arg-type]

    def step_loss(batch: list[tuple[str, str, float]]) -> Any:
        first = model.encode([a for a, _, _ in batch])
        second = model.encode([b for _, b, _ in batch])
        if loss == "mnrl":
            return mnrl_loss(first, second, scale=scale)
        target = torch.tensor([label for _, _, label in batch], device=first.device)
        if loss == "contrastive":
            return contrastive_loss(first, second, target, margin=margin)
        return cosine_loss(first, second, target)

    report = fit_and_report(
        loss, model.embedder.provider_id, model.parameters(), model.train, train_rows, step_loss,
        held_out=len(held), metric=("ndcg@10" if loss == "mnrl" else "spearman") if before is not None else "",
        epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, progress=progress, label=f"contrastive ({loss})",
    )  # fmt: skip
    return finish(model, folder, report, score, before, checked_eval, eval_before)  # type: ignore[arg-type]
