"""The shipped cl100k_base gives exactly tiktoken's own encoding, offline."""

from __future__ import annotations

import hashlib
import shutil
from importlib import resources
from pathlib import Path

import pytest
from embedsdk_openai.tokenizer import CL100K_SHA256, TiktokenTokenizer

SAMPLES = [
    "hello world",
    "The cat sat on the mat.",
    "Les élèves ont mangé des crêpes à Noël.",
    "日本語のテキストと English が混ざった文。",
    "def f(x):\n    return x ** 2  # squares\n",
    "emoji 🙂🙃 and\ttabs   and  spaces",
    "<|endoftext|> is ordinary text to the embeddings endpoint",
    "1234567890 3.14159 -42 1e-9",
    "",
]


def reference_encoding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    """tiktoken's own cl100k_base, loaded by tiktoken from a cache folder holding the same published file."""
    import tiktoken
    import tiktoken.registry

    url = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
    cache = tmp_path / "tiktoken"
    cache.mkdir()
    shipped = resources.files("embedsdk_openai") / "encodings" / "cl100k_base.tiktoken"
    shutil.copyfile(str(shipped), cache / hashlib.sha1(url.encode()).hexdigest())
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(cache))
    monkeypatch.setattr(tiktoken.registry, "ENCODINGS", {})  # build it afresh, from this cache
    return tiktoken.get_encoding("cl100k_base")


def test_the_shipped_file_is_the_published_one() -> None:
    shipped = resources.files("embedsdk_openai") / "encodings" / "cl100k_base.tiktoken"
    assert hashlib.sha256(shipped.read_bytes()).hexdigest() == CL100K_SHA256


def test_token_ids_match_tiktoken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reference = reference_encoding(tmp_path, monkeypatch)
    ours = TiktokenTokenizer()
    for text in SAMPLES:
        assert ours.encode(text) == reference.encode_ordinary(text), text  # type: ignore[attr-defined]
    assert ours.encode("hello world") == [15339, 1917]
    assert ours.count(SAMPLES) == [len(reference.encode_ordinary(t)) for t in SAMPLES]  # type: ignore[attr-defined]


@pytest.mark.parametrize("limit", [1, 5, 17])
def test_truncate_keeps_the_longest_prefix_within_the_limit(limit: int) -> None:
    tokenizer = TiktokenTokenizer()
    for text in SAMPLES[2:6]:
        cut = tokenizer.truncate(text, limit)
        assert text.startswith(cut)
        assert tokenizer.count([cut])[0] <= limit
        if tokenizer.count([text])[0] > limit:
            assert tokenizer.count([cut])[0] >= limit - 3  # cut on a token boundary, not far before it


def test_split_covers_the_text_with_overlap() -> None:
    tokenizer = TiktokenTokenizer()
    text = " ".join(SAMPLES) * 5
    pieces = tokenizer.split(text, 20, overlap=4)
    assert all(count <= 20 for count in tokenizer.count(pieces))
    assert pieces[0] == text[: len(pieces[0])]
    assert text.endswith(pieces[-1])
    assert sum(tokenizer.count(pieces)) >= tokenizer.count([text])[0]
