"""One evaluation harness for every provider: quality and cost on the same data.

    >>> import embedsdk.eval
    >>> result = embedsdk.eval.sts("minilm", [("A cat sits.", "A cat is sitting.", 4.8), ...])
    >>> result.spearman, result.cost.cache_hits

Every task embeds through `embedsdk.embed` (cache, planner, roles) and reports its metrics with the cost of
its embeddings (`EvalCost`). ``import embedsdk.eval`` stays light: scikit-learn loads only for the tasks
that need it.
"""

from __future__ import annotations

from embedsdk.eval.bias import WEATResult, weat
from embedsdk.eval.classify import ClassificationResult, classification
from embedsdk.eval.clusters import ClusteringResult, clustering
from embedsdk.eval.datasets import RetrievalData, ScoredPair, read_beir, read_labelled, read_pairs, retrieval_from_pairs
from embedsdk.eval.documents import DocumentSimilarityResult, document_similarity, lee_corpus
from embedsdk.eval.ranking import RetrievalResult, retrieval
from embedsdk.eval.result import EvalCost, TaskResult
from embedsdk.eval.similarity import STSResult, sts
from embedsdk.eval.tasks import TASKS, run
from embedsdk.eval.words import AnalogyResult, WordSimilarityResult, most_similar, word_similarity
from embedsdk.eval.words import analogy_accuracy as analogy

__all__ = [
    "TASKS",
    "AnalogyResult",
    "ClassificationResult",
    "ClusteringResult",
    "DocumentSimilarityResult",
    "EvalCost",
    "RetrievalData",
    "RetrievalResult",
    "STSResult",
    "ScoredPair",
    "TaskResult",
    "WEATResult",
    "WordSimilarityResult",
    "analogy",
    "classification",
    "clustering",
    "document_similarity",
    "lee_corpus",
    "most_similar",
    "read_beir",
    "read_labelled",
    "read_pairs",
    "retrieval",
    "retrieval_from_pairs",
    "run",
    "sts",
    "weat",
    "word_similarity",
]
