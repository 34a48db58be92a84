"""The Qdrant backend (qdrant-client's embedded mode) passes the shared index contract and filters natively."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from embedsdk_qdrant import QdrantIndex, to_qdrant_filter
from qdrant_client import QdrantClient, models

from embedsdk.errors import InvalidOptionError
from embedsdk.retrieval import create_index
from embedsdk.retrieval.checks import parse_filter
from embedsdk.testing.index_contract import SPACE, IndexContract, clustered


class TestQdrant(IndexContract):
    backend = QdrantIndex


def test_registers_through_the_hook_and_hides_the_api_key() -> None:
    index = create_index("qdrant", space=SPACE, url="http://localhost:1", api_key="sk-secret-value")
    assert isinstance(index, QdrantIndex)
    assert "sk-secret" not in repr(index) and "sk-secret" not in repr(index.options)
    assert "api_key" not in index.options.model_dump()
    with pytest.raises(InvalidOptionError, match="collection"):
        create_index("qdrant", space=SPACE, collection="")


def test_filters_become_native_qdrant_filters() -> None:
    conditions = parse_filter({"lang": ["en", "fr"], "year": {"$gte": 2000, "$lt": 2010}, "kind": "doc"})
    native, complete = to_qdrant_filter(conditions, np.array([3, 4]))
    assert complete
    assert native.must[0] == models.FieldCondition(key="lang", match=models.MatchAny(any=["en", "fr"]))
    assert native.must[1] == models.FieldCondition(key="year", range=models.Range(gte=2000, lt=2010))
    assert native.must[2] == models.FieldCondition(key="kind", match=models.MatchValue(value="doc"))
    assert native.must_not == [models.HasIdCondition(has_id=[3, 4])]
    _, complete = to_qdrant_filter(parse_filter({"score": 0.5}), np.array([], dtype=np.int64))
    assert not complete


def test_native_search_agrees_with_qdrant_itself() -> None:
    vectors = clustered(3000)
    metadata = [{"n": i, "odd": i % 2 == 1} for i in range(3000)]
    index = QdrantIndex(SPACE, collection="mine")
    index.add([str(i) for i in range(3000)], vectors, metadata)
    hits = index.search(vectors[:3], k=5, filter={"n": {"$lt": 2900}})
    reference = QdrantClient(":memory:")
    reference.create_collection(
        "r", vectors_config=models.VectorParams(size=SPACE.dim, distance=models.Distance.COSINE)
    )
    reference.upsert("r", points=models.Batch(ids=list(range(3000)), vectors=vectors.tolist(), payloads=metadata))
    for row, query in zip(hits, vectors[:3]):
        found = reference.query_points(
            "r",
            query=query.tolist(),
            limit=5,
            query_filter=models.Filter(must=[models.FieldCondition(key="n", range=models.Range(lt=2900))]),
        ).points
        assert [h.id for h in row] == [str(p.id) for p in found]
        np.testing.assert_allclose([h.score for h in row], [p.score for p in found], atol=1e-4)


def test_embedded_path_mode_and_a_saved_index_reload(tmp_path: Path) -> None:
    index = QdrantIndex(SPACE, path=str(tmp_path / "qdrant-data"))
    vectors = clustered(50)
    index.add([f"d{i}" for i in range(50)], vectors, [{"n": i} for i in range(50)])
    index.remove(["d1"])
    index.save(tmp_path / "saved")
    index.close()
    loaded = QdrantIndex.load(tmp_path / "saved")
    assert loaded.options.path == str(tmp_path / "qdrant-data") and len(loaded) == 49
    assert loaded.search(vectors[1], k=1, exclude=["d0"])[0][0].id != "d1"
    loaded.close()
