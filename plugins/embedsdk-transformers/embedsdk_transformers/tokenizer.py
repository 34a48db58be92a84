"""`HFTokenizer`: the embedsdk Tokenizer protocol over a Hugging Face fast tokenizer, cutting on token boundaries.

It runs on the Rust ``tokenizers`` library alone: what the transformers tokenizer adds to its backend is read
once per tokenizer-file state (`TokenizerSpec`), and later processes rebuild the tokenizer from that spec
without importing transformers. Texts counted for the planner keep their encodings (a bounded memo), so a
text is tokenized once, not once to count and again for the model.
"""

from __future__ import annotations

import bisect
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, TypedDict

import numpy as np

from embedsdk.errors import ConfigurationError

__all__ = ["MEMO_SIZE", "HFTokenizer", "TokenizerSpec", "spec_of", "valid_spec"]

# Encodings kept between counting and the forward pass; a call larger than this tokenizes its overflow twice.
MEMO_SIZE = 65536
_MODEL_INPUTS = ("input_ids", "token_type_ids", "attention_mask")


class TokenizerSpec(TypedDict):
    """What the model's transformers tokenizer adds to its Rust backend, as JSON values."""

    backend: str
    special: int
    pad_id: int
    inputs: list[str]


def spec_of(tokenizer: Any) -> TokenizerSpec:
    """The spec of a transformers fast tokenizer.

    Raises:
        ConfigurationError: a slow tokenizer (character offsets are needed to cut text).
    """
    if not getattr(tokenizer, "is_fast", False):
        raise ConfigurationError(
            f"{type(tokenizer).__name__} is a slow tokenizer; embedsdk needs a fast one (tokenizer.json, "
            f"or `pip install tokenizers sentencepiece` so transformers can convert it)"
        )
    if getattr(tokenizer, "truncation_side", "right") != "right":
        raise ConfigurationError(f"{type(tokenizer).__name__} truncates on the left; embedsdk cuts on the right")
    pad = tokenizer.pad_token_id
    return TokenizerSpec(
        backend=tokenizer.backend_tokenizer.to_str(),
        special=int(tokenizer.num_special_tokens_to_add(pair=False)),
        pad_id=int(pad) if pad is not None else 0,
        inputs=[name for name in tokenizer.model_input_names if name in _MODEL_INPUTS],
    )


def valid_spec(value: Any) -> bool:
    """True when ``value`` (read from a file) has the shape of a `TokenizerSpec`."""
    return (
        isinstance(value, dict)
        and isinstance(value.get("backend"), str)
        and isinstance(value.get("special"), int)
        and isinstance(value.get("pad_id"), int)
        and isinstance(value.get("inputs"), list)
        and "input_ids" in value["inputs"]
        and all(name in _MODEL_INPUTS for name in value["inputs"])
    )


class HFTokenizer:
    """Counts, truncates and splits text exactly as the model's tokenizer sees it.

    Args:
        tokenizer: A ``transformers`` fast tokenizer, or its `TokenizerSpec` (``hf`` then loads the
            transformers one on demand through ``load_hf``).
        lowercase: Lower-case before tokenizing (sentence-transformers' ``do_lower_case``).
        load_hf: Loads the transformers tokenizer, when ``tokenizer`` is a spec and ``hf`` is asked for.
    """

    def __init__(self, tokenizer: Any, lowercase: bool = False, load_hf: Callable[[], Any] | None = None) -> None:
        from tokenizers import Tokenizer

        if isinstance(tokenizer, dict):
            spec: TokenizerSpec = tokenizer  # type: ignore[assignment]
            self._hf: Any = None
        else:
            spec = spec_of(tokenizer)
            self._hf = tokenizer
        self.spec = spec
        self._load_hf = load_hf
        self.lowercase = lowercase
        self.special = int(spec["special"])
        # A Rust tokenizer of our own, set once to no truncation and no padding.
        self._backend = Tokenizer.from_str(spec["backend"])
        self._backend.no_truncation()
        self._backend.no_padding()
        self._truncating: dict[int, Any] = {}
        # text -> (ids, type ids): compact arrays, not Encoding objects (which also hold tokens and offsets).
        self._memo: OrderedDict[str, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._memo_lock = threading.Lock()

    @property
    def hf(self) -> Any:
        """The transformers tokenizer (loaded on first use when this one was built from a spec)."""
        if self._hf is None:
            if self._load_hf is None:
                raise ConfigurationError("this HFTokenizer was built from a spec, with no way to load transformers")
            self._hf = self._load_hf()
        return self._hf

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

    def count(self, texts: Sequence[str]) -> list[int]:
        """Tokens per text, special tokens included; the encodings are kept for `encode_for_model`."""
        encodings = self._encode(texts, special=True)
        with self._memo_lock:
            for text, encoding in zip(texts, encodings):
                self._memo[text] = _compact(encoding)
                self._memo.move_to_end(text)
            while len(self._memo) > MEMO_SIZE:
                self._memo.popitem(last=False)
        return [len(encoding.ids) for encoding in encodings]

    def forget(self, texts: Sequence[str]) -> None:
        """Drop the kept encodings of ``texts`` (counted, but sent to the model in another form)."""
        with self._memo_lock:
            for text in texts:
                self._memo.pop(text, None)

    def _model_encodings(self, texts: Sequence[str], max_tokens: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """(ids, type ids) with special tokens, at most ``max_tokens`` long: the counted ones where they fit."""
        found: list[tuple[np.ndarray, np.ndarray] | None] = []
        with self._memo_lock:
            for text in texts:
                kept = self._memo.pop(text, None)
                found.append(kept if kept is not None and len(kept[0]) <= max_tokens else None)
        missing = [n for n, kept in enumerate(found) if kept is None]
        if missing:
            for n, encoding in zip(missing, self._encode_cut([texts[n] for n in missing], max_tokens)):
                found[n] = _compact(encoding)
        return [kept for kept in found if kept is not None]

    def _encode_cut(self, texts: Sequence[str], max_tokens: int) -> list[Any]:
        """Encodings with special tokens, cut as transformers cuts (tokens first, special tokens kept)."""
        with self._memo_lock:
            backend = self._truncating.get(max_tokens)
            if backend is None:
                from tokenizers import Tokenizer

                backend = Tokenizer.from_str(self.spec["backend"])
                backend.no_padding()
                backend.enable_truncation(max_tokens)
                self._truncating[max_tokens] = backend
        return list(backend.encode_batch([self.prepare(t) for t in texts], add_special_tokens=True))

    def encode_for_model(self, texts: Sequence[str], max_tokens: int) -> dict[str, np.ndarray]:
        """Model inputs as int64 arrays: prepared, right-padded to the longest text, cut to ``max_tokens``."""
        encodings = self._model_encodings(texts, max_tokens)
        width = max(len(ids) for ids, _ in encodings)
        arrays = {name: np.zeros((len(encodings), width), dtype=np.int64) for name in self.spec["inputs"]}
        ids = arrays["input_ids"]
        ids.fill(self.spec["pad_id"])
        mask = arrays.setdefault("attention_mask", np.zeros((len(encodings), width), dtype=np.int64))
        types = arrays.get("token_type_ids")
        for row, (row_ids, row_types) in enumerate(encodings):
            length = len(row_ids)
            ids[row, :length] = row_ids
            mask[row, :length] = 1
            if types is not None:
                types[row, :length] = row_types
        return arrays

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
        """The longest prefix of at most ``max_tokens`` tokens (special tokens included), cut between words.

        The model then reads exactly what transformers' own truncation gives (the first ``max_tokens`` ids,
        a word the limit falls inside included), so a truncated vector is sentence-transformers' vector: the
        cut text is remembered as standing for those ids until `encode_for_model` uses them.
        """
        cut = text[: self._windows(text, max_tokens, 0)[0][1]]
        if cut != text:
            encoding = self._encode_cut([text], max_tokens)[0]
            with self._memo_lock:
                self._memo[cut] = _compact(encoding)
                self._memo.move_to_end(cut)
        return cut

    def split(self, text: str, max_tokens: int, overlap: int = 0) -> list[str]:
        """Consecutive pieces of at most ``max_tokens`` tokens each, sharing ``overlap`` tokens."""
        return [text[start:end] for start, end in self._windows(text, max_tokens, overlap)]

    def word_pieces(
        self, text: str, spans: Sequence[tuple[int, int]], max_tokens: int
    ) -> tuple[dict[str, np.ndarray], list[list[int]]]:
        """Encode ``text`` for the model and find the token positions covering each character span.

        Returns:
            The model inputs (with special tokens, cut to ``max_tokens``) and, per span, its positions.
        """
        encoding = self._encode_cut([text], max_tokens)[0]
        with self._memo_lock:
            self._memo[text] = _compact(encoding)
        inputs = self.encode_for_model([text], max_tokens)
        # Special tokens have empty offsets; [UNK] has real ones and stands for its word (an emoji, say).
        offsets = encoding.offsets
        special = encoding.special_tokens_mask
        positions = [
            [n for n, (s, e) in enumerate(offsets) if not special[n] and e > s and s < end and e > start]
            for start, end in spans
        ]
        return inputs, positions


def _compact(encoding: Any) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(encoding.ids, dtype=np.int32), np.asarray(encoding.type_ids, dtype=np.int8)
