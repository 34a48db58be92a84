"""Compute precision of ``hf/...`` models: the modes, what ``auto`` picks here, and the quality gate's probe.

``auto`` picks bf16 on CPUs with native bf16 (AMX or AVX512-BF16, read from ``/proc/cpuinfo``, so no torch is
needed to decide) and on GPUs that support it, else fp32. Every mode other than fp32 passes a quality gate on
first use: the fixed `PROBE_TEXTS` are embedded in fp32 and in the mode, and the mode is kept only if the
minimum cosine is at least `GATE_MIN_COSINE`. The verdict is stored per model revision, pooling, mode and
device kind in the runtime's stored memo, so later processes decide without loading anything.

The plugin-independent parts (`cpu_has_native_bf16`, `gpu_may_be_present`, `verdict_is_valid`, the probe set
and the threshold) live in `embedsdk.devices`, shared with the other local providers; they are re-exported here
under their old names.
"""

from __future__ import annotations

from embedsdk.devices import (
    DTYPE_PRECISIONS,
    GATE_MIN_COSINE,
    PROBE_TEXTS,
    cpu_has_native_bf16,
    gpu_may_be_present,
    verdict_is_valid,
)

__all__ = [
    "DTYPE_PRECISIONS",
    "GATE_MIN_COSINE",
    "PRECISIONS",
    "PROBE_TEXTS",
    "cpu_has_native_bf16",
    "gpu_may_be_present",
    "verdict_is_valid",
]

PRECISIONS = ("fp32", "bf16", "fp16", "int8", "auto")
