"""`IndexContract`: the tests every index backend must pass, for the core's and for plugin backends.

Subclass it in a test module and say how to build the backend; pytest collects the inherited tests::

    from embedsdk.testing.index_contract import IndexContract
    from embedsdk_faiss import FaissHNSWIndex

    class TestFaissHNSW(IndexContract):
        backend = FaissHNSWIndex
        exact = False          # approximate: checked by recall against exact search instead of equality

It needs pytest. The data are small random vectors in clusters, so the whole contract runs in seconds.
"""

# ruff: noqa: D102  (each contract test is named for the promise it checks)

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from embedsdk.errors import CorruptFileError, InvalidInputError, InvalidOptionError, SpaceMismatchError, UnknownIdError
from embedsdk.result import Embeddings
from embedsdk.retrieval.protocols import Index
from embedsdk.retrieval.storage import POINTER, file_digest
from embedsdk.space import EmbeddingSpace

__all__ = ["IndexContract", "clustered", "rewrite_snapshot_file"]

DIM = 16
SPACE = EmbeddingSpace(provider="fake/a", model="model-a", revision="1", dim=DIM, normalized=True)
OTHER = EmbeddingSpace(provider="fake/b", model="model-b", revision="2", dim=DIM, normalized=True)


def clustered(n: int, dim: int = DIM, seed: int = 0, centres: int = 8) -> np.ndarray:
    """``n`` float32 vectors around ``centres`` random centres (so nearest neighbours mean something)."""
    rng = np.random.default_rng(seed)
    middle = rng.standard_normal((centres, dim))
    rows = middle[rng.integers(0, centres, n)] + 0.4 * rng.standard_normal((n, dim))
    return rows.astype(np.float32)


def rewrite_snapshot_file(folder: Path, name: str, data: bytes) -> Path:
    """Replace file ``name`` of a saved index's live snapshot and fix its checksum, to test the checks behind it."""
    snapshot = folder / (folder / POINTER).read_text().strip()
    (snapshot / name).write_bytes(data)
    manifest_path = snapshot / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    if name != "manifest.json":
        manifest["files"][name] = file_digest(snapshot / name)
        manifest_path.write_text(json.dumps(manifest))
    return snapshot / name


def _exact_top(vectors: np.ndarray, queries: np.ndarray, k: int) -> list[list[int]]:
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    top: list[list[int]] = np.argsort(-(q @ unit.T), axis=1)[:, :k].tolist()
    return top


class IndexContract:
    """The shared behaviour of an `embedsdk.Index` backend (see the module docstring).

    Each ``test_`` method is one promise of the contract; its name says which.
    """

    backend: ClassVar[Any]
    options: ClassVar[dict[str, Any]] = {}
    exact: ClassVar[bool] = True
    min_recall: ClassVar[float] = 0.9

    def stored_vectors_file(self, folder: Path) -> Path:
        """The file of a saved index that holds its vectors (the backends' shared snapshot file by default)."""
        return folder / (folder / POINTER).read_text().strip() / "vectors.npy"

    def replace_stored_vectors(self, folder: Path, data: bytes) -> None:
        """Overwrite the stored vectors file (fixing the snapshot checksum when it has one)."""
        path = self.stored_vectors_file(folder)
        if path.parent.name.startswith("snap-"):
            rewrite_snapshot_file(folder, path.name, data)
        else:
            path.write_bytes(data)

    def make(self, space: EmbeddingSpace | None = SPACE) -> Any:
        """A new empty index of the backend under test."""
        return self.backend(space, **self.options)

    def filled(self, n: int = 200) -> tuple[Any, np.ndarray]:
        """An index holding ``n`` clustered vectors with ids ``v0..`` and metadata ``n``, ``parity``, ``group``."""
        index = self.make()
        vectors = clustered(n)
        metadata = [{"n": i, "parity": "even" if i % 2 == 0 else "odd", "group": f"g{i % 5}"} for i in range(n)]
        index.add([f"v{i}" for i in range(n)], vectors, metadata)
        return index, vectors

    # -- searching ----------------------------------------------------------------------------------------

    def test_follows_the_index_protocol(self) -> None:
        assert isinstance(self.make(), Index)

    def test_a_stored_vector_finds_itself_first_and_scores_are_cosines(self) -> None:
        index, vectors = self.filled()
        hits = index.search(vectors[:20], k=5)
        assert [h[0].id for h in hits] == [f"v{i}" for i in range(20)]
        for row in hits:
            assert math.isclose(row[0].score, 1.0, abs_tol=1e-4)
            assert [h.score for h in row] == sorted((h.score for h in row), reverse=True)
        assert hits[3][0].metadata == {"n": 3, "parity": "odd", "group": "g3"}

    def test_results_match_exact_search(self) -> None:
        index, vectors = self.filled(500)
        queries = clustered(50, seed=1)
        truth = _exact_top(vectors, queries, 10)
        found = [[int(h.id[1:]) for h in row] for row in index.search(queries, k=10)]
        recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(truth, found)])
        assert recall == 1.0 if self.exact else recall >= self.min_recall

    def test_k_larger_than_the_index_returns_everything(self) -> None:
        index, _ = self.filled(7)
        assert len(index.search(clustered(1, seed=3), k=50)[0]) == 7

    @pytest.mark.parametrize("bad_k", [2.5, "3", None, True, 0, -1])
    def test_bad_k_is_refused(self, bad_k: Any) -> None:
        index, vectors = self.filled(10)
        with pytest.raises(InvalidOptionError, match="k="):
            index.search(vectors[0], k=bad_k)

    def test_an_empty_index_returns_no_hits(self) -> None:
        assert self.make().search(clustered(2), k=3) == [[], []]

    def test_a_numpy_integer_k_is_accepted(self) -> None:
        index, vectors = self.filled(10)
        assert len(index.search(vectors[0], k=np.int64(2))[0]) == 2

    # -- bad vectors and spaces ---------------------------------------------------------------------------

    @pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
    def test_non_finite_vectors_and_queries_are_refused(self, bad: float) -> None:
        index, _ = self.filled(10)
        broken = clustered(3, seed=2)
        broken[1, 4] = bad
        with pytest.raises(InvalidInputError, match=r"rows \[1\]"):
            index.add(["a", "b", "c"], broken)
        assert len(index) == 10
        with pytest.raises(InvalidInputError, match="not finite"):
            index.search(broken, k=1)

    def test_wrong_dimensions_are_refused(self) -> None:
        index, _ = self.filled(10)
        with pytest.raises(SpaceMismatchError, match="differ in dim"):
            index.add(["x"], np.ones((1, DIM + 1), dtype=np.float32))
        with pytest.raises(SpaceMismatchError, match="differ in dim"):
            index.search(np.ones(DIM - 1, dtype=np.float32), k=1)

    def test_another_space_is_refused_naming_both(self) -> None:
        index, _ = self.filled(10)
        other = Embeddings(vectors=clustered(1), space=OTHER)
        with pytest.raises(SpaceMismatchError) as added:
            index.add(["x"], other)
        with pytest.raises(SpaceMismatchError) as searched:
            index.search(other, k=1)
        for caught in (added, searched):
            message = str(caught.value)
            assert "fake/a" in message and "fake/b" in message and "model" in message

    def test_the_first_embeddings_set_the_space(self) -> None:
        index = self.make(space=None)
        index.add(["a"], Embeddings(vectors=clustered(1), space=SPACE))
        assert index.space == SPACE
        with pytest.raises(SpaceMismatchError, match="fake/b"):
            index.add(["b"], Embeddings(vectors=clustered(1), space=OTHER))

    def test_bad_ids_and_counts_are_refused(self) -> None:
        index = self.make()
        with pytest.raises(InvalidInputError, match="repeat"):
            index.add(["a", "a"], clustered(2))
        with pytest.raises(InvalidInputError, match="2 ids, 3 vectors"):
            index.add(["a", "b"], clustered(3))
        assert len(index) == 0

    # -- ids: replace, remove, exclude --------------------------------------------------------------------

    def test_a_duplicate_id_replaces(self) -> None:
        index, vectors = self.filled(50)
        index.add(["v0"], vectors[40:41], [{"n": 0, "parity": "new", "group": "g0"}])
        assert len(index) == 50
        hits = index.search(vectors[40], k=2)[0]
        assert {h.id for h in hits} == {"v0", "v40"}
        assert index.search(vectors[40], k=50, filter={"parity": "new"})[0][0].id == "v0"

    def test_removed_ids_are_never_returned(self) -> None:
        index, vectors = self.filled(100)
        index.remove([f"v{i}" for i in range(0, 100, 2)])
        assert len(index) == 50
        ids = {h.id for row in index.search(vectors[:10], k=50) for h in row}
        assert ids and all(int(i[1:]) % 2 == 1 for i in ids)
        with pytest.raises(UnknownIdError, match="v0"):
            index.remove(["v0", "v1"])
        assert len(index) == 50

    def test_removing_most_vectors_then_adding_keeps_working(self) -> None:
        index, vectors = self.filled(300)
        index.remove([f"v{i}" for i in range(250)])
        index.add(["new"], vectors[:1])
        assert index.search(vectors[0], k=1)[0][0].id == "new"
        assert {h.id for h in index.search(vectors[0], k=100)[0]} == {"new", *(f"v{i}" for i in range(250, 300))}

    def test_exclude_drops_ids_from_results(self) -> None:
        index, vectors = self.filled(100)
        hits = index.search(vectors[5], k=3, exclude=["v5", "unknown-id"])[0]
        assert "v5" not in {h.id for h in hits} and len(hits) == 3

    # -- filters ------------------------------------------------------------------------------------------

    def test_filters_equality_membership_and_ranges(self) -> None:
        index, vectors = self.filled(200)
        query = vectors[11]
        assert {h.metadata["parity"] for h in index.search(query, k=20, filter={"parity": "even"})[0]} == {"even"}
        groups = {h.metadata["group"] for h in index.search(query, k=50, filter={"group": ["g1", "g2"]})[0]}
        assert groups <= {"g1", "g2"} and groups
        ranged = index.search(query, k=200, filter={"n": {"$gte": 10, "$lt": 20}})[0]
        assert sorted(h.metadata["n"] for h in ranged) == list(range(10, 20))
        both = index.search(query, k=200, filter={"n": {"$gt": 100}, "parity": "odd"})[0]
        assert {h.id for h in both} == {f"v{i}" for i in range(101, 200, 2)}
        assert index.search(query, k=5, filter={"parity": "none-such"})[0] == []

    def test_filtered_search_over_many_matches(self) -> None:
        index, vectors = self.filled(6000)
        hits = index.search(vectors[:5], k=5, filter={"parity": "odd"})
        assert all(h.metadata["parity"] == "odd" for row in hits for h in row)
        assert [row[0].id for row in hits[1::2]] == ["v1", "v3"]

    def test_unknown_filter_keys_and_operators_are_refused(self) -> None:
        index, vectors = self.filled(10)
        with pytest.raises(InvalidOptionError, match=r"'colour'.*keys there"):
            index.search(vectors[0], k=1, filter={"colour": "red"})
        with pytest.raises(InvalidOptionError, match="operator"):
            index.search(vectors[0], k=1, filter={"n": {"$near": 3}})
        with pytest.raises(InvalidOptionError, match="finite number"):
            index.search(vectors[0], k=1, filter={"n": {"$gt": "3"}})

    # -- files --------------------------------------------------------------------------------------------

    def test_save_and_load_give_the_same_results(self, tmp_path: Path) -> None:
        index, vectors = self.filled(300)
        index.remove(["v1", "v2"])
        index.save(tmp_path / "idx")
        loaded = type(index).load(tmp_path / "idx")
        assert len(loaded) == 298 and loaded.space == SPACE
        before = index.search(vectors[:20], k=5, filter={"parity": "odd"})
        after = loaded.search(vectors[:20], k=5, filter={"parity": "odd"})
        assert [[h.id for h in row] for row in before] == [[h.id for h in row] for row in after]
        loaded.add(["late"], vectors[1])
        assert loaded.search(vectors[1], k=1)[0][0].id == "late"

    def test_saving_again_replaces_the_snapshot(self, tmp_path: Path) -> None:
        index, _ = self.filled(20)
        index.save(tmp_path / "idx")
        index.remove(["v0"])
        index.save(tmp_path / "idx")
        assert len(type(index).load(tmp_path / "idx")) == 19
        assert len([p for p in (tmp_path / "idx").iterdir() if p.name.startswith("snap-")]) == 1

    def test_an_empty_index_saves_and_loads(self, tmp_path: Path) -> None:
        self.make().save(tmp_path / "idx")
        assert len(self.backend.load(tmp_path / "idx")) == 0

    def test_loading_a_folder_that_is_not_an_index(self, tmp_path: Path) -> None:
        with pytest.raises(CorruptFileError, match="CURRENT"):
            self.backend.load(tmp_path)
        with pytest.raises(CorruptFileError, match="not a folder"):
            self.backend.load(tmp_path / "missing")

    def test_damaged_vectors_are_named(self, tmp_path: Path) -> None:
        index, _ = self.filled(20)
        index.save(tmp_path / "idx")
        path = self.stored_vectors_file(tmp_path / "idx")
        path.write_bytes(b"\x93NUMPY garbage")
        with pytest.raises(CorruptFileError, match=r"checksum|cannot be read") as caught:
            self.backend.load(tmp_path / "idx")
        assert path.name in str(caught.value)

    @pytest.mark.parametrize(
        ("name", "data", "problem"),
        [("manifest.json", b"{not json", "not valid JSON"), ("manifest.json", b"[]", "JSON object")],
    )
    def test_damaged_files_are_named(self, tmp_path: Path, name: str, data: bytes, problem: str) -> None:
        index, _ = self.filled(20)
        index.save(tmp_path / "idx")
        snapshot = tmp_path / "idx" / (tmp_path / "idx" / POINTER).read_text()
        (snapshot / name).write_bytes(data)
        with pytest.raises(CorruptFileError, match=problem) as caught:
            self.backend.load(tmp_path / "idx")
        assert name in str(caught.value)

    def _manifest_edit(self, tmp_path: Path, **changes: Any) -> None:
        index, _ = self.filled(20)
        index.save(tmp_path / "idx")
        snapshot = tmp_path / "idx" / (tmp_path / "idx" / POINTER).read_text()
        manifest = json.loads((snapshot / "manifest.json").read_text())
        manifest.update(changes)
        rewrite_snapshot_file(tmp_path / "idx", "manifest.json", json.dumps(manifest).encode())

    def test_a_newer_format_version_is_refused(self, tmp_path: Path) -> None:
        self._manifest_edit(tmp_path, version=99)
        with pytest.raises(CorruptFileError, match=r"newer embedsdk.*upgrade"):
            self.backend.load(tmp_path / "idx")

    def test_another_format_is_refused(self, tmp_path: Path) -> None:
        self._manifest_edit(tmp_path, format="embedsdk.other")
        with pytest.raises(CorruptFileError, match=r"embedsdk\.other"):
            self.backend.load(tmp_path / "idx")

    def test_counts_that_disagree_are_refused(self, tmp_path: Path) -> None:
        self._manifest_edit(tmp_path, slots=10)
        with pytest.raises(CorruptFileError, match=r"\b20\b.*\b10\b"):
            self.backend.load(tmp_path / "idx")

    def test_a_dimension_unlike_the_space_is_refused(self, tmp_path: Path) -> None:
        self._manifest_edit(tmp_path, space=SPACE.model_copy(update={"dim": DIM * 2}).model_dump())
        with pytest.raises(CorruptFileError, match="dim"):
            self.backend.load(tmp_path / "idx")

    def test_bad_entries_are_refused(self, tmp_path: Path) -> None:
        index, _ = self.filled(3)
        index.save(tmp_path / "idx")
        metadata: list[dict[str, Any]] = [{}, {}, {}]
        for entries, problem in [
            ({"ids": ["a", "a", "b"], "metadata": metadata}, "repeat"),
            ({"ids": ["a", "b"], "metadata": metadata}, "2 ids and 3 metadata"),
            ({"ids": ["a", 2, "b"], "metadata": metadata}, "list of strings"),
            ({"ids": ["a", "b", "c"], "metadata": [{}, {}, 5]}, "list of objects"),
        ]:
            rewrite_snapshot_file(tmp_path / "idx", "entries.json", json.dumps(entries).encode())
            with pytest.raises(CorruptFileError, match=problem):
                self.backend.load(tmp_path / "idx")

    def test_non_finite_stored_vectors_are_refused(self, tmp_path: Path) -> None:
        index, _ = self.filled(5)
        index.save(tmp_path / "idx")
        stored = np.load(self.stored_vectors_file(tmp_path / "idx"))
        stored[2, 0] = np.nan
        np.save(tmp_path / "bad.npy", stored)
        self.replace_stored_vectors(tmp_path / "idx", (tmp_path / "bad.npy").read_bytes())
        with pytest.raises(CorruptFileError, match="NaN"):
            self.backend.load(tmp_path / "idx")
