"""embedsdk provider for local transformer models: ``hf/<hub id or local folder>`` on torch + transformers.

Reads sentence-transformers folders (modules.json, pooling, Dense, Normalize, max_seq_length, prompts) and
plain Hugging Face model folders. torch and transformers are imported on first use, never at import time.
"""

from __future__ import annotations

from embedsdk_transformers.embedder import HFEmbedder, HFOptions
from embedsdk_transformers.locate import PACKAGED_MODELS, locate_model
from embedsdk_transformers.recipe import ModelRecipe, read_recipe

__all__ = ["PACKAGED_MODELS", "HFEmbedder", "HFOptions", "ModelRecipe", "locate_model", "read_recipe"]
