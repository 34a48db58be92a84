from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from embedsdk.errors import InvalidInputError
from embedsdk.eval import retrieval, retrieval_from_pairs
from embedsdk.eval.ranking import rank_corpus, score_ranking
from embedsdk.testing import FakeEmbedder

from .conftest import STSB_SAMPLE
from .test_datasets import write_beir


def test_metrics_against_hand_computed_values() -> None:
    scores = score_ranking([["d2", "d1", "d3"]], [{"d1": 1, "d3": 2, "d9": 0}], ks=(1, 2, 10))
    assert scores["recall@1"] == 0.0
    assert scores["recall@2"] == 0.5
    assert scores["recall@10"] == 1.0
    assert scores["mrr@10"] == 0.5
    dcg = 0 + 1 / math.log2(3) + 2 / math.log2(4)
    ideal = 2 / math.log2(2) + 1 / math.log2(3)
    assert scores["ndcg@10"] == pytest.approx(dcg / ideal)


def test_metrics_average_over_queries() -> None:
    scores = score_ranking([["a", "b"], ["b", "a"]], [{"a": 1}, {"a": 1}], ks=(1,))
    assert scores["recall@1"] == 0.5
    assert scores["mrr@10"] == pytest.approx((1 + 0.5) / 2)


def test_rank_corpus_orders_by_cosine_and_breaks_ties_by_position() -> None:
    docs = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.6, 0.8]])
    queries = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert rank_corpus(queries, docs, depth=3).tolist() == [[0, 2, 3], [1, 3, 0]]


def test_retrieval_embeds_queries_and_documents_with_their_roles(fake: FakeEmbedder) -> None:
    queries = {"q1": "purring cats", "q2": "barking dogs"}
    corpus = {"d1": "cats purring softly", "d2": "dogs barking loudly", "d3": "stock markets fell"}
    qrels = {"q1": {"d1": 1}, "q2": {"d2": 2}}
    result = retrieval("fake/test", queries, corpus, qrels)
    assert result.ndcg_at_10 == 1.0 and result.mrr_at_10 == 1.0 and result.recall[1] == 1.0
    assert sorted(result.recall) == [1, 5, 10, 100]
    assert fake.roles == ["query", "document"]
    assert result.cost.items == 5 and result.cost.requests == 2
    assert set(result.metrics) == {"ndcg@10", "mrr@10", "recall@1", "recall@5", "recall@10", "recall@100"}


def test_beir_folder_runs(tmp_path: Path, fake: FakeEmbedder) -> None:
    result = retrieval("fake/test", write_beir(tmp_path / "beir"))
    assert result.examples == 1 and result.ndcg_at_10 == 1.0


def test_random_provider_is_near_chance_and_fake_is_not(fake: FakeEmbedder, random_provider: str) -> None:
    task = retrieval_from_pairs(STSB_SAMPLE)
    broken = retrieval(random_provider, *task)
    working = retrieval("fake/test", *task)
    # One relevant document among ~300: random ranking puts it in the top 10 about 3% of the time.
    assert broken.recall_at_10 < 0.15 and broken.ndcg_at_10 < 0.1, broken
    assert working.recall_at_10 > 0.5 and working.ndcg_at_10 > 3 * broken.ndcg_at_10, working


@pytest.mark.parametrize(
    ("queries", "corpus", "qrels", "message"),
    [
        ({}, {"d": "x"}, {}, "no queries"),
        ({"q": "x"}, {}, {"q": {"d": 1}}, "corpus is empty"),
        ({"q": "x"}, {"d": "y"}, {"q9": {"d": 1}}, "query ids absent from the queries"),
        ({"q": "x"}, {"d": "y"}, {"q": {"d7": 1}}, "document ids absent from the corpus"),
        ({"q": "x"}, {"d": "y"}, {"q": {"d": 0}}, "no query has a relevant document"),
        ({"q": "x"}, {"d": 3}, {"q": {"d": 1}}, "corpus\\['d'\\] is int"),
    ],
)
def test_bad_retrieval_input(fake: FakeEmbedder, queries: dict, corpus: dict, qrels: dict, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        retrieval("fake/test", queries, corpus, qrels)
