from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from embedsdk.errors import InvalidInputError
from embedsdk.eval import ScoredPair, read_beir, read_labelled, read_pairs, retrieval_from_pairs

from .conftest import STSB_SAMPLE


def test_stsb_file_with_header_and_split() -> None:
    dev = read_pairs(STSB_SAMPLE, split="dev")
    train = read_pairs(STSB_SAMPLE, split="train")
    assert (len(dev), len(train)) == (200, 100)
    assert len(read_pairs(STSB_SAMPLE)) == 300
    assert all(0 <= p.score <= 5 and p.sentence1 and p.sentence2 for p in dev)


def test_gzipped_headerless_and_original_stsb_layouts(tmp_path: Path) -> None:
    three = tmp_path / "three.tsv.gz"
    with gzip.open(three, "wt", encoding="utf-8") as handle:
        handle.write('A "quoted start.\tAnother one.\t3.5\n')
    assert read_pairs(three) == [ScoredPair('A "quoted start.', "Another one.", 3.5)]
    seven = tmp_path / "sts-dev.tsv"  # the original STS Benchmark layout: genre, file, year, id, score, s1, s2
    seven.write_text("main-news\theadlines\t2013\t0001\t4.2\tOne.\tTwo.\n", encoding="utf-8")
    assert read_pairs(seven) == [ScoredPair("One.", "Two.", 4.2)]


def test_lists_of_tuples_dicts_and_jsonl(tmp_path: Path) -> None:
    assert read_pairs([("a", "b", 1)]) == [ScoredPair("a", "b", 1.0)]
    assert read_pairs([{"sentence1": "a", "sentence2": "b", "score": "2"}]) == [ScoredPair("a", "b", 2.0)]
    lines = tmp_path / "pairs.jsonl"
    lines.write_text(json.dumps({"sentence1": "a", "sentence2": "b", "score": 4}) + "\n", encoding="utf-8")
    assert read_pairs(lines) == [ScoredPair("a", "b", 4.0)]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([], "no sentence pairs"),
        ([("a", "b", float("nan"))], "pair 0: score is nan"),
        ([("a", "b", 1), ("a", "", 2)], "pair 1: sentence2 is ''"),
        ([("a", "b", "high")], "pair 0: score 'high' is not a number"),
        ([("a", "b")], "not a \\(sentence1, sentence2, score\\) triple"),
        ([{"sentence1": "a", "score": 1}], "pair 0: no 'sentence2' key"),
    ],
)
def test_bad_pairs_are_named(rows: list[object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        read_pairs(rows)


def test_bad_file_lines_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("sentence1\tsentence2\tscore\nx\ty\tNaN\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"bad\.tsv, line 2: score is nan"):
        read_pairs(bad)
    with pytest.raises(InvalidInputError, match="no such file"):
        read_pairs(tmp_path / "absent.tsv")
    bad.write_bytes(b"sentence1\tsentence2\tscore\nx\xff\ty\t1\n")
    with pytest.raises(InvalidInputError, match="not UTF-8 text"):
        read_pairs(bad)


def test_retrieval_from_pairs_uses_high_scores_as_relevance() -> None:
    pairs = [("q one", "d one", 4.5), ("q one", "d two", 1.0), ("q two", "d two", 4.0), ("q three", "d one", 2)]
    queries, corpus, qrels = retrieval_from_pairs(pairs)
    assert sorted(queries.values()) == ["q one", "q two"]
    assert sorted(corpus.values()) == ["d one", "d two"]
    by_text = {queries[q]: {corpus[d] for d in rel} for q, rel in qrels.items()}
    assert by_text == {"q one": {"d one"}, "q two": {"d two"}}
    with pytest.raises(InvalidInputError, match=r"at least 4\.0"):
        retrieval_from_pairs([("a", "b", 1.0)])


def write_beir(folder: Path) -> Path:
    (folder / "qrels").mkdir(parents=True)
    corpus = [{"_id": "d1", "title": "Cats", "text": "cats purr"}, {"_id": "d2", "title": "", "text": "dogs bark"}]
    (folder / "corpus.jsonl").write_text("\n".join(json.dumps(row) for row in corpus) + "\n", encoding="utf-8")
    queries = [{"_id": "q1", "text": "do cats purr"}, {"_id": "q2", "text": "unjudged"}]
    (folder / "queries.jsonl").write_text("\n".join(json.dumps(row) for row in queries) + "\n", encoding="utf-8")
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n", encoding="utf-8")
    return folder


def test_beir_folder(tmp_path: Path) -> None:
    queries, corpus, qrels = read_beir(write_beir(tmp_path / "beir"))
    assert queries == {"q1": "do cats purr"}
    assert corpus == {"d1": "Cats cats purr", "d2": "dogs bark"}
    assert qrels == {"q1": {"d1": 1}}


def test_beir_bad_line_is_named(tmp_path: Path) -> None:
    folder = write_beir(tmp_path / "beir")
    (folder / "corpus.jsonl").write_text('{"_id": "d1", "text": "ok"}\n{broken\n', encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"corpus\.jsonl, line 2: not JSON"):
        read_beir(folder)


def test_labelled_file(tmp_path: Path) -> None:
    path = tmp_path / "polarity.cor"
    path.write_text("__label__pos a fine film\n__label__neg a dull film\n", encoding="utf-8")
    assert read_labelled(path) == (["a fine film", "a dull film"], ["pos", "neg"])
    path.write_bytes("__label__pos a fine film \u2014 truly\n".encode("cp1252"))  # gensim's polarity file is cp1252
    assert read_labelled(path) == (["a fine film \u2014 truly"], ["pos"])
    path.write_text("no label here\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="line 1: expected '__label__<name> <text>'"):
        read_labelled(path)
