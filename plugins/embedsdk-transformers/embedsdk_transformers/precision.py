"""Compute precision of ``hf/...`` models: the modes, what ``auto`` picks here, and the quality gate's probe.

``auto`` picks bf16 on CPUs with native bf16 (AMX or AVX512-BF16, read from ``/proc/cpuinfo``, so no torch is
needed to decide) and on GPUs that support it, else fp32. Every mode other than fp32 passes a quality gate on
first use: the fixed `PROBE_TEXTS` are embedded in fp32 and in the mode, and the mode is kept only if the
minimum cosine is at least `GATE_MIN_COSINE`. The verdict is stored per model revision, pooling, mode and
device kind in the runtime's stored memo, so later processes decide without loading anything.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

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
# The older ``dtype`` option, mapped onto ``precision``.
DTYPE_PRECISIONS = {"float32": "fp32", "bfloat16": "bf16", "float16": "fp16"}
GATE_MIN_COSINE = 0.999

# Fixed, mixed in length and kind (prose, code, numbers, other scripts), so a mode that breaks on long or odd
# inputs shows it here.
PROBE_TEXTS = (
    "A cat sat on the mat.",
    "The quarterly report shows revenue grew 12% while operating costs fell by 3.4 million dollars.",
    "How do I reset my password?",
    "def mean(xs): return sum(xs) / len(xs)  # average of a list",
    "Proteins fold into three-dimensional structures that determine their biological function, and misfolded "
    "proteins are implicated in diseases such as Alzheimer's and Parkinson's.",
    "Le chat dort sur le canapé pendant que la pluie tombe.",
    "Der schnelle braune Fuchs springt über den faulen Hund.",
    "東京は日本の首都です。",
    "SELECT name, count(*) FROM users GROUP BY name HAVING count(*) > 1;",
    "ok",
    "The river bank was muddy after the storm, so the bank raised its rates on Monday morning.",
    "Transformers read tokens, attend to their context and produce hidden states that are pooled into one "
    "vector per sentence; the vectors of similar sentences lie close together, which is what search, "
    "clustering and deduplication rely on. " * 3,
    "1 2 3 4 5 6 7 8 9 10",
    "Breaking: heavy snow closes mountain passes; drivers are urged to stay home until the roads are cleared.",
    "What is the capital of Australia?",
    "I loved this film. The acting was superb and the soundtrack stayed with me for days.",
)


def cpu_has_native_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """True when the CPU computes bf16 natively (AMX-BF16 or AVX512-BF16 among its flags).

    Reads ``cpuinfo`` only (no torch); False where it cannot be read (macOS, Windows).
    """
    try:
        with cpuinfo.open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[-1].split())
                    return bool(flags & {"amx_bf16", "avx512_bf16"})
    except OSError:
        return False
    return False


def gpu_may_be_present() -> bool:
    """False when this machine surely has no CUDA or MPS device (so ``device="auto"`` is cpu without torch)."""
    if sys.platform == "darwin":
        return True
    return Path("/proc/driver/nvidia").exists() or Path("/dev/nvidia0").exists() or Path("/dev/dxg").exists()


def verdict_is_valid(value: Any) -> bool:
    """True when ``value`` (read from the stored memo) is a gate verdict: a dict with a finite ``min_cosine``."""
    cosine = value.get("min_cosine") if isinstance(value, dict) else None
    return isinstance(cosine, float) and -1.0001 <= cosine <= 1.0001
