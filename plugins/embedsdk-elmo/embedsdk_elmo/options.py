"""`ElmoOptions`: the options of ``elmo/...`` providers, validated by pydantic (unknown ones are refused)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ElmoOptions", "Layer", "Precision"]

Layer = Literal["average", "mix", 0, 1, 2]
Precision = Literal["fp32", "bf16", "fp16", "auto"]


class ElmoOptions(BaseModel):
    """Options of ``elmo/...`` providers.

    Attributes:
        layer: Which ELMo output to use: ``0`` the token layer (character CNN, context-free), ``1`` and ``2``
            the BiLSTM layers, ``"average"`` (default) the mean of the three, ``"mix"`` AllenNLP's scalar mix
            with the weights of ``scalar_mix.json`` beside the model (``{"scalar_weights": [a, b, c],
            "gamma": g}``).
        device: ``auto`` (cuda, then mps, then cpu), or a torch device such as ``cpu`` or ``cuda:1``.
        max_words: Words of one item at most; longer items follow the call's ``on_long``. ELMo itself has
            no hard limit: this bounds the time and memory of one sentence.
        max_batch_words: Padded words per forward pass (items x longest item); bounds memory.
        max_batch_items: Items per forward pass at most.
        precision: Compute precision of the character CNN, highway, projection and LSTM matmuls: ``fp32``
            gives the exact vectors (the reference's, to float32 rounding); ``bf16`` runs them in bfloat16
            (cell memory, activations and outputs stay float32); ``fp16`` is for GPUs only; ``auto`` (the
            default) is bf16 where the CPU (AVX512-BF16, AMX) or GPU computes it natively, else fp32. A mode
            other than fp32 passes the quality gate on first use (min cosine >= 0.999 against fp32 over every
            word vector of every layer of a probe set, else fp32 with a warning); the verdict is kept on disk.
            Vectors are always float32; ``space.extra["precision"]`` records a precision other than fp32.
        path: Load the model from this folder or file while keeping the provider's name (``elmo`` from a
            given folder, say).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    layer: Layer = "average"
    device: str = "auto"
    max_words: int = Field(default=512, gt=0)
    max_batch_words: int = Field(default=2048, gt=0)
    max_batch_items: int = Field(default=64, gt=0)
    precision: Precision = "auto"
    path: str | None = None
