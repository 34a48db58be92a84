"""`HFTokenizer`: the embedsdk Tokenizer protocol over a Hugging Face fast tokenizer, cutting on token boundaries."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

from embedsdk.errors import ConfigurationError

__all__ = ["HFTokenizer"]


class HFTokenizer:
    """Counts, truncates and splits text exactly as the model's tokenizer sees it.

    Args:
        tokenizer: A ``transformers`` fast tokenizer (character offsets are needed to cut text).
        lowercase: Lower-case before tokenizing (sentence-transformers' ``do_lower_case``).
    """

    def __init__(self, tokenizer: Any, lowercase: bool = False) -> None:
        if not getattr(tokenizer, "is_fast", False):
            raise ConfigurationError(
                f"{type(tokenizer).__name__} is a slow tokenizer; embedsdk needs a fast one (tokenizer.json, "
                f"or `pip install tokenizers sentencepiece` so transformers can convert it)"
            )
        self.hf = tokenizer
        self.lowercase = lowercase
        self.special = int(tokenizer.num_special_tokens_to_add(pair=False))
        # The Rust tokenizer directly: no truncation, no padding, no "sequence too long" warnings.
        self._backend = tokenizer.backend_tokenizer

    def _prepare(self, text: str) -> str:
        return text.lower() if self.lowercase else text

    def _encode(self, texts: Sequence[str], special: bool) -> list[Any]:
        backend = self._backend
        backend.no_truncation()
        backend.no_padding()
        return list(backend.encode_batch([self._prepare(t) for t in texts], add_special_tokens=special))

    def count(self, texts: Sequence[str]) -> list[int]:
        """Tokens per text, special tokens included."""
        return [len(encoding.ids) for encoding in self._encode(texts, special=True)]

    def _windows(self, text: str, max_tokens: int, overlap: int) -> list[tuple[int, int]]:
        """Character spans of consecutive token windows, cut between words.

        Cutting between words means re-tokenizing a piece gives the same tokens; a word longer than a
        whole window is the only thing ever cut inside.
        """
        window = max_tokens - self.special
        if window < 1:
            raise ConfigurationError(f"max_tokens={max_tokens} leaves no room beside {self.special} special tokens")
        encoding = self._encode([text], special=False)[0]
        # Encoding.offsets and .word_ids build a new list on every access: read each once.
        all_offsets, all_words = encoding.offsets, encoding.word_ids
        kept = [n for n, (s, e) in enumerate(all_offsets) if e > s]
        if not kept:
            return [(0, len(text))]
        offsets = [all_offsets[n] for n in kept]
        words = [all_words[n] for n in kept]
        word_starts = [n for n in range(len(kept)) if n == 0 or words[n] is None or words[n] != words[n - 1]]

        def boundary_at_or_before(position: int, floor: int) -> int:
            # The last word start in (floor, position], or position itself when the word is too long.
            found = word_starts[bisect.bisect_right(word_starts, position) - 1]
            return found if found > floor else position

        spans = []
        start = 0
        while True:
            end = start + window
            if end >= len(kept):
                spans.append((offsets[start][0], offsets[-1][1]))
                return spans
            end = boundary_at_or_before(end, start)
            spans.append((offsets[start][0], offsets[end - 1][1]))
            start = boundary_at_or_before(max(end - overlap, start + 1), start)

    def truncate(self, text: str, max_tokens: int) -> str:
        """The longest prefix of at most ``max_tokens`` tokens (special tokens included)."""
        return text[: self._windows(text, max_tokens, 0)[0][1]]

    def split(self, text: str, max_tokens: int, overlap: int = 0) -> list[str]:
        """Consecutive pieces of at most ``max_tokens`` tokens each, sharing ``overlap`` tokens."""
        return [text[start:end] for start, end in self._windows(text, max_tokens, overlap)]

    def word_pieces(self, text: str, spans: Sequence[tuple[int, int]], max_tokens: int) -> tuple[Any, list[list[int]]]:
        """Encode ``text`` for the model and find the token positions covering each character span.

        Returns:
            The encoding (with special tokens, truncated to ``max_tokens``) and, per span, its positions.
        """
        encoding = self.hf(
            self._prepare(text),
            return_offsets_mapping=True,
            truncation=True,
            max_length=max_tokens,
            return_tensors="pt",
        )
        offsets = encoding.pop("offset_mapping")[0].tolist()
        special = set(self.hf.all_special_ids)
        ids = encoding["input_ids"][0].tolist()
        positions = []
        for start, end in spans:
            covered = [
                n for n, (s, e) in enumerate(offsets) if e > s and ids[n] not in special and s < end and e > start
            ]
            positions.append(covered)
        return encoding, positions
