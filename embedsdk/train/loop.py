"""The training loop shared by every objective, and the report of what training did.

Seeded shuffling, AdamW with linear warm-up and decay, gradient clipping, a progress bar with the loss.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import PosixPath, WindowsPath
from typing import Any, TypeVar

from embedsdk.errors import InvalidInputError, InvalidOptionError
from embedsdk.train.model import import_torch

__all__ = ["TrainedModel", "TrainingReport", "fit", "fit_and_report", "seed_everything", "split_holdout"]

T = TypeVar("T")

if sys.platform == "win32":
    _PathBase = WindowsPath
else:
    _PathBase = PosixPath


@dataclass
class TrainingReport:
    """What one training run did.

    Attributes:
        objective: The loss (``mnrl``, ``contrastive``, ``cosine``, ``triplet``, ``mlm``).
        base: The provider trained from.
        examples: Training examples (pairs, triplets, texts), the held-out ones excluded.
        held_out: Examples kept aside for the before/after evaluation.
        epochs: Passes over the training examples.
        steps: Optimizer steps.
        seconds: Wall time of the training steps.
        losses: Mean loss of each epoch.
        metric: The held-out metric (``ndcg@10`` for pairs and triplets, ``spearman`` for scored pairs,
            ``masked_lm_loss`` for mlm); empty when nothing was held out.
        before: The metric of the base model.
        after: The metric of the trained model.
        extra: Other before/after figures (an STS evaluation given with ``eval_pairs``).
    """

    objective: str
    base: str
    examples: int
    held_out: int = 0
    epochs: int = 1
    steps: int = 0
    seconds: float = 0.0
    losses: list[float] = field(default_factory=list)
    metric: str = ""
    before: float | None = None
    after: float | None = None
    extra: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_markdown(self) -> str:
        """A model card section: the objective, the data sizes, the time and the before/after figures."""
        lines = [
            "# Fine-tuned with embedsdk.train",
            "",
            f"- base: `{self.base}`",
            f"- objective: `{self.objective}`, {self.epochs} epoch(s), {self.steps} steps, {self.seconds:.1f} s",
            f"- examples: {self.examples} (held out: {self.held_out})",
            f"- loss per epoch: {', '.join(f'{loss:.4f}' for loss in self.losses)}",
        ]
        if self.metric and self.before is not None and self.after is not None:
            lines.append(f"- held-out {self.metric}: {self.before:.4f} before, {self.after:.4f} after")
        for name, figures in self.extra.items():
            lines.append(f"- {name}: " + ", ".join(f"{key} {value:.4f}" for key, value in figures.items()))
        lines += ["", "```json", json.dumps(asdict(self), indent=2), "```", ""]
        return "\n".join(lines)


class TrainedModel(_PathBase):
    """The folder a training run wrote (a `pathlib.Path`), with the run's `TrainingReport` as ``.report``.

    Load it with ``embedsdk.embed(texts, provider=f"hf/{folder}")`` or ``SentenceTransformer(str(folder))``.
    """

    report: TrainingReport


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch, so a run on CPU repeats exactly."""
    import numpy as np

    torch = import_torch()
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def split_holdout(examples: Sequence[T], holdout: float, seed: int) -> tuple[list[T], list[T]]:
    """Shuffle ``examples`` with ``seed`` and keep ``holdout`` of them (a share, 0 to 0.5) aside.

    Raises:
        InvalidOptionError: ``holdout`` outside 0..0.5.
        InvalidInputError: no example would be left to train on.
    """
    if not 0 <= holdout <= 0.5:
        raise InvalidOptionError(f"holdout must be a share between 0 and 0.5, not {holdout}")
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    kept = round(len(examples) * holdout)
    train = [examples[i] for i in order[kept:]]
    if not train:
        raise InvalidInputError(f"no training example is left after holding out {kept}; give more data")
    return train, [examples[i] for i in order[:kept]]


def fit(
    parameters: Any,
    set_training: Callable[[bool], None],
    examples: Sequence[T],
    step_loss: Callable[[list[T]], Any],
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    seed: int,
    warmup: float = 0.1,
    progress: bool = True,
    label: str = "training",
) -> tuple[int, float, list[float]]:
    """Train: shuffle each epoch, compute ``step_loss`` per batch, step AdamW.

    Returns:
        ``(steps, seconds, mean loss per epoch)``.

    Raises:
        InvalidOptionError: epochs, batch_size or lr out of range.
    """
    if epochs < 1 or batch_size < 1 or not lr > 0:
        raise InvalidOptionError(f"epochs ({epochs}) and batch_size ({batch_size}) must be >= 1 and lr ({lr}) > 0")
    torch = import_torch()
    params = [p for p in parameters if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    per_epoch = -(-len(examples) // batch_size)
    total = per_epoch * epochs
    warm = int(total * warmup)

    def schedule(step: int) -> float:
        if step < warm:
            return (step + 1) / (warm + 1)
        return max(0.0, (total - step) / max(1, total - warm))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    rng = random.Random(seed)
    bar = _progress_bar(total, label, progress)
    set_training(True)
    losses: list[float] = []
    started = time.perf_counter()
    step = 0
    try:
        for _ in range(epochs):
            order = list(range(len(examples)))
            rng.shuffle(order)
            epoch_loss = 0.0
            for start in range(0, len(order), batch_size):
                batch = [examples[i] for i in order[start : start + batch_size]]
                loss = step_loss(batch)
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                optimizer.step()
                scheduler.step()
                step += 1
                epoch_loss += float(loss.detach())
                if bar is not None:
                    bar.set_postfix(loss=f"{float(loss.detach()):.4f}")
                    bar.update(1)
            losses.append(epoch_loss / per_epoch)
    finally:
        set_training(False)
        if bar is not None:
            bar.close()
    return step, time.perf_counter() - started, losses


def fit_and_report(
    objective: str,
    base: str,
    parameters: Any,
    set_training: Callable[[bool], None],
    examples: Sequence[T],
    step_loss: Callable[[list[T]], Any],
    *,
    held_out: int,
    metric: str,
    epochs: int,
    batch_size: int,
    lr: float,
    seed: int,
    progress: bool,
    label: str,
) -> TrainingReport:
    """Seed everything, train with `fit`, and describe the run: what every objective does the same way.

    Args:
        objective: The loss's name, for the report.
        base: The provider trained from.
        parameters: What the optimizer updates (as for `fit`).
        set_training: Switches training mode (as for `fit`).
        examples: The training examples.
        step_loss: The loss of one batch.
        held_out: Examples kept aside for the before/after evaluation.
        metric: The held-out metric's name (empty when nothing was held out).
        epochs: Passes over the examples.
        batch_size: Examples per step.
        lr: Peak learning rate.
        seed: Seeds everything first, and the shuffles.
        progress: Show a progress bar with the loss.
        label: The progress bar's label.
    """
    seed_everything(seed)
    steps, seconds, losses = fit(
        parameters, set_training, examples, step_loss,
        epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, progress=progress, label=label,
    )  # fmt: skip
    return TrainingReport(
        objective=objective,
        base=base,
        examples=len(examples),
        held_out=held_out,
        epochs=epochs,
        steps=steps,
        seconds=seconds,
        losses=losses,
        metric=metric,
    )


def _progress_bar(total: int, label: str, show: bool) -> Any:
    if not show:
        return None
    try:
        from tqdm.auto import tqdm  # installed with transformers; optional all the same
    except ImportError:
        return None
    return tqdm(total=total, desc=label, unit="step", file=sys.stderr)
