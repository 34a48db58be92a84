"""Document similarity: how well cosine between documents follows human similarity judgements.

The classic data is Lee, Pincombe & Welsh (2005): 50 news documents, each pair rated by people; gensim
ships them as ``lee.cor`` (a document a line) and ``similarities0-1.txt`` (the 50 x 50 mean ratings).
As in gensim's own Lee test, the score is the Pearson correlation over the pairs above the diagonal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from embedsdk.errors import InvalidInputError, MissingDependencyError
from embedsdk.eval.correlation import pearson, spearman
from embedsdk.eval.result import CostMeter, TaskResult

__all__ = ["DocumentSimilarityResult", "document_similarity", "lee_corpus"]


@dataclass
class DocumentSimilarityResult(TaskResult):
    """Correlation of document cosines with human ratings, over every pair of documents.

    Attributes:
        pearson: Pearson correlation (the figure Lee et al. and gensim report).
        spearman: Spearman rank correlation.
    """

    pearson: float = 0.0
    spearman: float = 0.0

    @property
    def metrics(self) -> dict[str, float]:
        """``pearson`` and ``spearman``."""
        return {"pearson": self.pearson, "spearman": self.spearman}


def lee_corpus() -> tuple[list[str], np.ndarray]:
    """The Lee documents and human similarity matrix from gensim's test data.

    Raises:
        MissingDependencyError: gensim is not installed.
    """
    try:
        from gensim.test.utils import datapath  # only for the location of its bundled data
    except ImportError as exc:
        raise MissingDependencyError("the Lee corpus comes with gensim's test data: pip install gensim") from exc
    return _read_docs(Path(datapath("lee.cor"))), _read_matrix(Path(datapath("similarities0-1.txt")))


def _read_docs(path: Path) -> list[str]:
    if not path.is_file():
        raise InvalidInputError(f"{path}: no such file")
    return [line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]


def _read_matrix(path: Path) -> np.ndarray:
    if not path.is_file():
        raise InvalidInputError(f"{path}: no such file")
    try:
        return np.loadtxt(path, dtype=np.float64, ndmin=2)
    except ValueError as exc:
        raise InvalidInputError(f"{path}: not a matrix of numbers ({exc})") from None


def document_similarity(
    provider: Any,
    docs: Sequence[str] | str | Path,
    human_matrix: Any,
    *,
    cache: Any = True,
    progress: Any = None,
    **options: Any,
) -> DocumentSimilarityResult:
    """Correlate the provider's document cosines with a human similarity matrix.

    Long documents are chunked and mean-pooled (``on_long="chunk"``) unless options say otherwise.

    Args:
        provider: An id, an alias or an Embedder.
        docs: The documents, or a file with one document a line (gensim's ``lee.cor``).
        human_matrix: An ``n x n`` array of human similarity, or a whitespace-separated file of it
            (``similarities0-1.txt``). Only the pairs above the diagonal are read.
        cache: Passed to `embedsdk.embed`.
        progress: Passed to `embedsdk.embed`.
        **options: Provider options.

    Raises:
        InvalidInputError: fewer than 3 documents, a matrix of the wrong shape, or NaN in the matrix.
    """
    texts = _read_docs(Path(docs)) if isinstance(docs, str | Path) else list(docs)
    if isinstance(human_matrix, str | Path):
        matrix = _read_matrix(Path(human_matrix))
    else:
        matrix = np.asarray(human_matrix, dtype=np.float64)
    if len(texts) < 3:
        raise InvalidInputError(f"document similarity needs at least 3 documents, got {len(texts)}")
    if matrix.shape != (len(texts), len(texts)):
        raise InvalidInputError(
            f"the human matrix is {matrix.shape}; {len(texts)} documents need a {len(texts)} x {len(texts)} matrix"
        )
    upper = np.triu_indices(len(texts), 1)
    human = matrix[upper]
    if not np.isfinite(human).all():
        first = int(np.flatnonzero(~np.isfinite(human))[0])
        raise InvalidInputError(
            f"the human matrix has a non-finite score at row {upper[0][first]}, column {upper[1][first]}"
        )
    meter = CostMeter(provider, cache=cache, progress=progress, options={"on_long": "chunk", **options})
    vectors = meter.embed(texts, role="document", what="documents")
    cosines = (vectors @ vectors.T)[upper]
    return DocumentSimilarityResult(
        task="document_similarity",
        provider=meter.provider_id,
        examples=len(texts),
        cost=meter.cost,
        pearson=pearson(cosines, human, what="human ratings"),
        spearman=spearman(cosines, human, what="human ratings"),
    )
