"""Where local models run: cuda when present, else mps, else cpu; an explicit device is kept."""

from __future__ import annotations

import re

import pytest

from embedsdk.devices import DEVICE_PATTERN, pick_device


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
