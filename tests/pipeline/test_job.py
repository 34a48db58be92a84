"""The call's own options: each bad value is an InvalidOptionError naming it, before any work is done."""

from __future__ import annotations

import numpy as np
import pytest

import embedsdk
from embedsdk.errors import InvalidOptionError
from embedsdk.pipeline.job import JobOptions


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("chunk_overlap", "x", "chunk_overlap='x' must be a whole number"),
        ("chunk_overlap", 1.5, "chunk_overlap=1.5 must be a whole number"),
        ("chunk_overlap", True, "chunk_overlap=True must be a whole number"),
        ("batch_size", True, "batch_size=True must be a whole number"),
        ("batch_size", 0, "batch_size=0 must be at least 1"),
        ("batch_size", 2.0, "batch_size=2.0 must be a whole number"),
        ("dimensions", "8", "dimensions='8' must be a whole number"),
        ("dimensions", False, "dimensions=False must be a whole number"),
        ("cache", "", "cache='' names no folder"),
        ("cache", "   ", "cache='   ' names no folder"),
        ("cache", 3, "cache must be True, False, a folder or an EmbeddingCache"),
        ("role", "passage", "role='passage' is not one of"),
        ("role", ["query"], "role=\\['query'\\] is not one of"),
        ("on_long", "drop", "on_long='drop' is not one of"),
        ("on_error", "ignore", "on_error='ignore' is not one of"),
        ("normalize", "yes", "normalize must be True, False or None"),
        ("progress", "yes", "progress must be True, False or a callable"),
    ],
)
def test_a_bad_call_option_is_refused_with_its_name(fake, option, value, message):
    with pytest.raises(InvalidOptionError, match=message):
        embedsdk.embed(["a b"], provider="fake/test", **{option: value})
    assert fake.calls == []


def test_numpy_integers_are_whole_numbers(fake):
    result = embedsdk.embed(
        ["a b c"], provider="fake/test", dimensions=np.int64(8), batch_size=np.int32(4), chunk_overlap=np.int16(2)
    )
    assert result.shape == (1, 8)
    assert JobOptions(dimensions=np.int64(8)).dimensions == 8
    assert type(JobOptions(dimensions=np.int64(8)).dimensions) is int


def test_an_empty_cache_folder_never_writes_into_the_current_folder(fake, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidOptionError):
        embedsdk.embed(["a b"], provider="fake/test", cache="")
    assert list(tmp_path.iterdir()) == []


def test_the_job_constructor_does_no_io_and_prepare_reads_the_cache(fake, cache_dir):
    from embedsdk.pipeline.job import EmbedJob

    cache = embedsdk.runtime.current().cache()
    job = EmbedJob(["a b"], fake, JobOptions(), cache)
    assert not cache_dir.exists()  # nothing opened, nothing created
    assert job.run().stats.embedded == 1
    assert cache_dir.exists()
    again = EmbedJob(["a b"], fake, JobOptions(), cache).prepare()
    assert again.batches == [] and again.stats.cache_hits == 1
