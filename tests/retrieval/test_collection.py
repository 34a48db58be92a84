"""`embedsdk.Collection`: chunking with provenance, dedupe, grouped search, filters, reopen, migrate, crashes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import embedsdk
from embedsdk.errors import InvalidInputError, InvalidOptionError, SpaceMismatchError, UnknownIdError
from embedsdk.retrieval.chunking import chunk_text
from embedsdk.retrieval.collection import Collection
from embedsdk.testing import FakeEmbedder, fake_provider

FRUIT = "apples pears cherries plums grapes melons"
SKY = "clouds rain sunshine wind storms thunder"


@pytest.fixture
def fake() -> Iterator[FakeEmbedder]:
    with fake_provider("fake/test", max_tokens=16, dim=64) as instance:
        yield instance


def test_chunks_fit_the_budget_overlap_and_point_back_into_the_text() -> None:
    text = " ".join(f"w{i}" for i in range(50)) + "\n\n  tail words here"
    chunks = chunk_text(text, lambda items: [len(t.split()) + 2 for t in items], max_tokens=12, overlap=3)
    assert all(text[c.start : c.end] == c.text for c in chunks)
    assert all(len(c.text.split()) <= 10 for c in chunks)
    assert chunks[0].text.split()[-3:] == chunks[1].text.split()[:3]
    assert chunks[-1].text.endswith("tail words here")
    with pytest.raises(InvalidOptionError, match="overlap"):
        chunk_text(text, None, max_tokens=4, overlap=4)


def test_add_and_search_with_ids_metadata_and_filters(tmp_path: Path, fake: FakeEmbedder) -> None:
    docs = Collection(tmp_path / "c", provider="fake/test")
    ids = docs.add(
        [FRUIT, SKY, "pasta bread rice"],
        ids=["fruit", "sky", "food"],
        metadata=[{"kind": "food", "year": 2001}, {"kind": "weather", "year": 2010}, {"kind": "food", "year": 1990}],
    )
    assert ids == ["fruit", "sky", "food"] and len(docs) == 3
    hits = docs.search("rain and wind", k=2)
    assert hits[0].id == "sky" and hits[0].text == SKY and hits[0].metadata == {"kind": "weather", "year": 2010}
    assert fake.roles[-1] == "query" and "document" in fake.roles
    assert [h.id for h in docs.search("rain", k=3, filter={"kind": "food"})] != []
    assert {h.id for h in docs.search("rain", k=3, filter={"kind": "food"})} == {"fruit", "food"}
    assert [h.id for h in docs.search("apples", k=3, filter={"year": {"$gte": 2000, "$lt": 2005}})] == ["fruit"]
    with pytest.raises(InvalidOptionError, match="'colour'"):
        docs.search("rain", k=1, filter={"colour": "red"})
    with pytest.raises(InvalidOptionError, match="k="):
        docs.search("rain", k=2.5)  # type: ignore[arg-type]


def test_long_documents_are_chunked_and_grouped(tmp_path: Path, fake: FakeEmbedder) -> None:
    long_text = " ".join(["filler words about nothing much"] * 12) + " " + SKY
    docs = Collection(tmp_path / "c", provider="fake/test", chunk_tokens=16, chunk_overlap=4)
    docs.add([long_text, FRUIT], ids=["long", "fruit"])
    assert docs.info()["chunks"] > 3
    grouped = docs.search("storms thunder", k=5)
    assert [h.id for h in grouped].count("long") == 1 and grouped[0].id == "long"
    assert "thunder" in grouped[0].text and long_text[grouped[0].start : grouped[0].end] == grouped[0].text
    chunks = docs.search("storms thunder", k=5, group=False)
    assert [h.id for h in chunks].count("long") > 1


def test_dedupe_by_content_and_replace_by_id(tmp_path: Path, fake: FakeEmbedder) -> None:
    docs = Collection(tmp_path / "c", provider="fake/test")
    assert docs.add([FRUIT, FRUIT], ids=["a", "b"]) == ["a", "a"]
    embedded = fake.items_embedded
    assert docs.add([FRUIT], ids=["c"]) == ["a"] and len(docs) == 1 and fake.items_embedded == embedded
    docs.add([SKY], ids=["a"])
    assert len(docs) == 1 and docs.search("clouds", k=1)[0].text == SKY
    assert len(docs.add([SKY])) == 1 and len(docs) == 1


def test_bad_documents_are_refused(tmp_path: Path, fake: FakeEmbedder) -> None:
    docs = Collection(tmp_path / "c", provider="fake/test")
    with pytest.raises(InvalidInputError, match=r"documents \[1\]"):
        docs.add(["fine", "  "])
    with pytest.raises(InvalidInputError, match="one id per document"):
        docs.add(["a", "b"], ids=["x"])
    with pytest.raises(InvalidInputError, match="reserved"):
        docs.add(["a"], metadata=[{"_doc": 1}])
    assert len(docs) == 0


def test_delete_similar_to_and_exclude(tmp_path: Path, fake: FakeEmbedder) -> None:
    docs = Collection(tmp_path / "c", provider="fake/test")
    docs.add([FRUIT, "apples pears cherries", "apples pears", SKY], ids=["f1", "f2", "f3", "sky"])
    similar = docs.similar_to("f1", k=2)
    assert [h.id for h in similar] == ["f2", "f3"]
    assert docs.similar_to("f1", k=2, exclude=["f2"])[0].id == "f3"
    vector = docs.index.vector(docs.index.ids[0])
    assert all(h.id != docs.index.ids[0] for h in docs.index.search(vector, k=3, exclude=[docs.index.ids[0]])[0])
    docs.delete(["f2"])
    assert len(docs) == 3 and "f2" not in {h.id for h in docs.search("apples", k=5)}
    with pytest.raises(UnknownIdError, match="nope"):
        docs.delete(["nope"])
    with pytest.raises(UnknownIdError):
        docs.similar_to("nope")


def test_reopen_uses_the_stored_provider_and_refuses_another_space(tmp_path: Path, fake: FakeEmbedder) -> None:
    Collection(tmp_path / "c", provider="fake/test").add([FRUIT, SKY], ids=["f", "s"])
    again = Collection(tmp_path / "c")
    assert again.provider == "fake/test" and len(again) == 2 and again.search("clouds", k=1)[0].id == "s"
    with fake_provider("fake/other", dim=8):
        with pytest.raises(SpaceMismatchError) as caught:
            Collection(tmp_path / "c", provider="fake/other")
        assert "fake/test" in str(caught.value) and "fake/other" in str(caught.value) and "dim" in str(caught.value)


def test_named_collections_live_under_the_collections_dir(
    tmp_path: Path, fake: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMBEDSDK_COLLECTIONS_DIR", str(tmp_path / "all"))
    monkeypatch.chdir(tmp_path)
    embedsdk.Collection("notes", provider="fake/test").add([FRUIT])
    assert (tmp_path / "all" / "notes" / "docstore.sqlite").exists()


def test_migrate_re_embeds_into_a_new_space(tmp_path: Path, fake: FakeEmbedder) -> None:
    docs = Collection(tmp_path / "c", provider="fake/test")
    docs.add([FRUIT, SKY], ids=["f", "s"])
    with fake_provider("fake/other", dim=32):
        docs.migrate("fake/other")
        assert docs.space.dim == 32 and docs.search("clouds rain", k=1)[0].id == "s"
        assert Collection(tmp_path / "c").provider == "fake/other"


_ADDER = textwrap.dedent(
    """
    import sys
    from embedsdk.testing import fake_provider, isolated_plugins
    from embedsdk.retrieval.collection import Collection
    from embedsdk.retrieval import storage
    import embedsdk.retrieval.flat as flat
    with isolated_plugins(), fake_provider("fake/test", max_tokens=16, dim=64):
        docs = Collection(sys.argv[1])
        real = flat.commit_snapshot
        def stalled(*args, **kwargs):
            if sys.argv[2] == "after-index":
                real(*args, **kwargs)
            print("writing", flush=True)
            import time; time.sleep(60)
        flat.commit_snapshot = stalled
        docs.add([f"new document number {i} about storms" for i in range(200)])
    """
)


@pytest.mark.parametrize("moment", ["before-index", "after-index"])
def test_kill_9_during_add_leaves_the_old_state(tmp_path: Path, fake: FakeEmbedder, moment: str) -> None:
    docs = Collection(tmp_path / "c", provider="fake/test")
    docs.add([FRUIT, SKY], ids=["f", "s"])
    docs.close()
    script = tmp_path / "adder.py"
    script.write_text(_ADDER)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "c"), moment], stdout=subprocess.PIPE, env=env
    )
    assert process.stdout is not None and process.stdout.readline().strip() == b"writing"
    process.send_signal(signal.SIGKILL)
    process.wait()
    reopened = Collection(tmp_path / "c")
    assert len(reopened) == 2 and len(reopened.index) == reopened.info()["chunks"]
    assert {h.id for h in reopened.search("storms", k=5)} == {"f", "s"}


def test_the_exact_index_works_as_a_collection_index(tmp_path: Path, fake: FakeEmbedder) -> None:
    docs = Collection(tmp_path / "c", provider="fake/test", index="exact")
    docs.add([FRUIT, "apples pears cherries", "apples pears", SKY], ids=["f1", "f2", "f3", "sky"])
    assert [h.id for h in docs.similar_to("f1", k=2)] == ["f2", "f3"]
    assert [h.id for h in Collection(tmp_path / "c").search("clouds rain storms", k=1)] == ["sky"]
