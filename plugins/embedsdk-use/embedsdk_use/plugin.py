"""The plugin: registers ``use/multilingual`` and its alias ``muse``."""

from __future__ import annotations

from embedsdk import EmbedderRegistry, hookimpl
from embedsdk_use.embedder import USEEmbedder

__all__ = ["register_embedders"]


@hookimpl
def register_embedders(register: EmbedderRegistry) -> None:
    """Register ``use/multilingual`` (alias ``muse``): USE-multilingual-v3, 512-d, offline."""
    register(
        "use/multilingual",
        USEEmbedder,
        aliases=["muse"],
        modalities=("text",),
        dim=512,
        description="Universal Sentence Encoder multilingual v3 (16 languages, 512-d) on torch, bundled, offline",
    )
