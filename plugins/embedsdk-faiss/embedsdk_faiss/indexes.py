"""The faiss backends: `FaissFlatIndex`, `FaissIVFIndex` and `FaissHNSWIndex`.

Each is a `embedsdk.retrieval.slots.SlotIndex`: ids, metadata, space checks, validation and the folder format
are shared with the other backends; faiss holds only unit-length vectors under sequential slot numbers, and
scores are inner products, i.e. cosine similarities.

- **Filters and deletions** are native: the allowed slots (live, matching the filter, not excluded) become
  a faiss ``IDSelectorBitmap`` passed in the search parameters, so faiss never returns a filtered-out
  vector. Deleted vectors stay in faiss (``IndexHNSW`` cannot remove) until the index compacts itself.
- **Saving** writes ``native.faiss`` (``faiss.write_index``) beside the shared files, except for
  `FaissFlatIndex`, which rebuilds from ``vectors.npy`` (a copy) on load. A load checks the file's checksum
  before faiss reads it, then its vector count and dimension.
- `FaissIVFIndex` trains its coarse quantizer once, on the vectors present at the first search or save, with
  ``min(nlist, n / 39)`` lists (faiss wants 39 training points a list); later adds go to those lists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from embedsdk.errors import CorruptFileError, MissingDependencyError
from embedsdk.retrieval.slots import SearchRequest, SlotIndex
from embedsdk.retrieval.storage import check_file

__all__ = ["FaissFlatIndex", "FaissHNSWIndex", "FaissIVFIndex"]

NATIVE_FILE = "native.faiss"


def _faiss() -> Any:
    # Imported on first use: registering the backends must not load faiss's shared libraries.
    try:
        import faiss
    except ImportError as exc:
        raise MissingDependencyError("the faiss backends need faiss: pip install faiss-cpu") from exc
    return faiss


class _FaissBase(SlotIndex):
    """faiss index under sequential slots; subclasses build it and give the search parameters."""

    _index: Any
    _bitmap: np.ndarray | None

    def _build(self, dim: int) -> Any:
        raise NotImplementedError

    def _parameters(self, selector: Any, k: int) -> Any:
        return _faiss().SearchParameters(sel=selector)

    def _native_reset(self) -> None:
        self._index = None
        self._bitmap = None

    def _ready(self) -> Any:
        if self._index is None:
            assert self._dim is not None
            self._index = self._build(self._dim)
        return self._index

    def _native_add(self, slots: np.ndarray, vectors: np.ndarray) -> None:
        index = self._ready()
        # Slots are sequential, so faiss's own sequential labels are the slot numbers.
        assert index.ntotal == slots[0], "faiss labels and slots went out of step"
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def _native_search(self, request: SearchRequest) -> tuple[np.ndarray, np.ndarray]:
        faiss = _faiss()
        index = self._ready()
        selector = None
        if request.allowed is not None:
            # The bitmap must outlive the search: faiss keeps a raw pointer to it.
            self._bitmap = np.packbits(request.allowed, bitorder="little")
            selector = faiss.IDSelectorBitmap(len(request.allowed), faiss.swig_ptr(self._bitmap))
        scores, labels = index.search(
            np.ascontiguousarray(request.queries), request.k, params=self._parameters(selector, request.k)
        )
        return scores, labels

    def _native_save(self, folder: Path) -> None:
        if self._writes_native and self._dim is not None:
            _faiss().write_index(self._ready(), str(folder / NATIVE_FILE))

    def _native_load(self, snapshot: Path, manifest: dict[str, Any]) -> None:
        if not self._writes_native or self._dim is None:
            super()._native_load(snapshot, manifest)
            return
        path = check_file(snapshot, manifest, NATIVE_FILE)
        try:
            index = _faiss().read_index(str(path))
        except RuntimeError as exc:
            raise CorruptFileError(path, f"faiss cannot read it ({str(exc).splitlines()[0]})") from None
        if index.d != self._dim or index.ntotal != self._size:
            raise CorruptFileError(
                path, f"holds {index.ntotal} vectors of {index.d}-d; the index has {self._size} slots of {self._dim}-d"
            )
        self._index = index

    _writes_native: ClassVar[bool] = True


class _FlatOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FaissFlatIndex(_FaissBase):
    """Exact search with faiss ``IndexFlatIP`` (takes no options)."""

    Options = _FlatOptions
    format = "embedsdk.faiss-flat"
    _writes_native = False

    def _build(self, dim: int) -> Any:
        return _faiss().IndexFlatIP(dim)


class IVFOptions(BaseModel):
    """Options of `FaissIVFIndex`.

    Attributes:
        nlist: Most inverted lists (clusters); fewer when few vectors are present at training time.
        nprobe: Lists visited per query; higher is slower and more exact.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    nlist: int = Field(default=1024, gt=0)
    nprobe: int = Field(default=32, gt=0)


class FaissIVFIndex(_FaissBase):
    """Approximate search with faiss ``IndexIVFFlat`` (options: `IVFOptions`)."""

    Options = IVFOptions
    options: IVFOptions
    format = "embedsdk.faiss-ivf"

    def _build(self, dim: int) -> Any:
        faiss = _faiss()
        live = self._vectors[: self._size][self._live_mask()]
        lists = max(1, min(self.options.nlist, len(live) // 39))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
        index.train(np.ascontiguousarray(live if len(live) else np.zeros((1, dim), dtype=np.float32)))
        if self._size:
            index.add(np.ascontiguousarray(self._vectors[: self._size]))
        return index

    def _native_add(self, slots: np.ndarray, vectors: np.ndarray) -> None:
        # Untrained until the first search or save, so the quantizer learns from as many vectors as possible.
        if self._index is not None:
            super()._native_add(slots, vectors)

    def _parameters(self, selector: Any, k: int) -> Any:
        return _faiss().SearchParametersIVF(sel=selector, nprobe=self.options.nprobe)


class HNSWOptions(BaseModel):
    """Options of `FaissHNSWIndex`.

    Attributes:
        m: Neighbours per node in the graph.
        ef_construction: Candidates kept while inserting.
        ef_search: Candidates kept while searching (raised to ``k`` when smaller).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    m: int = Field(default=32, gt=1)
    ef_construction: int = Field(default=80, gt=0)
    ef_search: int = Field(default=64, gt=0)


class FaissHNSWIndex(_FaissBase):
    """Approximate search with faiss ``IndexHNSWFlat`` (options: `HNSWOptions`)."""

    Options = HNSWOptions
    options: HNSWOptions
    format = "embedsdk.faiss-hnsw"

    def _build(self, dim: int) -> Any:
        faiss = _faiss()
        index = faiss.IndexHNSWFlat(dim, self.options.m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = self.options.ef_construction
        return index

    def _parameters(self, selector: Any, k: int) -> Any:
        return _faiss().SearchParametersHNSW(sel=selector, efSearch=max(self.options.ef_search, k))
