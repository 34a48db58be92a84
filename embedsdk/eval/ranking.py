"""Retrieval: rank a corpus for each query by cosine, and score the ranking against relevance judgements.

Metrics follow BEIR (pytrec_eval): recall@k over the relevant documents (relevance > 0), MRR@10, and
nDCG@10 with the graded relevance as gain and ``log2(rank + 1)`` as discount.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from embedsdk.errors import InvalidInputError
from embedsdk.eval.datasets import read_beir
from embedsdk.eval.result import CostMeter, TaskResult

__all__ = ["RetrievalResult", "rank_corpus", "retrieval", "score_ranking"]

DEFAULT_KS = (1, 5, 10, 100)


@dataclass
class RetrievalResult(TaskResult):
    """Recall@k, MRR@10 and nDCG@10, averaged over the queries that have a relevant document.

    Attributes:
        recall: k -> recall@k.
        mrr_at_10: Mean reciprocal rank of the first relevant document within the top 10.
        ndcg_at_10: Normalized discounted cumulative gain at 10.
    """

    recall: dict[int, float] = field(default_factory=dict)
    mrr_at_10: float = 0.0
    ndcg_at_10: float = 0.0

    @property
    def recall_at_10(self) -> float:
        """Recall@10 (computed whatever ``ks`` were asked for)."""
        return self.recall[10]

    @property
    def metrics(self) -> dict[str, float]:
        """``ndcg@10``, ``mrr@10`` and ``recall@k`` for each k."""
        return {
            "ndcg@10": self.ndcg_at_10,
            "mrr@10": self.mrr_at_10,
            **{f"recall@{k}": value for k, value in sorted(self.recall.items())},
        }


def rank_corpus(query_vectors: np.ndarray, doc_vectors: np.ndarray, depth: int) -> np.ndarray:
    """Row i: indexes of the ``depth`` documents closest to query i by cosine (unit-length rows), best first."""
    depth = min(depth, len(doc_vectors))
    out = np.empty((len(query_vectors), depth), dtype=np.int64)
    for start in range(0, len(query_vectors), 256):  # 256 queries at a time bounds the score matrix
        scores = query_vectors[start : start + 256] @ doc_vectors.T
        top = np.argpartition(-scores, depth - 1, axis=1)[:, :depth]
        top_scores = np.take_along_axis(scores, top, axis=1)
        # Stable order: by score, then by document position, so ties rank the same way every run.
        order = np.lexsort((top, -top_scores), axis=1)
        out[start : start + 256] = np.take_along_axis(top, order, axis=1)
    return out


def score_ranking(
    ranked: Sequence[Sequence[str]], relevant: Sequence[Mapping[str, int]], ks: Sequence[int] = DEFAULT_KS
) -> dict[str, float]:
    """Recall@k, MRR@10 and nDCG@10 of ranked document ids against graded relevance, averaged over queries.

    Args:
        ranked: Per query, document ids best first.
        relevant: Per query, document id -> relevance (> 0 is relevant).
        ks: The cut-offs of recall.
    """
    totals = {f"recall@{k}": 0.0 for k in ks} | {"mrr@10": 0.0, "ndcg@10": 0.0}
    for docs, judged in zip(ranked, relevant, strict=True):
        positive = {doc for doc, rel in judged.items() if rel > 0}
        for k in ks:
            totals[f"recall@{k}"] += len(positive.intersection(docs[:k])) / len(positive)
        first = next((rank for rank, doc in enumerate(docs[:10], 1) if doc in positive), None)
        totals["mrr@10"] += 1.0 / first if first else 0.0
        dcg = sum(max(judged.get(doc, 0), 0) / np.log2(rank + 1) for rank, doc in enumerate(docs[:10], 1))
        ideal = sorted((rel for rel in judged.values() if rel > 0), reverse=True)[:10]
        idcg = sum(rel / np.log2(rank + 1) for rank, rel in enumerate(ideal, 1))
        totals["ndcg@10"] += dcg / idcg
    return {name: float(value) / len(ranked) for name, value in totals.items()}


def _check(queries: Mapping[str, str], corpus: Mapping[str, Any], qrels: Mapping[str, Mapping[str, int]]) -> list[str]:
    if not queries:
        raise InvalidInputError("no queries: give at least one query id -> text")
    if not corpus:
        raise InvalidInputError("the corpus is empty: give at least one document id -> text")
    unknown_queries = [qid for qid in qrels if qid not in queries]
    if unknown_queries:
        raise InvalidInputError(
            f"qrels name {len(unknown_queries)} query ids absent from the queries (first: {unknown_queries[:3]})"
        )
    unknown_docs = sorted({doc for judged in qrels.values() for doc in judged if doc not in corpus})
    if unknown_docs:
        raise InvalidInputError(
            f"qrels name {len(unknown_docs)} document ids absent from the corpus (first: {unknown_docs[:3]})"
        )
    judged = [qid for qid in queries if any(rel > 0 for rel in qrels.get(qid, {}).values())]
    if not judged:
        raise InvalidInputError("no query has a relevant document (relevance > 0) in the qrels")
    return judged


def _doc_text(value: Any, doc_id: str) -> str:
    if isinstance(value, Mapping):  # BEIR corpus entries: {"title": ..., "text": ...}
        title = str(value.get("title") or "").strip()
        text = str(value.get("text") or "")
        value = f"{title} {text}".strip() if title else text
    if not isinstance(value, str):
        raise InvalidInputError(f"corpus[{doc_id!r}] is {type(value).__name__}; documents are texts")
    return value


def retrieval(
    provider: Any,
    queries: Mapping[str, str] | str | Path,
    corpus: Mapping[str, Any] | None = None,
    qrels: Mapping[str, Mapping[str, int]] | None = None,
    *,
    ks: Sequence[int] = DEFAULT_KS,
    split: str = "test",
    cache: Any = True,
    progress: Any = None,
    **options: Any,
) -> RetrievalResult:
    """Score a provider on a retrieval task in BEIR layout.

    Queries are embedded with ``role="query"`` and documents with ``role="document"``; every document is
    ranked for every query by cosine. Queries without a relevant document are not scored.

    Args:
        provider: An id, an alias or an Embedder.
        queries: Query id -> text; or a BEIR folder (``corpus.jsonl``, ``queries.jsonl``, ``qrels/<split>.tsv``),
            when ``corpus`` and ``qrels`` are None.
        corpus: Document id -> text, or -> ``{"title": ..., "text": ...}``.
        qrels: Query id -> {document id: relevance}.
        ks: Cut-offs for recall (10 is always computed).
        split: The qrels file of a BEIR folder.
        cache: Passed to `embedsdk.embed`.
        progress: Passed to `embedsdk.embed`.
        **options: Provider options.

    Raises:
        InvalidInputError: empty queries or corpus, qrels naming unknown ids, no relevant document at all, a
            malformed BEIR file.
    """
    if corpus is None and qrels is None and isinstance(queries, str | Path):
        queries, corpus, qrels = read_beir(queries, split=split)
    if not isinstance(queries, Mapping) or corpus is None or qrels is None:
        raise InvalidInputError("retrieval takes queries, corpus and qrels (dicts in BEIR layout) or a BEIR folder")
    judged = _check(queries, corpus, qrels)
    ks = sorted({int(k) for k in ks} | {10})
    if ks[0] < 1:
        raise InvalidInputError(f"recall cut-offs must be at least 1, not {ks[0]}")
    doc_ids = list(corpus)
    meter = CostMeter(provider, cache=cache, progress=progress, options=options)
    query_vectors = meter.embed([queries[qid] for qid in judged], role="query", what="queries")
    doc_vectors = meter.embed([_doc_text(corpus[d], d) for d in doc_ids], role="document", what="corpus documents")
    top = rank_corpus(query_vectors, doc_vectors, depth=max(ks))
    ranked = [[doc_ids[i] for i in row] for row in top]
    scores = score_ranking(ranked, [qrels[qid] for qid in judged], ks)
    return RetrievalResult(
        task="retrieval",
        provider=meter.provider_id,
        examples=len(judged),
        cost=meter.cost,
        recall={k: scores[f"recall@{k}"] for k in ks},
        mrr_at_10=scores["mrr@10"],
        ndcg_at_10=scores["ndcg@10"],
    )
