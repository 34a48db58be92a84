"""Passages for search: line numbers, token budgets, paragraphs kept together; which files count as text."""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from pathlib import Path

import pytest

from embedsdk.errors import ConfigurationError
from embedsdk.retrieval.passages import CountTokens, Passage, iter_text_files, split_passages
from embedsdk.testing import WhitespaceTokenizer

count_words = WhitespaceTokenizer().count


def lines_of(text: str, passage: Passage) -> list[str]:
    return text.split("\n")[passage.line - 1 : passage.end_line]


def check_passages(text: str, passages: list[Passage], count: CountTokens, max_tokens: int) -> None:
    """Every passage is the exact text of its lines, fits the budget unless it is one line, and no line is lost."""
    lines = text.replace("\r\n", "\n").split("\n")
    covered: list[int] = []
    for passage in passages:
        assert passage.text == "\n".join(lines[passage.line - 1 : passage.end_line])
        assert lines[passage.line - 1].strip() and lines[passage.end_line - 1].strip()
        assert passage.tokens == count([passage.text])[0]
        assert passage.tokens <= max_tokens or passage.line == passage.end_line
        covered.extend(range(passage.line, passage.end_line + 1))
    assert covered == sorted(set(covered)), "passages overlap or are out of order"
    assert {n + 1 for n, line in enumerate(lines) if line.strip()} <= set(covered)


def test_line_numbers_point_at_each_passage_start() -> None:
    text = "\n\nalpha beta gamma\ndelta epsilon\n\n\nzeta eta theta iota\n"
    passages = split_passages(text, count_words, max_tokens=5)
    assert [(p.line, p.end_line, p.text) for p in passages] == [
        (3, 4, "alpha beta gamma\ndelta epsilon"),
        (7, 7, "zeta eta theta iota"),
    ]
    assert [p.tokens for p in passages] == [5, 4]


def test_paragraphs_that_fit_share_a_passage_and_are_not_cut() -> None:
    text = "a b\nc\n\nd e\nf\n\ng h i"
    assert [(p.line, p.end_line) for p in split_passages(text, count_words, 7)] == [(1, 5), (7, 7)]
    # With room for one paragraph only, each paragraph stays whole rather than filling passages line by line.
    assert [(p.line, p.end_line) for p in split_passages(text, count_words, 4)] == [(1, 2), (4, 5), (7, 7)]


def test_a_paragraph_over_the_budget_is_cut_between_lines() -> None:
    text = "one two\nthree four\nfive six\nseven\n\neight"
    passages = split_passages(text, count_words, 4)
    assert [(p.line, p.end_line) for p in passages] == [(1, 2), (3, 4), (6, 6)]
    check_passages(text, passages, count_words, 4)


def test_a_single_over_long_line_is_kept_whole() -> None:
    long_line = " ".join(f"w{n}" for n in range(50))
    text = f"short one\n{long_line}\nshort two"
    passages = split_passages(text, count_words, 10)
    assert [(p.line, p.tokens) for p in passages] == [(1, 2), (2, 50), (3, 2)]
    assert passages[1].text == long_line


def test_passages_are_recounted_whole_when_counts_do_not_add_up() -> None:
    """A tokenizer that counts line breaks (as BPE tokenizers do) makes joined lines longer than their sum."""

    def count_with_breaks(texts: Sequence[str]) -> list[int]:
        return [len(text.split()) + text.count("\n") + 2 for text in texts]

    text = "\n".join(" ".join(["w"] * 3) for _ in range(8))
    passages = split_passages(text, count_with_breaks, 12)
    check_passages(text, passages, count_with_breaks, 12)
    assert all(p.tokens <= 12 for p in passages)
    assert len(passages) > 1


@pytest.mark.parametrize("seed", range(20))
def test_random_texts_never_exceed_the_budget_except_single_lines(seed: int) -> None:
    rng = random.Random(seed)
    lines = []
    for _ in range(rng.randint(0, 60)):
        kind = rng.random()
        if kind < 0.25:
            lines.append(rng.choice(["", "   ", "\t"]))
        else:
            lines.append(" ".join(f"t{rng.randint(0, 9)}" for _ in range(rng.randint(1, 30 if kind > 0.9 else 6))))
    text = rng.choice(["\n", "\r\n"]).join(lines)
    max_tokens = rng.randint(1, 20)
    passages = split_passages(text, count_words, max_tokens)
    check_passages(text, passages, count_words, max_tokens)


def test_windows_line_ends_and_blank_texts() -> None:
    passages = split_passages("a b\r\n\r\nc d\r\n", count_words, 2)
    assert [(p.line, p.text) for p in passages] == [(1, "a b"), (3, "c d")]
    assert split_passages("", count_words, 5) == []
    assert split_passages("\n  \n\t\n", count_words, 5) == []
    with pytest.raises(ValueError, match="max_tokens"):
        split_passages("a", count_words, 0)


def test_form_feeds_do_not_shift_line_numbers() -> None:
    passages = split_passages("a\x0cb\n\nc", count_words, 1)
    assert [p.line for p in passages] == [1, 3]


# -- iter_text_files -------------------------------------------------------------------------------------------


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def test_text_files_are_found_in_sorted_order_and_others_skipped_with_a_reason(tmp_path: Path) -> None:
    write(tmp_path / "b.txt", "bee")
    write(tmp_path / "a" / "z.md", "zed")
    write(tmp_path / "a" / "y.py", "why = 1")
    write(tmp_path / ".git" / "config", "hidden folder")
    write(tmp_path / ".venv" / "lib" / "site.py", "hidden folder")
    write(tmp_path / "node_modules" / "pkg" / "index.js", "dependencies")
    write(tmp_path / "__pycache__" / "m.txt", "bytecode folder")
    write(tmp_path / ".env", "SECRET=1")
    write(tmp_path / "image.png", b"\x89PNG\r\n\x1a\n\x00\x00")
    write(tmp_path / "latin1.txt", "caf\xe9".encode("latin-1"))
    write(tmp_path / "big.log", "x" * 2_000)
    write(tmp_path / "bom.txt", "\ufeffwith a BOM".encode())

    skipped: list[tuple[Path, str]] = []
    found = list(iter_text_files(tmp_path, max_bytes=1_000, on_skip=lambda path, why: skipped.append((path, why))))

    assert [f.path.relative_to(tmp_path).as_posix() for f in found] == ["b.txt", "bom.txt", "a/y.py", "a/z.md"]
    assert found[0].text == "bee"
    assert found[1].text == "with a BOM"
    reasons = {path.name: why for path, why in skipped}
    assert set(reasons) == {"image.png", "latin1.txt", "big.log"}
    assert "NUL" in reasons["image.png"]
    assert "UTF-8" in reasons["latin1.txt"]
    assert "2.0 kB" in reasons["big.log"] and "1.0 kB cap" in reasons["big.log"]


def test_a_file_path_is_read_even_when_hidden(tmp_path: Path) -> None:
    hidden = write(tmp_path / ".notes", "read me")
    assert [(f.path, f.text) for f in iter_text_files(hidden)] == [(hidden, "read me")]


def test_paths_keep_the_form_they_were_given_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "docs" / "guide.md", "text")
    monkeypatch.chdir(tmp_path)
    assert [str(f.path) for f in iter_text_files("docs")] == [os.path.join("docs", "guide.md")]


def test_a_missing_path_raises(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="missing: no such file or folder"):
        list(iter_text_files(tmp_path / "missing"))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_special_files_are_skipped_without_reading_them(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    skipped: list[tuple[Path, str]] = []
    assert list(iter_text_files(tmp_path, on_skip=lambda path, why: skipped.append((path, why)))) == []
    assert skipped == [(tmp_path / "pipe", "not a regular file")]


def test_special_tokens_are_paid_once_per_passage_not_per_line():
    def with_specials(texts):
        return [len(text.split()) + 2 for text in texts]  # [CLS] text [SEP]

    text = "\n".join(f"x = {n}" for n in range(200))  # 3 words a line, one paragraph
    passages = split_passages(text, with_specials, 64)
    assert all(p.tokens <= 64 for p in passages)
    # 20 lines (60 words + 2) fit a passage; counting [CLS]/[SEP] on every line would give 12.
    assert min(p.end_line - p.line + 1 for p in passages[:-1]) == 20
