"""Where a torch model runs and in which precision, shared by every local provider (hf, clip, use, elmo...).

- `pick_device`: cuda, then mps, then cpu (imports torch on first call, so this module sits above the layers
  that must never import torch; see docs/architecture.md). `device_kind` answers without torch when no GPU
  can be present.
- `auto_precision`: what ``precision="auto"`` means on a device: bf16 on CPUs with native bf16
  (`cpu_has_native_bf16`, read from ``/proc/cpuinfo``) and on GPUs that support it, else fp32.
- `precision_gate`: the quality gate a mode other than fp32 passes on first use: the provider embeds a fixed
  probe set (`PROBE_TEXTS` for text) in fp32 and in the mode; the mode is kept only if the minimum cosine is at
  least `GATE_MIN_COSINE`, else fp32 is used with a logged warning. The verdict is stored on disk under a key
  the provider names (model revision, mode, device...) in the runtime's stored memo, so later processes decide
  without loading anything.

Plugins on torch call these instead of each keeping a copy; nothing here imports torch at module level.
"""

from __future__ import annotations

import logging
import math
import sys
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from embedsdk import runtime
from embedsdk.errors import InvalidOptionError

__all__ = [
    "DEVICE_PATTERN",
    "DTYPE_PRECISIONS",
    "GATE_MIN_COSINE",
    "PROBE_TEXTS",
    "GateVerdict",
    "auto_precision",
    "cpu_has_native_bf16",
    "device_kind",
    "gpu_may_be_present",
    "min_cosine",
    "pick_device",
    "precision_gate",
    "requested_precision",
    "resolve_precision",
    "torch_batch_executor",
    "verdict_is_valid",
]

logger = logging.getLogger("embedsdk.devices")

DEVICE_PATTERN = r"^(auto|cpu|mps|cuda(:\d+)?|xpu(:\d+)?)$"
"""What a ``device=`` option accepts: ``auto``, ``cpu``, ``mps``, ``cuda``/``cuda:N``, ``xpu``/``xpu:N``."""

MIN_BATCHES_PER_THREAD = 4
"""A call runs its batches one per torch CPU thread from this many batches per thread: with fewer, a thread
could be left without work while the others finish."""

GATE_MIN_COSINE = 0.999

DTYPE_PRECISIONS = {"float32": "fp32", "bfloat16": "bf16", "float16": "fp16"}
"""The older ``dtype`` option of local providers, mapped onto ``precision``."""
"""A mode whose min cosine against fp32 on the probe set is below this falls back to fp32."""

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
"""The text probe set of the quality gate (16 texts)."""


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


def device_kind(requested: str = "auto") -> str:
    """``cpu``, ``cuda``, ``mps`` or ``xpu`` for a ``device=`` option; imports torch only if a GPU may be present."""
    if requested == "auto":
        requested = pick_device("auto") if gpu_may_be_present() else "cpu"
    return requested.split(":")[0]


def torch_batch_executor(batches: int) -> Executor | None:
    """Threads to run ``batches`` CPU torch batches on at once, one batch per thread, or None: one at a time.

    As many threads as torch uses (``torch.get_num_threads()``, which follows ``torch.set_num_threads``,
    ``OMP_NUM_THREADS`` and a provider's ``threads=`` option), each running its batch on one core. Same
    cores, same work, but one batch's Python and small kernels (layer norm, attention on short texts) overlap
    another's matrix products instead of leaving cores waiting; on all-MiniLM-L6-v2 with 2 cores that is about
    7 % more texts per second (docs/speed.md). None when torch uses one thread, or for fewer than
    `MIN_BATCHES_PER_THREAD` batches per thread (then each batch uses every core, as usual). The threads are
    shared process-wide (`embedsdk.runtime.Runtime.thread_pool`); the caller's own torch setting is untouched.
    """
    import torch

    threads = torch.get_num_threads()
    if threads < 2 or batches < MIN_BATCHES_PER_THREAD * threads:
        return None

    def one_core() -> None:
        torch.get_num_threads()  # torch's per-thread set-up first: on first use it would undo the next line
        torch.set_num_threads(1)

    def restore() -> None:
        # set_num_threads(1) in the new threads also changed the count torch gives threads started later: put
        # back the caller's (its own count, read above, is unchanged). Once, when the pool starts.
        torch.set_num_threads(threads)

    try:
        return runtime.current().thread_pool(f"torch-cpu-{threads}", threads, one_core, started=restore)
    except RuntimeError as exc:  # a thread that could not start or set up: one batch at a time, as before
        logger.warning("running batches one at a time: the batch threads did not start (%s)", exc)
        return None


def auto_precision(kind: str) -> str:
    """What ``precision="auto"`` runs in on a device kind: bf16 where it is native, else fp32.

    bf16 on CPUs with AMX or AVX512-BF16 and on CUDA GPUs that support it (torch is imported only for cuda);
    fp32 everywhere else (older CPUs emulate bf16 slowly; mps and xpu are left exact).
    """
    if kind == "cpu":
        return "bf16" if cpu_has_native_bf16() else "fp32"
    if kind == "cuda":
        import torch

        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    return "fp32"


def requested_precision(provider_id: str, precision: str | None, dtype: str | None = None) -> str:
    """What a provider was asked for: ``precision``, else the older ``dtype`` spelling of it, else ``auto``.

    Raises:
        InvalidOptionError: both given, and they disagree.
    """
    from_dtype = DTYPE_PRECISIONS[dtype] if dtype is not None else None
    if precision is not None and from_dtype is not None and precision != from_dtype:
        raise InvalidOptionError(
            f"{provider_id}: dtype={dtype!r} and precision={precision!r} disagree; pass precision only"
        )
    return precision or from_dtype or "auto"


def resolve_precision(provider_id: str, requested: str, kind: str) -> str:
    """The mode to try on a device kind: ``auto`` resolved (`auto_precision`), modes the device lacks refused.

    Raises:
        InvalidOptionError: ``fp16`` on a CPU, or ``int8`` off one.
    """
    mode = auto_precision(kind) if requested == "auto" else requested
    if mode == "fp16" and kind == "cpu":
        raise InvalidOptionError(
            f"{provider_id}: precision='fp16' needs a GPU; use precision='bf16', 'auto' or 'fp32' on CPU "
            f"(or device='cuda')"
        )
    if mode == "int8" and kind != "cpu":
        raise InvalidOptionError(f"{provider_id}: precision='int8' runs on CPU only; use 'fp16' or 'bf16'")
    return mode


def min_cosine(reference: np.ndarray, candidate: np.ndarray) -> float:
    """The smallest row-wise cosine between two ``(n, d)`` arrays (a zero row counts as cosine 0)."""
    a = np.asarray(reference, dtype=np.float64)
    b = np.asarray(candidate, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2 or a.shape[0] == 0:
        raise ValueError(f"min_cosine needs two non-empty arrays of one (n, d) shape, not {a.shape} and {b.shape}")
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    dots = np.sum(a * b, axis=1)
    cosines = np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)
    return float(cosines.min())


def verdict_is_valid(value: Any) -> bool:
    """True when ``value`` (read from the stored memo) is a gate verdict: a dict with a finite ``min_cosine``."""
    cosine = value.get("min_cosine") if isinstance(value, dict) else None
    return isinstance(cosine, float) and math.isfinite(cosine) and -1.0001 <= cosine <= 1.0001


@dataclass(frozen=True)
class GateVerdict:
    """What the quality gate decided for one mode.

    Attributes:
        precision: The mode to use: the candidate when it passed, else ``"fp32"``.
        min_cosine: Min cosine of the candidate's probe vectors against fp32's.
        measured: True when the probe ran in this call (False: the verdict came from disk).
    """

    precision: str
    min_cosine: float
    measured: bool

    @property
    def passed(self) -> bool:
        """True when the candidate mode is kept."""
        return self.precision != "fp32"


def precision_gate(
    memo: str,
    key: str,
    mode: str,
    reference: Callable[[], np.ndarray],
    candidate: Callable[[], np.ndarray],
    *,
    provider_id: str = "",
    threshold: float = GATE_MIN_COSINE,
) -> GateVerdict:
    """Keep ``mode`` only if its vectors stay within ``threshold`` of fp32's on the probe set; remember why.

    A valid verdict stored under ``key`` in the stored memo ``memo`` decides without calling anything. Else
    ``reference()`` (fp32) and ``candidate()`` (``mode``) embed the same probe set, their min cosine is stored
    with the number of probes, and compared with ``threshold``. A refused mode logs a warning naming the
    provider, the mode and the cosine.

    Args:
        memo: The plugin's stored memo (``"embedsdk_use.precision_gate"``).
        key: Everything the verdict depends on: model revision, mode, device kind, options that change vectors.
        mode: The candidate precision (``bf16``, ``fp16``...); ``fp32`` passes without a probe.
        reference: Embeds the probe set in fp32.
        candidate: Embeds the same probe set in ``mode``.
        provider_id: Named in the warning.
        threshold: The lowest min cosine kept.
    """
    if mode == "fp32":
        return GateVerdict("fp32", 1.0, measured=False)
    stored = runtime.current().stored_memo(memo)
    found = stored.get(key)
    measured = not verdict_is_valid(found)
    if measured:
        expected = reference()
        cosine = min_cosine(expected, candidate())
        stored[key] = {"min_cosine": cosine, "probe_texts": int(expected.shape[0])}
    else:
        cosine = float(found["min_cosine"])  # type: ignore[index]
    if cosine >= threshold:
        return GateVerdict(mode, cosine, measured)
    logger.warning(
        "%s: precision %s gives min cosine %.5f against fp32 on the probe set (< %s); using fp32",
        provider_id or "a local provider",
        mode,
        cosine,
        threshold,
    )
    return GateVerdict("fp32", cosine, measured)
