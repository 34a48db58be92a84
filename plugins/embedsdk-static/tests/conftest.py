"""Small vector files written by gensim itself, so the loaders are checked against the reference reader.

- ``kv``: a gensim KeyedVectors of 40 words (random, seeded, a few with capitals and punctuation,
  ``<unk>``), most frequent first.
- ``files``: the same vectors saved by gensim as word2vec text, word2vec binary, GloVe text (no header),
  fastText-style ``.vec`` and a gensim ``.kv`` file.
- ``lee_bin``: gensim's ``lee_fasttext.bin`` (a fastText model with subword buckets).
"""

from __future__ import annotations

import os
from pathlib import Path

import embedsdk_static.plugin
import numpy as np
import pytest

import embedsdk
import embedsdk.testing

os.environ["HF_HUB_OFFLINE"] = "1"

WORDS = (
    "the of and to in a is was he for it with as his on be at by i this had not are but from or have an they "
    "which one you were her cat dog paris france <unk> New-York"
).split()


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDSDK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("EMBEDSDK_PROVIDER", raising=False)
    with embedsdk.testing.isolated_plugins(embedsdk_static.plugin):
        yield


@pytest.fixture(scope="session")
def kv():
    from gensim.models import KeyedVectors

    vectors = np.random.default_rng(7).standard_normal((len(WORDS), 8)).astype(np.float32)
    table = KeyedVectors(8)
    table.add_vectors(WORDS, vectors)
    return table


@pytest.fixture(scope="session")
def files(kv, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("vectors")
    paths = {
        "word2vec": folder / "vectors.txt",
        "word2vec-binary": folder / "vectors.bin",
        "fasttext-vec": folder / "vectors.vec",
        "glove": folder / "glove.txt",
        "gensim": folder / "vectors.kv",
    }
    kv.save_word2vec_format(str(paths["word2vec"]), binary=False)
    kv.save_word2vec_format(str(paths["word2vec-binary"]), binary=True)
    kv.save_word2vec_format(str(paths["fasttext-vec"]), binary=False)
    kv.save_word2vec_format(str(paths["glove"]), binary=False, write_header=False)
    kv.save(str(paths["gensim"]))
    return paths


@pytest.fixture(scope="session")
def lee_bin() -> Path:
    from gensim.test.utils import datapath

    return Path(datapath("lee_fasttext.bin"))
