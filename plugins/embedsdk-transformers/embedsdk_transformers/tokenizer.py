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
        # A Rust tokenizer of our own for counting and cutting, set once to no truncation and no padding:
        # the transformers tokenizer re-sets those on its backend at every call, from any thread.
        from tokenizers import Tokenizer

        self._backend = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())
        self._backend.no_truncation()
        self._backend.no_padding()

    def prepare(self, text: str) -> str:
        """The text as the model reads it: lower-cased when the folder asks.

        Lower-casing keeps one character for one, so character offsets into the result are offsets into
        the original text.
        """
        if not self.lowercase:
            return text
        lowered = text.lower()
        if len(lowered) == len(text):
            return lowered
        # A few characters grow when lower-cased ("İ" -> "i̇"); those stay as they are.
        return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)

    def _encode(self, texts: Sequence[str], special: bool) -> list[Any]:
        return list(self._backend.encode_batch([self.prepare(t) for t in texts], add_special_tokens=special))

    def encode_for_model(self, texts: Sequence[str], max_tokens: int, **kwargs: Any) -> Any:
        """Tensors for the model: prepared, right-padded to the longest text, truncated to ``max_tokens``."""
        return self.hf(
            [self.prepare(t) for t in texts],
            padding=True,
            padding_side="right",  # pooling (lasttoken, prompt masking) counts positions from the left
            truncation=True,
            max_length=max_tokens,
            return_tensors="pt",
            **kwargs,
        )

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
        start, previous_end = 0, 0
        while True:
            if start + window >= len(kept):
                spans.append((offsets[start][0], offsets[-1][1]))
                return spans
            end = boundary_at_or_before(start + window, start)
            if end <= previous_end:  # a word longer than what is left of the window: cut inside it
                end = start + window
            spans.append((offsets[start][0], offsets[end - 1][1]))
            previous_end = end
            # Start the next window on a word start within the overlap, else where this one ended.
            found = word_starts[bisect.bisect_right(word_starts, max(end - overlap, start + 1)) - 1]
            start = found if start < found < end else end

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
        encoding = self.encode_for_model([text], max_tokens, return_offsets_mapping=True)
        offsets = encoding.pop("offset_mapping")[0].tolist()
        # Special tokens have empty offsets; [UNK] has real ones and stands for its word (an emoji, say).
        positions = [[n for n, (s, e) in enumerate(offsets) if e > s and s < end and e > start] for start, end in spans]
        return encoding, positions
