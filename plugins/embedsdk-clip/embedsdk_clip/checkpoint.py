"""Where CLIP weights come from, and loading them through safe paths only.

A provider id ``clip/<architecture>[:<weights>]`` names the weights as a pretrained tag (``openai``,
``laion2b_s34b_b79k``: open_clip's table says which Hugging Face repo holds them) or a local file; an
architecture ``hf-hub:<org>/<repo>`` names an open_clip repo on the hub (its config and weights).

Files are looked for locally first (the path, the Hugging Face cache) and downloaded only when
``HF_HUB_OFFLINE`` is not set. Loading is safetensors, or ``torch.load(weights_only=True)`` for ``.pt``,
``.pth`` and ``.bin``: never a pickle that can run code. A checkpoint is checked before use (a mapping of
tensors that fits the architecture); a bad one raises an error naming the file and the problem.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from embedsdk.errors import ConfigurationError, InvalidOptionError, ModelNotFoundError

__all__ = [
    "CHECKPOINT_SUFFIXES",
    "HUB_WEIGHT_FILES",
    "Weights",
    "file_digest",
    "hub_offline",
    "load_state_dict",
    "looks_like_path",
    "resolve_weights",
]

CHECKPOINT_SUFFIXES = (".safetensors", ".pt", ".pth", ".bin")
# What open_clip repos on the hub hold, safest first.
HUB_WEIGHT_FILES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")


@dataclass
class Weights:
    """Resolved weights of one provider.

    Attributes:
        path: The local checkpoint file.
        label: How the space names them (the tag, the hub repo or the file name).
        preprocess: open_clip preprocessing settings the weights were trained with (mean, std, ...).
        quick_gelu: True when the weights were trained with QuickGELU (OpenAI's).
        config_folder: For ``hf-hub:`` models, the folder holding ``open_clip_config.json``.
    """

    path: Path
    label: str
    preprocess: dict[str, Any] = field(default_factory=dict)
    quick_gelu: bool = False
    config_folder: Path | None = None


def hub_offline() -> bool:
    """True when ``HF_HUB_OFFLINE`` (or ``TRANSFORMERS_OFFLINE``) forbids downloads."""
    return any(
        os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}
        for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def looks_like_path(weights: str) -> bool:
    """True when the weights part of an id is a file path rather than a pretrained tag."""
    return (
        "/" in weights
        or "\\" in weights
        or weights.startswith((".", "~"))
        or weights.lower().endswith(CHECKPOINT_SUFFIXES)
    )


def file_digest(path: Path) -> str:
    """sha256 of a file's content, hashed once per file state by the runtime (`Runtime.file_digest`)."""
    from embedsdk import runtime

    return runtime.current().file_digest(path)


def _fix(arch: str) -> str:
    return (
        f"pass a local file: provider='clip/{arch}:/path/to/file.safetensors' (or a .pt/.bin saved "
        f"with torch.save(model.state_dict())), or keep this provider's name and pass checkpoint='/path/to/file' "
        f"(OpenAI's weights need quick_gelu=True when loaded from a file)"
    )


def _local_file(path_text: str, arch: str) -> Path:
    path = Path(path_text).expanduser()
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        raise ModelNotFoundError(f"CLIP checkpoint {path} {what}; {_fix(arch)}")
    if path.suffix.lower() not in CHECKPOINT_SUFFIXES:
        raise ConfigurationError(
            f"CLIP checkpoint {path}: unknown kind of file {path.suffix!r}; embedsdk loads "
            f"{', '.join(CHECKPOINT_SUFFIXES)} (safetensors, or torch.save state dicts read with weights_only=True)"
        )
    return path


def _hub_file(repo: str, filenames: tuple[str, ...], cache_dir: str | None) -> tuple[Path | None, str]:
    """The first of ``filenames`` in ``repo``: from the Hugging Face cache, else downloaded unless offline."""
    try:
        import huggingface_hub
    except ImportError:
        return None, "huggingface_hub is not installed"
    for name in filenames:
        try:
            return Path(huggingface_hub.hf_hub_download(repo, name, cache_dir=cache_dir, local_files_only=True)), ""
        except Exception:  # not cached: try the next name, then the network
            continue
    if hub_offline():
        return None, "not in the Hugging Face cache, and HF_HUB_OFFLINE=1 forbids downloading"
    reasons = []
    for name in filenames:
        try:
            return Path(huggingface_hub.hf_hub_download(repo, name, cache_dir=cache_dir, etag_timeout=10)), ""
        except Exception as exc:  # no network, no such file: try the next name
            reasons.append(f"{name}: {str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__}")
    return None, "download failed (" + "; ".join(reasons) + "); set HF_HUB_OFFLINE=1 to skip trying"


def _tag_weights(arch: str, tag: str, cache_dir: str | None) -> Weights:
    import open_clip
    from open_clip.pretrained import get_pretrained_cfg

    cfg = get_pretrained_cfg(arch, tag)
    if not cfg:
        tags = open_clip.list_pretrained_tags_by_model(arch)
        raise InvalidOptionError(
            f"clip/{arch}:{tag}: {tag!r} is neither a pretrained tag of {arch} "
            f"({', '.join(tags) or 'it has none'}) nor a path to a checkpoint file"
        )
    preprocess = {k: cfg[k] for k in ("mean", "std", "interpolation", "resize_mode") if cfg.get(k) is not None}
    hub = str(cfg.get("hf_hub") or "")
    if not hub:
        raise ModelNotFoundError(
            f"clip/{arch}:{tag}: open_clip publishes these weights only as a URL ({cfg.get('url', '?')}), "
            f"which embedsdk does not download; fetch the file yourself and {_fix(arch)}"
        )
    repo, filename = hub.rstrip("/").rsplit("/", 1) if not hub.endswith("/") else (hub.rstrip("/"), "")
    names = HUB_WEIGHT_FILES if not filename else (_safe_alternative(filename), filename)
    path, outcome = _hub_file(repo, names, cache_dir)
    if path is None:
        raise ModelNotFoundError(
            f"CLIP weights {arch}:{tag} are not on this machine: looked for {' or '.join(names)} of the "
            f"Hugging Face repo {repo} ({outcome}); {_fix(arch)}"
        )
    return Weights(path=path, label=tag, preprocess=preprocess, quick_gelu=bool(cfg.get("quick_gelu", False)))


def _safe_alternative(filename: str) -> str:
    stem = filename.rsplit(".", 1)[0]
    return stem.replace("pytorch_model", "model") + ".safetensors"


def _hub_repo_weights(repo: str, cache_dir: str | None, checkpoint: str | None) -> Weights:
    config, outcome = _hub_file(repo, ("open_clip_config.json",), cache_dir)
    if config is None:
        raise ModelNotFoundError(
            f"open_clip model hf-hub:{repo} is not on this machine: looked for open_clip_config.json ({outcome}); "
            f"copy the repo's open_clip_config.json and weights into a folder and pass "
            f"provider='clip/<architecture>:/folder/open_clip_model.safetensors'"
        )
    if checkpoint is not None:
        local = _local_file(checkpoint, f"hf-hub:{repo}")
        return Weights(path=local, label=f"hf-hub:{repo}", config_folder=config.parent)
    path, outcome = _hub_file(repo, HUB_WEIGHT_FILES, cache_dir)
    if path is None:
        raise ModelNotFoundError(
            f"open_clip model hf-hub:{repo}: looked for {' or '.join(HUB_WEIGHT_FILES)} ({outcome})"
        )
    return Weights(path=path, label=f"hf-hub:{repo}", config_folder=config.parent)


def resolve_weights(arch: str, weights: str | None, checkpoint: str | None, cache_dir: str | None) -> Weights:
    """Find the checkpoint of ``clip/<arch>[:<weights>]`` on this machine (downloading only when online).

    Args:
        arch: An open_clip architecture (``ViT-B-32``) or ``hf-hub:<org>/<repo>``.
        weights: A pretrained tag, a checkpoint path, or None for the architecture's default tag.
        checkpoint: A local file that overrides where the weights come from (the id keeps its name).
        cache_dir: Hugging Face cache folder for hub files (default: the hub's own).

    Raises:
        ModelNotFoundError: the weights are not here; the message names the files looked for and how to
            pass a local file.
        InvalidOptionError: ``weights`` is neither a tag of ``arch`` nor a path.
    """
    if arch.startswith("hf-hub:"):
        return _hub_repo_weights(arch.removeprefix("hf-hub:"), cache_dir, checkpoint)
    if checkpoint is not None or (weights is not None and looks_like_path(weights)):
        local = checkpoint if checkpoint is not None else weights
        assert local is not None
        preprocess: dict[str, Any] = {}
        quick_gelu = False
        if weights is not None and not looks_like_path(weights):
            # checkpoint= with a tag: the file stands in for the tag's weights, trained the tag's way.
            from open_clip.pretrained import get_pretrained_cfg

            cfg = get_pretrained_cfg(arch, weights) or {}
            preprocess = {k: cfg[k] for k in ("mean", "std", "interpolation", "resize_mode") if cfg.get(k)}
            quick_gelu = bool(cfg.get("quick_gelu", False))
        path = _local_file(local, arch)
        return Weights(path=path, label=path.name, preprocess=preprocess, quick_gelu=quick_gelu)
    if weights is None:
        import open_clip

        tags = open_clip.list_pretrained_tags_by_model(arch)
        if not tags:
            raise ModelNotFoundError(f"clip/{arch} has no published weights; {_fix(arch)}")
        weights = "openai" if "openai" in tags else tags[0]
    return _tag_weights(arch, weights, cache_dir)


def load_state_dict(path: Path) -> dict[str, Any]:
    """Read a checkpoint safely and check it is a mapping of names to tensors.

    Raises:
        ConfigurationError: the file is not a safetensors file or a weights-only torch checkpoint, or holds
            something other than tensors; the message names the file and the problem.
    """
    import torch

    try:
        if path.suffix.lower() == ".safetensors":
            from safetensors.torch import load_file

            loaded: Any = load_file(str(path), device="cpu")
        else:
            loaded = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:
        reason = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        raise ConfigurationError(
            f"CLIP checkpoint {path} could not be read safely ({type(exc).__name__}: {reason}). embedsdk reads "
            f"safetensors, or torch.save(state_dict) files with weights_only=True (no pickled code, no TorchScript "
            f"archives); re-save it with safetensors.torch.save_file(model.state_dict(), 'model.safetensors')"
        ) from exc
    if isinstance(loaded, dict) and isinstance(loaded.get("state_dict"), dict):
        loaded = loaded["state_dict"]
    if not isinstance(loaded, dict) or not loaded:
        raise ConfigurationError(f"CLIP checkpoint {path} holds {type(loaded).__name__}, not a state dict of tensors")
    bad = [key for key, value in loaded.items() if not isinstance(value, torch.Tensor)]
    if bad:
        raise ConfigurationError(f"CLIP checkpoint {path}: entries {bad[:5]} are not tensors; it is not a state dict")
    state: dict[str, Any] = {str(key): value for key, value in loaded.items()}
    if all(key.startswith("module.") for key in state):  # saved from DistributedDataParallel
        state = {key[len("module.") :]: value for key, value in state.items()}
    return state
