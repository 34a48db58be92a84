"""embedsdk provider for CLIP models on open-clip-torch: ``clip/<architecture>[:<tag or checkpoint path>]``.

Text and images embed into one normalized space. Checkpoints load through safe paths only (safetensors,
``torch.load(weights_only=True)``). open_clip and torch are imported on first use, never at import time.
"""

from __future__ import annotations

from embedsdk_clip.checkpoint import Weights, load_state_dict, resolve_weights
from embedsdk_clip.embedder import ClipEmbedder, ClipOptions, parse_clip_id
from embedsdk_clip.tokenizer import ClipTokenizer

__all__ = [
    "ClipEmbedder",
    "ClipOptions",
    "ClipTokenizer",
    "Weights",
    "load_state_dict",
    "parse_clip_id",
    "resolve_weights",
]
