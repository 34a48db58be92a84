"""`ExactIndex`: exact cosine search over vectors held in memory (numpy), with metadata filters.

It is the reference backend: no approximation, so it is also what approximate backends are checked against.
Vectors are stored L2-normalized, so a search is one matrix product and ``np.argpartition``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embedsdk.errors import SpaceMismatchError
from embedsdk.protocols import Hit
from embedsdk.space import Embeddings, EmbeddingSpace, normalize_rows

__all__ = ["ExactIndex"]


def _as_matrix(vectors: Any, what: str) -> tuple[np.ndarray, EmbeddingSpace | None]:
    space = vectors.space if isinstance(vectors, Embeddings) else None
    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    if matrix.ndim != 2:
        raise ValueError(f"{what} must be a 2-D array (n, dim); got shape {matrix.shape}")
    if not np.isfinite(matrix).all():
        bad = sorted(set(np.nonzero(~np.isfinite(matrix))[0].tolist()))[:10]
        raise ValueError(f"{what} rows {bad} are not finite (NaN or inf): drop failed items before indexing")
    return matrix, space


class ExactIndex:
    """Exact cosine-similarity index in memory.

    Args:
        space: The space its vectors must come from. When None, the first `add` of an `Embeddings`
            sets it (plain arrays then only need the same dimension).
    """

    def __init__(self, space: EmbeddingSpace | None = None) -> None:
        self._space = space
        self._ids: list[str] = []
        self._positions: dict[str, int] = {}
        self._metadata: list[dict[str, Any]] = []
        self._matrix = np.zeros((0, space.dim if space else 0), dtype=np.float32)

    def __len__(self) -> int:
        return len(self._ids)

    def __repr__(self) -> str:
        model = self._space.provider if self._space else "no space yet"
        return f"ExactIndex(n={len(self)}, {model})"

    @property
    def space(self) -> EmbeddingSpace | None:
        """The space of the stored vectors."""
        return self._space

    @property
    def ids(self) -> list[str]:
        """Stored ids in insertion order."""
        return list(self._ids)

    def _check(self, matrix: np.ndarray, space: EmbeddingSpace | None, what: str) -> None:
        if space is not None:
            if self._space is None:
                if len(self) and self._matrix.shape[1] != space.dim:
                    raise SpaceMismatchError(f"{what} are {space.dim}-d; this index holds {self._matrix.shape[1]}-d")
                self._space = space
            else:
                self._space.check_comparable(space, what)
        dim = self._space.dim if self._space else (self._matrix.shape[1] if len(self) else matrix.shape[1])
        if matrix.shape[1] != dim:
            raise SpaceMismatchError(f"{what} are {matrix.shape[1]}-d; this index holds {dim}-d vectors")

    def add(self, ids: Sequence[str], vectors: Any, metadata: Sequence[Mapping[str, Any]] | None = None) -> None:
        """Store vectors under ids; an id already present is replaced.

        Raises:
            SpaceMismatchError: the vectors come from another space (model, dimension, normalization).
            ValueError: ids, vectors and metadata differ in length, or an id repeats within the call.
        """
        matrix, space = _as_matrix(vectors, "vectors")
        ids = [str(i) for i in ids]
        entries = [dict(m) for m in metadata] if metadata is not None else [{} for _ in ids]
        if not (len(ids) == len(matrix) == len(entries)):
            raise ValueError(f"got {len(ids)} ids, {len(matrix)} vectors and {len(entries)} metadata entries")
        if len(set(ids)) != len(ids):
            raise ValueError("ids repeat within one add(); give each vector its own id")
        if not ids:
            return
        self._check(matrix, space, "vectors")
        if self._matrix.shape[1] == 0:
            self._matrix = np.zeros((0, matrix.shape[1]), dtype=np.float32)
        matrix = normalize_rows(matrix)
        replaced = [i for i in ids if i in self._positions]
        if replaced:
            self.remove(replaced)
        start = len(self._ids)
        self._ids.extend(ids)
        self._positions.update({item_id: start + n for n, item_id in enumerate(ids)})
        self._metadata.extend(entries)
        self._matrix = np.concatenate([self._matrix, matrix])

    def remove(self, ids: Sequence[str]) -> None:
        """Drop these ids.

        Raises:
            KeyError: an id is not in the index (nothing is removed then).
        """
        missing = [i for i in ids if i not in self._positions]
        if missing:
            raise KeyError(f"ids not in the index: {missing[:10]}")
        drop = {self._positions[i] for i in ids}
        keep = [n for n in range(len(self._ids)) if n not in drop]
        self._ids = [self._ids[n] for n in keep]
        self._metadata = [self._metadata[n] for n in keep]
        self._matrix = self._matrix[keep]
        self._positions = {item_id: n for n, item_id in enumerate(self._ids)}

    def search(self, queries: Any, k: int = 10, filter: Mapping[str, Any] | None = None) -> list[list[Hit]]:
        """The ``k`` nearest stored vectors of each query by cosine similarity, best first.

        Args:
            queries: An `Embeddings`, an array ``(m, dim)`` or one vector ``(dim,)``.
            k: Hits per query (fewer when fewer vectors match).
            filter: Keep only vectors whose metadata has these exact key/value pairs; a list value
                matches any of its elements.

        Raises:
            SpaceMismatchError: the queries come from another space.
        """
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        matrix, space = _as_matrix(queries, "queries")
        # An empty index built for a space still refuses queries of another; one without a space has
        # nothing to compare them with (and a search must not choose its space).
        if self._space is not None or len(self):
            self._check(matrix, space, "queries")
        if not len(self):
            return [[] for _ in range(len(matrix))]
        candidates = np.arange(len(self._ids))
        if filter:
            candidates = np.array([n for n in candidates if _matches(self._metadata[n], filter)], dtype=np.int64)
        if not len(candidates):
            return [[] for _ in range(len(matrix))]
        scores = normalize_rows(matrix) @ self._matrix[candidates].T
        top = min(k, len(candidates))
        results = []
        for row in scores:
            best = np.argpartition(-row, top - 1)[:top]
            best = best[np.argsort(-row[best], kind="stable")]
            results.append(
                [
                    Hit(id=self._ids[candidates[n]], score=float(row[n]), metadata=self._metadata[candidates[n]])
                    for n in best
                ]
            )
        return results

    def save(self, path: str | Path) -> None:
        """Write ``vectors.npy`` and ``index.json`` (ids, metadata, space) into the folder ``path``."""
        state = {
            "format": "embedsdk.exact/1",
            "space": self._space.model_dump() if self._space else None,
            "ids": self._ids,
            "metadata": self._metadata,
        }
        try:
            encoded = json.dumps(state)
        except TypeError as exc:
            raise ValueError(f"index metadata must be JSON-serializable to save: {exc}") from exc
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        # Both files are written aside and then renamed, so a failed save leaves an earlier one whole.
        with open(folder / "vectors.npy.tmp", "wb") as handle:
            np.save(handle, self._matrix)
        (folder / "index.json.tmp").write_text(encoded, encoding="utf-8")
        (folder / "vectors.npy.tmp").replace(folder / "vectors.npy")
        (folder / "index.json.tmp").replace(folder / "index.json")

    @classmethod
    def load(cls, path: str | Path) -> ExactIndex:
        """Read an index written by `save`."""
        folder = Path(path)
        state = json.loads((folder / "index.json").read_text(encoding="utf-8"))
        space = EmbeddingSpace(**state["space"]) if state["space"] else None
        index = cls(space)
        index._matrix = np.load(folder / "vectors.npy")
        index._ids = list(state["ids"])
        index._metadata = list(state["metadata"])
        index._positions = {item_id: n for n, item_id in enumerate(index._ids)}
        return index


def _matches(metadata: Mapping[str, Any], filter: Mapping[str, Any]) -> bool:
    for key, wanted in filter.items():
        value = metadata.get(key)
        if isinstance(wanted, (list, tuple, set, frozenset)):
            if value not in wanted:
                return False
        elif value != wanted:
            return False
    return True
