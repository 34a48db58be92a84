"""`WordTokenizer`: the word tokenizer ELMo reads text with; the planner counts its words as tokens.

ELMo was trained on tokenized text (the 1B Word Benchmark for English, Universal Dependencies treebanks for
ELMoForManyLangs), so text is cut into words the way those corpora were, in a simplified Penn Treebank style:

- a run of letters and digits is a word; inner hyphens, periods and apostrophes keep it whole
  (``well-known``, ``3.14``, ``U.S``, ``O'Neil``);
- English clitics are their own words: ``don't`` -> ``do`` ``n't``, ``it's`` -> ``it`` ``'s``
  (``'s 're 've 'll 'd 'm``, any case);
- every other non-space character (punctuation, symbols, emoji) is a word of one character.

Each word keeps its character span in the text, so `truncate` and `split` cut the text itself on word
boundaries and ``embed_words`` finds the words of a character span.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from embedsdk.errors import ConfigurationError

__all__ = ["WORD_PATTERN", "WordTokenizer", "tokenize"]

WORD_PATTERN = re.compile(
    r"""
      \w+(?=n['\u2019]t\b)                         # "do" of "don't", "ca" of "can't" (Penn Treebank style)
    | n['\u2019]t\b
    | ['\u2019](?:s|re|ve|ll|d|m)\b                  # clitics: 's 're 've 'll 'd 'm
    | \w+(?:[-.]\w+|['\u2019](?!(?:s|re|ve|ll|d|m)\b)\w+)*  # words: well-known, 3.14, U.S, O'Neil
    | [^\w\s]                                       # any other character: punctuation, symbols
    """,
    re.VERBOSE | re.IGNORECASE,
)


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """The words of ``text`` as ``(word, start, end)``, with ``text[start:end] == word``."""
    return [(m.group(0), m.start(), m.end()) for m in WORD_PATTERN.finditer(text)]


class WordTokenizer:
    """The embedsdk ``Tokenizer`` protocol over `tokenize`: one token is one word.

    ELMo adds sentence-boundary tokens inside the model; they are not counted, so a count is the number of
    words the sentence has and a limit is a number of words.
    """

    def tokenize(self, text: str) -> list[tuple[str, int, int]]:
        """The words of ``text`` with their character spans (see the module docstring)."""
        return tokenize(text)

    def words(self, text: str) -> list[str]:
        """The words of ``text``."""
        return [word for word, _, _ in tokenize(text)]

    def count(self, texts: Sequence[str]) -> list[int]:
        """Words per text."""
        return [sum(1 for _ in WORD_PATTERN.finditer(text)) for text in texts]

    def truncate(self, text: str, max_tokens: int) -> str:
        """The longest prefix of ``text`` holding at most ``max_tokens`` words, cut after a word."""
        if max_tokens < 1:
            raise ConfigurationError(f"max_tokens must be at least 1 word, got {max_tokens}")
        words = tokenize(text)
        if len(words) <= max_tokens:
            return text
        return text[: words[max_tokens - 1][2]]

    def split(self, text: str, max_tokens: int, overlap: int = 0) -> list[str]:
        """Consecutive pieces of at most ``max_tokens`` words, each sharing ``overlap`` words with the last.

        Raises:
            ConfigurationError: ``max_tokens`` is below 1, or ``overlap`` leaves no new word per piece.
        """
        if max_tokens < 1:
            raise ConfigurationError(f"max_tokens must be at least 1 word, got {max_tokens}")
        if not 0 <= overlap < max_tokens:
            raise ConfigurationError(f"overlap must be in [0, {max_tokens}) words, got {overlap}")
        words = tokenize(text)
        if len(words) <= max_tokens:
            return [text]
        pieces = []
        start = 0
        while True:
            end = min(start + max_tokens, len(words))
            pieces.append(text[words[start][1] : words[end - 1][2]])
            if end == len(words):
                return pieces
            start = end - overlap
