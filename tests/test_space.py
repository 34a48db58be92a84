"""`EmbeddingSpace` (what a vector means, its fingerprint) and `Embeddings` (what one call returns)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pydantic
import pytest

import embedsdk
from embedsdk.errors import ItemFailure, SpaceMismatchError
from embedsdk.result import Embeddings, EmbedStats
from embedsdk.space import EmbeddingSpace, cosine_similarity
from embedsdk.testing import fake_provider

SPACE = EmbeddingSpace(provider="fake/test", model="test", revision="1", dim=4, normalized=True, pooling="mean")


# -- EmbeddingSpace ---------------------------------------------------------------------------------------


def test_fingerprint_is_stable_and_covers_every_field():
    assert SPACE.fingerprint() == EmbeddingSpace(**SPACE.model_dump()).fingerprint()
    changes = {
        "provider": "fake/other",
        "model": "other",
        "revision": "2",
        "dim": 8,
        "normalized": False,
        "pooling": "cls",
        "dtype": "float16",
        "role": "query",
        "max_tokens": 128,
        "extra": {"prefix": "query: "},
    }
    assert set(changes) == set(EmbeddingSpace.model_fields)
    fingerprints = {SPACE.fingerprint()} | {SPACE.model_copy(update={k: v}).fingerprint() for k, v in changes.items()}
    assert len(fingerprints) == len(changes) + 1


def test_fingerprint_is_the_same_in_another_process():
    code = (
        "from embedsdk.space import EmbeddingSpace; "
        "print(EmbeddingSpace(provider='fake/test', model='test', revision='1', dim=4, normalized=True, "
        "pooling='mean').fingerprint())"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == SPACE.fingerprint()


def test_space_is_frozen_and_validated():
    with pytest.raises(pydantic.ValidationError):
        SPACE.dim = 8  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        EmbeddingSpace(provider="p/m", model="m", dim=0)
    with pytest.raises(pydantic.ValidationError):
        EmbeddingSpace(provider="p/m", model="m", dim=4, role="passage")
    with pytest.raises(pydantic.ValidationError):
        EmbeddingSpace(provider="p/m", model="m", dim=4, colour="red")


def test_roles_and_providers_do_not_make_spaces_incomparable():
    query = SPACE.model_copy(update={"role": "query", "max_tokens": 10})
    document = SPACE.model_copy(update={"role": "document", "provider": "alias/test"})
    assert query.mismatches(document) == []
    query.check_comparable(document)


def test_a_mismatch_names_each_field():
    other = SPACE.model_copy(update={"dim": 8, "normalized": False})
    assert SPACE.mismatches(other) == ["dim", "normalized"]
    with pytest.raises(SpaceMismatchError) as caught:
        SPACE.check_comparable(other, what="queries")
    message = str(caught.value)
    assert "queries" in message
    assert "dim: 4 vs 8" in message
    assert "normalized: True vs False" in message
    assert isinstance(caught.value, ValueError)


# -- cosine_similarity ------------------------------------------------------------------------------------


def test_cosine_similarity_matrix():
    a = np.array([[1, 0], [0, 2], [0, 0]], dtype=np.float32)
    b = np.array([[3, 0], [1, 1]], dtype=np.float32)
    result = cosine_similarity(a, b)
    assert result.shape == (3, 2)
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, [[1, 2**-0.5], [0, 2**-0.5], [0, 0]], atol=1e-6)
    np.testing.assert_allclose(cosine_similarity([1, 0], [0, 1]), [[0]])


def test_cosine_similarity_refuses_other_dimensions():
    with pytest.raises(SpaceMismatchError, match="3-d"):
        cosine_similarity(np.ones((1, 3)), np.ones((1, 4)))


# -- Embeddings -------------------------------------------------------------------------------------------


def make(rows, space=SPACE, errors=()):
    return Embeddings(np.asarray(rows, dtype=np.float32), space, errors=list(errors))


def test_embeddings_behave_like_an_array(fake):
    result = embedsdk.embed(["red apple", "green pear", "blue plum"], provider="fake/test")
    array = np.asarray(result)
    assert array is result.vectors
    assert array.shape == result.shape == (3, 16)
    assert len(result) == 3
    assert result.dim == 16
    np.testing.assert_array_equal(result[1], result.vectors[1])
    np.testing.assert_array_equal(result[1:], result.vectors[1:])
    assert [row.tolist() for row in result] == result.vectors.tolist()
    assert np.asarray(result, dtype=np.float64).dtype == np.float64
    assert np.array(result, copy=True) is not result.vectors
    np.testing.assert_allclose(np.linalg.norm(result, axis=1), 1, atol=1e-6)  # numpy functions accept it
    assert "n=3" in repr(result) and "dim=16" in repr(result) and "fake/test" in repr(result)


def test_similarity_is_the_cosine_matrix(fake):
    docs = embedsdk.embed(["red apple", "green pear", "red apple pie"], provider="fake/test")
    queries = embedsdk.embed(["red apple", "pear"], provider="fake/test")
    result = queries.similarity(docs)
    assert result.shape == (2, 3)
    expected = queries.vectors @ docs.vectors.T  # both unit length
    np.testing.assert_allclose(result, expected, atol=1e-6)
    assert result[0, 0] == pytest.approx(1.0, abs=1e-6)
    assert result[0, 2] > result[0, 1]  # shares words
    np.testing.assert_allclose(docs.similarity(), docs.vectors @ docs.vectors.T, atol=1e-6)
    np.testing.assert_allclose(queries.similarity(docs.vectors), expected, atol=1e-6)


def test_query_and_document_embeddings_are_comparable(fake):
    query = embedsdk.embed(["red apple"], provider="fake/test", role="query")
    documents = embedsdk.embed(["red apple", "blue whale"], provider="fake/test", role="document")
    scores = query.similarity(documents)
    assert scores.shape == (1, 2)
    assert scores[0, 0] > scores[0, 1]


def test_similarity_across_spaces_is_a_space_mismatch(fake):
    with fake_provider("fake/other"):
        other = embedsdk.embed(["red apple"], provider="fake/other")
    mine = embedsdk.embed(["red apple"], provider="fake/test")
    with pytest.raises(SpaceMismatchError, match="model"):
        mine.similarity(other)
    smaller = embedsdk.embed(["red apple"], provider="fake/test", dimensions=8)
    with pytest.raises(SpaceMismatchError, match="dim"):
        mine.similarity(smaller)


def test_ok_marks_failed_rows():
    result = make([[1, 0, 0, 0], [np.nan] * 4, [0, 1, 0, 0]], errors=[ItemFailure(1, "bad")])
    assert result.ok.tolist() == [True, False, True]
    assert "failed=1" in repr(result)


def test_stats_default_to_zero():
    assert make(np.zeros((0, 4))).stats == EmbedStats()


def test_same_revision_under_another_name_is_comparable():
    from embedsdk.space import EmbeddingSpace

    alias = EmbeddingSpace(provider="hf/org/model", model="org/model", revision="abc", dim=4)
    folder = EmbeddingSpace(provider="hf//models/model", model="/models/model", revision="abc", dim=4)
    other_weights = EmbeddingSpace(provider="hf//models/model", model="/models/model", revision="def", dim=4)
    assert alias.mismatches(folder) == []
    assert alias.mismatches(other_weights) == ["model", "revision"]
