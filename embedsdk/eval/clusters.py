"""Clustering: whether k-means on the vectors finds the labelled groups."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from embedsdk.errors import InvalidInputError
from embedsdk.eval.labels import check_labelled, require_sklearn
from embedsdk.eval.result import CostMeter, TaskResult

__all__ = ["ClusteringResult", "clustering"]


@dataclass
class ClusteringResult(TaskResult):
    """Agreement of k-means clusters with the labels.

    Attributes:
        v_measure: Harmonic mean of homogeneity and completeness, 0 to 1.
        ari: Adjusted Rand index: 0 for chance, 1 for the same grouping.
        clusters: The number of clusters (the number of labels unless given).
    """

    v_measure: float = 0.0
    ari: float = 0.0
    clusters: int = 0

    @property
    def metrics(self) -> dict[str, float]:
        """``v_measure`` and ``ari``."""
        return {"v_measure": self.v_measure, "ari": self.ari}


def clustering(
    provider: Any,
    texts: Sequence[str],
    labels: Sequence[Hashable],
    *,
    n_clusters: int | None = None,
    seed: int = 0,
    cache: Any = True,
    progress: Any = None,
    **options: Any,
) -> ClusteringResult:
    """Score a provider by clustering texts with k-means and comparing the clusters with the labels.

    Args:
        provider: An id, an alias or an Embedder.
        texts: The texts.
        labels: One label per text.
        n_clusters: Clusters to find (default: the number of distinct labels).
        seed: Seeds k-means.
        cache: Passed to `embedsdk.embed`.
        progress: Passed to `embedsdk.embed`.
        **options: Provider options.

    Raises:
        InvalidInputError: no texts, texts and labels of different lengths, one class only, more clusters
            than texts.
        MissingDependencyError: scikit-learn is not installed.
    """
    counts = check_labelled(texts, labels, "clustering")
    k = n_clusters if n_clusters is not None else len(counts)
    if not 2 <= k <= len(texts):
        raise InvalidInputError(f"clustering: n_clusters={k}; it must be between 2 and the {len(texts)} texts")
    require_sklearn("clustering")
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score, v_measure_score

    meter = CostMeter(provider, cache=cache, progress=progress, options=options)
    vectors = meter.embed(list(texts), what="texts")
    found = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(vectors)
    target = [str(label) for label in labels]
    return ClusteringResult(
        task="clustering",
        provider=meter.provider_id,
        examples=len(target),
        cost=meter.cost,
        v_measure=float(v_measure_score(target, found)),
        ari=float(adjusted_rand_score(target, found)),
        clusters=k,
    )
