"""Exact token counts for OpenAI embedding models, offline: tiktoken with the cl100k_base ranks shipped here.

tiktoken downloads an encoding's rank file on first use; this machine (and many production hosts) cannot.
The plugin ships ``encodings/cl100k_base.tiktoken`` (the file tiktoken publishes, MIT, see
``encodings/LICENSE``), checks its sha256 as tiktoken would, and builds the `tiktoken.Encoding` from it with
the same split pattern and special tokens as ``tiktoken_ext.openai_public.cl100k_base``. Counts are those of
the embeddings endpoint: the plain text's tokens, with no special tokens added and none interpreted (a text
containing ``<|endoftext|>`` is counted as ordinary text, as the service does).
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Sequence
from importlib import resources
from typing import Any

from embedsdk.errors import ModelNotFoundError

__all__ = ["CL100K_SHA256", "TiktokenTokenizer", "load_cl100k_base"]

CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"

# The split pattern and special tokens of cl100k_base, as tiktoken_ext.openai_public defines them.
_CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|"""
    r"""\s+(?!\S)|\s"""
)
_CL100K_SPECIAL = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}


class _Loaded:
    """The one cl100k_base encoding of the process, built on first use (parsing 100k ranks takes ~0.2 s)."""

    lock = threading.Lock()
    encoding: Any = None


def load_cl100k_base() -> Any:
    """The cl100k_base `tiktoken.Encoding`, built from the rank file shipped with this plugin.

    Raises:
        ModelNotFoundError: the shipped file is missing or does not have tiktoken's published sha256.
    """
    with _Loaded.lock:
        if _Loaded.encoding is None:
            import tiktoken  # imported on first use: embedsdk providers must stay fast

            source = resources.files("embedsdk_openai") / "encodings" / "cl100k_base.tiktoken"
            try:
                data = source.read_bytes()
            except OSError as exc:
                raise ModelNotFoundError(
                    f"{source} is missing: reinstall embedsdk-openai (pip install --force-reinstall embedsdk-openai)"
                ) from exc
            digest = hashlib.sha256(data).hexdigest()
            if digest != CL100K_SHA256:
                raise ModelNotFoundError(
                    f"{source} has sha256 {digest}, not tiktoken's {CL100K_SHA256}: the file is damaged; "
                    f"reinstall embedsdk-openai"
                )
            ranks = {}
            for line in data.splitlines():
                if line:
                    token, rank = line.split()
                    ranks[base64.b64decode(token)] = int(rank)
            _Loaded.encoding = tiktoken.Encoding(
                name="cl100k_base",
                pat_str=_CL100K_PATTERN,
                mergeable_ranks=ranks,
                special_tokens=_CL100K_SPECIAL,
            )
        return _Loaded.encoding


class TiktokenTokenizer:
    """Counts, truncates and splits text in an OpenAI model's tokens (the `embedsdk.Tokenizer` protocol).

    Args:
        encoding: A `tiktoken.Encoding`; None loads the shipped cl100k_base on first use.
    """

    def __init__(self, encoding: Any = None) -> None:
        self._encoding = encoding

    @property
    def encoding(self) -> Any:
        """The `tiktoken.Encoding` in use."""
        if self._encoding is None:
            self._encoding = load_cl100k_base()
        return self._encoding

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` as the embeddings endpoint sees it (no special tokens)."""
        tokens: list[int] = self.encoding.encode_ordinary(text)
        return tokens

    def count(self, texts: Sequence[str]) -> list[int]:
        """Tokens of each text."""
        return [len(tokens) for tokens in self.encoding.encode_ordinary_batch(list(texts))]

    def _decode_prefix(self, tokens: Sequence[int]) -> tuple[str, int]:
        """The text of ``tokens`` and how many it used, dropping trailing tokens that end inside a character."""
        end = len(tokens)
        while end > 0:
            try:
                return bytes(self.encoding.decode_bytes(list(tokens[:end]))).decode("utf-8"), end
            except UnicodeDecodeError:
                end -= 1
        return "", 0

    def truncate(self, text: str, max_tokens: int) -> str:
        """The longest prefix of ``text`` within ``max_tokens`` tokens, cut on a token boundary."""
        tokens = self.encode(text)
        if len(tokens) <= max_tokens:
            return text
        limit = max_tokens
        while limit > 0:
            prefix, _ = self._decode_prefix(tokens[:limit])
            # Re-encoding a cut can merge differently; step back until the prefix fits for certain.
            if len(self.encode(prefix)) <= max_tokens:
                return prefix
            limit -= 1
        return ""

    def split(self, text: str, max_tokens: int, overlap: int = 0) -> list[str]:
        """Consecutive pieces of at most ``max_tokens`` tokens, consecutive pieces sharing ``overlap`` tokens."""
        if max_tokens < 1 or not 0 <= overlap < max_tokens:
            raise ValueError(f"need max_tokens >= 1 and 0 <= overlap < max_tokens, got {max_tokens}, {overlap}")
        tokens = self.encode(text)
        if len(tokens) <= max_tokens:
            return [text]
        pieces = []
        start = 0
        while start < len(tokens):
            window = tokens[start : start + max_tokens]
            piece, taken = self._decode_prefix(window)
            # Re-encoding a piece can merge differently; shrink until it fits for certain.
            while taken > 1 and len(self.encode(piece)) > max_tokens:
                piece, taken = self._decode_prefix(window[: taken - 1])
            if taken == 0:  # not one whole character within the window: take its bytes as they come
                taken = min(len(window), 4)
                piece = bytes(self.encoding.decode_bytes(window[:taken])).decode("utf-8", errors="replace")
            pieces.append(piece)
            if start + taken >= len(tokens):
                break
            start += max(1, taken - overlap)
        return pieces
