"""Where local models run (cuda, then mps, then cpu; an explicit device is kept) and in which precision."""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

import numpy as np
import pytest

from embedsdk import devices
from embedsdk.devices import (
    DEVICE_PATTERN,
    auto_precision,
    cpu_has_native_bf16,
    device_kind,
    min_cosine,
    pick_device,
    precision_gate,
    requested_precision,
    resolve_precision,
)
from embedsdk.errors import InvalidOptionError
from embedsdk.testing import isolated_runtime


def test_auto_prefers_cuda_then_mps_then_cpu(monkeypatch):
    torch = pytest.importorskip("torch")  # the core never needs torch; local providers bring it
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device("auto") == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert pick_device("auto") == "mps"
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert pick_device("auto") == "cpu"


def test_an_explicit_device_is_kept():
    assert pick_device("cuda:1") == "cuda:1"
    assert pick_device("cpu") == "cpu"


@pytest.mark.parametrize("device", ["auto", "cpu", "mps", "cuda", "cuda:0", "cuda:12", "xpu:1"])
def test_the_pattern_takes_real_devices(device):
    assert re.match(DEVICE_PATTERN, device)


@pytest.mark.parametrize("device", ["tpu", "gpu", "cuda:x", "", "CPU", "cuda:"])
def test_the_pattern_refuses_others(device):
    assert not re.match(DEVICE_PATTERN, device)


def test_native_bf16_is_read_from_the_cpu_flags(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx512f avx512_bf16\n")
    assert cpu_has_native_bf16(cpuinfo)
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 amx_bf16 amx_tile\n")
    assert cpu_has_native_bf16(cpuinfo)
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f\n")
    assert not cpu_has_native_bf16(cpuinfo)
    assert not cpu_has_native_bf16(tmp_path / "missing")


def test_auto_precision_follows_the_device(monkeypatch):
    monkeypatch.setattr(devices, "cpu_has_native_bf16", lambda: True)
    assert auto_precision("cpu") == "bf16"
    monkeypatch.setattr(devices, "cpu_has_native_bf16", lambda: False)
    assert auto_precision("cpu") == "fp32"
    assert auto_precision("mps") == "fp32"
    monkeypatch.setattr(devices, "gpu_may_be_present", lambda: False)
    assert device_kind("auto") == "cpu", "no GPU can be present: cpu, without importing torch"
    assert device_kind("cuda:1") == "cuda"


def test_min_cosine_is_the_worst_row():
    a = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    b = np.array([[2.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    assert min_cosine(a, b) == pytest.approx(np.sqrt(0.5))
    assert min_cosine(a, np.zeros_like(a)) == 0.0
    with pytest.raises(ValueError, match="shape"):
        min_cosine(a, b[:2])


def _memo_file() -> Path:
    return Path(os.environ["EMBEDSDK_CACHE_DIR"]) / "memos" / "tests.precision_gate.json"


def test_the_gate_measures_once_stores_the_verdict_and_then_decides_from_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDSDK_CACHE_DIR", str(tmp_path / "cache"))
    exact = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    close = exact + np.array([[0.0, 1e-3, 0.0], [0.0, 0.0, 1e-3]])
    calls: list[str] = []

    def reference() -> np.ndarray:
        calls.append("fp32")
        return exact

    def candidate() -> np.ndarray:
        calls.append("bf16")
        return close

    with isolated_runtime():
        verdict = precision_gate("tests.precision_gate", "model|bf16|cpu", "bf16", reference, candidate)
        assert verdict.precision == "bf16" and verdict.passed and verdict.measured
        assert verdict.min_cosine == pytest.approx(min_cosine(exact, close))
        assert calls == ["fp32", "bf16"]
    stored = json.loads(_memo_file().read_text())
    assert stored == {"model|bf16|cpu": {"min_cosine": verdict.min_cosine, "probe_texts": 2}}
    with isolated_runtime():  # a later process: the verdict comes from the file, nothing is embedded
        again = precision_gate("tests.precision_gate", "model|bf16|cpu", "bf16", reference, candidate)
        assert again == devices.GateVerdict("bf16", verdict.min_cosine, measured=False)
        assert calls == ["fp32", "bf16"]
        assert precision_gate("tests.precision_gate", "x", "fp32", reference, candidate).precision == "fp32"
        assert calls == ["fp32", "bf16"], "fp32 needs no probe"


def test_a_mode_below_the_threshold_falls_back_to_fp32_with_a_warning(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("EMBEDSDK_CACHE_DIR", str(tmp_path / "cache"))
    exact = np.eye(3)
    broken = np.eye(3)[[0, 2, 1]]
    with isolated_runtime(), caplog.at_level(logging.WARNING, logger="embedsdk.devices"):
        verdict = precision_gate(
            "tests.precision_gate", "k", "fp16", lambda: exact, lambda: broken, provider_id="use/multilingual"
        )
    assert verdict.precision == "fp32" and not verdict.passed and verdict.min_cosine == 0.0
    assert "use/multilingual: precision fp16 gives min cosine 0.00000" in caplog.text and "using fp32" in caplog.text


def test_a_damaged_stored_verdict_is_measured_again(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDSDK_CACHE_DIR", str(tmp_path / "cache"))
    _memo_file().parent.mkdir(parents=True)
    _memo_file().write_text(json.dumps({"k": {"min_cosine": "high"}}))
    with isolated_runtime():
        verdict = precision_gate("tests.precision_gate", "k", "bf16", lambda: np.eye(2), lambda: np.eye(2))
    assert verdict.measured and verdict.passed
    assert json.loads(_memo_file().read_text())["k"]["min_cosine"] == pytest.approx(1.0)


def test_requested_precision_maps_the_older_dtype_and_refuses_a_disagreement():
    assert requested_precision("p", None, None) == "auto"
    assert requested_precision("p", "fp32", None) == "fp32"
    assert requested_precision("p", None, "bfloat16") == "bf16"
    assert requested_precision("p", "fp16", "float16") == "fp16"
    with pytest.raises(InvalidOptionError, match=r"p: dtype='float32' and precision='bf16' disagree"):
        requested_precision("p", "bf16", "float32")


def test_resolve_precision_refuses_what_the_device_lacks(monkeypatch):
    monkeypatch.setattr(devices, "cpu_has_native_bf16", lambda: False)
    assert resolve_precision("p", "auto", "cpu") == "fp32"
    assert resolve_precision("p", "bf16", "cpu") == "bf16"
    assert resolve_precision("p", "auto", "mps") == "fp32"
    with pytest.raises(InvalidOptionError, match=r"p: precision='fp16' needs a GPU"):
        resolve_precision("p", "fp16", "cpu")
    with pytest.raises(InvalidOptionError, match="CPU only"):
        resolve_precision("p", "int8", "cuda")
    assert resolve_precision("p", "fp16", "cuda") == "fp16"


def test_torch_batches_run_one_core_per_thread_only_when_each_thread_has_enough_of_them():
    import threading

    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        assert devices.torch_batch_executor(2 * devices.MIN_BATCHES_PER_THREAD - 1) is None
        pool = devices.torch_batch_executor(2 * devices.MIN_BATCHES_PER_THREAD)
        assert pool is not None
        assert set(pool.map(lambda _: torch.get_num_threads(), range(8))) == {1}
        assert torch.get_num_threads() == 2, "the caller's setting is untouched"
        later: list[int] = []
        thread = threading.Thread(target=lambda: later.append(torch.get_num_threads()))
        thread.start()
        thread.join()
        assert later == [2], "threads started later get the caller's count, not the pool's 1"
        torch.set_num_threads(1)
        assert devices.torch_batch_executor(100) is None, "one torch thread: one batch at a time"
    finally:
        torch.set_num_threads(before)
