"""HFTokenizer: counts, truncation and splitting on token boundaries, as the model's tokenizer sees text."""

from __future__ import annotations

import itertools

import embedsdk

TEXT = ("Transformers read tokens, attend to context and produce hidden states. " * 12).strip()


def test_counts_match_the_hugging_face_tokenizer(tiny_roberta):
    tokenizer = embedsdk.embedder(f"hf/{tiny_roberta}").tokenizer
    texts = ["a", TEXT, "def add(a, b): return a + b"]
    assert tokenizer.count(texts) == [len(ids) for ids in tokenizer.hf(texts)["input_ids"]]


def test_truncate_is_a_prefix_within_the_limit(tiny_bert):
    tokenizer = embedsdk.embedder(f"hf/{tiny_bert}").tokenizer
    cut = tokenizer.truncate(TEXT, 20)
    assert TEXT.startswith(cut) and len(cut) < len(TEXT)
    assert tokenizer.count([cut])[0] <= 20
    # Cuts fall between words, so a limit a few tokens higher keeps more text, never less.
    longer = tokenizer.truncate(TEXT, 30)
    assert longer.startswith(cut) and len(longer) > len(cut)
    assert tokenizer.count([longer])[0] <= 30


def test_split_covers_the_text_within_the_limit_with_overlap(tiny_bert):
    tokenizer = embedsdk.embedder(f"hf/{tiny_bert}").tokenizer
    pieces = tokenizer.split(TEXT, 24, overlap=6)
    assert len(pieces) > 3
    assert all(count <= 24 for count in tokenizer.count(pieces))
    assert pieces[0] == tokenizer.truncate(TEXT, 24)
    assert TEXT.endswith(pieces[-1])
    for left, right in itertools.pairwise(pieces):
        # Consecutive pieces share text: the end of one is the start of the next.
        assert any(left.endswith(right[:k]) for k in range(3, len(right)))
    without = tokenizer.split(TEXT, 24, overlap=0)
    assert len(without) < len(pieces)
