"""Training round trips on gensim's Lee corpus: each trained folder loads through its provider, same vectors."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import embedsdk
import embedsdk.train
from embedsdk.errors import MissingDependencyError


@pytest.fixture(scope="session")
def lee_corpus() -> Path:
    from gensim.test.utils import datapath

    return Path(datapath("lee_background.cor"))


@pytest.mark.parametrize("sg", [True, False], ids=["skip-gram", "cbow"])
def test_word2vec_round_trip(lee_corpus, tmp_path, sg):
    folder = embedsdk.train.word2vec(
        lee_corpus, sg=sg, vector_size=24, window=3, epochs=2, seed=3, output=tmp_path / "w2v", progress=False
    )
    from gensim.models import KeyedVectors

    saved = KeyedVectors.load(str(folder / "vectors.kv"))
    result = embedsdk.embed(["government", "police"], provider=f"static/{folder}")
    np.testing.assert_allclose(result.vectors, saved[["government", "police"]], rtol=1e-6)
    assert result.space.dim == 24 and result.space.extra["format"] == "gensim"
    assert embedsdk.embedder(f"static/{folder}").word_vectors.counts is not None  # SIF gets real counts
    neighbours = embedsdk.most_similar("government", k=3, provider=f"static/{folder}")
    assert len(neighbours) == 3 and "government" not in neighbours


def test_word2vec_is_reproducible_with_a_seed_and_one_worker(tmp_path):
    texts = ["the cat sat on the mat", "the dog sat on the log", "a cat and a dog"] * 20
    first = embedsdk.train.word2vec(texts, vector_size=8, epochs=3, seed=5, output=tmp_path / "a", progress=False)
    second = embedsdk.train.word2vec(texts, vector_size=8, epochs=3, seed=5, output=tmp_path / "b", progress=False)
    a = embedsdk.embed(["cat dog"], provider=f"static/{first}").vectors
    b = embedsdk.embed(["cat dog"], provider=f"static/{second}").vectors
    np.testing.assert_array_equal(a, b)


def test_fasttext_round_trip_with_subwords(lee_corpus, tmp_path):
    folder = embedsdk.train.fasttext(
        lee_corpus, vector_size=16, epochs=1, bucket=20_000, output=tmp_path / "ft", progress=False
    )
    from gensim.models import KeyedVectors

    saved = KeyedVectors.load(str(folder / "vectors.kv"))
    words = ["government", "governmentalisation"]
    assert words[1] not in saved.key_to_index
    result = embedsdk.embed(words, provider=f"static/{folder}", oov="subword")
    cosines = embedsdk.cosine_similarity(result.vectors, saved[words]).diagonal()
    assert cosines.min() >= 0.9999
    assert result.oov == [[], ["governmentalisation"]]


def test_doc2vec_round_trip_is_deterministic_and_has_tagged_vectors(lee_corpus, tmp_path, capsys):
    folder = embedsdk.train.doc2vec(lee_corpus, vector_size=16, epochs=5, output=tmp_path / "d2v", progress=True)
    assert "doc2vec" in capsys.readouterr().err  # the progress bar
    text = "The government announced new police measures in Sydney."
    first = embedsdk.embed([text, "bushfires near the city"], provider=f"doc2vec/{folder}", cache=False)
    second = embedsdk.embed([text], provider=f"doc2vec/{folder}", cache=False)
    np.testing.assert_array_equal(first.vectors[0], second.vectors[0])
    assert first.space.dim == 16 and first.space.pooling == "doc2vec"
    embedder = embedsdk.embedder(f"doc2vec/{folder}")
    from gensim.models import Doc2Vec

    model = Doc2Vec.load(str(folder / "model.d2v"))
    assert len(embedder.tags) == len(model.dv)
    np.testing.assert_array_equal(embedder.document_vector(0), model.dv[0])
    # Inference in the provider is gensim's own inference, under the fixed seed.
    model.random = np.random.RandomState(0)
    expected = model.infer_vector(["bushfires", "near", "the", "city"], epochs=model.epochs)
    np.testing.assert_allclose(first.vectors[1], expected, rtol=1e-5)
    with pytest.raises(embedsdk.InvalidInputError, match="no training document is tagged 'nope'"):
        embedder.document_vector("nope")


def test_a_corpus_of_texts_works_and_an_empty_one_is_refused(tmp_path):
    folder = embedsdk.train.word2vec(["alpha beta gamma"] * 5, vector_size=4, epochs=1, output=tmp_path / "x")
    assert embedsdk.embed(["alpha"], provider=f"static/{folder}").shape == (1, 4)
    with pytest.raises(embedsdk.InvalidInputError, match="no words"):
        embedsdk.train.word2vec(["", "  "], output=tmp_path / "y")
    with pytest.raises(embedsdk.InvalidInputError, match="is not a file"):
        embedsdk.train.word2vec(str(tmp_path / "missing.txt"))


def test_missing_gensim_names_the_pip_command(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "gensim", None)
    with pytest.raises(MissingDependencyError, match="pip install embedsdk-static"):
        embedsdk.train.word2vec(["a b c"], output=tmp_path / "z")


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> Path:
    import torch
    from tokenizers import BertWordPieceTokenizer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    texts = ["the cat sat on the mat", "a dog slept by the door", "vectors for similarity search"] * 4
    folder = tmp_path_factory.mktemp("tiny-bert")
    trainer = BertWordPieceTokenizer(lowercase=True)
    trainer.train_from_iterator(texts, vocab_size=120, min_frequency=1)
    trainer.save_model(str(folder))
    BertTokenizerFast.from_pretrained(str(folder), do_lower_case=True, model_max_length=32).save_pretrained(str(folder))
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=trainer.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=32,
    )
    BertModel(config).save_pretrained(str(folder))
    return folder


def test_distill_writes_a_model2vec_folder_static_loads(tiny_bert, tmp_path):
    from model2vec import StaticModel

    folder = embedsdk.train.distill(f"hf/{tiny_bert}", dim=8, output=tmp_path / "m2v")
    texts = ["the cat sat", "a dog by the door", "similarity"]
    result = embedsdk.embed(texts, provider=f"static/{folder}")
    reference = StaticModel.from_pretrained(str(folder)).encode(texts)
    assert result.shape == (3, 8) and result.space.extra["format"] == "model2vec"
    assert embedsdk.cosine_similarity(result.vectors, reference).diagonal().min() >= 0.9999
    assert result.oov == [[], [], []]
