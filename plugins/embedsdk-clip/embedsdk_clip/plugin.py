"""The plugin: registers the ``clip/*`` family and the ``clip`` alias (ViT-B-32 with OpenAI's weights)."""

from __future__ import annotations

from embedsdk import EmbedderRegistry, hookimpl
from embedsdk_clip.embedder import ClipEmbedder

__all__ = ["register_embedders"]


@hookimpl
def register_embedders(register: EmbedderRegistry) -> None:
    """Register ``clip/*`` and ``clip`` = ``clip/ViT-B-32:openai``."""
    register(
        "clip/*",
        ClipEmbedder,
        modalities=("text", "image"),
        description="open_clip model, text and images: clip/<architecture>[:<pretrained tag or checkpoint file>]",
    )
    register(
        "clip/ViT-B-32:openai",
        aliases=["clip"],
        modalities=("text", "image"),
        dim=512,
        description="CLIP ViT-B/32, OpenAI's weights (from the Hugging Face cache, or checkpoint='<file>')",
    )
