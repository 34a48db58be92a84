"""HFTokenizer: counts, truncation and splitting on token boundaries, as the model's tokenizer sees text."""

from __future__ import annotations

import itertools

import numpy as np

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


def test_lower_casing_keeps_offsets_on_the_original_text(tiny_bert):
    from embedsdk_transformers.tokenizer import HFTokenizer
    from transformers import AutoTokenizer

    tokenizer = HFTokenizer(AutoTokenizer.from_pretrained(str(tiny_bert)), lowercase=True)
    text = "İstanbul " + "The Cat Sat On The Mat. " * 10  # "İ" grows to two characters when lower-cased
    pieces = tokenizer.split(text, 12, overlap=3)
    assert len(pieces) > 3
    for piece in pieces:
        assert piece in text
        start = text.index(piece)
        # Every piece starts and ends on a word boundary of the original text.
        assert start == 0 or not text[start - 1].isalnum()
        assert start + len(piece) == len(text) or not text[start + len(piece)].isalnum()


def test_chunks_always_advance_and_never_nest(tiny_bert):
    tokenizer = embedsdk.embedder(f"hf/{tiny_bert}").tokenizer
    text = "tokenization unbelievably " * 30
    pieces = tokenizer.split(text, 8, overlap=3)
    ends, position = [], 0
    for piece in pieces:
        start = text.index(piece, position)
        ends.append(start + len(piece))
        position = start + 1
    assert ends == sorted(set(ends)), "each chunk must end after the previous one"


def test_counting_is_safe_beside_model_encoding_in_other_threads(tiny_bert):
    from concurrent.futures import ThreadPoolExecutor

    model = embedsdk.embedder(f"hf/{tiny_bert}")
    tokenizer = model.tokenizer
    long_text = "the cat sat on the mat " * 300
    expected = tokenizer.count([long_text])[0]
    assert expected > 1000

    def count(_):
        return tokenizer.count([long_text])[0]

    def encode(_):
        return tokenizer.encode_for_model(["the cat"] * 4, 16)["input_ids"].shape[1]

    with ThreadPoolExecutor(4) as pool:
        counts = list(pool.map(lambda n: count(n) if n % 2 else encode(n), range(400)))
    assert all(c == expected for c in counts[1::2])


def test_model_inputs_match_the_hugging_face_tokenizer_counted_or_not(tiny_bert, tiny_roberta):
    for folder in (tiny_bert, tiny_roberta):
        tokenizer = embedsdk.embedder(f"hf/{folder}").tokenizer
        texts = ["a", TEXT, "def add(a, b): return a + b", "the cat"]
        expected = tokenizer.hf(texts, padding=True, truncation=True, max_length=24, return_tensors="np")
        tokenizer.count(texts[:2])  # two of them counted first: their encodings are reused (the long one is cut)
        ours = tokenizer.encode_for_model(texts, 24)
        assert sorted(ours) == sorted(expected.keys())
        for name, array in ours.items():
            np.testing.assert_array_equal(array, expected[name], err_msg=f"{folder.name}: {name}")


def test_a_damaged_stored_tokenizer_spec_is_rebuilt_from_the_files(tiny_bert):
    import json
    import os
    from pathlib import Path

    import embedsdk_transformers.plugin

    from embedsdk.testing import isolated_runtime

    expected = embedsdk.embedder(f"hf/{tiny_bert}").tokenizer.count([TEXT])
    path = Path(os.environ["EMBEDSDK_CACHE_DIR"]) / "memos" / "embedsdk_transformers.tokenizers.json"
    stored = json.loads(path.read_text())
    assert len(stored) == 1
    path.write_text(json.dumps({key: {**spec, "backend": "{broken"} for key, spec in stored.items()}))
    with isolated_runtime(named={"transformers": embedsdk_transformers.plugin}):
        assert embedsdk.embedder(f"hf/{tiny_bert}").tokenizer.count([TEXT]) == expected
    assert json.loads(path.read_text()) == stored, "the damaged spec is written again from the files"
