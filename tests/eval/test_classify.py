from __future__ import annotations

import random
from pathlib import Path

import pytest

from embedsdk.errors import InvalidInputError
from embedsdk.eval import classification
from embedsdk.testing import FakeEmbedder

ANIMALS = ["cat", "dog", "horse", "cow", "sheep", "goat", "duck", "owl", "fox", "wolf"]
FINANCE = ["stock", "bond", "market", "price", "bank", "loan", "fund", "share", "rate", "tax"]


def topic_texts(n: int) -> tuple[list[str], list[str]]:
    """``n`` texts of three words drawn from one topic's words after a topic word, the topics alternating."""
    rng = random.Random(n)
    texts, labels = [], []
    for i in range(n):
        words, label, topic = (ANIMALS, "animals", "zoo") if i % 2 == 0 else (FINANCE, "finance", "money")
        texts.append(" ".join([topic, *rng.sample(words, 3)]))
        labels.append(label)
    return texts, labels


def test_separable_topics_are_classified(fake: FakeEmbedder) -> None:
    texts, labels = topic_texts(40)
    result = classification("fake/test", texts, labels, folds=4)
    assert result.accuracy >= 0.9 and result.macro_f1 >= 0.9, result
    assert result.chance == 0.5 and result.folds == 4 and result.examples == 40


def test_random_vectors_classify_at_chance(random_provider: str) -> None:
    texts = [f"text number {i}" for i in range(120)]
    labels = ["a" if i % 2 else "b" for i in range(120)]
    result = classification(random_provider, texts, labels)
    assert 0.35 < result.accuracy < 0.65, result


def test_fasttext_file(tmp_path: Path, fake: FakeEmbedder) -> None:
    texts, labels = topic_texts(20)
    path = tmp_path / "topics.cor"
    path.write_text("".join(f"__label__{label} {text}\n" for text, label in zip(texts, labels)), encoding="utf-8")
    assert classification("fake/test", path, folds=2).accuracy >= 0.9


@pytest.mark.parametrize(
    ("texts", "labels", "message"),
    [
        (["a", "b", "c"], ["x", "y"], "3 texts but 2 labels"),
        (["a", "b", "c"], ["x", "x", "x"], "every text has the label 'x'"),
        (["a", "b", "c", "d"], ["x", "x", "x", "y"], "class 'y' has a single text"),
        ([], [], "no texts"),
        (["a", "b"], ["x", None], "label 1 is missing"),
    ],
)
def test_bad_classification_input(fake: FakeEmbedder, texts: list, labels: list, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        classification("fake/test", texts, labels)
