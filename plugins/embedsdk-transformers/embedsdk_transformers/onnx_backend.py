"""``backend="onnx"``: the same model run by ONNX Runtime, exported locally once and kept on disk.

The whole pipeline is exported as one graph: transformer -> pooling -> Dense layers -> normalize, by the same
torch code the torch backend runs (`embedsdk_transformers.pooling`), so there is one implementation of the
pipeline, not two. The graph takes the tokenizer's arrays plus the pooling mask (the attention mask with a
prompt's tokens zeroed when the model leaves them out of pooling) and returns the sentence vectors and the token
vectors (for `embed_words`).

An export lives in ``<cache folder>/onnx/<key>/``, the key being the model's content revision and every option
that changes the graph (pooling, normalization, Dense layers, format version):

- ``model.onnx``: what torch exported, fp32.
- ``optimized-<onnxruntime version>.onnx``: ONNX Runtime's extended graph optimizations (fused attention,
  layer norm and GELU) saved once, so a later process loads it without optimizing again.
- ``export.json``: the parity check: min cosine of the ONNX vectors against torch's on the precision
  gate's probe texts. An export whose min cosine is under `PARITY_MIN_COSINE` is not used.

Exporting needs torch and transformers; running an export needs only ``onnxruntime``, ``tokenizers`` and numpy,
so a fresh process on a cache miss starts in a fraction of the time torch takes to import. Exports are written
to a temporary folder and renamed into place, so a crash or a concurrent export never leaves half a model.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embedsdk import settings
from embedsdk.errors import ConfigurationError, MissingDependencyError

__all__ = ["FORMAT", "PARITY_MIN_COSINE", "OnnxExport", "export_folder"]

logger = logging.getLogger("embedsdk_transformers")

# Bumped when the exported graph changes shape or meaning, so older exports are not reused.
FORMAT = 1
PARITY_MIN_COSINE = 0.99999
OPSET = 17


def import_onnxruntime() -> Any:
    """``onnxruntime``, or a MissingDependencyError that says how to install it."""
    try:
        import onnxruntime
    except ImportError as exc:
        raise MissingDependencyError(
            "backend='onnx' needs ONNX Runtime: pip install 'embedsdk-transformers[onnx]' (or onnxruntime)"
        ) from exc
    return onnxruntime


def export_folder(key: str) -> Path:
    """Where the export with this key lives (it may not exist yet)."""
    return Path(settings.cache_dir()).expanduser().absolute() / "onnx" / key


def read_verdict(folder: Path) -> float | None:
    """The stored parity verdict of an export folder, or None when the folder is missing, partial or altered."""
    try:
        raw = json.loads((folder / "export.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    cosine = raw.get("min_cosine") if isinstance(raw, dict) else None
    if not isinstance(cosine, float) or not -1.0001 <= cosine <= 1.0001 or raw.get("format") != FORMAT:
        return None
    if not (folder / "model.onnx").is_file():
        return None
    return cosine


class OnnxExport:
    """A loaded export: one ONNX Runtime session over the optimized graph.

    Args:
        folder: An export folder (see the module docs) with a passing verdict.
        threads: Intra-op threads (None: ONNX Runtime's default, one per core).
        device: ``cpu`` or ``cuda[:N]``; cuda needs onnxruntime-gpu.
    """

    def __init__(self, folder: Path, threads: int | None, device: str) -> None:
        ort = import_onnxruntime()
        self.folder = folder
        providers = ["CPUExecutionProvider"]
        if device.startswith("cuda"):
            if "CUDAExecutionProvider" not in ort.get_available_providers():
                raise ConfigurationError(
                    f"device={device!r} with backend='onnx' needs onnxruntime-gpu (this onnxruntime has "
                    f"{ort.get_available_providers()}); pip install onnxruntime-gpu, or use backend='torch'"
                )
            index = device.split(":", 1)[1] if ":" in device else "0"
            providers = [("CUDAExecutionProvider", {"device_id": int(index)}), "CPUExecutionProvider"]  # type: ignore[list-item]
        optimized = folder / f"optimized-{ort.__version__}.onnx"
        if not optimized.is_file():
            _save_optimized(ort, folder / "model.onnx", optimized)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads is not None:
            options.intra_op_num_threads = threads
        options.log_severity_level = 3  # ONNX Runtime's notices would drown the caller's output
        try:
            self.session = ort.InferenceSession(str(optimized), options, providers=providers)
        except Exception as exc:  # a file altered or cut short after its check: name it and the fix
            raise ConfigurationError(
                f"ONNX Runtime cannot load {optimized} ({exc}); delete {folder} and it is exported again"
            ) from exc
        self._wanted = {node.name for node in self.session.get_inputs()}

    def run(self, arrays: dict[str, np.ndarray], pool_mask: np.ndarray) -> np.ndarray:
        """The sentence vectors of a tokenized batch."""
        vectors: np.ndarray = self._run(arrays, pool_mask, "sentence_embedding")
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def token_states(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        """The transformer's token vectors (batch, tokens, hidden) of a tokenized batch."""
        states: np.ndarray = self._run(arrays, arrays["attention_mask"], "token_embeddings")
        return states

    def _run(self, arrays: dict[str, np.ndarray], pool_mask: np.ndarray, output: str) -> Any:
        # The graph keeps the inputs it reads: cls pooling drops the pooling mask, say.
        feed = {name: value for name, value in {**arrays, "pool_mask": pool_mask}.items() if name in self._wanted}
        return self.session.run([output], feed)[0]


def _save_optimized(ort: Any, source: Path, target: Path) -> None:
    """Run ONNX Runtime's extended (portable) optimizations once and save the result next to the export."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.log_severity_level = 3
    handle, scratch = tempfile.mkstemp(dir=target.parent, prefix=".optimizing-", suffix=".onnx")
    os.close(handle)
    try:
        options.optimized_model_filepath = scratch
        ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
        os.replace(scratch, target)
    except Exception as exc:
        raise ConfigurationError(
            f"ONNX Runtime cannot load {source} ({exc}); delete {source.parent} and it is exported again"
        ) from exc
    finally:
        if os.path.exists(scratch):
            os.unlink(scratch)


def export(
    folder: Path,
    model: Any,
    dense: Sequence[Any],
    pooling: Sequence[str],
    normalize: bool,
    inputs: Sequence[str],
    check: Any,
) -> float:
    """Export ``model`` (fp32, torch) with its pooling, Dense layers and normalization to ``folder``.

    Args:
        folder: The export folder to create; it appears whole or not at all.
        model: The transformers model, in fp32 and on the CPU.
        dense: The Dense layers (torch modules).
        pooling: Pooling modes.
        normalize: Whether the pipeline ends with L2 normalization.
        inputs: The tokenizer's input names (``input_ids``, ``attention_mask``, ``token_type_ids``...).
        check: Called with the path of the exported graph; returns the min cosine of its vectors against
            torch's on a probe set, stored as the verdict.

    Returns:
        The min cosine.
    """
    import importlib.util

    if importlib.util.find_spec("onnx") is None:
        raise MissingDependencyError(
            "exporting to ONNX needs the onnx package: pip install 'embedsdk-transformers[onnx]' (or onnx)"
        )
    import torch

    from embedsdk_transformers.pooling import pool

    names = list(inputs)

    class Pipeline(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model
            self.dense = torch.nn.ModuleList(dense)

        def forward(self, *arrays: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            *model_inputs, pool_mask = arrays
            tokens = self.model(**dict(zip(names, model_inputs, strict=True))).last_hidden_state
            vectors = pool(tokens, pool_mask, pooling)
            for layer in self.dense:
                vectors = layer(vectors)
            if normalize:
                vectors = torch.nn.functional.normalize(vectors, p=2, dim=1)
            return vectors, tokens

    sample = torch.ones((2, 8), dtype=torch.int64)
    arguments = tuple(torch.zeros_like(sample) if name == "token_type_ids" else sample for name in names)
    axes = {name: {0: "batch", 1: "sequence"} for name in [*names, "pool_mask", "token_embeddings"]}
    axes["sentence_embedding"] = {0: "batch"}
    folder.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-"))
    try:
        with torch.no_grad(), warnings.catch_warnings():
            # The tracer's notes on shapes it keeps dynamic; the parity check below is what decides.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Pipeline().eval(),
                (*arguments, sample),
                str(scratch / "model.onnx"),
                dynamo=False,
                input_names=[*names, "pool_mask"],
                output_names=["sentence_embedding", "token_embeddings"],
                dynamic_axes=axes,
                opset_version=OPSET,
                do_constant_folding=True,
            )
    except Exception as exc:
        shutil.rmtree(scratch, ignore_errors=True)
        raise ConfigurationError(
            f"torch cannot export this model to ONNX ({type(exc).__name__}: {exc}); use backend='torch'"
        ) from exc
    try:
        cosine = float(check(scratch))
        (scratch / "export.json").write_text(
            json.dumps({"format": FORMAT, "min_cosine": cosine, "torch": torch.__version__}), encoding="utf-8"
        )
        for path in scratch.iterdir():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
        try:
            os.rename(scratch, folder)
        except OSError:  # another process exported the same model first: keep the one in place
            if read_verdict(folder) is None:
                shutil.rmtree(folder, ignore_errors=True)
                os.rename(scratch, folder)
        return cosine
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
