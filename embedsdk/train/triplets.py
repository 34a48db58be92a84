"""`triplet`: fine-tune on (anchor, positive, negative) texts with the triplet margin loss."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from embedsdk.errors import InvalidInputError, InvalidOptionError
from embedsdk.train.evaluation import finish, output_folder, retrieval_score
from embedsdk.train.loop import TrainedModel, fit_and_report, seed_everything, split_holdout
from embedsdk.train.losses import DISTANCES, triplet_loss
from embedsdk.train.model import SentenceModel

__all__ = ["triplet"]


def _triplets(triplets: Sequence[Any]) -> list[tuple[str, str, str]]:
    if not triplets:
        raise InvalidInputError("no training triplets")
    rows = []
    for index, row in enumerate(triplets):
        if isinstance(row, str) or len(row) != 3:
            raise InvalidInputError(f"triplet {index}: {row!r} is not (anchor, positive, negative)")
        if not all(isinstance(text, str) and text.strip() for text in row):
            raise InvalidInputError(f"triplet {index}: anchor, positive and negative must be non-empty texts")
        rows.append((row[0], row[1], row[2]))
    return rows


def triplet(
    provider: Any,
    triplets: Sequence[Any],
    *,
    margin: float = 1.0,
    distance: str = "euclidean",
    epochs: int = 1,
    batch_size: int = 16,
    lr: float = 2e-5,
    seed: int = 0,
    output: str | Path | None = None,
    holdout: float = 0.1,
    device: str = "auto",
    progress: bool = True,
) -> TrainedModel:
    """Fine-tune an ``hf/`` provider so each anchor is closer to its positive than to its negative by ``margin``.

    Args:
        provider: An ``hf/`` id, an alias (``minilm``) or its Embedder.
        triplets: ``(anchor, positive, negative)`` texts.
        margin: How much closer the positive must be. With ``euclidean`` on unit vectors distances lie in
            0..2; with ``cosine`` (1 - cosine) also 0..2.
        distance: ``euclidean`` or ``cosine``.
        epochs: Passes over the triplets.
        batch_size: Triplets per step.
        lr: Peak learning rate of AdamW (linear warm-up over 10% of the steps, then linear decay).
        seed: Seeds the split, the shuffling and dropout: the same seed on CPU gives the same weights.
        output: The folder to write (an earlier model folder there is replaced; a folder holding anything
            else is refused); a new temporary folder when None.
        holdout: Share of the triplets kept aside; nDCG@10 of finding each anchor's positive among all
            held-out positives and negatives is measured before and after; 0 skips it.
        device: ``auto`` (cuda, then mps, then cpu) or a torch device.
        progress: Show a progress bar with the loss.

    Returns:
        The saved folder (a `pathlib.Path` with the run's `TrainingReport` as ``.report``).

    Raises:
        InvalidOptionError: an unknown distance, a provider that is not ``hf/``.
        InvalidInputError: no triplets, a malformed triplet or an empty text.
    """
    if distance not in DISTANCES:
        raise InvalidOptionError(f"unknown distance {distance!r}; choose one of {', '.join(DISTANCES)}")
    rows = _triplets(triplets)
    seed_everything(seed)
    model = SentenceModel(provider, device=device)
    train_rows, held = split_holdout(rows, holdout, seed)
    folder = output_folder(output, "triplet")

    def score(candidate: Any) -> float | None:
        return retrieval_score(candidate, [a for a, _, _ in held], [p for _, p, _ in held], [n for _, _, n in held])

    before = score(model.embedder)

    def step_loss(batch: list[tuple[str, str, str]]) -> Any:
        encoded = model.encode([text for row in batch for text in row])
        anchors, positives, negatives = encoded[0::3], encoded[1::3], encoded[2::3]
        return triplet_loss(anchors, positives, negatives, margin=margin, kind=distance)

    report = fit_and_report(
        "triplet", model.embedder.provider_id, model.parameters(), model.train, train_rows, step_loss,
        held_out=len(held), metric="ndcg@10" if before is not None else "",
        epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, progress=progress, label=f"triplet ({distance})",
    )  # fmt: skip
    return finish(model, folder, report, score, before, None, None)
