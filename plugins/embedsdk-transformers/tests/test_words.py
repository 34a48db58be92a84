"""Word-in-context embeddings: a word's vector pools its subword pieces and depends on its sentence."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import AutoModel, AutoTokenizer

import embedsdk


def test_bank_depends_on_its_context():
    river = embedsdk.embed_words("We sat on the river bank and watched the water.", ["bank"])
    money = embedsdk.embed_words("She paid the cheque into her bank account.", ["bank"])
    river_again = embedsdk.embed_words("The boat drifted toward the muddy bank of the river.", ["bank"])
    assert river.labels == ["bank"] and river.shape == (1, 384)
    across = float(river.similarity(money)[0, 0])
    same_sense = float(river.similarity(river_again)[0, 0])
    assert across < 0.9
    assert same_sense > across


def test_every_word_by_default_and_spans():
    result = embedsdk.embed_words("Tokenization splits unbelievably long words.")
    assert result.labels == ["Tokenization", "splits", "unbelievably", "long", "words"]
    by_span = embedsdk.embed_words("Tokenization splits unbelievably long words.", [(20, 32)])
    assert by_span.labels == ["unbelievably"]
    np.testing.assert_allclose(by_span.vectors[0], result.vectors[2], atol=1e-5)


def test_subword_pieces_are_mean_pooled(tiny_bert):
    sentence = "the proteins fold into structures"
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_bert))
    model = AutoModel.from_pretrained(str(tiny_bert)).eval()
    encoding = tokenizer(sentence, return_offsets_mapping=True, return_tensors="pt")
    offsets = encoding.pop("offset_mapping")[0].tolist()
    start = sentence.index("proteins")
    pieces = [n for n, (s, e) in enumerate(offsets) if e > s and s >= start and e <= start + len("proteins")]
    assert len(pieces) >= 2, "the tiny vocabulary should split this word"
    with torch.no_grad():
        hidden = model(**encoding).last_hidden_state[0]
    result = embedsdk.embed_words(sentence, ["proteins"], provider=f"hf/{tiny_bert}", precision="fp32")
    np.testing.assert_allclose(result.vectors[0], hidden[pieces].mean(0).numpy(), atol=1e-5)


def test_missing_word_is_named():
    with pytest.raises(embedsdk.InvalidInputError, match=r"'bank'\) is not in the sentence"):
        embedsdk.embed_words("No such word here.", ["bank"])


def test_provider_without_words_support_is_refused():
    from embedsdk.testing import fake_provider

    with fake_provider("fake/words"), pytest.raises(embedsdk.InvalidOptionError, match="does not embed words"):
        embedsdk.embed_words("a b c", provider="fake/words")


def test_a_word_the_vocabulary_lacks_is_its_unknown_token(tiny_bert):
    result = embedsdk.embed_words("I love 🤖 robots", ["🤖"], provider=f"hf/{tiny_bert}")
    assert result.labels == ["🤖"] and result.shape == (1, 32)
