"""Precision of elmo/...: bf16 compute, the shared quality gate and its stored verdict, the space, refusals."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import embedsdk_elmo.plugin
import numpy as np
import pytest
import torch
from embedsdk_elmo.embedder import GATE_MEMO
from embedsdk_elmo.locate import files_revision
from embedsdk_elmo.tokenizer import tokenize

import embedsdk
from embedsdk import devices
from embedsdk.errors import InvalidOptionError
from embedsdk.testing import isolated_runtime

TEXTS = ["The river bank was muddy.", "Return a copy of the string.", "ok"]


def _memo() -> Path:
    return Path(os.environ["EMBEDSDK_CACHE_DIR"]) / "memos" / f"{GATE_MEMO}.json"


def _verdicts() -> dict[str, dict[str, float]]:
    data: dict[str, dict[str, float]] = json.loads(_memo().read_text())
    return data


def _probe_words() -> list[list[str]]:
    return [[w for w, _, _ in tokenize(text)] for text in devices.PROBE_TEXTS]


def test_bf16_computes_in_bf16_and_gives_float32_vectors_close_to_fp32(tiny_manylangs, sentences, cosines):
    engine = embedsdk.embedder(f"elmo/{tiny_manylangs}", precision="fp32")._load()
    batch = [[w for w, _, _ in tokenize(s)] for s in sentences[:12]]
    exact = engine.layers_numpy(batch)
    engine.set_compute_dtype(torch.bfloat16)
    assert engine.model.token_encoder.compute_dtype == torch.bfloat16
    assert all(layer.compute_dtype == torch.bfloat16 for layer in engine.model.bilm.layers)
    fast = engine.layers_numpy(batch)
    assert all(f.dtype == np.float32 and f.shape == e.shape for f, e in zip(fast, exact))
    assert not any(np.array_equal(f, e) for f, e in zip(fast, exact)), "bf16 must change the arithmetic"
    worst = min(float(cosines(f, e).min()) for f, e in zip(fast, exact))
    assert 0.99 <= worst < 1.0
    engine.set_compute_dtype(torch.float32)  # back to fp32: the kept token tables start over, vectors exact
    again = engine.layers_numpy(batch)
    assert all(np.array_equal(a, e) for a, e in zip(again, exact))


def test_the_gate_measures_every_word_of_every_layer_and_stores_the_verdict(tiny_manylangs):
    model = embedsdk.embedder(f"elmo/{tiny_manylangs}", precision="bf16")
    precision = model.precision
    [(key, verdict)] = _verdicts().items()
    assert key == f"{files_revision(model.files)}|bf16|cpu|words-all-layers-1"
    words = _probe_words()
    assert verdict["probe_texts"] == 3 * sum(len(w) for w in words)
    # The stored verdict is the min cosine of all probe word vectors (every layer) between fp32 and bf16.
    engine = embedsdk.embedder(f"elmo/{tiny_manylangs}", precision="fp32")._load()
    exact = np.concatenate([x.reshape(-1, x.shape[-1]) for x in engine.layers_numpy(words)])
    engine.set_compute_dtype(torch.bfloat16)
    fast = np.concatenate([x.reshape(-1, x.shape[-1]) for x in engine.layers_numpy(words)])
    assert verdict["min_cosine"] == pytest.approx(devices.min_cosine(exact, fast), abs=1e-6)
    assert precision == ("bf16" if verdict["min_cosine"] >= devices.GATE_MIN_COSINE else "fp32")
    assert model.space.extra.get("precision") == (None if precision == "fp32" else "bf16")


def test_a_stored_verdict_is_reused_without_loading_and_the_space_keeps_precisions_apart(tiny_manylangs):
    provider = f"elmo/{tiny_manylangs}"
    _ = embedsdk.embedder(provider, precision="bf16").precision
    [key] = _verdicts()
    _memo().write_text(json.dumps({key: {"min_cosine": 0.99995, "probe_texts": 960}}))
    with isolated_runtime(embedsdk_elmo.plugin):  # a fresh process's view: the verdict comes from the file
        model = embedsdk.embedder(provider, precision="bf16")
        assert model.precision == "bf16" and model.space.extra["precision"] == "bf16"
        assert model._engine is None, "a stored verdict decides without loading the weights"
        exact = embedsdk.embed(TEXTS, provider=provider, precision="fp32")
        fast = embedsdk.embed(TEXTS, provider=model)
        assert fast.stats.cache_hits == 0, "the cache never hands fp32 vectors to a bf16 space"
        assert "precision" not in exact.space.extra and fast.space != exact.space
        assert fast.vectors.dtype == np.float32 and not np.array_equal(fast.vectors, exact.vectors)
        assert devices.min_cosine(exact.vectors, fast.vectors) >= 0.99
        assert embedsdk.embed(TEXTS, provider=model).stats.cache_hits == len(TEXTS)
    assert _verdicts()[key]["min_cosine"] == 0.99995, "the stored verdict was used, not measured again"


def test_a_stored_failing_verdict_falls_back_to_fp32_with_a_warning(tiny_manylangs, caplog):
    provider = f"elmo/{tiny_manylangs}"
    _ = embedsdk.embedder(provider, precision="bf16").precision
    [key] = _verdicts()
    _memo().write_text(json.dumps({key: {"min_cosine": 0.5, "probe_texts": 960}}))
    with isolated_runtime(embedsdk_elmo.plugin):
        model = embedsdk.embedder(provider, precision="bf16")
        with caplog.at_level(logging.WARNING, logger="embedsdk.devices"):
            assert model.precision == "fp32"
        assert model._engine is None
        assert f"{provider}: precision bf16 gives min cosine 0.50000" in caplog.text
        fallen = embedsdk.embed(TEXTS, provider=model, cache=False)
        exact = embedsdk.embed(TEXTS, provider=provider, precision="fp32", cache=False)
        np.testing.assert_array_equal(fallen.vectors, exact.vectors)
        assert fallen.space == exact.space and "precision" not in fallen.space.extra


def test_auto_without_native_bf16_is_fp32_without_running_the_probe(tiny_manylangs, monkeypatch):
    monkeypatch.setattr(devices, "cpu_has_native_bf16", lambda *args: False)
    model = embedsdk.embedder(f"elmo/{tiny_manylangs}", device="cpu")  # precision="auto" by default
    assert model.options.precision == "auto"
    assert model.precision == "fp32" and "precision" not in model.space.extra
    assert model._engine is None, "fp32 needs no probe, so nothing is loaded"
    assert not _memo().exists()
    vectors = embedsdk.embed(TEXTS, provider=model, cache=False).vectors
    exact = embedsdk.embed(TEXTS, provider=f"elmo/{tiny_manylangs}", precision="fp32", cache=False).vectors
    np.testing.assert_array_equal(vectors, exact)


def test_auto_with_native_bf16_goes_through_the_gate(tiny_manylangs, monkeypatch):
    monkeypatch.setattr(devices, "cpu_has_native_bf16", lambda *args: True)
    model = embedsdk.embedder(f"elmo/{tiny_manylangs}", device="cpu")
    assert model.precision in ("bf16", "fp32")
    [key] = _verdicts()
    assert "|bf16|cpu|" in key


def test_fp16_on_cpu_and_unknown_precisions_are_refused_with_the_fix(tiny_manylangs):
    with pytest.raises(InvalidOptionError, match=r"precision='fp16' needs a GPU; use precision='bf16'"):
        _ = embedsdk.embedder(f"elmo/{tiny_manylangs}", precision="fp16", device="cpu").precision
    with pytest.raises(InvalidOptionError, match="fp16"):
        embedsdk.embed(TEXTS, provider=f"elmo/{tiny_manylangs}", precision="fp16", device="cpu")
    with pytest.raises(InvalidOptionError, match="precision"):
        embedsdk.embedder(f"elmo/{tiny_manylangs}", precision="int4")
