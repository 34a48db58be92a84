"""Loading every format, checked against gensim's own reader; strict errors for files that cannot be trusted."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from embedsdk_static import VectorFileError, WordVectors, clear_tables, load_table
from embedsdk_static.loaders import detect_format

import embedsdk
from embedsdk.errors import CorruptFileError, ModelNotFoundError


@pytest.mark.parametrize(
    ("name", "detected"),
    [
        ("word2vec", "word2vec"),
        ("word2vec-binary", "word2vec-binary"),
        ("fasttext-vec", "word2vec"),
        ("glove", "glove"),
        ("gensim", "gensim"),
    ],
)
def test_each_format_is_detected_and_read_like_gensim_reads_it(files, kv, name, detected):
    assert detect_format(files[name])[1] == detected
    table = load_table(files[name])
    assert table.format == detected
    assert list(table.words) == list(kv.index_to_key)
    np.testing.assert_allclose(np.asarray(table.vectors), kv.vectors, rtol=1e-6, atol=1e-6)


def test_an_explicit_format_overrides_detection(files, kv):
    # A GloVe file whose first line happens to be two numbers would be misread as a header: format= says.
    table = load_table(files["glove"], format="glove")
    assert len(table) == len(kv.index_to_key)
    with pytest.raises(VectorFileError, match="line 1"):
        load_table(files["glove"], format="word2vec-binary")


def test_the_provider_gives_the_files_vectors(files, kv):
    for name in ("word2vec", "word2vec-binary", "glove", "gensim"):
        result = embedsdk.embed(["cat", "paris"], provider=f"static/{files[name]}")
        np.testing.assert_allclose(result.vectors, kv[["cat", "paris"]], rtol=1e-6, atol=1e-6)
        assert result.space.dim == 8
        assert result.space.revision


def test_a_parsed_text_file_is_memory_mapped_on_later_loads(files, kv):
    first = load_table(files["word2vec"])
    assert load_table(files["word2vec"]) is first  # once per process
    clear_tables()
    again = load_table(files["word2vec"])
    assert again is not first
    assert isinstance(again.vectors, np.memmap)
    np.testing.assert_allclose(np.asarray(again.vectors), kv.vectors, rtol=1e-6)


def test_an_edited_file_is_parsed_again(tmp_path, kv):
    path = tmp_path / "v.txt"
    kv.save_word2vec_format(str(path), binary=False)
    assert load_table(path).dim == 8
    path.write_text("2 3\na 1 2 3\nb 4 5 6\n", encoding="utf-8")
    clear_tables()
    table = load_table(path)
    assert (table.dim, list(table.words)) == (3, ["a", "b"])


def test_glove_is_memory_mapped_from_the_package():
    table = embedsdk.embedder("glove").table
    assert isinstance(table, WordVectors)
    assert (len(table), table.dim) == (400_000, 50)
    assert isinstance(table.vectors, np.memmap)
    assert table.words[:3] == ["the", ",", "."]


def test_a_missing_path_is_model_not_found(tmp_path):
    with pytest.raises(ModelNotFoundError, match="no vector file or folder"):
        embedsdk.embed(["cat"], provider=f"static/{tmp_path / 'absent.txt'}")


def _bad(path, content: bytes):
    path.write_bytes(content)
    return path


BAD_TEXT = {
    "empty": (b"", None, "empty"),
    "blank": (b"   \n\n", None, "empty"),
    "truncated_last_line": (b"3 4\ncat 1 2 3 4\ndog 1 2 3 4\nbird 1 2", 4, "2 values where every line has 4"),
    "wrong_dimension": (b"cat 1 2 3 4\ndog 1 2 3 4 5\nbird 1 2 3 4\n", 2, "5 values where every line has 4"),
    "not_utf8": (b"cat 1 2 3\ndog 1 2 3\nd\xe9j\xe0 1 2 3\n", 3, "not UTF-8"),
    "not_a_number": (b"cat 1 2 3\ndog 1 x 3\n", 2, "'x' is not a number"),
    "header_promises_more": (b"5 3\ncat 1 2 3\ndog 1 2 3\n", 1, "announces 5 words but the file holds 2"),
    "blank_line_inside": (b"cat 1 2 3\n\ndog 1 2 3\n", 2, "blank line"),
    "nan": (b"cat 1 2 3\ndog 1 nan 3\n", 2, "NaN or infinite"),
}


@pytest.mark.parametrize("case", sorted(BAD_TEXT))
def test_a_bad_text_file_names_the_file_and_the_line(tmp_path, case):
    content, line, problem = BAD_TEXT[case]
    path = _bad(tmp_path / f"{case}.txt", content)
    with pytest.raises(VectorFileError) as caught:
        load_table(path)
    assert caught.value.line == line
    assert str(path) in str(caught.value)
    assert problem in str(caught.value)
    if line is not None:
        assert f"line {line}:" in str(caught.value)
    assert isinstance(caught.value, CorruptFileError)


def _binary(words: list[str], vectors: np.ndarray, header: tuple[int, int] | None = None) -> bytes:
    count, dim = header or vectors.shape
    body = b"".join(w.encode() + b" " + v.astype("<f4").tobytes() + b"\n" for w, v in zip(words, vectors))
    return f"{count} {dim}\n".encode() + body


def test_a_binary_file_with_a_lying_header_names_the_line(tmp_path):
    vectors = np.arange(12, dtype=np.float32).reshape(3, 4)
    more = _bad(tmp_path / "more.bin", _binary(["a", "b", "c"], vectors, header=(5, 4)))
    with pytest.raises(VectorFileError, match=r"line 5: the header announces 5 words of 4 values") as caught:
        load_table(more)
    assert caught.value.line == 5
    fewer = _bad(tmp_path / "fewer.bin", _binary(["a", "b", "c"], vectors, header=(2, 4)))
    with pytest.raises(VectorFileError, match=r"line 4: .*follow the 2 words the header announces"):
        load_table(fewer)
    wider = _bad(tmp_path / "wider.bin", _binary(["a", "b", "c"], vectors, header=(3, 6)))
    with pytest.raises(VectorFileError, match=r"wider.bin: line \d+: "):
        load_table(wider)


def test_a_truncated_binary_file_names_the_entry(tmp_path):
    vectors = np.ones((3, 4), dtype=np.float32)
    data = _binary(["a", "b", "c"], vectors)
    path = _bad(tmp_path / "cut.bin", data[:-10])
    with pytest.raises(VectorFileError, match=r"cut.bin: line 4: .*ends at word 3"):
        load_table(path)


def test_a_binary_word_that_is_not_utf8_is_named(tmp_path):
    vectors = np.ones((2, 4), dtype=np.float32)
    data = _binary(["a", "b"], vectors).replace(b"\nb ", b"\n\xff ")
    with pytest.raises(VectorFileError, match=r"line 3: the word at byte \d+ is not UTF-8"):
        load_table(_bad(tmp_path / "latin.bin", data))


def test_a_damaged_fasttext_bin_is_a_clear_error(tmp_path, lee_bin):
    data = lee_bin.read_bytes()
    cut = _bad(tmp_path / "cut_ft.bin", data[: len(data) // 2])
    with pytest.raises(VectorFileError, match="damaged or truncated fastText"):
        load_table(cut, format="fasttext-bin")
    tiny = _bad(tmp_path / "tiny.bin", struct.pack("<ii", 793712314, 12))
    with pytest.raises(VectorFileError, match="too short"):
        load_table(tiny)


def test_a_bad_file_reaches_embed_as_one_corrupt_file_error(tmp_path):
    path = _bad(tmp_path / "bad.txt", b"cat 1 2 3\ndog 1 2\n")
    with pytest.raises(CorruptFileError, match=r"bad.txt: line 2"):
        embedsdk.embed(["cat"], provider=f"static/{path}")


def test_a_gensim_file_that_is_not_gensim_is_refused(tmp_path):
    path = _bad(tmp_path / "fake.kv", b"\x80\x04 not a pickle")
    with pytest.raises(VectorFileError, match="not a readable gensim file"):
        load_table(path)


def test_large_files_are_read_in_blocks_with_the_right_line_numbers(tmp_path, kv, monkeypatch):
    from embedsdk_static import textformats

    monkeypatch.setattr(textformats, "_BLOCK_BYTES", 100)  # many blocks for a 40-line file
    path = tmp_path / "blocks.txt"
    kv.save_word2vec_format(str(path), binary=False)
    table = load_table(path)
    assert list(table.words) == list(kv.index_to_key)
    np.testing.assert_allclose(np.asarray(table.vectors), kv.vectors, rtol=1e-6)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[30] = lines[30].rsplit(" ", 1)[0]  # line 31 of the file loses its last value
    bad = tmp_path / "blocks_bad.txt"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(VectorFileError, match="line 31: 7 values where every line has 8") as caught:
        load_table(bad)
    assert caught.value.line == 31
