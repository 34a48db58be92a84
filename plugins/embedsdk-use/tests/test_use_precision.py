"""Precision of use/multilingual: what ``auto`` picks, the shared quality gate and its stored verdict, the space."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import embedsdk_use.plugin
import numpy as np
import pytest

import embedsdk
from embedsdk import devices
from embedsdk.errors import InvalidOptionError
from embedsdk.testing import isolated_runtime

TEXTS = ["Guten Morgen", "Good morning, how are you?", "今日はとても良い天気です。"]


def _verdicts() -> dict[str, dict[str, float]]:
    path = Path(os.environ["EMBEDSDK_CACHE_DIR"]) / "memos" / "embedsdk_use.precision_gate.json"
    data: dict[str, dict[str, float]] = json.loads(path.read_text())
    return data


def test_auto_is_bf16_where_the_cpu_has_it_gated_against_fp32(monkeypatch):
    model = embedsdk.embedder("muse")  # precision="auto" by default
    expected = "bf16" if devices.cpu_has_native_bf16() else "fp32"
    assert model.precision == expected
    assert model.space.extra == ({} if expected == "fp32" else {"precision": "bf16"})
    if expected == "bf16":
        [(key, verdict)] = _verdicts().items()
        assert key == f"{model.files.revision()}|bf16|cpu" and verdict["probe_texts"] == len(devices.PROBE_TEXTS)
        # The stored verdict is the probe set's min cosine between fp32 and bf16 vectors.
        exact = embedsdk.embedder("muse", precision="fp32").embed_batch(list(devices.PROBE_TEXTS))
        fast = model.embed_batch(list(devices.PROBE_TEXTS))
        assert verdict["min_cosine"] == pytest.approx(devices.min_cosine(exact, fast), abs=1e-6)
        assert verdict["min_cosine"] >= devices.GATE_MIN_COSINE
    monkeypatch.setattr(devices, "auto_precision", lambda kind: "fp32")
    fresh = embedsdk.embedder("muse", max_batch_items=7)  # another instance: precision is decided once per instance
    assert fresh.precision == "fp32" and fresh.space.extra == {}, "auto follows the device's answer"


def test_fp32_runs_no_gate_and_records_nothing():
    model = embedsdk.embedder("muse", precision="fp32")
    assert model.precision == "fp32" and model.space.extra == {}
    assert model._model is None, "fp32 needs no probe, so nothing is loaded yet"
    assert not (Path(os.environ["EMBEDSDK_CACHE_DIR"]) / "memos" / "embedsdk_use.precision_gate.json").exists()


def test_a_stored_failing_verdict_falls_back_to_fp32_with_a_warning_without_loading(caplog):
    _ = embedsdk.embedder("muse", precision="bf16").precision
    path = Path(os.environ["EMBEDSDK_CACHE_DIR"]) / "memos" / "embedsdk_use.precision_gate.json"
    [key] = _verdicts()
    path.write_text(json.dumps({key: {"min_cosine": 0.5, "probe_texts": 16}}))
    with isolated_runtime(embedsdk_use.plugin):  # a fresh process's view: the verdict comes from the file
        model = embedsdk.embedder("muse", precision="bf16")
        with caplog.at_level(logging.WARNING, logger="embedsdk.devices"):
            assert model.precision == "fp32"
        assert model._model is None, "a stored verdict decides without loading the weights"
        assert "use/multilingual: precision bf16 gives min cosine 0.50000" in caplog.text
        exact = embedsdk.embed(TEXTS, provider="muse", precision="fp32", cache=False)
        fallen = embedsdk.embed(TEXTS, provider=model, cache=False)
        np.testing.assert_array_equal(fallen.vectors, exact.vectors)
        assert fallen.space == exact.space


def test_bad_precisions_are_refused_with_the_fix():
    with pytest.raises(InvalidOptionError, match=r"fp16.*needs a GPU"):
        _ = embedsdk.embedder("muse", precision="fp16", device="cpu").precision
    with pytest.raises(InvalidOptionError, match="disagree"):
        embedsdk.embedder("muse", precision="fp32", dtype="bfloat16")
    with pytest.raises(InvalidOptionError, match="precision"):
        embedsdk.embedder("muse", precision="int4")
