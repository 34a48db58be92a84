"""`ExactIndex`: add, search, remove, save, load, filters, and refusing vectors of another space."""

from __future__ import annotations

import numpy as np
import pytest

import embedsdk
from embedsdk.errors import InvalidInputError, InvalidOptionError, SpaceMismatchError
from embedsdk.retrieval.exact import ExactIndex
from embedsdk.retrieval.protocols import Hit, Index
from embedsdk.testing import fake_provider
from embedsdk.testing.conformance import assert_implements

DOCS = ["red apple", "green apple", "yellow banana", "purple plum", "red cherry"]
META = [
    {"kind": "fruit", "colour": "red"},
    {"kind": "fruit", "colour": "green"},
    {"kind": "fruit", "colour": "yellow"},
    {"kind": "stone", "colour": "purple"},
    {"kind": "stone", "colour": "red"},
]


@pytest.fixture
def index(fake) -> ExactIndex:
    built = ExactIndex()
    built.add([f"d{n}" for n in range(len(DOCS))], embedsdk.embed(DOCS, provider="fake/test"), META)
    return built


def brute_force(index: ExactIndex, query: np.ndarray, k: int) -> list[str]:
    matrix = index.vectors
    scores = matrix @ (query / np.linalg.norm(query))
    return [index.ids[n] for n in np.argsort(-scores, kind="stable")[:k]]


def test_exact_index_implements_the_index_protocol_with_its_signatures():
    assert_implements(ExactIndex(), Index)


def test_the_conformance_check_catches_a_wrong_signature():
    class Sloppy(ExactIndex):
        def search(self, queries):  # no k, no filter
            return []

    with pytest.raises(AssertionError, match=r"search\(queries\) does not take search"):
        assert_implements(Sloppy(), Index)


def test_add_takes_the_space_of_embeddings(index):
    assert len(index) == 5
    assert index.ids == ["d0", "d1", "d2", "d3", "d4"]
    assert index.space is not None
    assert index.space.provider == "fake/test"
    assert "n=5" in repr(index)


def test_search_returns_the_nearest_first(index):
    queries = embedsdk.embed(["red apple", "banana"], provider="fake/test")
    hits = index.search(queries, k=3)
    assert len(hits) == 2
    assert all(isinstance(hit, Hit) for hit in hits[0])
    assert hits[0][0].id == "d0"
    assert hits[0][0].score == pytest.approx(1.0, abs=1e-5)
    assert hits[0][0].metadata == META[0]
    assert [h.id for h in hits[1]] == brute_force(index, queries.vectors[1], 3)
    for row in hits:
        scores = [hit.score for hit in row]
        assert scores == sorted(scores, reverse=True)


def test_search_scores_are_cosine_similarities(index):
    query = embedsdk.embed(["apple"], provider="fake/test")
    hits = index.search(query, k=5)[0]
    expected = query.similarity(embedsdk.embed(DOCS, provider="fake/test"))[0]
    assert {hit.id: hit.score for hit in hits} == pytest.approx(
        {f"d{n}": float(s) for n, s in enumerate(expected)}, abs=1e-5
    )


def test_k_larger_than_the_index_gives_everything(index):
    assert len(index.search(np.ones(16), k=50)[0]) == 5
    with pytest.raises(InvalidOptionError, match="k=0 must be"):
        index.search(np.ones(16), k=0)


def test_one_vector_is_one_query(index):
    vector = embedsdk.embed(["plum"], provider="fake/test").vectors[0]
    assert len(index.search(vector, k=1)) == 1


def test_filter_keeps_matching_metadata(index):
    query = embedsdk.embed(["red apple"], provider="fake/test")
    hits = index.search(query, k=5, filter={"kind": "stone"})[0]
    assert {hit.id for hit in hits} == {"d3", "d4"}
    hits = index.search(query, k=5, filter={"colour": ["red", "yellow"], "kind": "fruit"})[0]
    assert {hit.id for hit in hits} == {"d0", "d2"}
    assert index.search(query, k=5, filter={"kind": "vegetable"}) == [[]]


def test_remove(index):
    index.remove(["d0", "d3"])
    assert index.ids == ["d1", "d2", "d4"]
    hits = index.search(embedsdk.embed(["red apple"], provider="fake/test"), k=5)[0]
    assert {hit.id for hit in hits} == {"d1", "d2", "d4"}
    assert {hit.id: hit.metadata for hit in hits} == {"d1": META[1], "d2": META[2], "d4": META[4]}
    with pytest.raises(KeyError, match="nope"):
        index.remove(["d1", "nope"])
    assert len(index) == 3  # nothing removed when one id is unknown


def test_adding_an_existing_id_replaces_it(index):
    index.add(["d0"], embedsdk.embed(["yellow banana"], provider="fake/test"), [{"kind": "moved"}])
    assert len(index) == 5
    hits = index.search(embedsdk.embed(["yellow banana"], provider="fake/test"), k=2)[0]
    assert {hit.id for hit in hits} == {"d0", "d2"}
    assert {hit.id: hit.metadata for hit in hits}["d0"] == {"kind": "moved"}


def test_add_checks_its_arguments(index):
    vectors = embedsdk.embed(["a", "b"], provider="fake/test")
    with pytest.raises(InvalidInputError, match="2 vectors"):
        index.add(["x"], vectors)
    with pytest.raises(InvalidInputError, match="repeat"):
        index.add(["x", "x"], vectors)
    with pytest.raises(InvalidInputError, match="not finite"):
        index.add(["x"], np.full((1, 16), np.nan))
    with pytest.raises(InvalidInputError, match="2-D"):
        index.add(["x"], np.ones((1, 1, 16)))
    assert len(index) == 5


def test_save_and_load_round_trip(index, tmp_path):
    index.save(tmp_path / "idx")
    loaded = ExactIndex.load(tmp_path / "idx")
    assert loaded.ids == index.ids
    assert loaded.space == index.space
    query = embedsdk.embed(["red apple"], provider="fake/test")
    assert loaded.search(query, k=5, filter={"kind": "fruit"}) == index.search(query, k=5, filter={"kind": "fruit"})
    loaded.remove(["d0"])
    loaded.add(["new"], embedsdk.embed(["green plum"], provider="fake/test"))
    assert loaded.ids == ["d1", "d2", "d3", "d4", "new"]
    with fake_provider("fake/other"):
        other = embedsdk.embed(["a"], provider="fake/other")
    with pytest.raises(SpaceMismatchError):
        loaded.add(["o"], other)  # the loaded index still knows its space


def test_refuses_vectors_of_another_model(index):
    with fake_provider("fake/other"):
        other = embedsdk.embed(["red apple"], provider="fake/other")
    with pytest.raises(SpaceMismatchError, match="model") as caught:
        index.add(["x"], other)
    assert "vectors" in str(caught.value)
    with pytest.raises(SpaceMismatchError, match="queries"):
        index.search(other)
    assert len(index) == 5


def test_refuses_another_dimension(index):
    smaller = embedsdk.embed(["red apple"], provider="fake/test", dimensions=8)
    with pytest.raises(SpaceMismatchError, match="dim"):
        index.add(["x"], smaller)
    with pytest.raises(SpaceMismatchError, match="8-d"):
        index.search(np.ones(8))
    with pytest.raises(SpaceMismatchError, match="8-d"):
        index.add(["x"], np.ones((1, 8)))


def test_refuses_another_normalization():
    with fake_provider("fake/raw", normalized=False):
        raw = embedsdk.embed(["red apple"], provider="fake/raw")
        unit = embedsdk.embed(["red apple"], provider="fake/raw", normalize=True)
    index = ExactIndex()
    index.add(["a"], raw)
    with pytest.raises(SpaceMismatchError, match="normalized"):
        index.search(unit)


def test_query_role_searches_a_document_index(fake):
    index = ExactIndex()
    index.add(["d0", "d1"], embedsdk.embed(["red apple", "blue whale"], provider="fake/test", role="document"))
    hits = index.search(embedsdk.embed(["red apple"], provider="fake/test", role="query"), k=1)
    assert hits[0][0].id == "d0"


def test_an_index_built_with_a_space_refuses_other_spaces_from_the_start(fake):
    space = embedsdk.embed(["x"], provider="fake/test").space
    index = ExactIndex(space)
    with pytest.raises(SpaceMismatchError):
        index.add(["x"], np.ones((1, 4)))
    with fake_provider("fake/other"):
        with pytest.raises(SpaceMismatchError):
            index.add(["x"], embedsdk.embed(["x"], provider="fake/other"))


def test_plain_arrays_set_the_dimension_and_a_later_space_must_match_it():
    index = ExactIndex()
    index.add(["a", "b"], np.eye(2, 4))
    assert index.space is None
    with pytest.raises(SpaceMismatchError, match="3-d"):
        index.add(["c"], np.ones((1, 3)))
    with fake_provider("fake/test"):
        with pytest.raises(SpaceMismatchError, match="16-d"):
            index.add(["c"], embedsdk.embed(["x"], provider="fake/test"))
    hits = index.search(np.array([0, 1, 0, 0]), k=1)
    assert hits[0][0].id == "b"


def test_an_empty_index_built_for_a_space_refuses_queries_of_another(fake):
    space = embedsdk.embed(["x"], provider="fake/test").space
    index = ExactIndex(space)
    assert index.search(embedsdk.embed(["x"], provider="fake/test", role="query")) == [[]]
    with pytest.raises(SpaceMismatchError, match="8-d"):
        index.search(np.ones(8))
    with pytest.raises(SpaceMismatchError, match="dim"):
        index.search(embedsdk.embed(["x"], provider="fake/test", dimensions=8))


def test_an_empty_index_finds_nothing():
    assert ExactIndex().search(np.ones((2, 3)), k=3) == [[], []]
    index = ExactIndex()
    index.add([], np.zeros((0, 3)))
    assert len(index) == 0


def test_the_exact_index_is_registered_as_a_backend():
    from embedsdk.retrieval import create_index

    assert isinstance(create_index("exact"), ExactIndex)
    assert isinstance(create_index(), ExactIndex)


def test_an_unknown_index_backend_has_its_own_error():
    from embedsdk.errors import UnknownIndexError
    from embedsdk.retrieval import create_index

    with pytest.raises(UnknownIndexError, match="did you mean 'exact'"):
        create_index("exakt")
