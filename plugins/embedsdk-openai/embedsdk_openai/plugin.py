"""The plugin: registers the ``openai/*`` family and OpenAI's embedding models."""

from __future__ import annotations

from embedsdk import EmbedderRegistry, hookimpl

__all__ = ["register_embedders"]


def _factory(provider_id: str, **options: object) -> object:
    # The embedder module imports numpy and the core pipeline: load it when a provider is built, not when
    # `embedsdk providers` lists the family.
    from embedsdk_openai.embedder import OpenAIEmbedder

    return OpenAIEmbedder(provider_id, **options)


@hookimpl
def register_embedders(register: EmbedderRegistry) -> None:
    """Register ``openai/*`` and text-embedding-3-small, text-embedding-3-large, text-embedding-ada-002."""
    register(
        "openai/*",
        _factory,
        description="OpenAI embeddings API, or any OpenAI-compatible server (base_url=): openai/<model>",
    )
    register("openai/text-embedding-3-small", dim=1536, description="OpenAI text-embedding-3-small (dimensions= ok)")
    register("openai/text-embedding-3-large", dim=3072, description="OpenAI text-embedding-3-large (dimensions= ok)")
    register("openai/text-embedding-ada-002", dim=1536, description="OpenAI text-embedding-ada-002 (fixed 1536-d)")
