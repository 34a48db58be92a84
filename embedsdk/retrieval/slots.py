"""`SlotIndex`: the shared half of index backends built on a native library (faiss, hnswlib, Qdrant).

A backend stores vectors in numbered slots; the native index knows only slot numbers. `SlotIndex` keeps the
rest: ids, metadata, the space, tombstones, validation, filters and the folder format, so every backend
checks its input and its files the same way. A subclass implements four methods: `_native_reset`,
`_native_add`, `_native_search` and (when it can save its own structure) `_native_save`/`_native_load`.

- **Deleting** tombstones a slot (and tells the native index, when it can forget vectors); when more than
  half the slots are tombstones the index is compacted and the native index rebuilt.
- **Duplicate ids** replace: the old slot is tombstoned and the new vector takes a new slot.
- **Filters** are checked here (`embedsdk.retrieval.checks`) and turned into a mask of allowed slots, which
  the backend applies natively (faiss ``IDSelector``, hnswlib's filter) or, when the mask keeps at most
  `exact_below` vectors, searched exactly here (a small allowed set is faster scanned than walked).
- **Files**: a snapshot folder (`embedsdk.retrieval.storage`) with ``vectors.npy`` (the slots), ``entries.json``
  (ids and metadata per slot, null for tombstones) and the native file, each checksummed.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from embedsdk.errors import CorruptFileError, InvalidOptionError, UnknownIdError
from embedsdk.retrieval.checks import Condition, as_matrix, check_entries, check_k, check_space, matches, parse_filter
from embedsdk.retrieval.protocols import Hit, checked_hit
from embedsdk.retrieval.storage import (
    check_file,
    commit_snapshot,
    load_matrix,
    new_snapshot,
    read_json,
    read_manifest,
    read_space,
    write_json,
)
from embedsdk.space import EmbeddingSpace, normalize_rows

__all__ = ["SearchRequest", "SlotIndex", "read_entries"]

SelfT = TypeVar("SelfT", bound="SlotIndex")


@dataclass
class SearchRequest:
    """What a backend's `SlotIndex._native_search` receives.

    Attributes:
        queries: Unit-length float32 queries ``(m, dim)``.
        k: Hits wanted per query (already capped at the number of allowed vectors).
        allowed: A boolean mask over slots, or None when every live slot may be returned.
        conditions: The checked metadata filter (for backends that filter natively).
        excluded: Slots the caller excluded by id (for backends that filter natively).
    """

    queries: np.ndarray
    k: int
    allowed: np.ndarray | None
    conditions: list[Condition]
    excluded: np.ndarray


class _NoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SlotIndex:
    """Base class of slot-based index backends (see the module docstring).

    Args:
        space: The space its vectors must come from; None lets the first added `Embeddings` set it.
        **options: The backend's options, checked against its `Options` model.

    Raises:
        InvalidOptionError: an unknown option or a bad value, naming it.
    """

    Options: ClassVar[type[BaseModel]] = _NoOptions
    format: ClassVar[str] = "embedsdk.slots"
    version: ClassVar[int] = 1
    exact_below: ClassVar[int] = 2048

    def __init__(self, space: EmbeddingSpace | None = None, **options: Any) -> None:
        try:
            self.options = self.Options(**options)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '?'}: {e['msg']}" for e in exc.errors())
            valid = ", ".join(self.Options.model_fields) or "none"
            raise InvalidOptionError(f"{type(self).__name__}: {problems} (it takes: {valid})") from None
        self._space = space
        self._dim: int | None = space.dim if space else None
        self._vectors = np.zeros((0, self._dim or 0), dtype=np.float32)
        self._size = 0
        self._ids: list[str | None] = []
        self._metadata: list[dict[str, Any] | None] = []
        self._slot: dict[str, int] = {}
        self._keys: Counter[str] = Counter()
        self._native_reset()

    # -- what a backend implements -------------------------------------------------------------------------

    def _native_reset(self) -> None:
        """Forget the native structure (it is rebuilt from `_native_add` calls)."""
        raise NotImplementedError

    def _native_add(self, slots: np.ndarray, vectors: np.ndarray) -> None:
        """Add unit-length ``vectors`` under slot numbers ``slots`` (int64)."""
        raise NotImplementedError

    def _native_remove(self, slots: np.ndarray) -> None:
        """Forget these slots, when the library can; tombstones are masked out of searches anyway."""

    def _native_search(self, request: SearchRequest) -> tuple[np.ndarray, np.ndarray]:
        """Scores (cosine, higher first) and slots, both ``(m, k)``; slot -1 pads missing hits."""
        raise NotImplementedError

    def _native_save(self, folder: Path) -> None:
        """Write the native structure into ``folder`` (nothing: it is rebuilt from the vectors on load)."""

    def _native_load(self, snapshot: Path, manifest: dict[str, Any]) -> None:
        """Rebuild the native structure after a load; the default re-adds every slot (tombstones are zeros)."""
        if self._size:
            self._native_add(np.arange(self._size, dtype=np.int64), self._vectors[: self._size])

    # -- public API --------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._slot)

    def __repr__(self) -> str:
        model = self._space.provider if self._space else "no space yet"
        return f"{type(self).__name__}(n={len(self)}, {model})"

    @property
    def space(self) -> EmbeddingSpace | None:
        """The space of the stored vectors."""
        return self._space

    @property
    def ids(self) -> list[str]:
        """Stored ids, in slot order."""
        return [i for i in self._ids if i is not None]

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._slot

    def vector(self, item_id: str) -> np.ndarray:
        """The stored (unit-length) vector of ``item_id``.

        Raises:
            UnknownIdError: the id is not stored.
        """
        if item_id not in self._slot:
            raise UnknownIdError([item_id])
        row: np.ndarray = self._rows(np.array([self._slot[item_id]]))[0].copy()
        return row

    def add(self, ids: Sequence[str], vectors: Any, metadata: Sequence[Mapping[str, Any]] | None = None) -> None:
        """Store vectors under ids; an id already present is replaced.

        Raises:
            SpaceMismatchError: another space or dimension (naming both spaces and the differing fields).
            InvalidInputError: ids, vectors and metadata differ in length, an id repeats within the call, or a
                vector is not finite.
        """
        matrix, space = as_matrix(vectors, "vectors")
        names, entries = check_entries(ids, len(matrix), metadata)
        if not names:
            return
        self._space = check_space(self._space, self._dim, matrix, space, "vectors")
        if self._dim is None:
            self._dim = matrix.shape[1]
            self._vectors = np.zeros((0, self._dim), dtype=np.float32)
        replaced = [name for name in names if name in self._slot]
        if replaced:
            self._tombstone([self._slot[name] for name in replaced])
        matrix = normalize_rows(matrix)
        start = self._size
        self._write_rows(start, matrix)
        self._size += len(names)
        self._ids.extend(names)
        self._metadata.extend(entries)
        self._slot.update(zip(names, range(start, start + len(names))))
        for entry in entries:
            if entry:
                self._keys.update(entry.keys())
        self._native_add(np.arange(start, start + len(names), dtype=np.int64), matrix)
        self._maybe_compact()

    def remove(self, ids: Sequence[str]) -> None:
        """Drop these ids.

        Raises:
            UnknownIdError: an id is not stored (nothing is removed then).
        """
        names = [str(i) for i in ids]
        missing = [name for name in names if name not in self._slot]
        if missing:
            raise UnknownIdError(missing)
        self._tombstone(sorted({self._slot[name] for name in names}))
        self._maybe_compact()

    def search(
        self,
        queries: Any,
        k: int = 10,
        filter: Mapping[str, Any] | None = None,
        *,
        exclude: Sequence[str] = (),
    ) -> list[list[Hit]]:
        """The ``k`` nearest stored vectors of each query by cosine similarity, best first.

        Args:
            queries: An `Embeddings`, an array ``(m, dim)`` or one vector ``(dim,)``.
            k: Hits per query (fewer when fewer vectors are stored or match the filter).
            filter: Metadata conditions (see `embedsdk.retrieval.checks`).
            exclude: Ids never to return (already seen items, the query item itself).

        Raises:
            InvalidOptionError: a bad ``k`` or filter (an unknown key names the keys there are).
            InvalidInputError: queries that are not finite numbers.
            SpaceMismatchError: queries from another space or of another dimension.
        """
        k = check_k(k)
        matrix, space = as_matrix(queries, "queries")
        if self._space is not None or self._dim is not None:
            check_space(self._space, self._dim, matrix, space, "queries")
        if not len(self) or not len(matrix):
            return [[] for _ in range(len(matrix))]
        conditions = parse_filter(filter, self._keys)
        excluded = np.array(sorted({self._slot[i] for i in map(str, exclude) if i in self._slot}), dtype=np.int64)
        allowed: np.ndarray | None = None
        if conditions or len(excluded) or len(self) != self._size:
            allowed = self._live_mask()
            if conditions:
                test = matches(conditions)
                for slot in np.nonzero(allowed)[0]:
                    allowed[slot] = test(self._metadata[slot] or {})
            allowed[excluded] = False
        count = int(allowed.sum()) if allowed is not None else len(self)
        if not count:
            return [[] for _ in range(len(matrix))]
        request = SearchRequest(normalize_rows(matrix), min(k, count), allowed, conditions, excluded)
        if allowed is not None and count <= self.exact_below:
            scores, slots = self._exact(request)
        else:
            scores, slots = self._native_search(request)
        # Thousands of small objects and no reference cycles: the cyclic collector would only rescan the
        # index's own ids and metadata, several times per search (a fifth of a fast search's time).
        collecting = gc.isenabled()
        gc.disable()
        try:
            rows = zip(np.asarray(scores, dtype=np.float64).tolist(), np.asarray(slots, dtype=np.int64).tolist())
            return [self._hits(row_scores, row_slots, allowed) for row_scores, row_slots in rows]
        finally:
            if collecting:
                gc.enable()

    def save(self, path: str | Path) -> None:
        """Write the index into the folder ``path``, atomically (see `embedsdk.retrieval.storage`)."""
        folder = Path(path)
        temp = new_snapshot(folder)
        np.save(temp / "vectors.npy", self._vectors[: self._size])
        write_json(temp / "entries.json", {"ids": self._ids, "metadata": self._metadata})
        self._native_save(temp)
        manifest = {
            "format": self.format,
            "version": self.version,
            "space": self._space.model_dump() if self._space else None,
            "dim": self._dim,
            "slots": self._size,
            "count": len(self),
            "options": self.options.model_dump(),
        }
        commit_snapshot(folder, temp, manifest)

    @classmethod
    def load(cls: type[SelfT], path: str | Path) -> SelfT:
        """Read an index written by `save`, checking everything it reads.

        Raises:
            CorruptFileError: a missing or damaged file, counts or ids that disagree, another format, a
                newer format version, a dimension that differs from the space, or non-finite vectors; the
                message names the file and the problem.
        """
        snapshot, manifest = read_manifest(Path(path), cls.format, cls.version)
        where = snapshot / "manifest.json"
        space = read_space(manifest, where)
        slots, count, dim, options = (manifest.get(key) for key in ("slots", "count", "dim", "options"))
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in (slots, count)):
            raise CorruptFileError(where, f"'slots' and 'count' must be whole numbers (got {slots!r}, {count!r})")
        if dim is not None and (not isinstance(dim, int) or dim < 1 or (space is not None and dim != space.dim)):
            raise CorruptFileError(where, f"'dim' {dim!r} does not match the space's dimension")
        if not isinstance(options, dict):
            raise CorruptFileError(where, "'options' must be an object")
        assert isinstance(slots, int) and isinstance(count, int)
        vectors = load_matrix(check_file(snapshot, manifest, "vectors.npy"), slots, dim)
        entries_path = check_file(snapshot, manifest, "entries.json")
        ids, metadata = read_entries(entries_path, slots, count)
        try:
            index = cls(space, **options)
        except InvalidOptionError as exc:
            raise CorruptFileError(where, f"its options are not valid here ({exc})") from None
        index._dim = dim
        index._vectors = np.array(vectors, dtype=np.float32) if dim else np.zeros((0, 0), dtype=np.float32)
        index._size = slots
        index._ids, index._metadata = ids, metadata
        index._slot = {name: n for n, name in enumerate(ids) if name is not None}
        for entry in metadata:
            if entry is not None:
                index._keys.update(entry.keys())
        index._native_reset()
        index._native_load(snapshot, manifest)
        return index

    # -- internals ---------------------------------------------------------------------------------------

    def _live_mask(self) -> np.ndarray:
        return np.array([name is not None for name in self._ids[: self._size]], dtype=bool)

    def _write_rows(self, start: int, matrix: np.ndarray) -> None:
        """Store unit-length rows from slot ``start`` on (the default: one growing in-memory matrix)."""
        rows = start + len(matrix)
        if rows > len(self._vectors):
            grown = np.zeros((max(rows, 2 * len(self._vectors), 64), self._dim or 0), dtype=np.float32)
            grown[: self._size] = self._vectors[: self._size]
            self._vectors = grown
        self._vectors[start:rows] = matrix

    def _rows(self, slots: np.ndarray) -> np.ndarray:
        """The stored rows of these slots."""
        rows: np.ndarray = self._vectors[slots]
        return rows

    def _clear_rows(self, slots: Sequence[int]) -> None:
        """Zero tombstoned rows, so nothing deleted lingers in a saved file."""
        self._vectors[list(slots)] = 0.0

    def _keep_rows(self, live: np.ndarray) -> None:
        """Keep only these slots' rows, renumbered from 0 (compaction)."""
        self._vectors = self._vectors[live].copy()

    def _tombstone(self, slots: Sequence[int]) -> None:
        for slot in slots:
            name, entry = self._ids[slot], self._metadata[slot]
            if name is not None:
                del self._slot[name]
            if entry:
                self._keys.subtract(entry.keys())
            self._ids[slot], self._metadata[slot] = None, None
        self._clear_rows(slots)
        self._keys = +self._keys  # drops keys no live vector has any more
        self._native_remove(np.asarray(slots, dtype=np.int64))

    def _maybe_compact(self) -> None:
        dead = self._size - len(self)
        if dead > 64 and dead * 2 > self._size:
            live = np.nonzero(self._live_mask())[0]
            self._keep_rows(live)
            self._ids = [self._ids[n] for n in live]
            self._metadata = [self._metadata[n] for n in live]
            self._size = len(live)
            self._slot = {name: n for n, name in enumerate(self._ids) if name is not None}
            self._native_reset()
            if len(live):
                self._native_add(np.arange(len(live), dtype=np.int64), self._rows(np.arange(len(live))))

    def _exact(self, request: SearchRequest) -> tuple[np.ndarray, np.ndarray]:
        assert request.allowed is not None
        candidates = np.nonzero(request.allowed)[0]
        scores = request.queries @ self._rows(candidates).T
        top = np.argsort(-scores, axis=1, kind="stable")[:, : request.k]
        return np.take_along_axis(scores, top, axis=1), candidates[top]

    def _hits(self, scores: list[float], slots: list[int], allowed: np.ndarray | None) -> list[Hit]:
        hits: list[Hit] = []
        seen: set[int] = set()
        ids, metadata, size, make = self._ids, self._metadata, self._size, checked_hit
        for score, slot in zip(scores, slots):
            # Post-filter what the native index returned: padding, tombstones, and anything outside the mask.
            if 0 <= slot < size and slot not in seen:
                name = ids[slot]
                if name is not None and (allowed is None or allowed[slot]):
                    seen.add(slot)
                    entry = metadata[slot]
                    hits.append(make(name, score, dict(entry) if entry else {}))
        return hits


def read_entries(path: Path, slots: int, count: int) -> tuple[list[str | None], list[dict[str, Any] | None]]:
    """Checked ids and metadata per slot from an ``entries.json`` (null for deleted slots)."""
    raw = read_json(path)
    if not isinstance(raw, dict):
        raise CorruptFileError(path, "must hold an object with 'ids' and 'metadata'")
    ids, metadata = raw.get("ids"), raw.get("metadata")
    if not isinstance(ids, list) or not all(i is None or isinstance(i, str) for i in ids):
        raise CorruptFileError(path, "'ids' must be a list of strings (null for deleted slots)")
    if not isinstance(metadata, list) or not all(m is None or isinstance(m, dict) for m in metadata):
        raise CorruptFileError(path, "'metadata' must be a list of objects (null for deleted slots)")
    if len(ids) != slots or len(metadata) != slots:
        raise CorruptFileError(path, f"holds {len(ids)} ids and {len(metadata)} metadata entries for {slots} vectors")
    live = [i for i in ids if i is not None]
    if len(live) != count:
        raise CorruptFileError(path, f"holds {len(live)} live ids but the manifest says {count}")
    if len(set(live)) != len(live):
        raise CorruptFileError(path, "'ids' repeat; each stored vector needs its own id")
    if any((i is None) != (m is None) for i, m in zip(ids, metadata)):
        raise CorruptFileError(path, "deleted slots (null ids) and null metadata entries disagree")
    return ids, metadata
