"""The provider surface: registration, finding weights offline, options, the word tokenizer, spaces, bad files."""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import subprocess
import sys

import embedsdk_elmo.plugin
import h5py
import numpy as np
import pytest
import torch
from embedsdk_elmo.tokenizer import WordTokenizer

import embedsdk
import embedsdk.testing
from embedsdk.errors import ConfigurationError, InputTooLongError, InvalidOptionError, ModelNotFoundError


def test_providers_lists_elmo_and_the_entry_point_names_the_plugin():
    listed = {p.id: p for p in embedsdk.providers()}
    assert "elmo/*" in listed and "elmo" in listed["elmo/default"].aliases
    # The installed distribution's entry point (in the group embedsdk) is this plugin module.
    entry_points = importlib.metadata.distribution("embedsdk-elmo").entry_points
    (entry_point,) = [e for e in entry_points if e.group == "embedsdk"]
    assert entry_point.name == "elmo" and entry_point.load() is embedsdk_elmo.plugin


def test_importing_the_plugin_does_not_import_torch():
    code = "import sys, embedsdk_elmo, embedsdk_elmo.plugin; print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_offline_without_weights_names_the_files_and_where_to_put_them(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDSDK_ELMO_PATH", str(tmp_path / "nothing-here"))
    with pytest.raises(ModelNotFoundError) as error:
        embedsdk.embed(["a sentence"], provider="elmo")
    message = str(error.value)
    for name in (
        "options.json",
        "weights.hdf5",
        "config.json",
        "char.dic",
        "word.dic",
        "encoder.pkl",
        "token_embedder.pkl",
    ):
        assert name in message
    assert str(tmp_path / "nothing-here") in message and "EMBEDSDK_ELMO_PATH" in message
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "options.json").write_text("{}")
    with pytest.raises(ModelNotFoundError, match=r"found only \['options.json'\]"):
        embedsdk.embed(["a sentence"], provider=f"elmo/{tmp_path / 'half'}")


def test_the_alias_reads_embedsdk_elmo_path(tiny_manylangs, monkeypatch):
    monkeypatch.setenv("EMBEDSDK_ELMO_PATH", str(tiny_manylangs))
    by_alias = embedsdk.embed(["Return a copy of the string."], provider="elmo", cache=False)
    by_path = embedsdk.embed(["Return a copy of the string."], provider=f"elmo/{tiny_manylangs}", cache=False)
    np.testing.assert_array_equal(by_alias.vectors, by_path.vectors)
    assert by_alias.space.revision == by_path.space.revision and by_alias.space.dim == 32
    also = embedsdk.embed(["Return a copy of the string."], provider="elmo", path=str(tiny_manylangs), cache=False)
    np.testing.assert_array_equal(also.vectors, by_path.vectors)


def test_bad_options_are_refused(tiny_manylangs):
    provider = f"elmo/{tiny_manylangs}"
    with pytest.raises(InvalidOptionError, match="unknown option 'layers'"):
        embedsdk.embed(["text"], provider=provider, layers=1)
    with pytest.raises(InvalidOptionError, match="option 'layer'"):
        embedsdk.embed(["text"], provider=provider, layer=3)
    with pytest.raises(ConfigurationError, match=r"scalar_mix\.json"):
        embedsdk.embed(["text"], provider=provider, layer="mix")


def test_mix_uses_the_scalar_mix_weights_beside_the_model(tiny_manylangs, tmp_path):
    folder = shutil.copytree(tiny_manylangs, tmp_path / "with-mix")
    (folder / "scalar_mix.json").write_text(json.dumps({"scalar_weights": [0.5, -1.0, 2.0], "gamma": 1.5}))
    text = "Split the string at the separator."
    mixed = embedsdk.embed_words(text, provider=f"elmo/{folder}", layer="mix").vectors
    layers = embedsdk.embedder(f"elmo/{folder}").embed_layers([text])[0]
    weights = np.exp([0.5, -1.0, 2.0]) / np.exp([0.5, -1.0, 2.0]).sum()
    np.testing.assert_allclose(mixed, 1.5 * np.tensordot(weights, layers, axes=1), atol=1e-5)
    (folder / "scalar_mix.json").write_text(json.dumps({"scalar_weights": [1.0, 2.0]}))
    with pytest.raises(ConfigurationError, match="3 finite numbers"):
        embedsdk.embedder(f"elmo/{folder}", layer="mix", max_words=77).embed_layers([text])


def test_the_tokenizer_counts_cuts_and_splits_words():
    tokenizer = WordTokenizer()
    text = "I don't know, said Alice; it's 3.14 or so."
    assert tokenizer.words(text) == [
        "I",
        "do",
        "n't",
        "know",
        ",",
        "said",
        "Alice",
        ";",
        "it",
        "'s",
        "3.14",
        "or",
        "so",
        ".",
    ]
    assert tokenizer.count([text, "", "one"]) == [14, 0, 1]
    assert tokenizer.truncate(text, 4) == "I don't know"
    assert tokenizer.truncate(text, 50) == text
    pieces = tokenizer.split(text, 6, overlap=2)
    assert pieces == ["I don't know, said", ", said Alice; it's", "it's 3.14 or so."]
    assert all(tokenizer.count([p])[0] <= 6 for p in pieces)


def test_long_items_follow_on_long(tiny_manylangs):
    provider = f"elmo/{tiny_manylangs}"
    long_text = " ".join(["word"] * 30) + " end"
    with pytest.raises(InputTooLongError):
        embedsdk.embed([long_text], provider=provider, max_words=10)
    truncated = embedsdk.embed([long_text], provider=provider, max_words=10, on_long="truncate", cache=False)
    expected = embedsdk.embed([" ".join(["word"] * 10)], provider=provider, max_words=10, cache=False)
    np.testing.assert_allclose(truncated.vectors, expected.vectors, atol=1e-5)
    chunked = embedsdk.embed([long_text], provider=provider, max_words=10, on_long="chunk", cache=False)
    assert chunked.shape == (1, 32) and np.isfinite(chunked.vectors).all()


def test_the_space_holds_the_layer_and_a_content_revision(tiny_manylangs, tmp_path):
    provider = f"elmo/{tiny_manylangs}"
    first = embedsdk.embed(["Return the value."], provider=provider, layer=2)
    again = embedsdk.embed(["Return the value."], provider=provider, layer=2)
    other_layer = embedsdk.embed(["Return the value."], provider=provider, layer=1)
    assert again.stats.cache_hits == 1 and other_layer.stats.cache_hits == 0
    assert first.space.extra["layer"] == "2" and other_layer.space.extra["layer"] == "1"
    assert not np.allclose(first.vectors, other_layer.vectors)
    changed = shutil.copytree(tiny_manylangs, tmp_path / "changed")
    weights = torch.load(changed / "encoder.pkl")
    weights["backward_layer_1.state_linearity.bias"] += 0.5
    torch.save(weights, changed / "encoder.pkl")
    edited = embedsdk.embed(["Return the value."], provider=f"elmo/{changed}", layer=2)
    assert edited.space.revision != first.space.revision and edited.stats.cache_hits == 0
    assert not np.allclose(edited.vectors, first.vectors)


def test_broken_files_are_named(tiny_manylangs, tiny_hdf5, tmp_path):
    broken = shutil.copytree(tiny_manylangs, tmp_path / "broken-pkl")
    (broken / "encoder.pkl").write_bytes(b"not a checkpoint")
    with pytest.raises(ConfigurationError, match=r"encoder.pkl is not a torch state dict"):
        embedsdk.embed(["text"], provider=f"elmo/{broken}")
    bad_dic = shutil.copytree(tiny_manylangs, tmp_path / "broken-dic")
    (bad_dic / "char.dic").write_text("a\t0\nb\tx\n")
    with pytest.raises(ConfigurationError, match=r"char.dic, line 2"):
        embedsdk.embed(["text"], provider=f"elmo/{bad_dic}")
    bad_hdf5 = shutil.copytree(tiny_hdf5, tmp_path / "broken-hdf5")
    with h5py.File(bad_hdf5 / "weights.hdf5", "a") as f:
        del f["RNN_1/RNN/MultiRNNCell/Cell1/LSTMCell/W_P_0"]
    with pytest.raises(ConfigurationError, match=r"weights.hdf5 lacks 'RNN_1/RNN/MultiRNNCell/Cell1/LSTMCell/W_P_0'"):
        embedsdk.embed(["text"], provider=f"elmo/{bad_hdf5}")
    wrong_shape = shutil.copytree(tiny_hdf5, tmp_path / "wrong-shape")
    with h5py.File(wrong_shape / "weights.hdf5", "a") as f:
        del f["CNN_proj/b_proj"]
        f["CNN_proj/b_proj"] = np.zeros(3, dtype=np.float32)
    with pytest.raises(ConfigurationError, match=r"'CNN_proj/b_proj' has shape \(3,\), expected \(16,\)"):
        embedsdk.embed(["text"], provider=f"elmo/{wrong_shape}")


def test_a_layer_the_model_lacks_is_refused_before_loading(tmp_path):
    from embedsdk_elmo.testing import write_random_manylangs

    one_layer = write_random_manylangs(tmp_path / "one-layer", n_layers=1)
    with pytest.raises(InvalidOptionError, match="layer must be below 2, got 2"):
        embedsdk.embed_words("a river bank", provider=f"elmo/{one_layer}", layer=2)
    assert embedsdk.embed_words("a river bank", provider=f"elmo/{one_layer}", layer=1).shape == (3, 32)
