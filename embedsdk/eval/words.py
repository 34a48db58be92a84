"""Word tools and word-level evaluation: `most_similar`, `analogy`, `word_similarity`, `analogy_accuracy`.

    >>> import embedsdk
    >>> embedsdk.analogy("man", "king", "woman", provider="glove")[0]
    Neighbor(word='queen', score=...)
    >>> embedsdk.eval.word_similarity("glove", "wordsim353").spearman
    0.503...

Everything works on unit-length vectors with matrix operations (no Python loop over the vocabulary).
A provider with a vocabulary (``glove``, ``static/<path>``: any embedder exposing ``word_vectors`` with
``words``, ``unit`` and ``lookup(word)``) is searched over its own vocabulary, most frequent first, so
``restrict_vocab=N`` keeps the N most frequent words, as in gensim. Any other provider can be used with an
explicit ``vocabulary=`` list of candidate words, which it embeds.

Datasets: ``wordsim353``, ``simlex999`` and ``google`` (the Google analogy set, ``questions-words.txt``)
are read from gensim's test data; any file in the same layout works (``word1<TAB>word2<TAB>score`` lines,
``#`` comments; ``: section`` headers then ``a b c d`` lines).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from embedsdk.errors import InvalidInputError, InvalidOptionError, MissingDependencyError
from embedsdk.eval.correlation import pearson, spearman
from embedsdk.eval.result import TaskResult

__all__ = [
    "DATASETS",
    "AnalogyResult",
    "Neighbor",
    "WordSimilarityResult",
    "analogy",
    "analogy_accuracy",
    "most_similar",
    "read_analogies",
    "read_word_pairs",
    "word_similarity",
]

DATASETS = {
    "wordsim353": "wordsim353.tsv",
    "ws353": "wordsim353.tsv",
    "simlex999": "simlex999.txt",
    "simlex": "simlex999.txt",
    "google": "questions-words.txt",
    "questions-words": "questions-words.txt",
}
"""Dataset names read from gensim's test data (``gensim.test.utils.datapath``)."""

_BLOCK_FLOATS = 10_000_000  # scores per matrix product (questions x vocabulary): bounds memory to ~40 MB


class Neighbor(NamedTuple):
    """A word and its score. Compares equal to its word too, so ``result[0] == "queen"`` reads naturally."""

    word: str
    score: float

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return self.word == other
        return tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return tuple.__hash__(self)


class _Vocabulary:
    """Words and their unit vectors, most frequent first, with the provider's own lookup."""

    def __init__(self, words: Sequence[str], unit: np.ndarray, lookup: Any = None) -> None:
        self.words = words
        self.unit = unit
        self._lookup = lookup
        self._index: dict[str, int] | None = None

    def row(self, word: str) -> int | None:
        if self._lookup is not None:
            found: int | None = self._lookup(word)
            return found
        if self._index is None:
            self._index = {}
            for position, known in enumerate(self.words):
                self._index.setdefault(known, position)
        return self._index.get(word, self._index.get(word.lower()))


def _embedder(provider: Any, options: dict[str, Any]) -> Any:
    import embedsdk

    if provider is None or isinstance(provider, str):
        return embedsdk.embedder(provider, **options)
    if options:
        raise InvalidOptionError(f"options {sorted(options)} cannot be applied to an already built embedder")
    return provider


def _vocabulary(provider: Any, vocabulary: Iterable[str] | None, options: dict[str, Any]) -> _Vocabulary:
    model = _embedder(provider, options)
    if vocabulary is not None:
        import embedsdk

        words = list(dict.fromkeys(vocabulary))
        if not words:
            raise InvalidInputError("vocabulary= is empty; pass the candidate words")
        vectors = np.asarray(embedsdk.embed(words, provider=model).vectors, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return _Vocabulary(words, vectors / np.where(norms == 0, 1, norms))
    table = getattr(model, "word_vectors", None)
    if table is None:
        raise InvalidOptionError(
            f"{getattr(model, 'provider_id', model)} has no vocabulary of its own; pass vocabulary=[candidate words] "
            f"or use a word-vector provider such as 'glove' or 'static/<path>'"
        )
    return _Vocabulary(table.words, table.unit, table.lookup)


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


def _rows(vocab: _Vocabulary, words: Sequence[str], restrict: int) -> list[int]:
    rows = []
    for word in words:
        row = vocab.row(word)
        if row is None:
            raise InvalidInputError(f"{word!r} is not in the provider's vocabulary; pick another word")
        if row >= restrict:
            raise InvalidInputError(f"{word!r} is outside restrict_vocab={restrict} (its rank is {row + 1})")
        rows.append(row)
    return rows


def _top(scores: np.ndarray, k: int, words: Sequence[str]) -> list[Neighbor]:
    k = min(k, int(np.isfinite(scores).sum()))
    if k <= 0:
        return []
    best = np.argpartition(-scores, k - 1)[:k]
    best = best[np.argsort(-scores[best], kind="stable")]
    return [Neighbor(str(words[i]), float(scores[i])) for i in best]


def _restrict(vocab: _Vocabulary, restrict_vocab: int | None) -> int:
    total = len(vocab.words)
    if restrict_vocab is None:
        return total
    if restrict_vocab < 1:
        raise InvalidOptionError(f"restrict_vocab={restrict_vocab}: pass a positive number of words (or None)")
    return min(restrict_vocab, total)


def most_similar(
    word_or_vector: str | np.ndarray | Sequence[float],
    k: int = 10,
    provider: Any = None,
    *,
    restrict_vocab: int | None = None,
    vocabulary: Iterable[str] | None = None,
    **options: Any,
) -> list[Neighbor]:
    """The ``k`` vocabulary words closest to a word or a vector, by cosine, best first.

    Args:
        word_or_vector: A word (excluded from the answer) or a vector of the provider's dimension.
        k: How many neighbours.
        provider: A word-vector provider (``glove``, ``static/<path>``), or any provider with ``vocabulary=``.
        restrict_vocab: Search only the first N (most frequent) words, as gensim does.
        vocabulary: Candidate words to embed with the provider (for providers without a vocabulary).
        **options: Provider options.

    Returns:
        `Neighbor` tuples ``(word, score)``.
    """
    vocab = _vocabulary(provider, vocabulary, options)
    limit = _restrict(vocab, restrict_vocab)
    excluded: list[int] = []
    if isinstance(word_or_vector, str):
        row = vocab.row(word_or_vector)
        if row is None:
            raise InvalidInputError(f"{word_or_vector!r} is not in the provider's vocabulary; pick another word")
        query = vocab.unit[row]
        excluded = [row]
    else:
        query = np.asarray(word_or_vector, dtype=np.float32).reshape(-1)
        if query.shape[0] != vocab.unit.shape[1]:
            raise InvalidInputError(f"a {query.shape[0]}-d vector for a {vocab.unit.shape[1]}-d vocabulary")
    scores = np.asarray(vocab.unit[:limit] @ _unit(query), dtype=np.float64)
    scores[[r for r in excluded if r < limit]] = -np.inf
    return _top(scores, k, vocab.words)


def _analogy_scores(unit: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray, method: str) -> np.ndarray:
    """Scores of every candidate (columns) for each question (rows): 3CosAdd or 3CosMul."""
    if method == "3cosadd":
        # cos(x, b) - cos(x, a) + cos(x, c) = x . (b - a + c) on unit vectors: one product.
        result: np.ndarray = (b - a + c) @ unit.T
        return result
    # 3CosMul (Levy and Goldberg 2014): cosines shifted to [0, 1], b and c multiplied, a divided.
    shifted = [(v @ unit.T + 1.0) / 2.0 for v in (a, b, c)]
    result = shifted[1] * shifted[2] / (shifted[0] + 1e-3)
    return result


def _check_method(method: str) -> str:
    name = method.lower()
    if name not in {"3cosadd", "3cosmul"}:
        raise InvalidOptionError(f"method={method!r}: use '3cosadd' or '3cosmul'")
    return name


def analogy(
    a: str,
    b: str,
    c: str,
    provider: Any = None,
    *,
    method: str = "3cosadd",
    k: int = 1,
    restrict_vocab: int | None = None,
    vocabulary: Iterable[str] | None = None,
    **options: Any,
) -> list[Neighbor]:
    """Solve ``a : b :: c : ?`` (``analogy("man", "king", "woman")`` -> queen), the inputs excluded.

    Args:
        a: The first word of the known pair.
        b: The second word of the known pair.
        c: The first word of the asked pair.
        provider: A word-vector provider (``glove``, ``static/<path>``), or any provider with ``vocabulary=``.
        method: ``3cosadd`` (cos(x,b) - cos(x,a) + cos(x,c)) or ``3cosmul`` (Levy and Goldberg's product form).
        k: How many answers, best first.
        restrict_vocab: Search only the first N (most frequent) words, as gensim does.
        vocabulary: Candidate words to embed with the provider (for providers without a vocabulary).
        **options: Provider options.

    Returns:
        `Neighbor` tuples ``(word, score)``; ``result[0] == "queen"`` compares the word.
    """
    name = _check_method(method)
    vocab = _vocabulary(provider, vocabulary, options)
    limit = _restrict(vocab, restrict_vocab)
    rows = _rows(vocab, [a, b, c], len(vocab.words))
    va, vb, vc = (vocab.unit[row][None, :].astype(np.float32) for row in rows)
    scores = _analogy_scores(vocab.unit[:limit], va, vb, vc, name)[0].astype(np.float64)
    scores[[r for r in rows if r < limit]] = -np.inf
    return _top(scores, k, vocab.words)


# -- datasets ----------------------------------------------------------------------------------------


def _dataset_path(dataset: str | Path) -> Path:
    name = str(dataset)
    if name.lower() in DATASETS:
        try:
            from gensim.test.utils import datapath
        except ImportError as exc:
            raise MissingDependencyError(
                f"dataset {name!r} comes with gensim's test data: pip install gensim (or embedsdk-static)"
            ) from exc
        return Path(datapath(DATASETS[name.lower()]))
    path = Path(name).expanduser()
    if not path.is_file():
        raise InvalidOptionError(f"dataset {name!r} is neither a file nor one of {', '.join(sorted(DATASETS))}")
    return path


def read_word_pairs(dataset: str | Path) -> list[tuple[str, str, float]]:
    """``(word1, word2, score)`` from a WordSim353/SimLex-999 style file (tab separated, ``#`` comments)."""
    path = _dataset_path(dataset)
    pairs = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t") if "\t" in line else line.split()
        try:
            pairs.append((parts[0].strip(), parts[1].strip(), float(parts[2])))
        except (IndexError, ValueError):
            raise InvalidInputError(f"{path}, line {number}: expected 'word1<TAB>word2<TAB>score'") from None
    if len(pairs) < 2:
        raise InvalidInputError(f"{path} holds fewer than two word pairs")
    return pairs


def read_analogies(dataset: str | Path) -> list[tuple[str, tuple[str, str, str, str]]]:
    """``(section, (a, b, c, d))`` from a Google-analogy style file (``: section`` headers)."""
    path = _dataset_path(dataset)
    questions = []
    section = "default"
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        if line.startswith(":"):
            section = line[1:].strip()
            continue
        parts = line.split()
        if len(parts) != 4:
            raise InvalidInputError(f"{path}, line {number}: expected four words 'a b c d'")
        questions.append((section, (parts[0], parts[1], parts[2], parts[3])))
    if not questions:
        raise InvalidInputError(f"{path} holds no analogy questions")
    return questions


# -- evaluation ---------------------------------------------------------------------------------------


@dataclass
class WordSimilarityResult(TaskResult):
    """How well cosine similarity of word vectors ranks word pairs like human judges.

    Attributes:
        spearman: Spearman rank correlation over the covered pairs.
        pearson: Pearson correlation over the covered pairs.
        coverage: Share of the dataset's pairs whose two words the provider knows.
        oov_pairs: The pairs left out, with a word out of vocabulary.
    """

    spearman: float = 0.0
    pearson: float = 0.0
    coverage: float = 0.0
    oov_pairs: list[tuple[str, str]] = field(default_factory=list)

    @property
    def metrics(self) -> dict[str, float]:
        """``spearman``, ``pearson`` and ``coverage``."""
        return {"spearman": self.spearman, "pearson": self.pearson, "coverage": self.coverage}


@dataclass
class AnalogyResult(TaskResult):
    """Accuracy on analogy questions ``a : b :: c : d``.

    Attributes:
        accuracy: Share of covered questions whose best answer is ``d``.
        sections: Accuracy per section of the dataset (``capital-common-countries``...).
        coverage: Share of questions whose four words are in the (restricted) vocabulary.
        correct: Questions answered right.
        method: ``3cosadd`` or ``3cosmul``.
        restrict_vocab: The vocabulary restriction used (None: the whole vocabulary).
    """

    accuracy: float = 0.0
    sections: dict[str, float] = field(default_factory=dict)
    coverage: float = 0.0
    correct: int = 0
    method: str = "3cosadd"
    restrict_vocab: int | None = None

    @property
    def metrics(self) -> dict[str, float]:
        """``accuracy`` and ``coverage``."""
        return {"accuracy": self.accuracy, "coverage": self.coverage}


def _provider_id(model: Any) -> str:
    space = getattr(model, "space", None)
    return str(getattr(space, "provider", getattr(model, "provider_id", model)))


def word_similarity(
    provider: Any,
    dataset: str | Path = "wordsim353",
    *,
    restrict_vocab: int | None = None,
    **options: Any,
) -> WordSimilarityResult:
    """Score a provider on a word-similarity set (WordSim353, SimLex-999...).

    Pairs with a word the provider does not know (after its case and punctuation fallbacks, within
    ``restrict_vocab``) are left out and listed in ``oov_pairs``; providers without a vocabulary embed
    every word.

    Args:
        provider: An id, an alias or an embedder.
        dataset: ``wordsim353``, ``simlex999``, or a file of ``word1<TAB>word2<TAB>score`` lines.
        restrict_vocab: Count only the first N (most frequent) words as known.
        **options: Provider options.
    """
    model = _embedder(provider, options)
    pairs = read_word_pairs(dataset)
    table = getattr(model, "word_vectors", None)
    if table is not None:
        vocab = _Vocabulary(table.words, table.unit, table.lookup)
        limit = _restrict(vocab, restrict_vocab)
        covered, oov = [], []
        for first, second, score in pairs:
            rows = (vocab.row(first), vocab.row(second))
            if rows[0] is None or rows[1] is None or rows[0] >= limit or rows[1] >= limit:
                oov.append((first, second))
            else:
                covered.append((rows[0], rows[1], score))
        if len(covered) < 2:
            raise InvalidInputError(f"the provider knows fewer than two pairs of {dataset}")
        left = vocab.unit[[c[0] for c in covered]]
        right = vocab.unit[[c[1] for c in covered]]
        cosines = np.einsum("ij,ij->i", left, right)
        gold = np.array([c[2] for c in covered])
    else:
        import embedsdk

        words = sorted({w for first, second, _ in pairs for w in (first, second)})
        vectors = embedsdk.embed(words, provider=model).vectors
        position = {word: i for i, word in enumerate(words)}
        left = vectors[[position[p[0]] for p in pairs]]
        right = vectors[[position[p[1]] for p in pairs]]
        norms = np.linalg.norm(left, axis=1) * np.linalg.norm(right, axis=1)
        cosines = np.einsum("ij,ij->i", left, right) / np.where(norms == 0, 1, norms)
        gold, oov = np.array([p[2] for p in pairs]), []
        covered = [(0, 0, p[2]) for p in pairs]
    return WordSimilarityResult(
        task="word_similarity",
        provider=_provider_id(model),
        examples=len(covered),
        spearman=spearman(cosines, gold, what="human scores"),
        pearson=pearson(cosines, gold, what="human scores"),
        coverage=len(covered) / len(pairs),
        oov_pairs=oov,
    )


def analogy_accuracy(
    provider: Any,
    dataset: str | Path = "google",
    *,
    method: str = "3cosadd",
    restrict_vocab: int | None = 100_000,
    case_insensitive: bool = True,
    **options: Any,
) -> AnalogyResult:
    """Score a provider on analogy questions (the Google set by default), as gensim's evaluation does.

    A question counts when its four words are in the first ``restrict_vocab`` words; the answer is the
    best-scoring word among those, the three question words excluded. The default restriction, the 100,000
    most frequent words, is the one our published GloVe 6B 50d figure uses (47.0 % with 3CosAdd, 98.4 %
    coverage; gensim's 300,000 gives 46.4 %).

    Args:
        provider: A word-vector provider (``glove``, ``static/<path>``).
        dataset: ``google`` or a file of ``: section`` headers and ``a b c d`` lines.
        method: ``3cosadd`` or ``3cosmul``.
        restrict_vocab: Candidate and question words are the first N (most frequent); None: all.
        case_insensitive: Compare words lower-cased (the usual setting for the Google set).
        **options: Provider options.
    """
    name = _check_method(method)
    model = _embedder(provider, options)
    vocab = _vocabulary(model, None, {})
    limit = _restrict(vocab, restrict_vocab)
    questions = read_analogies(dataset)
    index: dict[str, int] = {}
    for position, word in enumerate(vocab.words[:limit]):
        index.setdefault(word.lower() if case_insensitive else word, position)
    covered, sections_of = [], []
    for section, words in questions:
        rows = [index.get(w.lower() if case_insensitive else w) for w in words]
        if all(row is not None for row in rows):
            covered.append(rows)
            sections_of.append(section)
    unit = np.ascontiguousarray(vocab.unit[:limit], dtype=np.float32)
    hits = np.zeros(len(covered), dtype=bool)
    matrix = np.asarray(covered, dtype=np.int64).reshape(-1, 4)
    step = max(1, _BLOCK_FLOATS // max(limit, 1))
    for start in range(0, len(covered), step):
        block = matrix[start : start + step]
        scores = _analogy_scores(unit, unit[block[:, 0]], unit[block[:, 1]], unit[block[:, 2]], name)
        scores[np.arange(len(block))[:, None], block[:, :3]] = -np.inf
        hits[start : start + len(block)] = scores.argmax(axis=1) == block[:, 3]
    sections: dict[str, float] = {}
    for section in dict.fromkeys(s for s, _ in questions):
        mask = np.array([s == section for s in sections_of], dtype=bool)
        if mask.any():
            sections[section] = float(hits[mask].mean())
    return AnalogyResult(
        task="analogy",
        provider=_provider_id(model),
        examples=len(covered),
        accuracy=float(hits.mean()) if len(covered) else 0.0,
        sections=sections,
        coverage=len(covered) / len(questions),
        correct=int(hits.sum()),
        method=name,
        restrict_vocab=restrict_vocab,
    )
