from __future__ import annotations

import pytest

from embedsdk.errors import InvalidInputError
from embedsdk.eval import clustering
from embedsdk.testing import FakeEmbedder

from .test_classify import topic_texts


def test_topics_are_found(fake: FakeEmbedder) -> None:
    texts, labels = topic_texts(30)
    result = clustering("fake/test", texts, labels)
    assert result.clusters == 2
    assert result.v_measure > 0.8 and result.ari > 0.8, result


def test_random_vectors_cluster_at_chance(random_provider: str) -> None:
    texts, labels = topic_texts(60)
    result = clustering(random_provider, texts, labels)
    assert abs(result.ari) < 0.1 and result.v_measure < 0.15, result


def test_bad_clustering_input(fake: FakeEmbedder) -> None:
    with pytest.raises(InvalidInputError, match="2 texts but 3 labels"):
        clustering("fake/test", ["a", "b"], ["x", "y", "z"])
    with pytest.raises(InvalidInputError, match="at least two classes"):
        clustering("fake/test", ["a", "b"], ["x", "x"])
    with pytest.raises(InvalidInputError, match="n_clusters=5"):
        clustering("fake/test", ["a", "b", "c"], ["x", "y", "y"], n_clusters=5)
