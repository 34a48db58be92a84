"""Tiny random-weight ELMo models in both published formats, and real English sentences to run them on.

- ``tiny_manylangs``: an ELMoForManyLangs folder with a word embedding beside the character CNN (as the
  published 44-language models have), words cut at 14 characters (max_characters_per_token 16).
- ``tiny_chars``: an ELMoForManyLangs folder with characters only and 50 characters per word, the shape
  of AllenNLP's models, so the same weights can be written in AllenNLP's layout.
- ``tiny_hdf5``: ``tiny_chars``'s weights written as AllenNLP's options.json + weights.hdf5 (layout in
  `write_allennlp`).
- ``SENTENCES``: sentences of 1 to 60 words from Python's own docstrings and pydoc topics.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import embedsdk_elmo.plugin
import numpy as np
import pytest
from embedsdk_elmo.testing import write_random_manylangs
from embedsdk_elmo.tokenizer import tokenize

import embedsdk
import embedsdk.testing


def _docstring_sentences() -> list[str]:
    import argparse
    import collections
    import functools
    import itertools
    import json as json_module
    import textwrap

    docs = [m.__doc__ or "" for m in (json_module, textwrap, argparse, collections, functools, itertools)]
    docs += [str.__doc__ or "", str.split.__doc__ or "", dict.get.__doc__ or "", print.__doc__ or ""]
    text = " ".join(" ".join(d.split()) for d in docs)
    found = [s for s in re.split(r"(?<=[.!?])\s+", text) if 5 <= len(tokenize(s)) <= 60]
    # Short ones: docstring lines of one to four words ("True", "Return a copy ...").
    lines = [line.strip() for d in docs for line in d.splitlines()]
    short = [line for line in lines if 1 <= len(tokenize(line)) <= 4 and line.replace(" ", "").isalpha()]
    # Long ones, up to 60 words: from the reference manual's pydoc topics.
    import pydoc_data.topics

    long = [
        s
        for _, topic in sorted(pydoc_data.topics.topics.items())
        for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", " ".join(topic.split()))
        if 57 <= len(tokenize(s)) <= 60
    ]
    chosen = (
        list(dict.fromkeys(short))[:6]
        + list(dict.fromkeys(found))
        + sorted((s for s in long if s.isascii()), key=lambda s: -len(tokenize(s)))[:3]
    )
    return [s for s in chosen if s.isascii()]


SENTENCES = _docstring_sentences()
assert min(len(tokenize(s)) for s in SENTENCES) == 1 and max(len(tokenize(s)) for s in SENTENCES) == 60


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDSDK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("EMBEDSDK_PROVIDER", raising=False)
    monkeypatch.delenv("EMBEDSDK_ELMO_PATH", raising=False)
    with embedsdk.testing.isolated_plugins(embedsdk_elmo.plugin):
        yield


@pytest.fixture(autouse=True, scope="session")
def _quiet_reference():
    logging.getLogger("elmoformanylangs").setLevel(logging.ERROR)


def vocabulary() -> list[str]:
    """The word.dic of the tiny model: the docstring words seen most often; the rest are <oov>."""
    counts: dict[str, int] = {}
    for sentence in SENTENCES:
        for word, _, _ in tokenize(sentence):
            counts[word] = counts.get(word, 0) + 1
    return sorted(counts, key=lambda w: -counts[w])[:200]


@pytest.fixture(scope="session")
def tiny_manylangs(tmp_path_factory) -> Path:
    return write_random_manylangs(tmp_path_factory.mktemp("elmo-manylangs"), vocabulary(), seed=1, max_chars=16)


@pytest.fixture(scope="session")
def tiny_chars(tmp_path_factory) -> Path:
    return write_random_manylangs(tmp_path_factory.mktemp("elmo-chars"), seed=2, word_dim=0, max_chars=50)


def write_allennlp(manylangs: Path, out: Path) -> Path:
    """Write a characters-only ELMoForManyLangs model as AllenNLP's options.json + weights.hdf5.

    The hdf5 layout (TensorFlow's, as bilm-tf saved it and AllenNLP reads it):

    - ``char_embed`` (261, char_dim): row ``b`` is the embedding of UTF-8 byte ``b``; 256 begin-of-sentence,
      257 end-of-sentence, 258 begin-of-word, 259 end-of-word, 260 padding. Here: the char.dic row of the
      same character (``<oov>`` for bytes it lacks), and for 256..260 the rows of ``<bos>``, ``<eos>``,
      ``<eow>``, ``<bow>``, ``<pad>`` (ELMoForManyLangs writes ``<eow>`` in a word's first slot and
      ``<bow>`` after its last character).
    - ``CNN/W_cnn_{i}`` (1, width, char_dim, filters) and ``CNN/b_cnn_{i}``: convolution ``i``.
    - ``CNN_high_{k}/W_transform``, ``b_transform`` (transform half) and ``W_carry``, ``b_carry`` (gate,
      negated: TensorFlow gates the transform, torch the carry); matrices (in, out).
    - ``CNN_proj/W_proj`` (filters, projection), ``CNN_proj/b_proj``.
    - ``RNN_{d}/RNN/MultiRNNCell/Cell{l}/LSTMCell/W_0`` (input + hidden, 4 * cell): direction ``d`` (0
      forward, 1 backward) of layer ``l``, gates in TensorFlow's order (input, candidate, forget, output);
      ``.../B`` (4 * cell) without the +1 TensorFlow adds to the forget gate at run time; ``.../W_P_0``
      (cell, hidden): the state projection.
    """
    import h5py
    import torch

    model = json.loads((manylangs / "tiny_elmo.json").read_text())
    encoder, embedder = model["encoder"], model["token_embedder"]
    assert embedder["word_dim"] == 0 and embedder["max_characters_per_token"] == 50
    chars = {}
    for line in (manylangs / "char.dic").read_text(encoding="utf-8").splitlines():
        entry, index = line.split("\t")
        chars[entry] = int(index)
    tokens = torch.load(manylangs / "token_embedder.pkl")
    lstm = torch.load(manylangs / "encoder.pkl")
    table = tokens["char_emb_layer.embedding.weight"].numpy()
    rows = [table[chars.get(chr(b), chars["<oov>"])] for b in range(256)]
    rows += [table[chars[name]] for name in ("<bos>", "<eos>", "<eow>", "<bow>", "<pad>")]
    out.mkdir(parents=True, exist_ok=True)
    c, n_filters = encoder["dim"], sum(n for _, n in embedder["filters"])
    tf_order = np.r_[0:c, 2 * c : 3 * c, c : 2 * c, 3 * c : 4 * c]  # (i, f, j, o) <-> (i, j, f, o)
    with h5py.File(out / "weights.hdf5", "w") as f:
        f["char_embed"] = np.stack(rows)
        for i in range(len(embedder["filters"])):
            f[f"CNN/W_cnn_{i}"] = tokens[f"convolutions.{i}.weight"].numpy().transpose(2, 1, 0)[None]
            f[f"CNN/b_cnn_{i}"] = tokens[f"convolutions.{i}.bias"].numpy()
        for k in range(embedder["n_highway"]):
            w, b = tokens[f"highways._layers.{k}.weight"].numpy(), tokens[f"highways._layers.{k}.bias"].numpy()
            f[f"CNN_high_{k}/W_transform"] = w[:n_filters].T
            f[f"CNN_high_{k}/W_carry"] = -w[n_filters:].T
            f[f"CNN_high_{k}/b_transform"] = b[:n_filters]
            f[f"CNN_high_{k}/b_carry"] = -b[n_filters:]
        f["CNN_proj/W_proj"] = tokens["projection.weight"].numpy().T
        f["CNN_proj/b_proj"] = tokens["projection.bias"].numpy()
        for layer in range(encoder["n_layers"]):
            for d, direction in enumerate(("forward", "backward")):
                prefix = f"{direction}_layer_{layer}."
                both = torch.cat([lstm[prefix + "input_linearity.weight"], lstm[prefix + "state_linearity.weight"]], 1)
                bias = lstm[prefix + "state_linearity.bias"].numpy()[tf_order].copy()
                bias[2 * c : 3 * c] -= 1.0
                cell = f"RNN_{d}/RNN/MultiRNNCell/Cell{layer}/LSTMCell"
                f[f"{cell}/W_0"] = both.numpy()[tf_order].T
                f[f"{cell}/B"] = bias
                f[f"{cell}/W_P_0"] = lstm[prefix + "state_projection.weight"].numpy().T
    options = {
        "lstm": {
            "use_skip_connections": True,
            "projection_dim": encoder["projection_dim"],
            "cell_clip": encoder["cell_clip"],
            "proj_clip": encoder["proj_clip"],
            "dim": c,
            "n_layers": encoder["n_layers"],
        },
        "char_cnn": {
            "activation": embedder["activation"],
            "filters": embedder["filters"],
            "n_highway": embedder["n_highway"],
            "embedding": {"dim": embedder["char_dim"]},
            "n_characters": 262,
            "max_characters_per_token": 50,
        },
    }
    (out / "options.json").write_text(json.dumps(options))
    return out


@pytest.fixture(scope="session")
def tiny_hdf5(tmp_path_factory, tiny_chars) -> Path:
    return write_allennlp(tiny_chars, tmp_path_factory.mktemp("elmo-allennlp"))


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))


@pytest.fixture(scope="session")
def cosines():
    """Row-wise cosine of two arrays of the same shape (last axis the vector)."""
    return _cosines


@pytest.fixture(scope="session")
def sentences() -> list[str]:
    """Real English sentences of 1 to 60 words, from Python's own docstrings."""
    return list(SENTENCES)
