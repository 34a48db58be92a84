"""The plugin: registers the ``cohere/*`` family and Cohere's embedding models."""

from __future__ import annotations

from embedsdk import EmbedderRegistry, hookimpl

__all__ = ["register_embedders"]


def _factory(provider_id: str, **options: object) -> object:
    # The embedder module imports numpy and the core pipeline: load it when a provider is built, not when
    # `embedsdk providers` lists the family.
    from embedsdk_cohere.embedder import CohereEmbedder

    return CohereEmbedder(provider_id, **options)


@hookimpl
def register_embedders(register: EmbedderRegistry) -> None:
    """Register ``cohere/*`` and the embed v3 models (with their light variants) and embed-v4.0."""
    register("cohere/*", _factory, description="Cohere embed API (v2), role= maps to input_type: cohere/<model>")
    register("cohere/embed-english-v3.0", dim=1024, description="Cohere embed-english-v3.0")
    register("cohere/embed-multilingual-v3.0", dim=1024, description="Cohere embed-multilingual-v3.0")
    register("cohere/embed-english-light-v3.0", dim=384, description="Cohere embed-english-light-v3.0")
    register("cohere/embed-multilingual-light-v3.0", dim=384, description="Cohere embed-multilingual-light-v3.0")
    register("cohere/embed-v4.0", dim=1536, description="Cohere embed-v4.0 (dimensions= 256, 512, 1024 or 1536)")
