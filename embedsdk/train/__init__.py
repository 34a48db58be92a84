"""Fine-tuning for ``hf/`` providers: contrastive pairs, triplets and masked-LM pre-training, on torch.

    >>> import embedsdk.train
    >>> folder = embedsdk.train.contrastive("minilm", pairs, loss="mnrl", output="minilm-tuned")
    >>> embedsdk.embed(["a text"], provider=f"hf/{folder}")

Each call returns the folder it saved (sentence-transformers layout, with a model card), evaluated before and
after on held-out data through `embedsdk.eval`. torch and transformers are imported on first use, so
``import embedsdk.train`` stays light.
"""

from __future__ import annotations

from embedsdk.train.loop import TrainedModel, TrainingReport
from embedsdk.train.masked_lm import mlm
from embedsdk.train.pairs import contrastive
from embedsdk.train.static import distill, doc2vec, fasttext, word2vec
from embedsdk.train.triplets import triplet

__all__ = [
    "TrainedModel",
    "TrainingReport",
    "contrastive",
    "distill",
    "doc2vec",
    "fasttext",
    "mlm",
    "triplet",
    "word2vec",
]
