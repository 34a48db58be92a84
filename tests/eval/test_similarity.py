from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import embedsdk
from embedsdk.errors import InvalidInputError
from embedsdk.eval import read_pairs, sts
from embedsdk.testing import FakeEmbedder

from .conftest import STSB_SAMPLE


def test_sts_is_the_correlation_of_cosines_with_gold(fake: FakeEmbedder) -> None:
    pairs = read_pairs(STSB_SAMPLE, split="dev")
    result = sts("fake/test", pairs)
    left = embedsdk.embed([p.sentence1 for p in pairs], "fake/test").vectors
    right = embedsdk.embed([p.sentence2 for p in pairs], "fake/test").vectors
    cosines = (left * right).sum(axis=1)
    gold = [p.score for p in pairs]
    assert result.spearman == pytest.approx(stats.spearmanr(cosines, gold).statistic, abs=1e-6)
    assert result.pearson == pytest.approx(stats.pearsonr(cosines, gold).statistic, abs=1e-5)
    assert result.examples == 200 and result.provider == "fake/test"
    # Word overlap carries signal on STS: the fake is far above chance.
    assert result.spearman > 0.3


def test_sts_reports_the_cost_and_hits_the_cache_the_second_time(fake: FakeEmbedder) -> None:
    pairs = [("a cat sat", "a cat sits", 4.5), ("a dog ran", "stocks fell", 0.2), ("a cat sat", "dogs run", 1.0)]
    first = sts("fake/test", pairs)
    distinct = 5  # "a cat sat" appears twice and is embedded once
    assert (first.cost.items, first.cost.embedded, first.cost.cache_hits) == (distinct, distinct, 0)
    assert first.cost.requests == 1 and first.cost.tokens == 13 and first.cost.seconds > 0
    second = sts("fake/test", pairs)
    assert (second.cost.embedded, second.cost.cache_hits, second.cost.requests) == (0, distinct, 0)
    assert second.spearman == first.spearman
    assert fake.roles == [None]  # STS is symmetric: no role


def test_a_random_provider_scores_near_chance(random_provider: str) -> None:
    result = sts(random_provider, STSB_SAMPLE)
    assert abs(result.spearman) < 0.12, result
    assert abs(result.pearson) < 0.12, result


def test_bad_sts_input(fake: FakeEmbedder) -> None:
    with pytest.raises(InvalidInputError, match="pair 1: score is nan"):
        sts("fake/test", [("a", "b", 1.0), ("c", "d", np.nan)])
    with pytest.raises(InvalidInputError, match="gold scores are all equal"):
        sts("fake/test", [("a", "b", 1.0), ("c", "d", 1.0)])
    with pytest.raises(InvalidInputError, match="no sentence pairs"):
        sts("fake/test", [])


@pytest.mark.slow
def test_minilm_matches_sentence_transformers_evaluator(minilm: str) -> None:
    from embedsdk_transformers.locate import locate_model
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.evaluation import EmbeddingSimilarityEvaluator

    pairs = read_pairs(STSB_SAMPLE, split="dev")[:80]
    ours = sts(minilm, pairs)
    model = SentenceTransformer(str(locate_model("sentence-transformers/all-MiniLM-L6-v2")), device="cpu")
    evaluator = EmbeddingSimilarityEvaluator(
        [p.sentence1 for p in pairs], [p.sentence2 for p in pairs], [p.score / 5 for p in pairs], name="dev"
    )
    theirs = evaluator(model)
    assert ours.spearman == pytest.approx(theirs["dev_spearman_cosine"], abs=0.005)
    assert ours.spearman > 0.8


def test_long_sentences_are_truncated_as_reference_evaluators_do(fake: FakeEmbedder) -> None:
    long = " ".join(f"word{i}" for i in range(100))  # the fake reads 64 tokens at most
    pairs = [(long, "word1 word2", 2.0), ("a b", "a b", 5.0), ("a b", "c d", 0.0)]
    cost = sts("fake/test", pairs).cost
    assert (cost.items, cost.tokens) == (4, 64 + 2 + 2 + 2)  # the long one counts its first 64 tokens
    with pytest.raises(InvalidInputError, match=r"sentences: .*token"):
        sts("fake/test", pairs, on_long="error")
