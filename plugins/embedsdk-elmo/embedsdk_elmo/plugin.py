"""The plugin: registers the ``elmo/*`` family and the ``elmo`` alias (weights at ``EMBEDSDK_ELMO_PATH``)."""

from __future__ import annotations

from embedsdk import EmbedderRegistry, hookimpl
from embedsdk_elmo.embedder import DEFAULT_MODEL, ElmoEmbedder

__all__ = ["register_embedders"]


@hookimpl
def register_embedders(register: EmbedderRegistry) -> None:
    """Register ``elmo/*`` and ``elmo`` (= ``elmo/default``: the weights at ``EMBEDSDK_ELMO_PATH``)."""
    register(
        "elmo/*",
        ElmoEmbedder,
        description="ELMo (char-CNN BiLSTM LM): elmo/<AllenNLP options+hdf5 or ELMoForManyLangs folder>",
    )
    register(
        f"elmo/{DEFAULT_MODEL}",
        aliases=["elmo"],
        description="ELMo weights at EMBEDSDK_ELMO_PATH (else <user cache>/embedsdk/elmo); see docs/elmo.md",
    )
