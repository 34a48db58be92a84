"""Tiny random-weight models in temp folders, and the transformers plugin registered.

The models are built as the transformers plugin's tests build theirs, so the training loops run through the
real loading path in seconds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

TRAINING_TEXT = [
    "The cat sat on the mat while the dog slept by the door.",
    "A kitten rested on the rug and a puppy napped near the gate.",
    "Stock markets fell sharply as interest rates rose again.",
    "Share prices dropped when the central bank raised its rates.",
    "The river bank was muddy after the storm and the rain.",
    "Heavy rain flooded the banks of the river overnight.",
    "Proteins fold into structures that determine their function.",
    "Transformers read tokens, attend to context and produce hidden states.",
]
HIDDEN = 32


@pytest.fixture
def embedsdk_plugins() -> dict[str, object]:
    """Each test's runtime has the transformers plugin, under its entry-point name."""
    import embedsdk_transformers.plugin

    return {"transformers": embedsdk_transformers.plugin}


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plain Hugging Face BERT folder: 2 layers, 32 wide, a WordPiece vocabulary trained on the text above."""
    import torch
    from tokenizers import BertWordPieceTokenizer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-bert")
    trainer = BertWordPieceTokenizer(lowercase=True)
    trainer.train_from_iterator(TRAINING_TEXT * 4, vocab_size=200, min_frequency=1)
    trainer.save_model(str(folder))
    tokenizer = BertTokenizerFast.from_pretrained(str(folder), do_lower_case=True, model_max_length=64)
    tokenizer.save_pretrained(str(folder))
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
def tiny_st(tmp_path_factory: pytest.TempPathFactory, tiny_bert: Path) -> Path:
    """A sentence-transformers folder written by sentence-transformers.

    Transformer -> Pooling(mean) -> Dense(32->16, tanh) -> Normalize.
    """
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Dense, Normalize, Pooling, Transformer

    folder = tmp_path_factory.mktemp("tiny-st")
    torch.manual_seed(2)
    transformer = Transformer(str(tiny_bert), max_seq_length=48, do_lower_case=True)
    pooling = Pooling(HIDDEN, pooling_mode="mean")
    dense = Dense(HIDDEN, 16, activation_function=torch.nn.Tanh())
    model = SentenceTransformer(modules=[transformer, pooling, dense, Normalize()], device="cpu")
    model.save(str(folder))
    return folder
