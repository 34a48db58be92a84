"""`mlm`: continued masked-language-model pre-training of an ``hf/`` provider's encoder on a domain corpus.

The encoder gets a masked-LM head (the checkpoint's own when it has one, else a new one), learns to fill in
15% of the tokens (80% replaced by the mask token, 10% by a random token, 10% kept), and only the encoder is
saved back into the sentence-transformers folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from embedsdk.errors import InvalidInputError, InvalidOptionError
from embedsdk.eval import read_pairs
from embedsdk.train.evaluation import finish, output_folder, sts_score
from embedsdk.train.loop import TrainedModel, fit_and_report, seed_everything, split_holdout
from embedsdk.train.model import SentenceModel, import_torch

__all__ = ["mlm"]


def _masked_lm_loss(head: Any, collator: Any, model: SentenceModel, texts: Sequence[str], seed: int) -> float:
    """Mean masked-LM loss on ``texts`` with masks drawn from ``seed`` (the same masks before and after)."""
    torch = import_torch()
    with torch.random.fork_rng(), torch.no_grad():
        torch.manual_seed(seed)
        total = 0.0
        for start in range(0, len(texts), 16):
            batch = texts[start : start + 16]
            total += float(_batch_loss(head, collator, model, batch)) * len(batch)
    return total / len(texts)


def _batch_loss(head: Any, collator: Any, model: SentenceModel, texts: Sequence[str]) -> Any:
    encoded = model.tokenize(texts)
    rows = zip(encoded["input_ids"], encoded["attention_mask"], strict=True)
    features = [{"input_ids": ids[mask.bool()].tolist()} for ids, mask in rows]
    batch = {name: tensor.to(model.device) for name, tensor in collator(features).items()}
    return head(**batch).loss


def mlm(
    provider: Any,
    corpus: Sequence[str],
    *,
    mask_probability: float = 0.15,
    epochs: int = 1,
    batch_size: int = 16,
    lr: float = 5e-5,
    seed: int = 0,
    output: str | Path | None = None,
    holdout: float = 0.1,
    eval_pairs: Sequence[Any] | str | Path | None = None,
    device: str = "auto",
    progress: bool = True,
) -> TrainedModel:
    """Continue pre-training an ``hf/`` provider's encoder with the masked-LM objective on ``corpus``.

    Args:
        provider: An ``hf/`` id, an alias (``minilm``) or its Embedder.
        corpus: Texts of the domain.
        mask_probability: Share of tokens to mask.
        epochs: Passes over the corpus.
        batch_size: Texts per step.
        lr: Peak learning rate of AdamW (linear warm-up over 10% of the steps, then linear decay).
        seed: Seeds the split, the shuffling, the masks and dropout.
        output: The folder to write (an earlier model folder there is replaced; a folder holding anything
            else is refused); a new temporary folder when None.
        holdout: Share of the corpus kept aside; its masked-LM loss (same masks) is measured before and
            after; 0 skips it.
        eval_pairs: Scored pairs to evaluate with `embedsdk.eval.sts` before and after.
        device: ``auto`` (cuda, then mps, then cpu) or a torch device.
        progress: Show a progress bar with the loss.

    Returns:
        The saved folder (a `pathlib.Path` with the run's `TrainingReport` as ``.report``).

    Raises:
        InvalidInputError: an empty corpus or an empty text.
        InvalidOptionError: a mask probability outside (0, 1), a provider that is not ``hf/`` or a tokenizer
            without a mask token.
    """
    if isinstance(corpus, str) or not corpus:
        raise InvalidInputError("mlm needs a corpus: a list of texts")
    bad = [i for i, text in enumerate(corpus) if not isinstance(text, str) or not text.strip()]
    if bad:
        raise InvalidInputError(f"corpus text {bad[0]} is empty or not a string")
    if not 0 < mask_probability < 1:
        raise InvalidOptionError(f"mask_probability must be between 0 and 1, not {mask_probability}")
    checked_eval = None if eval_pairs is None else [tuple(p) for p in read_pairs(eval_pairs)]
    import_torch()
    import transformers

    seed_everything(seed)
    model = SentenceModel(provider, device=device)
    if model.tokenizer.mask_token is None:
        raise InvalidOptionError(
            f"{model.embedder.provider_id}: its tokenizer has no mask token, so mlm cannot train it"
        )
    head = transformers.AutoModelForMaskedLM.from_pretrained(
        str(model.recipe.transformer_folder), local_files_only=True
    ).to(model.device)
    encoder = head.base_model
    collator = transformers.DataCollatorForLanguageModeling(
        model.tokenizer, mlm=True, mlm_probability=mask_probability, return_tensors="pt"
    )
    texts = list(corpus)
    train_texts, held = split_holdout(texts, holdout, seed)
    folder = output_folder(output, "mlm")
    head.eval()
    before = _masked_lm_loss(head, collator, model, held, seed) if held else None
    eval_before = sts_score(model.embedder, checked_eval) if checked_eval else None  # type: ignore[arg-type]

    report = fit_and_report(
        "mlm", model.embedder.provider_id, head.parameters(), head.train, train_texts,
        lambda batch: _batch_loss(head, collator, model, batch),
        held_out=len(held), metric="masked_lm_loss" if before is not None else "",
        epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, progress=progress, label="mlm",
    )  # fmt: skip
    after = _masked_lm_loss(head, collator, model, held, seed) if held else None
    return finish(
        model, folder, report, lambda _: after, before, checked_eval, eval_before, transformer=encoder  # type: ignore[arg-type]
    )
