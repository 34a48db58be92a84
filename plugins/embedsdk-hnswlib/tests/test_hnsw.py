"""The hnswlib backend passes the shared index contract, registers through the hook, and checks its file."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import hnswlib
import numpy as np
import pytest
from embedsdk_hnswlib import HNSWIndex

from embedsdk.errors import CorruptFileError, InvalidOptionError
from embedsdk.retrieval import create_index
from embedsdk.testing.index_contract import SPACE, IndexContract, clustered, rewrite_snapshot_file


class TestHNSW(IndexContract):
    backend = HNSWIndex
    options: ClassVar[dict[str, Any]] = {"m": 16, "ef_search": 32}
    exact = False


def test_registers_through_the_hook() -> None:
    index = create_index("hnsw", space=SPACE, m=8)
    assert isinstance(index, HNSWIndex) and index.options.m == 8
    with pytest.raises(InvalidOptionError, match="ef_search"):
        create_index("hnsw", space=SPACE, ef_search=0)


def test_matches_hnswlib_on_the_same_vectors() -> None:
    vectors, queries = clustered(400), clustered(10, seed=4)
    ours = HNSWIndex(SPACE, m=16, ef_construction=200, ef_search=200)
    ours.add([str(i) for i in range(400)], vectors)
    reference = hnswlib.Index(space="cosine", dim=vectors.shape[1])
    reference.init_index(max_elements=400, ef_construction=200, M=16)
    reference.add_items(vectors, np.arange(400))
    reference.set_ef(200)
    labels, distances = reference.knn_query(queries, k=5)
    hits = ours.search(queries, k=5)
    agreement = np.mean([len({int(h.id) for h in row} & set(ref)) / 5 for row, ref in zip(hits, labels.tolist())])
    assert agreement >= 0.95
    np.testing.assert_allclose(hits[0][0].score, 1 - distances[0][0], atol=1e-4)


def test_a_filter_too_narrow_for_the_graph_still_fills_k() -> None:
    index = HNSWIndex(SPACE, m=4, ef_search=4)
    vectors = clustered(5000)
    metadata = [{"rare": i % 1000 == 0} for i in range(5000)]
    index.add([str(i) for i in range(5000)], vectors, metadata)
    index.exact_below = 0  # force the graph path
    hits = index.search(vectors[0], k=5, filter={"rare": True})[0]
    assert sorted(int(h.id) for h in hits) == [0, 1000, 2000, 3000, 4000]


def test_a_native_file_that_disagrees_with_the_slots_is_refused(tmp_path: Path) -> None:
    index = HNSWIndex(SPACE)
    index.add([str(i) for i in range(30)], clustered(30))
    index.save(tmp_path / "h")
    other = hnswlib.Index(space="ip", dim=SPACE.dim)
    other.init_index(max_elements=10)
    other.add_items(clustered(10), np.arange(10))
    other.save_index(str(tmp_path / "other.hnsw"))
    rewrite_snapshot_file(tmp_path / "h", "native.hnsw", (tmp_path / "other.hnsw").read_bytes())
    with pytest.raises(CorruptFileError, match=r"native.hnsw: holds 10 vectors"):
        HNSWIndex.load(tmp_path / "h")
