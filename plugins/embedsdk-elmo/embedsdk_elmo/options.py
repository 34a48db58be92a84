"""`ElmoOptions`: the options of ``elmo/...`` providers, validated by pydantic (unknown ones are refused)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ElmoOptions", "Layer"]

Layer = Literal["average", "mix", 0, 1, 2]


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
        path: Load the model from this folder or file while keeping the provider's name (``elmo`` from a
            given folder, say).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    layer: Layer = "average"
    device: str = "auto"
    max_words: int = Field(default=512, gt=0)
    max_batch_words: int = Field(default=2048, gt=0)
    max_batch_items: int = Field(default=64, gt=0)
    path: str | None = None
