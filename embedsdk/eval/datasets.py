"""Readers for the data the tasks take: scored pairs (STS), BEIR folders, labelled texts.

Files are never trusted: a bad line raises `InvalidInputError` naming the file, the line and the problem.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from embedsdk.errors import InvalidInputError

__all__ = [
    "RetrievalData",
    "ScoredPair",
    "read_beir",
    "read_labelled",
    "read_pairs",
    "retrieval_from_pairs",
]

PathLike = str | Path


class ScoredPair(NamedTuple):
    """Two sentences and their gold similarity score (STS Benchmark: 0 to 5)."""

    sentence1: str
    sentence2: str
    score: float


class RetrievalData(NamedTuple):
    """A retrieval task in BEIR layout: ``retrieval(provider, *data)`` runs it.

    Attributes:
        queries: Query id -> query text.
        corpus: Document id -> document text.
        qrels: Query id -> {document id: relevance}; relevance > 0 means relevant.
    """

    queries: dict[str, str]
    corpus: dict[str, str]
    qrels: dict[str, dict[str, int]]


def _open_text(path: Path, fallback: str | None = None) -> io.StringIO:
    """The decoded text of ``path`` (gunzipped for ``.gz``): UTF-8, else ``fallback`` when given."""
    if not path.is_file():
        raise InvalidInputError(f"{path}: no such file")
    try:
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError) as exc:
        raise InvalidInputError(f"{path}: cannot be read ({exc})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if fallback is None:
            message = f"{path}: not UTF-8 text (bad byte at offset {exc.start}); save it as UTF-8"
            raise InvalidInputError(message) from None
        text = data.decode(fallback, errors="replace")
    return io.StringIO(text, newline="")


def _score(value: Any, where: str) -> float:
    try:
        score = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{where}: score {value!r} is not a number") from None
    if math.isnan(score) or math.isinf(score):
        raise InvalidInputError(f"{where}: score is {score}; every pair needs a finite gold score")
    return score


def _pair(s1: Any, s2: Any, score: Any, where: str) -> ScoredPair:
    for name, text in (("sentence1", s1), ("sentence2", s2)):
        if not isinstance(text, str) or not text.strip():
            raise InvalidInputError(f"{where}: {name} is {text!r}; each pair needs two non-empty texts")
    return ScoredPair(s1, s2, _score(score, where))


def _rows_from_file(path: Path, split: str | None) -> list[ScoredPair]:
    pairs: list[ScoredPair] = []
    if path.name.endswith((".jsonl", ".jsonl.gz")):
        with _open_text(path) as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InvalidInputError(f"{path}, line {number}: not JSON ({exc.msg})") from None
                if split is not None and row.get("split", split) != split:
                    continue
                where = f"{path}, line {number}"
                if not isinstance(row, dict) or not {"sentence1", "sentence2", "score"} <= row.keys():
                    raise InvalidInputError(f"{where}: a line needs the keys sentence1, sentence2 and score")
                pairs.append(_pair(row["sentence1"], row["sentence2"], row["score"], where))
        return pairs
    delimiter = "," if path.name.endswith((".csv", ".csv.gz")) else "\t"
    with _open_text(path) as handle:
        # STS files hold unbalanced quotes inside sentences: read tab-separated fields literally.
        if delimiter == ",":
            reader = csv.reader(handle, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL)
        else:
            reader = csv.reader(handle, delimiter=delimiter, quoting=csv.QUOTE_NONE)
        header: list[str] | None = None
        for number, fields in enumerate(reader, 1):
            if not fields:
                continue
            where = f"{path}, line {number}"
            if number == 1 and {"sentence1", "sentence2", "score"} <= set(fields):
                header = fields
                continue
            if header is not None:
                if len(fields) < len(header):
                    raise InvalidInputError(f"{where}: {len(fields)} fields, the header names {len(header)}")
                row = dict(zip(header, fields, strict=False))
                if split is not None and row.get("split", split) != split:
                    continue
                pairs.append(_pair(row["sentence1"], row["sentence2"], row["score"], where))
            elif len(fields) == 3:
                pairs.append(_pair(fields[0], fields[1], fields[2], where))
            elif len(fields) >= 7:  # the original STS Benchmark: genre, file, year, id, score, s1, s2
                pairs.append(_pair(fields[5], fields[6], fields[4], where))
            else:
                raise InvalidInputError(
                    f"{where}: {len(fields)} fields; expected a header with sentence1, sentence2 and score, "
                    f"or 3 columns (sentence1, sentence2, score), or the STS Benchmark's 7"
                )
    return pairs


def read_pairs(source: PathLike | Iterable[Any], split: str | None = None) -> list[ScoredPair]:
    """Scored sentence pairs from a file or a list.

    Args:
        source: A path (``.tsv``/``.csv``/``.jsonl``, optionally ``.gz``; with a header naming ``sentence1``,
            ``sentence2`` and ``score``, or 3 columns, or the STS Benchmark's 7), or a list of
            ``(sentence1, sentence2, score)`` tuples or dicts with those keys.
        split: Keep only rows whose ``split`` column equals this (``train``, ``dev``...), when there is one.

    Raises:
        InvalidInputError: the file is missing, a row is malformed, a text is empty or a score is not a finite
            number (the row is named), or no pair is left.
    """
    if isinstance(source, str | Path):
        pairs = _rows_from_file(Path(source), split)
        origin = str(source)
    else:
        pairs = []
        origin = "the pairs"
        for index, row in enumerate(source):
            where = f"pair {index}"
            if isinstance(row, Mapping):
                if split is not None and row.get("split", split) != split:
                    continue
                try:
                    pairs.append(_pair(row["sentence1"], row["sentence2"], row["score"], where))
                except KeyError as exc:
                    raise InvalidInputError(f"{where}: no {exc.args[0]!r} key") from None
            elif isinstance(row, Sequence) and not isinstance(row, str) and len(row) == 3:
                pairs.append(_pair(row[0], row[1], row[2], where))
            else:
                raise InvalidInputError(f"{where}: {row!r} is not a (sentence1, sentence2, score) triple")
    if not pairs:
        detail = f" with split={split!r}" if split is not None else ""
        raise InvalidInputError(f"{origin}: no sentence pairs{detail}")
    return pairs


def retrieval_from_pairs(
    source: PathLike | Iterable[Any], min_score: float = 4.0, split: str | None = None
) -> RetrievalData:
    """A retrieval task built from scored pairs (sentence1 the query, its sentence2s the documents).

    Each sentence1 is a query, and its sentence2s scored at least ``min_score`` are its relevant documents,
    among all the sentence2s.

    Queries without a relevant document are left out; repeated texts become one query or one document.

    Raises:
        InvalidInputError: as `read_pairs`, or no pair reaches ``min_score``.
    """
    pairs = read_pairs(source, split=split)
    queries: dict[str, str] = {}
    corpus: dict[str, str] = {}
    query_ids: dict[str, str] = {}
    doc_ids: dict[str, str] = {}
    qrels: dict[str, dict[str, int]] = {}
    for pair in pairs:
        doc_id = doc_ids.setdefault(pair.sentence2, f"d{len(doc_ids)}")
        corpus[doc_id] = pair.sentence2
        if pair.score >= min_score:
            query_id = query_ids.setdefault(pair.sentence1, f"q{len(query_ids)}")
            queries[query_id] = pair.sentence1
            qrels.setdefault(query_id, {})[doc_id] = 1
    if not qrels:
        raise InvalidInputError(f"no pair has a score of at least {min_score}, so no query has a relevant document")
    return RetrievalData(queries, corpus, qrels)


def _jsonl_texts(path: Path, *, with_title: bool) -> dict[str, str]:
    texts: dict[str, str] = {}
    with _open_text(path) as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidInputError(f"{path}, line {number}: not JSON ({exc.msg})") from None
            if not isinstance(row, dict) or "_id" not in row or not isinstance(row.get("text"), str):
                raise InvalidInputError(f"{path}, line {number}: a line needs an '_id' and a 'text' string")
            title = str(row.get("title") or "").strip() if with_title else ""
            texts[str(row["_id"])] = f"{title} {row['text']}".strip() if title else row["text"]
    if not texts:
        raise InvalidInputError(f"{path}: no entries")
    return texts


def read_beir(folder: PathLike, split: str = "test") -> RetrievalData:
    """A BEIR dataset folder: ``corpus.jsonl``, ``queries.jsonl`` and ``qrels/<split>.tsv``.

    Corpus titles are put before the text, as BEIR does. Queries absent from the qrels are dropped.

    Raises:
        InvalidInputError: a file is missing or malformed (the file and the line are named).
    """
    root = Path(folder)
    corpus = _jsonl_texts(root / "corpus.jsonl", with_title=True)
    queries = _jsonl_texts(root / "queries.jsonl", with_title=False)
    qrels_path = root / "qrels" / f"{split}.tsv"
    qrels: dict[str, dict[str, int]] = {}
    with _open_text(qrels_path) as handle:
        for number, line in enumerate(handle, 1):
            fields = line.rstrip("\n").split("\t")
            if number == 1 and fields[:1] == ["query-id"]:
                continue
            if not line.strip():
                continue
            if len(fields) != 3:
                raise InvalidInputError(f"{qrels_path}, line {number}: expected query-id, corpus-id, score")
            try:
                relevance = int(float(fields[2]))
            except ValueError:
                raise InvalidInputError(f"{qrels_path}, line {number}: score {fields[2]!r} is not a number") from None
            qrels.setdefault(fields[0], {})[fields[1]] = relevance
    return RetrievalData({qid: queries[qid] for qid in queries if qid in qrels}, corpus, qrels)


def read_labelled(path: PathLike) -> tuple[list[str], list[str]]:
    """Texts and labels from a fastText-style file: ``__label__<name> text`` on each line.

    gensim's ``pang_lee_polarity.cor`` is such a file.

    Raises:
        InvalidInputError: a line has no ``__label__`` prefix (the line is named) or the file is empty.
    """
    file = Path(path)
    texts: list[str] = []
    labels: list[str] = []
    # gensim's pang_lee_polarity.cor is Windows-1252, as are many older labelled corpora.
    with _open_text(file, fallback="cp1252") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            head, _, text = line.strip().partition(" ")
            if not head.startswith("__label__") or not text.strip():
                raise InvalidInputError(f"{file}, line {number}: expected '__label__<name> <text>'")
            labels.append(head[len("__label__") :])
            texts.append(text.strip())
    if not texts:
        raise InvalidInputError(f"{file}: no labelled lines")
    return texts, labels
