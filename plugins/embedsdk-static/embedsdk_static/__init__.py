"""embedsdk-static: static word vectors for embedsdk.

Providers ``static/<path>`` (word2vec text and binary, GloVe, fastText ``.vec`` and ``.bin``, gensim
KeyedVectors, Model2Vec folders), ``glove`` (GloVe 6B 50d, bundled) and ``doc2vec/<folder>``, with named
OOV policies registered through embedsdk's ``register_oov_strategies`` hook.
"""

from __future__ import annotations

from embedsdk_static.doc2vec import Doc2VecEmbedder
from embedsdk_static.embedder import GloveEmbedder, StaticEmbedder, StaticOptions
from embedsdk_static.errors import VectorFileError
from embedsdk_static.loaders import clear_tables, load_table
from embedsdk_static.model2vec import Model2VecEmbedder
from embedsdk_static.table import WordVectors

__all__ = [
    "Doc2VecEmbedder",
    "GloveEmbedder",
    "Model2VecEmbedder",
    "StaticEmbedder",
    "StaticOptions",
    "VectorFileError",
    "WordVectors",
    "clear_tables",
    "load_table",
]
