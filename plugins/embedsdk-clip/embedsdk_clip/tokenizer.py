"""`ClipTokenizer`: embedsdk's Tokenizer protocol over open_clip's tokenizers (77 tokens for CLIP).

Counts include the start and end tokens. Cutting works on whitespace-separated words: CLIP's BPE splits
text on whitespace before merging, so a word's tokens do not depend on its neighbours and a prefix of whole
words has exactly the sum of their tokens. A word longer than a whole window is cut inside, by characters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from embedsdk.errors import ConfigurationError

__all__ = ["ClipTokenizer"]

_WORD = re.compile(r"\S+")


class ClipTokenizer:
    """Counts, truncates and splits text the way a CLIP text tower reads it.

    Args:
        tokenizer: An open_clip tokenizer (``open_clip.get_tokenizer(...)``): ``SimpleTokenizer`` or an
            ``HFTokenizer`` wrapper.
        context_length: Tokens the text tower reads, special tokens included (77 for CLIP).
    """

    def __init__(self, tokenizer: Any, context_length: int) -> None:
        self.open_clip = tokenizer
        self.context_length = context_length
        self.special = 2

    def _tokens(self, text: str) -> int:
        """Tokens of ``text`` without special tokens."""
        if hasattr(self.open_clip, "encode") and hasattr(self.open_clip, "bpe"):  # SimpleTokenizer
            return len(self.open_clip.encode(text))
        inner = getattr(self.open_clip, "tokenizer", None)
        if inner is None:
            raise ConfigurationError(f"cannot count tokens with {type(self.open_clip).__name__}")
        return len(inner(text, add_special_tokens=False)["input_ids"])

    def count(self, texts: Sequence[str]) -> list[int]:
        """Tokens per text, start and end tokens included."""
        return [self._tokens(text) + self.special for text in texts]

    def encode_for_model(self, texts: Sequence[str]) -> Any:
        """The token tensor the text tower takes: (len(texts), context_length), cut at the context length."""
        return self.open_clip(list(texts), context_length=self.context_length)

    def _units(self, text: str, budget: int) -> list[tuple[int, int, int]]:
        """(start, end, tokens) of each word, words over ``budget`` tokens cut into pieces that fit."""
        units = []
        for match in _WORD.finditer(text):
            start, end = match.span()
            tokens = self._tokens(text[start:end])
            while tokens > budget:
                # The longest character prefix within the budget (at least one character).
                low, high = start + 1, end
                while low < high:
                    middle = (low + high + 1) // 2
                    if self._tokens(text[start:middle]) <= budget:
                        low = middle
                    else:
                        high = middle - 1
                units.append((start, low, self._tokens(text[start:low])))
                start = low
                tokens = self._tokens(text[start:end])
            if tokens:
                units.append((start, end, tokens))
        return units

    def _budget(self, max_tokens: int) -> int:
        budget = max_tokens - self.special
        if budget < 1:
            raise ConfigurationError(f"max_tokens={max_tokens} leaves no room beside the start and end tokens")
        return budget

    def truncate(self, text: str, max_tokens: int) -> str:
        """The longest prefix of whole words (or of a word too long alone) within ``max_tokens`` tokens."""
        budget = self._budget(max_tokens)
        used, end = 0, 0
        for match in _WORD.finditer(text):
            tokens = self._tokens(match.group())
            if used + tokens > budget:
                if end == 0:  # the first word alone is too long: cut inside it
                    return text[: self._units(match.group(), budget)[0][1] + match.start()]
                break
            used, end = used + tokens, match.end()
        else:
            return text
        return text[:end]

    def split(self, text: str, max_tokens: int, overlap: int = 0) -> list[str]:
        """Consecutive pieces of at most ``max_tokens`` tokens, the next starting ``overlap`` tokens back."""
        budget = self._budget(max_tokens)
        units = self._units(text, budget)
        if not units:
            return [text]
        pieces = []
        first = 0
        while first < len(units):
            last, used = first, 0
            while last < len(units) and used + units[last][2] <= budget:
                used += units[last][2]
                last += 1
            pieces.append(text[units[first][0] : units[last - 1][1]])
            if last >= len(units):
                break
            # Step back over at most ``overlap`` tokens of whole units, always moving forward.
            back, shared = last, 0
            while back - 1 > first and shared + units[back - 1][2] <= overlap:
                back -= 1
                shared += units[back][2]
            first = back
        return pieces
