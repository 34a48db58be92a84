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

from embedsdk.errors import CorruptFileError, InvalidInputError, InvalidOptionError, SpaceMismatchError, UnknownIdError
from embedsdk.result import Embeddings
from embedsdk.retrieval.protocols import Hit
from embedsdk.space import EmbeddingSpace, normalize_rows

__all__ = ["FORMAT", "ExactIndex"]

FORMAT = "embedsdk.exact/1"


def _as_matrix(vectors: Any, what: str) -> tuple[np.ndarray, EmbeddingSpace | None]:
    space = vectors.space if isinstance(vectors, Embeddings) else None
    try:
        matrix = np.asarray(vectors, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{what} must be numbers in an array of shape (n, dim): {exc}") from None
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    if matrix.ndim != 2:
        raise InvalidInputError(f"{what} must be a 2-D array (n, dim); got shape {matrix.shape}")
    if not np.isfinite(matrix).all():
        bad = sorted(set(np.nonzero(~np.isfinite(matrix))[0].tolist()))[:10]
        raise InvalidInputError(f"{what} rows {bad} are not finite (NaN or inf): drop failed items before indexing")
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
    def vectors(self) -> np.ndarray:
        """The stored vectors, L2-normalized, in the order of `ids` (a read-only view)."""
        view: np.ndarray = self._matrix.view()
        view.flags.writeable = False
        return view

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
            InvalidInputError: ids, vectors and metadata differ in length, an id repeats within the call, or a
                vector is not finite.
        """
        matrix, space = _as_matrix(vectors, "vectors")
        ids = [str(i) for i in ids]
        entries = [dict(m) for m in metadata] if metadata is not None else [{} for _ in ids]
        if not (len(ids) == len(matrix) == len(entries)):
            raise InvalidInputError(
                f"got {len(ids)} ids, {len(matrix)} vectors and {len(entries)} metadata entries; pass one of each "
                f"per vector"
            )
        if len(set(ids)) != len(ids):
            repeated = sorted({i for i in ids if ids.count(i) > 1})[:10]
            raise InvalidInputError(f"ids {repeated} repeat within one add(); give each vector its own id")
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
            UnknownIdError: an id is not in the index (nothing is removed then); a KeyError.
        """
        missing = [i for i in ids if i not in self._positions]
        if missing:
            raise UnknownIdError(missing)
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
            InvalidOptionError: ``k`` is not a whole number of 1 or more.
        """
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise InvalidOptionError(f"k={k!r} must be a whole number of hits, 1 or more")
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
            "format": FORMAT,
            "space": self._space.model_dump() if self._space else None,
            "ids": self._ids,
            "metadata": self._metadata,
        }
        try:
            encoded = json.dumps(state)
        except TypeError as exc:
            raise InvalidInputError(f"index metadata must be JSON-serializable to save: {exc}") from exc
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
        """Read an index written by `save`, checking everything it reads.

        Raises:
            CorruptFileError: a file is missing, unreadable, or disagrees with the others (counts, ids,
                format, dimension, non-finite values); the message names the file and the problem.
        """
        folder = Path(path)
        state = _read_state(folder / "index.json")
        space = state["space"]
        vectors_file = folder / "vectors.npy"
        try:
            matrix = np.load(vectors_file, allow_pickle=False)
        except (OSError, ValueError, EOFError) as exc:
            raise CorruptFileError(vectors_file, f"cannot be read as a .npy matrix ({exc})") from None
        ids, metadata = state["ids"], state["metadata"]
        if matrix.ndim != 2 or matrix.dtype != np.float32:
            raise CorruptFileError(
                vectors_file, f"holds a {matrix.dtype} array of shape {matrix.shape}, not (n, dim) float32"
            )
        if len(matrix) != len(ids) or len(metadata) != len(ids):
            raise CorruptFileError(
                folder, f"{len(matrix)} vectors, {len(ids)} ids and {len(metadata)} metadata entries do not match"
            )
        if space is not None and len(matrix) and matrix.shape[1] != space.dim:
            raise CorruptFileError(
                vectors_file, f"vectors are {matrix.shape[1]}-d but the index's space is {space.dim}-d"
            )
        if not np.isfinite(matrix).all():
            raise CorruptFileError(vectors_file, "holds NaN or infinite values")
        index = cls(space)
        index._matrix = matrix
        index._ids = ids
        index._metadata = metadata
        index._positions = {item_id: n for n, item_id in enumerate(ids)}
        return index


def _read_state(path: Path) -> dict[str, Any]:
    """The checked content of an ``index.json``: format, space, ids (unique strings), metadata (dicts)."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CorruptFileError(path, f"cannot be read ({exc.strerror or exc}); is this an index folder?") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise CorruptFileError(path, f"is not valid JSON ({exc})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        found = state.get("format") if isinstance(state, dict) else type(state).__name__
        raise CorruptFileError(path, f"has format {found!r}; this version of embedsdk reads {FORMAT!r}")
    ids, metadata = state.get("ids"), state.get("metadata")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise CorruptFileError(path, "'ids' must be a list of strings")
    if len(set(ids)) != len(ids):
        raise CorruptFileError(path, "'ids' repeat; each stored vector needs its own id")
    if not isinstance(metadata, list) or not all(isinstance(m, dict) for m in metadata):
        raise CorruptFileError(path, "'metadata' must be a list of objects")
    try:
        space = EmbeddingSpace(**state["space"]) if state.get("space") else None
    except (TypeError, ValueError) as exc:
        raise CorruptFileError(path, f"'space' is not a valid embedding space ({exc})") from None
    return {"space": space, "ids": ids, "metadata": metadata}


def _matches(metadata: Mapping[str, Any], filter: Mapping[str, Any]) -> bool:
    for key, wanted in filter.items():
        value = metadata.get(key)
        if isinstance(wanted, (list, tuple, set, frozenset)):
            if value not in wanted:
                return False
        elif value != wanted:
            return False
    return True
