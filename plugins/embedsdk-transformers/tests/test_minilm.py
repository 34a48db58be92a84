"""The bundled default model, all-MiniLM-L6-v2, for real: offline set-up, semantics, and parity with
sentence-transformers on real sentences."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import embedsdk

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
from corpus import sentences

pytestmark = pytest.mark.slow


def test_default_provider_offline_example():
    result = embedsdk.embed(
        ["The cat sat on the mat", "A feline rested on the rug", "Python is a programming language"]
    )
    assert result.shape == (3, 384) and result.vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(result.vectors, axis=1), 1.0, atol=1e-5)
    similarity = result.similarity()
    assert similarity[0, 1] > similarity[0, 2]
    assert result.space.provider == "hf/sentence-transformers/all-MiniLM-L6-v2"
    assert result.space.normalized and result.space.pooling == "mean" and result.space.max_tokens == 256


def test_default_provider_follows_the_setting(monkeypatch, tiny_bert):
    monkeypatch.setenv("EMBEDSDK_PROVIDER", f"hf/{tiny_bert}")
    assert embedsdk.embed(["the cat"], cache=False).space.dim == 32


def test_registered_with_alias_and_dim():
    listed = {info.id: info for info in embedsdk.providers()}
    minilm = listed["hf/sentence-transformers/all-MiniLM-L6-v2"]
    assert "minilm" in minilm.aliases and minilm.dim == 384 and minilm.plugin == "transformers"
    assert {"hf/*", "hf/bert-base-uncased", "hf/microsoft/codebert-base"} <= set(listed)


def test_parity_with_sentence_transformers(minilm_folder):
    from sentence_transformers import SentenceTransformer

    model = embedsdk.embedder("minilm")
    texts = sentences(400, model.tokenizer.count)
    exact = embedsdk.embed(texts, provider="minilm", precision="fp32", cache=False).vectors
    default = embedsdk.embed(texts, provider="minilm", cache=False)
    reference = SentenceTransformer(str(minilm_folder), device="cpu").encode(texts, batch_size=32)

    def min_cosine(ours: np.ndarray) -> float:
        norms = np.linalg.norm(ours, axis=1) * np.linalg.norm(reference, axis=1)
        return float((np.sum(ours * reference, axis=1) / norms).min())

    assert min_cosine(exact) >= 0.99999
    # The default (precision="auto": bf16 where the CPU has it, behind the quality gate) stays this close.
    assert min_cosine(default.vectors) >= 0.9999
    assert default.space.extra.get("precision", "fp32") == model.precision


def test_truncation_matches_sentence_transformers(minilm_folder):
    from sentence_transformers import SentenceTransformer

    long_text = " ".join(sentences(60))
    ours = embedsdk.embed([long_text], provider="minilm", on_long="truncate", cache=False)
    reference = SentenceTransformer(str(minilm_folder), device="cpu").encode([long_text])
    assert ours.stats.truncated == 1
    assert float(ours.similarity(reference)[0, 0]) > 0.9999


def test_truncation_inside_a_word_still_matches_sentence_transformers(minilm_folder):
    # Long words of many pieces put the 256th token inside a word for some of these shifts: the text is
    # cut between words, yet the model must read transformers' id-level cut, as sentence-transformers does.
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(minilm_folder), device="cpu")
    base = "antidisestablishmentarianism pneumonoultramicroscopic " * 60
    texts = ["word " * shift + base for shift in range(6)]
    ours = embedsdk.embed(texts, provider="minilm", on_long="truncate", cache=False)
    expected = reference.encode(texts)
    assert ours.stats.truncated == len(texts)
    assert np.diag(ours.similarity(expected)).min() > 0.9999


def test_chunking_pools_the_chunks():
    long_text = " ".join(sentences(80))
    model = embedsdk.embedder("minilm")
    result = embedsdk.embed([long_text], provider="minilm", on_long="chunk", chunk_overlap=16, cache=False)
    chunks = model.tokenizer.split(long_text, model.limits.max_tokens_per_item, 16)
    assert len(chunks) > 2 and result.stats.chunked == 1
    expected = embedsdk.embed(chunks, provider="minilm", cache=False).vectors.mean(axis=0)
    expected /= np.linalg.norm(expected)
    np.testing.assert_allclose(result.vectors[0], expected, atol=1e-5)


def test_second_call_is_served_by_the_cache(monkeypatch):
    model = embedsdk.embedder("minilm")
    calls = []
    original = model.embed_batch
    monkeypatch.setattr(
        model, "embed_batch", lambda items, role=None: calls.append(len(items)) or original(items, role)
    )
    texts = ["A river bank.", "A bank deposit.", "A river bank."]
    first = embedsdk.embed(texts)
    assert sum(calls) == 2
    second = embedsdk.embed(texts)
    assert sum(calls) == 2 and second.stats.cache_hits == 3
    np.testing.assert_array_equal(first.vectors, second.vectors)
    mixed = embedsdk.embed(["New text here.", "A bank deposit."])
    assert sum(calls) == 3
    np.testing.assert_allclose(
        mixed.vectors, embedsdk.embed(["New text here.", "A bank deposit."], cache=False).vectors, atol=1e-6
    )
