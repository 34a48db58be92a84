"""How each weight format turns a word into the ids its token encoder reads.

- `ByteCharacters` (AllenNLP): a word is its UTF-8 bytes between begin-of-word (258) and end-of-word (259)
  markers, padded with 260, every id shifted by one (0 is reserved for masking); the sentence boundaries are
  the words ``[258, 256, 259]`` and ``[258, 257, 259]``. There is no word embedding.
- `DictionaryCharacters` (ELMoForManyLangs): characters and words are looked up in ``char.dic`` and
  ``word.dic`` (``<oov>`` for unknown ones); boundaries are the entries ``<bos>`` and ``<eos>``. Its
  reference code fills the first slot of every word with the ``<eow>`` id and the slot after the last
  character with the ``<bow>`` id (the names are swapped in its batching code); the published models were
  trained that way, so that is what this reproduces.

Both cut a word to ``max_chars - 2`` characters (bytes for AllenNLP), keeping room for the two markers.
"""

from __future__ import annotations

from pathlib import Path

from embedsdk.errors import ConfigurationError

__all__ = ["BOS", "EOS", "ByteCharacters", "Characters", "DictionaryCharacters", "read_dictionary"]

BOS = "\x00<bos>"
"""Stands for the begin-of-sentence token in a token list (no real word contains a NUL)."""
EOS = "\x00<eos>"
"""Stands for the end-of-sentence token in a token list."""


class Characters:
    """Word -> character ids (and word id), memoized; subclasses define `_chars` and `_word`."""

    has_words: bool = False

    def __init__(self, max_chars: int) -> None:
        if max_chars < 3:
            raise ConfigurationError(f"max_characters_per_token must be at least 3, got {max_chars}")
        self.max_chars = max_chars
        self._char_cache: dict[str, list[int]] = {}

    def chars(self, word: str) -> list[int]:
        """The ``max_chars`` character ids of ``word`` (or of `BOS` / `EOS`)."""
        found = self._char_cache.get(word)
        if found is None:
            if len(self._char_cache) > 200_000:  # bound memory on endless vocabularies
                self._char_cache.clear()
            found = self._char_cache[word] = self._chars(word)
        return found

    def word(self, word: str) -> int:
        """The word-embedding row of ``word`` (only for formats with a word embedding)."""
        return self._word(word)

    def _chars(self, word: str) -> list[int]:
        raise NotImplementedError

    def _word(self, word: str) -> int:
        raise ConfigurationError("this model has no word embedding")


class ByteCharacters(Characters):
    """AllenNLP's byte-level character ids (see the module docstring)."""

    BOS_CHAR, EOS_CHAR, BOW, EOW, PAD = 256, 257, 258, 259, 260

    def _chars(self, word: str) -> list[int]:
        ids = [self.PAD] * self.max_chars
        ids[0] = self.BOW
        if word in (BOS, EOS):
            ids[1] = self.BOS_CHAR if word == BOS else self.EOS_CHAR
            ids[2] = self.EOW
        else:
            encoded = word.encode("utf-8", "ignore")[: self.max_chars - 2]
            ids[1 : len(encoded) + 1] = list(encoded)
            ids[len(encoded) + 1] = self.EOW
        return [i + 1 for i in ids]


class DictionaryCharacters(Characters):
    """ELMoForManyLangs' ``char.dic`` / ``word.dic`` ids (see the module docstring).

    Args:
        char_ids: ``char.dic``; must hold ``<bow> <eow> <bos> <eos> <oov> <pad>``.
        word_ids: ``word.dic`` or None; must hold ``<bos> <eos> <oov> <pad>`` when given.
        max_chars: Characters per word, markers included.
        source: The folder, for error messages.
    """

    def __init__(self, char_ids: dict[str, int], word_ids: dict[str, int] | None, max_chars: int, source: Path) -> None:
        super().__init__(max_chars)
        for name, table, needed in (
            ("char.dic", char_ids, ("<bow>", "<eow>", "<bos>", "<eos>", "<oov>", "<pad>")),
            ("word.dic", word_ids, ("<bos>", "<eos>", "<oov>", "<pad>")),
        ):
            missing = [key for key in needed if table is not None and key not in table]
            if missing:
                raise ConfigurationError(
                    f"{source / name} lacks the entries {missing}; is it an ELMoForManyLangs file?"
                )
        self.char_ids = char_ids
        self.word_ids = word_ids
        self.has_words = word_ids is not None
        # The reference's batching code reads ('<eow>', '<bow>') into (bow_id, eow_id): kept as trained.
        self._first, self._last = char_ids["<eow>"], char_ids["<bow>"]
        self._oov, self._pad = char_ids["<oov>"], char_ids["<pad>"]

    def _cut(self, word: str) -> str:
        return word if word in (BOS, EOS) else word[: self.max_chars - 2]

    def _chars(self, word: str) -> list[int]:
        ids = [self._pad] * self.max_chars
        ids[0] = self._first
        if word in (BOS, EOS):
            ids[1] = self.char_ids["<bos>" if word == BOS else "<eos>"]
            ids[2] = self._last
        else:
            word = self._cut(word)
            ids[1 : len(word) + 1] = [self.char_ids.get(c, self._oov) for c in word]
            ids[len(word) + 1] = self._last
        return ids

    def _word(self, word: str) -> int:
        if self.word_ids is None:
            raise ConfigurationError("this model has no word embedding")
        if word in (BOS, EOS):
            return self.word_ids["<bos>" if word == BOS else "<eos>"]
        return self.word_ids.get(self._cut(word), self.word_ids["<oov>"])


def read_dictionary(path: Path) -> dict[str, int]:
    """Read an ELMoForManyLangs ``char.dic`` / ``word.dic``: ``entry<TAB>id`` per line.

    As the reference reads it: a line is stripped first, so a line holding only an id stands for an entry
    that was whitespace, which the reference maps to U+3000 (ideographic space).

    Raises:
        ConfigurationError: a line is not ``entry<TAB>id`` with an integer id (file and line named).
    """
    table: dict[str, int] = {}
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            parts = line.strip().split("\t")
            if parts == [""]:
                continue
            if len(parts) == 1:
                parts.insert(0, "\u3000")
            if len(parts) != 2 or not parts[1].lstrip("-").isdigit() or int(parts[1]) < 0:
                raise ConfigurationError(
                    f"{path}, line {number}: expected 'entry<TAB>id' with an id >= 0, got {line!r}"
                )
            table[parts[0]] = int(parts[1])
    if not table:
        raise ConfigurationError(f"{path} is empty")
    return table
