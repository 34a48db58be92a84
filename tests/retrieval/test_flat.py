"""The core `flat` index: the shared contract, blocked search, quantized search, segments and crash safety."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from embedsdk.errors import CorruptFileError
from embedsdk.retrieval import create_index
from embedsdk.retrieval.flat import FlatIndex
from embedsdk.retrieval.storage import POINTER
from embedsdk.testing.index_contract import SPACE, IndexContract, clustered


class _FlatFiles(IndexContract):
    def stored_vectors_file(self, folder: Path) -> Path:
        (segment,) = (p for p in (folder / "segments").iterdir() if p.name.count(".") == 1)
        return segment


class TestFlat(_FlatFiles):
    backend = FlatIndex


class TestFlatSmallBlocks(_FlatFiles):
    backend = FlatIndex
    options: ClassVar[dict[str, Any]] = {"block_rows": 7}


class TestFlatInt8(_FlatFiles):
    backend = FlatIndex
    options: ClassVar[dict[str, Any]] = {"quantize": "int8", "rescore": 40}


class TestFlatBinary(_FlatFiles):
    backend = FlatIndex
    options: ClassVar[dict[str, Any]] = {"quantize": "binary", "rescore": 200}
    exact = False


def _recall(found: list[list[str]], truth: np.ndarray) -> float:
    return float(np.mean([len({int(i) for i in row} & set(t)) / len(t) for row, t in zip(found, truth.tolist())]))


def test_is_the_default_registered_index() -> None:
    index = create_index("flat", space=SPACE, quantize="int8")
    assert isinstance(index, FlatIndex) and index.options.quantize == "int8"


def test_blocked_search_equals_one_matrix_product() -> None:
    vectors, queries = clustered(3000, seed=5), clustered(40, seed=6)
    index = FlatIndex(SPACE, block_rows=100)
    index.add([str(i) for i in range(3000)], vectors)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    truth = np.argsort(-(q @ unit.T), axis=1)[:, :10]
    hits = index.search(queries, k=10)
    assert [[int(h.id) for h in row] for row in hits] == truth.tolist()


@pytest.mark.parametrize(("kind", "rescore", "floor"), [("int8", 100, 0.999), ("binary", 400, 0.95)])
def test_quantized_recall_after_rescoring(kind: str, rescore: int, floor: float) -> None:
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((5000, 64)).astype(np.float32)
    queries = vectors[:200] + 0.5 * rng.standard_normal((200, 64)).astype(np.float32)
    index = FlatIndex(None, quantize=kind, rescore=rescore)
    index.add([str(i) for i in range(5000)], vectors)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    truth = np.argsort(-(queries / np.linalg.norm(queries, axis=1, keepdims=True)) @ unit.T, axis=1)[:, :10]
    hits = index.search(queries, k=10)
    assert _recall([[h.id for h in row] for row in hits], truth) >= floor
    exact = FlatIndex(None)
    exact.add([str(i) for i in range(5000)], vectors)
    expected = {h.id: h.score for h in exact.search(queries[0], k=10)[0]}
    assert all(abs(h.score - expected[h.id]) < 1e-5 for h in hits[0] if h.id in expected)


def test_int8_ranges_are_calibrated_once_and_saved(tmp_path: Path) -> None:
    index = FlatIndex(SPACE, quantize="int8")
    index.add([f"a{i}" for i in range(500)], clustered(500))
    index.search(clustered(1), k=1)
    index.add([f"b{i}" for i in range(500)], 5 * clustered(500, seed=3))  # other ranges: must not recalibrate
    index.save(tmp_path / "q")
    manifest = json.loads((tmp_path / "q" / (tmp_path / "q" / POINTER).read_text() / "manifest.json").read_text())
    first = FlatIndex(SPACE, quantize="int8")
    first.add([f"a{i}" for i in range(500)], clustered(500))
    first.search(clustered(1), k=1)
    assert manifest["calibration"]["mid"] == pytest.approx(first._calibrated().mid.tolist())
    loaded = FlatIndex.load(tmp_path / "q")
    assert loaded.search(clustered(500, seed=3)[7], k=1)[0][0].id == "b7"


def test_a_save_writes_only_the_new_rows(tmp_path: Path) -> None:
    index = FlatIndex(SPACE)
    index.add([str(i) for i in range(1000)], clustered(1000))
    index.save(tmp_path / "f")
    first = sorted(p.name for p in (tmp_path / "f" / "segments").iterdir())
    index.add(["new"], clustered(1, seed=9))
    index.save(tmp_path / "f")
    second = sorted(p.name for p in (tmp_path / "f" / "segments").iterdir())
    assert len(first) == 1 and set(first) < set(second) and len(second) == 2
    reopened = FlatIndex.load(tmp_path / "f")
    reopened.add(["newer"], clustered(1, seed=10))
    reopened.save(tmp_path / "f")
    assert len(list((tmp_path / "f" / "segments").iterdir())) == 3
    assert len(FlatIndex.load(tmp_path / "f")) == 1002


def test_loads_memory_map_the_segments(tmp_path: Path) -> None:
    index = FlatIndex(SPACE)
    index.add([str(i) for i in range(100)], clustered(100))
    index.save(tmp_path / "f")
    loaded = FlatIndex.load(tmp_path / "f")
    assert all(isinstance(s.rows, np.memmap) for s in loaded._segments)
    assert loaded.search(clustered(100)[3], k=1)[0][0].id == "3"


def test_a_missing_or_damaged_segment_is_named(tmp_path: Path) -> None:
    index = FlatIndex(SPACE)
    index.add([str(i) for i in range(10)], clustered(10))
    index.save(tmp_path / "f")
    (segment,) = (tmp_path / "f" / "segments").iterdir()
    segment.write_bytes(segment.read_bytes()[:200])
    with pytest.raises(CorruptFileError, match=segment.name):
        FlatIndex.load(tmp_path / "f")
    segment.unlink()
    with pytest.raises(CorruptFileError, match="is missing"):
        FlatIndex.load(tmp_path / "f")


_WRITER = textwrap.dedent(
    """
    import sys, numpy as np
    from embedsdk.retrieval.flat import FlatIndex
    from embedsdk.retrieval import storage
    folder = sys.argv[1]
    index = FlatIndex.load(folder)
    rows = np.random.default_rng(0).standard_normal((20000, 16)).astype("float32")
    index.add([f"new{i}" for i in range(20000)], rows)
    real_commit = storage.commit_snapshot
    def slow_commit(*args, **kwargs):
        print("saving", flush=True)
        import time; time.sleep(30)
    import embedsdk.retrieval.flat as flat
    flat.commit_snapshot = slow_commit if sys.argv[2] == "stall" else real_commit
    print("saving", flush=True)
    while True:
        index.save(folder)
    """
)


@pytest.mark.parametrize("moment", ["stall", "loop"])
def test_kill_9_during_a_save_leaves_the_previous_state(tmp_path: Path, moment: str) -> None:
    index = FlatIndex(SPACE)
    index.add([str(i) for i in range(50)], clustered(50))
    index.save(tmp_path / "f")
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    process = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "f"), moment],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert process.stdout is not None and process.stdout.readline().strip() == b"saving"
    time.sleep(0.5)
    process.send_signal(signal.SIGKILL)
    process.wait()
    loaded = FlatIndex.load(tmp_path / "f")
    assert len(loaded) in (50, 20050)
    assert loaded.search(clustered(50)[4], k=1)[0][0].id == "4"
    if moment == "stall":
        assert len(loaded) == 50


@pytest.mark.parametrize(("kind", "rescore", "floor"), [("int8", 50, 0.95), ("binary", 300, 0.75)])
def test_the_numpy_scan_finds_what_the_torch_scan_finds(
    kind: str, rescore: int, floor: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    vectors, queries = clustered(3000, seed=11), clustered(20, seed=12)
    index = FlatIndex(SPACE, quantize=kind, rescore=rescore, block_rows=500)
    index.add([str(i) for i in range(3000)], vectors)
    exact = FlatIndex(SPACE)
    exact.add([str(i) for i in range(3000)], vectors)
    truth = np.array([[int(h.id) for h in row] for row in exact.search(queries, k=10)])
    with_torch = [[h.id for h in row] for row in index.search(queries, k=10)]
    monkeypatch.setattr("embedsdk.retrieval.flat.load_torch", lambda: None)
    with_numpy = [[h.id for h in row] for row in index.search(queries, k=10)]
    # Binary codes (16 bits here) tie often, and the two top-k kernels break ties differently: compare recall.
    assert _recall(with_torch, truth) >= floor and _recall(with_numpy, truth) >= floor
    if kind == "int8":
        assert with_numpy == with_torch


def test_the_numpy_exact_scan_finds_what_the_torch_scan_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    vectors, queries = clustered(3000, seed=13), clustered(20, seed=14)
    index = FlatIndex(SPACE, block_rows=700)
    index.add([str(i) for i in range(3000)], vectors)
    index.remove(["5", "6"])
    with_torch = [[(h.id, round(h.score, 5)) for h in row] for row in index.search(queries, k=10, exclude=["7"])]
    monkeypatch.setattr("embedsdk.retrieval.flat.load_torch", lambda: None)
    with_numpy = [[(h.id, round(h.score, 5)) for h in row] for row in index.search(queries, k=10, exclude=["7"])]
    assert with_numpy == with_torch


def test_stored_rows_must_be_unit_length(tmp_path: Path) -> None:
    from embedsdk.retrieval.storage import load_matrix
    from embedsdk.space import normalize_rows

    rows = normalize_rows(clustered(10))
    rows[7] *= 1.5  # what an edited file could hold: flat's exact bf16 pass assumes unit rows
    rows[3] = 0.0  # a zero row is what normalizing a zero vector gives: allowed
    np.save(tmp_path / "rows.npy", rows)
    with pytest.raises(CorruptFileError, match=r"rows\.npy.*row 7 has length 1\.5"):
        load_matrix(tmp_path / "rows.npy", 10, 16, mmap=True)
    rows[7] /= 1.5
    np.save(tmp_path / "rows.npy", rows)
    assert load_matrix(tmp_path / "rows.npy", 10, 16).shape == (10, 16)
