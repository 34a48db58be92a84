"""Precision of clip/...: ``auto`` by default, the shared quality gate over probe texts and images, the space."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import embedsdk_clip.plugin
import numpy as np
import pytest

import embedsdk
from embedsdk import devices
from embedsdk.errors import InvalidOptionError
from embedsdk.testing import isolated_runtime

TEXTS = ["a photo of a cat", "a dog on a beach"]


def _verdicts() -> dict[str, dict[str, float]]:
    path = Path(os.environ["EMBEDSDK_CACHE_DIR"]) / "memos" / "embedsdk_clip.precision_gate.json"
    data: dict[str, dict[str, float]] = json.loads(path.read_text())
    return data


def test_auto_is_gated_against_fp32_and_recorded_in_the_space(tiny_checkpoint):
    provider = f"clip/embedsdk-tiny-clip:{tiny_checkpoint}"
    model = embedsdk.embedder(provider)  # precision="auto" by default
    exact = embedsdk.embedder(provider, precision="fp32")
    chosen = model.precision  # runs the gate
    if not devices.cpu_has_native_bf16():
        assert chosen == "fp32" and model.space == exact.space
        return
    [(key, verdict)] = _verdicts().items()
    assert key.endswith("|bf16|cpu") and verdict["probe_texts"] == len(devices.PROBE_TEXTS) + 4
    # The stored verdict is the probe set's min cosine between an fp32 and a bf16 build of the checkpoint.
    reference = exact._probe_vectors(exact._build("fp32"))
    candidate = exact._probe_vectors(exact._build("bf16"))
    assert verdict["min_cosine"] == pytest.approx(devices.min_cosine(reference, candidate), abs=1e-6)
    kept = verdict["min_cosine"] >= devices.GATE_MIN_COSINE
    assert chosen == ("bf16" if kept else "fp32")
    assert model.space.extra.get("precision", "fp32") == model.precision
    assert "precision" not in exact.space.extra
    if kept:
        assert model.space.fingerprint() != exact.space.fingerprint(), "the cache must never mix precisions"
        vectors = embedsdk.embed(TEXTS, provider=model, cache=False).vectors
        assert devices.min_cosine(vectors, embedsdk.embed(TEXTS, provider=exact, cache=False).vectors) >= 0.999


def test_a_stored_failing_verdict_falls_back_to_fp32_with_a_warning_without_loading(tiny_checkpoint, caplog):
    provider = f"clip/embedsdk-tiny-clip:{tiny_checkpoint}"
    _ = embedsdk.embedder(provider, precision="bf16").precision
    path = Path(os.environ["EMBEDSDK_CACHE_DIR"]) / "memos" / "embedsdk_clip.precision_gate.json"
    [key] = _verdicts()
    path.write_text(json.dumps({key: {"min_cosine": 0.5, "probe_texts": 20}}))
    with isolated_runtime(embedsdk_clip.plugin):  # a fresh process's view: the verdict comes from the file
        model = embedsdk.embedder(provider, precision="bf16")
        with caplog.at_level(logging.WARNING, logger="embedsdk.devices"):
            assert model.precision == "fp32"
        assert model._loaded is None, "a stored verdict decides without loading the weights"
        assert "precision bf16 gives min cosine 0.50000" in caplog.text and "using fp32" in caplog.text
        exact = embedsdk.embed(TEXTS, provider=provider, precision="fp32", cache=False)
        fallen = embedsdk.embed(TEXTS, provider=model, cache=False)
        np.testing.assert_array_equal(fallen.vectors, exact.vectors)
        assert fallen.space == exact.space


def test_fp16_needs_a_gpu(tiny_checkpoint):
    with pytest.raises(InvalidOptionError, match=r"fp16.*needs a GPU"):
        embedsdk.embed(TEXTS, provider=f"clip/embedsdk-tiny-clip:{tiny_checkpoint}", precision="fp16", device="cpu")
