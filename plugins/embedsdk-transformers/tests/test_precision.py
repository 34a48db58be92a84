"""Precision: the modes, what ``auto`` picks, the quality gate and its stored verdicts, and the space's record."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import embedsdk_transformers.plugin
import numpy as np
import pytest
from embedsdk_transformers.precision import PROBE_TEXTS

import embedsdk
import embedsdk.devices
from embedsdk.errors import InvalidOptionError
from embedsdk.testing import isolated_runtime

TEXTS = ["the cat sat on the mat", "embedding models turn sentences into vectors", "a"]


def _verdicts() -> dict[str, dict[str, float]]:
    path = Path(os.environ["EMBEDSDK_CACHE_DIR"]) / "memos" / "embedsdk_transformers.precision_gate.json"
    data: dict[str, dict[str, float]] = json.loads(path.read_text())
    return data


def _min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float((np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))).min())


def test_bf16_is_gated_against_fp32_and_recorded_in_the_space(tiny_st):
    fp32 = embedsdk.embedder(f"hf/{tiny_st}", precision="fp32")
    bf16 = embedsdk.embedder(f"hf/{tiny_st}", precision="bf16")
    assert bf16.precision in ("bf16", "fp32")
    [(key, verdict)] = _verdicts().items()
    assert key.endswith("|bf16|cpu")
    # The stored verdict is the min cosine of the probe set between the fp32 vectors and bf16 ones.
    reference = fp32.embed_batch(list(PROBE_TEXTS))
    if bf16.precision == "bf16":
        ours = bf16.embed_batch(list(PROBE_TEXTS))
        assert verdict["min_cosine"] == pytest.approx(_min_cosine(reference, ours), abs=1e-6)
        assert bf16.space.extra["precision"] == "bf16"
        assert bf16.space.fingerprint() != fp32.space.fingerprint(), "the cache must never mix precisions"
    else:
        assert verdict["min_cosine"] < 0.999 and "precision" not in bf16.space.extra
    assert "precision" not in fp32.space.extra


def test_a_stored_failing_verdict_falls_back_to_fp32_with_a_warning_and_loads_nothing(tiny_st, caplog):
    _ = embedsdk.embedder(f"hf/{tiny_st}", precision="bf16").precision
    path = Path(os.environ["EMBEDSDK_CACHE_DIR"]) / "memos" / "embedsdk_transformers.precision_gate.json"
    [key] = _verdicts()
    path.write_text(json.dumps({key: {"min_cosine": 0.5, "probe_texts": 16}}))
    # A fresh process's view: the verdict comes from the file.
    with isolated_runtime(named={"transformers": embedsdk_transformers.plugin}):
        model = embedsdk.embedder(f"hf/{tiny_st}", precision="bf16")
        with caplog.at_level(logging.WARNING, logger="embedsdk_transformers"):
            assert model.precision == "fp32"
        assert not model.loaded, "a stored verdict decides without loading the weights"
        assert "min cosine 0.50000" in caplog.text and "using fp32" in caplog.text
        exact = embedsdk.embed(TEXTS, provider=f"hf/{tiny_st}", precision="fp32", cache=False).vectors
        np.testing.assert_array_equal(embedsdk.embed(TEXTS, provider=model, cache=False).vectors, exact)
        assert model.space == embedsdk.embedder(f"hf/{tiny_st}", precision="fp32").space


def test_a_damaged_verdict_file_is_ignored_and_rewritten(tiny_bert):
    folder = Path(os.environ["EMBEDSDK_CACHE_DIR"]) / "memos"
    folder.mkdir(parents=True)
    (folder / "embedsdk_transformers.precision_gate.json").write_text("{not json")
    model = embedsdk.embedder(f"hf/{tiny_bert}", precision="bf16")
    assert model.precision in ("bf16", "fp32")
    assert all(isinstance(v["min_cosine"], float) for v in _verdicts().values())


def test_auto_follows_the_cpu(tiny_bert, monkeypatch):
    monkeypatch.setattr(embedsdk.devices, "cpu_has_native_bf16", lambda: False)
    model = embedsdk.embedder(f"hf/{tiny_bert}", precision="auto")
    assert model.precision == "fp32" and not model.loaded, "no gate to run when auto means fp32"
    monkeypatch.setattr(embedsdk.devices, "cpu_has_native_bf16", lambda: True)
    with isolated_runtime(named={"transformers": embedsdk_transformers.plugin}):
        model = embedsdk.embedder(f"hf/{tiny_bert}", precision="auto")
        assert model.precision in ("bf16", "fp32")
        assert [key.rsplit("|", 2)[1] for key in _verdicts()] == ["bf16"]


def test_dtype_maps_onto_precision(tiny_bert):
    exact = embedsdk.embedder(f"hf/{tiny_bert}", precision="fp32")
    assert embedsdk.embedder(f"hf/{tiny_bert}", dtype="float32").space == exact.space
    with pytest.raises(InvalidOptionError, match="disagree"):
        embedsdk.embedder(f"hf/{tiny_bert}", dtype="bfloat16", precision="fp32")
    with pytest.raises(InvalidOptionError, match="needs a GPU"):
        _ = embedsdk.embedder(f"hf/{tiny_bert}", precision="fp16", device="cpu").space
    with pytest.raises(InvalidOptionError):
        embedsdk.embedder(f"hf/{tiny_bert}", precision="fp8")


@pytest.mark.slow
def test_minilm_bf16_against_sentence_transformers_fp32(minilm_folder):
    from sentence_transformers import SentenceTransformer

    sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
    from corpus import sentences

    model = embedsdk.embedder("minilm", precision="bf16")
    texts = sentences(64, model.tokenizer.count)
    ours = embedsdk.embed(texts, provider=model, cache=False)
    assert ours.space.extra["precision"] == "bf16"
    reference = SentenceTransformer(str(minilm_folder), device="cpu").encode(texts)
    assert _min_cosine(ours.vectors, reference) >= 0.999


def test_auto_on_a_gpu_picks_bf16_where_supported(tiny_st):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device on this machine")
    model = embedsdk.embedder(f"hf/{tiny_st}", precision="auto", device="cuda")
    expected = "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    assert model.precision in (expected, "fp32")
    exact = embedsdk.embed(TEXTS, provider=f"hf/{tiny_st}", precision="fp32", device="cpu", cache=False).vectors
    assert _min_cosine(embedsdk.embed(TEXTS, provider=model, cache=False).vectors, exact) >= 0.999


def test_a_gpu_gets_a_larger_token_budget_unless_one_is_given(tiny_bert):
    # Limits are read without loading the model, so the budget a GPU would get shows on this CPU-only machine.
    assert embedsdk.embedder(f"hf/{tiny_bert}", device="cpu").limits.max_tokens_per_request == 2048
    assert embedsdk.embedder(f"hf/{tiny_bert}", device="cuda").limits.max_tokens_per_request == 16384
    given = embedsdk.embedder(f"hf/{tiny_bert}", device="cuda", max_batch_tokens=3000)
    assert given.limits.max_tokens_per_request == 3000
