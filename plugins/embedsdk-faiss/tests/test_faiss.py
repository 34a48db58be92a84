"""The faiss backends pass the shared index contract, register through the hook, and check faiss's own file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import faiss
import numpy as np
import pytest
from embedsdk_faiss import FaissFlatIndex, FaissHNSWIndex, FaissIVFIndex

from embedsdk.errors import CorruptFileError, InvalidOptionError
from embedsdk.retrieval import create_index
from embedsdk.retrieval.storage import POINTER
from embedsdk.testing.index_contract import SPACE, IndexContract, clustered, rewrite_snapshot_file


class TestFaissFlat(IndexContract):
    backend = FaissFlatIndex


class TestFaissIVF(IndexContract):
    backend = FaissIVFIndex
    options: ClassVar[dict[str, Any]] = {"nlist": 16, "nprobe": 4}
    exact = False


class TestFaissHNSW(IndexContract):
    backend = FaissHNSWIndex
    options: ClassVar[dict[str, Any]] = {"m": 16, "ef_search": 32}
    exact = False


@pytest.mark.parametrize(
    ("name", "cls"), [("faiss-flat", FaissFlatIndex), ("faiss-ivf", FaissIVFIndex), ("faiss-hnsw", FaissHNSWIndex)]
)
def test_backends_register_through_the_hook(name: str, cls: type) -> None:
    index = create_index(name, space=SPACE)
    assert isinstance(index, cls) and index.space == SPACE


def test_faiss_flat_scores_equal_faiss_itself() -> None:
    vectors, queries = clustered(300), clustered(5, seed=9)
    ours = FaissFlatIndex(SPACE)
    ours.add([str(i) for i in range(300)], vectors)
    reference = faiss.IndexFlatIP(vectors.shape[1])
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    reference.add(unit)
    scores, labels = reference.search(queries / np.linalg.norm(queries, axis=1, keepdims=True), 5)
    hits = ours.search(queries, k=5)
    assert [[int(h.id) for h in row] for row in hits] == labels.tolist()
    np.testing.assert_allclose([[h.score for h in row] for row in hits], scores, atol=1e-5)


def test_options_are_checked() -> None:
    with pytest.raises(InvalidOptionError, match="nprobe"):
        FaissIVFIndex(SPACE, nprobe=0)
    with pytest.raises(InvalidOptionError, match="it takes: m, ef_construction, ef_search"):
        create_index("faiss-hnsw", space=SPACE, efsearch=3)


def test_ivf_trains_once_and_keeps_its_lists_on_load(tmp_path: Path) -> None:
    index = FaissIVFIndex(SPACE, nlist=8, nprobe=8)
    vectors = clustered(800)
    index.add([str(i) for i in range(800)], vectors)
    index.save(tmp_path / "ivf")
    loaded = FaissIVFIndex.load(tmp_path / "ivf")
    assert loaded.options.nprobe == 8
    assert loaded.search(vectors[7], k=1)[0][0].id == "7"


def test_a_native_file_that_disagrees_with_the_slots_is_refused(tmp_path: Path) -> None:
    index = FaissHNSWIndex(SPACE)
    index.add([str(i) for i in range(30)], clustered(30))
    index.save(tmp_path / "h")
    other = faiss.IndexHNSWFlat(SPACE.dim, 8, faiss.METRIC_INNER_PRODUCT)
    other.add(clustered(10))
    faiss.write_index(other, str(tmp_path / "other.faiss"))
    rewrite_snapshot_file(tmp_path / "h", "native.faiss", (tmp_path / "other.faiss").read_bytes())
    with pytest.raises(CorruptFileError, match=r"native.faiss: holds 10 vectors.*30 slots"):
        FaissHNSWIndex.load(tmp_path / "h")
    rewrite_snapshot_file(tmp_path / "h", "native.faiss", b"not faiss at all")
    with pytest.raises(CorruptFileError, match="faiss cannot read it"):
        FaissHNSWIndex.load(tmp_path / "h")


def test_a_folder_of_another_backend_is_refused(tmp_path: Path) -> None:
    index = FaissFlatIndex(SPACE)
    index.add(["a"], clustered(1))
    index.save(tmp_path / "flat")
    with pytest.raises(CorruptFileError, match=r"embedsdk\.faiss-flat"):
        FaissHNSWIndex.load(tmp_path / "flat")
    manifest = tmp_path / "flat" / (tmp_path / "flat" / POINTER).read_text() / "manifest.json"
    assert json.loads(manifest.read_text())["format"] == "embedsdk.faiss-flat"
