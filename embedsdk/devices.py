"""Choosing where a torch model runs, shared by every local provider (hf, clip, use, elmo...).

It imports torch on first call, so it sits above the layers that must never import torch (see
docs/architecture.md); plugins on torch call it instead of each keeping a copy.
"""

from __future__ import annotations

__all__ = ["DEVICE_PATTERN", "pick_device"]

DEVICE_PATTERN = r"^(auto|cpu|mps|cuda(:\d+)?|xpu(:\d+)?)$"
"""What a ``device=`` option accepts: ``auto``, ``cpu``, ``mps``, ``cuda``/``cuda:N``, ``xpu``/``xpu:N``."""


def pick_device(requested: str = "auto") -> str:
    """``requested`` unless it is ``auto``: then cuda when available, else mps, else cpu."""
    if requested != "auto":
        return requested
    import torch  # imported here: choosing a device is the first moment a local model needs torch

    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"
