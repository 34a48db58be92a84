"""The ``embedsdk`` command, run in-process through `main` against the fake provider."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import embedsdk
from embedsdk.cli import main
from embedsdk.cli.common import parse_options
from embedsdk.errors import InvalidOptionError
from embedsdk.testing import FakeEmbedder, fake_provider, isolated_plugins

HIT = re.compile(r"^\s*-?\d\.\d{4}  (?P<place>\S+:\d+)  (?P<snippet>.*)$")


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeEmbedder]:
    """The fake as ``fake/test`` (alias ``fk``: 16-d, 64 tokens an item), with its own cache and plugins."""
    monkeypatch.setenv("EMBEDSDK_CACHE_DIR", str(tmp_path / "cli-cache"))
    monkeypatch.delenv("EMBEDSDK_PROVIDER", raising=False)
    with isolated_plugins(), fake_provider("fake/test", aliases=("fk",)) as instance:
        yield instance


def json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


def matrix(rows: list[dict[str, object]]) -> np.ndarray:
    return np.array([row["vector"] for row in rows], dtype=np.float32)


# -- providers -----------------------------------------------------------------------------------------------


def test_providers_table_shows_the_fake(fake: FakeEmbedder, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["providers"]) == 0
    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split() == ["ID", "ALIASES", "MODALITIES", "DIM", "PLUGIN", "DESCRIPTION"]
    row = next(line for line in rows if line.startswith("fake/test"))
    assert row.split()[:5] == ["fake/test", "fk", "text", "16", "fake:fake/test"]
    assert row.endswith("deterministic fake")


def test_providers_json_lines(fake: FakeEmbedder, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["providers", "--json"]) == 0
    rows = json_lines(capsys.readouterr().out)
    assert {
        "id": "fake/test",
        "aliases": ["fk"],
        "modalities": ["text"],
        "dim": 16,
        "plugin": "fake:fake/test",
        "description": "deterministic fake",
        "family": False,
    } in rows


def test_python_m_embedsdk_runs_the_cli(tmp_path: Path) -> None:
    env = {**os.environ, "EMBEDSDK_CACHE_DIR": str(tmp_path / "cache")}
    table = subprocess.run(
        [sys.executable, "-m", "embedsdk", "providers"], capture_output=True, text=True, env=env, check=False
    )
    assert table.returncode == 0, table.stderr
    assert table.stdout.split()[:6] == ["ID", "ALIASES", "MODALITIES", "DIM", "PLUGIN", "DESCRIPTION"]
    listing = subprocess.run(
        [sys.executable, "-m", "embedsdk", "providers", "--json"], capture_output=True, text=True, env=env, check=False
    )
    assert listing.returncode == 0, listing.stderr
    assert all("id" in row for row in json_lines(listing.stdout))
    missing = subprocess.run([sys.executable, "-m", "embedsdk"], capture_output=True, text=True, env=env, check=False)
    assert missing.returncode == 2
    assert "Traceback" not in missing.stderr


# -- embed ---------------------------------------------------------------------------------------------------


def test_embed_arguments_to_json_lines(fake: FakeEmbedder, capsys: pytest.CaptureFixture[str]) -> None:
    texts = ["the cat sat", "a dog ran far"]
    assert main(["embed", *texts, "-p", "fake/test"]) == 0
    rows = json_lines(capsys.readouterr().out)
    assert [(row["index"], row["text"]) for row in rows] == [(0, "the cat sat"), (1, "a dog ran far")]
    assert matrix(rows).shape == (2, 16)
    np.testing.assert_array_equal(matrix(rows), embedsdk.embed(texts, provider="fake/test").vectors)


def test_embed_file_to_npy_skips_blank_lines(
    fake: FakeEmbedder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "texts.txt"
    source.write_text("first text\n\n   \nsecond text\r\nthird\n", encoding="utf-8")
    out = tmp_path / "vectors.npy"
    assert main(["embed", "-f", str(source), "-p", "fk", "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "3 x 16" in captured.err and str(out) in captured.err
    vectors = np.load(out)
    assert vectors.dtype == np.float32 and vectors.shape == (3, 16)
    expected = embedsdk.embed(["first text", "second text", "third"], provider="fake/test")
    np.testing.assert_array_equal(vectors, expected.vectors)


def test_embed_stdin_to_json_lines_file(
    fake: FakeEmbedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EMBEDSDK_PROVIDER", "fake/test")
    monkeypatch.setattr(sys, "stdin", io.StringIO("from stdin\n\nanother line\n"))
    out = tmp_path / "out.jsonl"
    assert main(["embed", "-o", str(out)]) == 0
    assert "2 x 16" in capsys.readouterr().err
    rows = json_lines(out.read_text(encoding="utf-8"))
    assert [row["text"] for row in rows] == ["from stdin", "another line"]
    np.testing.assert_array_equal(matrix(rows), embedsdk.embed(["from stdin", "another line"], provider="fake/test"))


def test_embed_passes_role_post_processing_and_provider_options(
    fake: FakeEmbedder, capsys: pytest.CaptureFixture[str]
) -> None:
    texts = ["alpha beta", "gamma"]
    argv = ["embed", *texts, "-p", "fake/test", "--role", "query", "--normalize", "--dimensions", "8"]
    assert main([*argv, "-O", "dim=32", "-O", "normalized=false", "--no-cache"]) == 0
    rows = json_lines(capsys.readouterr().out)
    expected = embedsdk.embed(
        texts, provider="fake/test", role="query", normalize=True, dimensions=8, dim=32, normalized=False
    )
    assert matrix(rows).shape == (2, 8)
    np.testing.assert_allclose(matrix(rows), expected.vectors, rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(matrix(rows), axis=1), 1.0, rtol=1e-5)


def test_an_empty_argument_fails_naming_the_item(fake: FakeEmbedder, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["embed", "fine", "", "-p", "fake/test"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("embedsdk: error: argument 2: item 1 is an empty string")
    assert "Traceback" not in captured.err


def test_a_long_line_of_a_file_is_named_by_file_and_line(
    fake: FakeEmbedder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "notes.txt"
    long_line = " ".join(f"w{n}" for n in range(100))
    source.write_text(f"short\n\n{long_line}\n", encoding="utf-8")
    assert main(["embed", "-f", str(source), "-p", "fake/test"]) == 2
    err = capsys.readouterr().err
    assert f"{source}:3: item 1 has 100 tokens" in err
    assert main(["embed", "-f", str(source), "-p", "fake/test", "--on-long", "truncate"]) == 0
    assert len(json_lines(capsys.readouterr().out)) == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["embed", "x", "-p", "fake/tset"], "did you mean 'fake/test'"),
        (["embed", "x", "-p", "fake/test", "-O", "colour=red"], "unknown option 'colour'"),
        (["embed", "x", "-p", "fake/test", "-O", "colour"], "write provider options as key=value"),
        (["embed", "x", "-p", "fake/test", "--dimensions", "99"], "dimensions=99"),
        (["embed", "x", "-f", "texts.txt", "-p", "fake/test"], "not both"),
        (["embed", "-f", "no-such-file.txt", "-p", "fake/test"], "cannot read --file no-such-file.txt"),
    ],
)
def test_bad_requests_exit_2_with_a_message(
    fake: FakeEmbedder, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("embedsdk: error: ")
    assert message in err
    assert "Traceback" not in err


def test_no_texts_on_stdin_is_an_error(
    fake: FakeEmbedder, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n\n"))
    assert main(["embed", "-p", "fake/test"]) == 2
    assert "no texts to embed in stdin" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [[], ["embed", "x", "--on-long", "bogus"], ["embed", "x", "--dimensions", "0"], ["search", "only-a-path"]],
)
def test_command_line_errors_exit_2_as_argparse_does(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "usage: embedsdk" in capsys.readouterr().err


def test_option_values_are_json_when_they_parse() -> None:
    assert parse_options(["dim=8", "normalized=false", "name=cls", "ids=[1, 2]", "empty=", "url=a=b"]) == {
        "dim": 8,
        "normalized": False,
        "name": "cls",
        "ids": [1, 2],
        "empty": "",
        "url": "a=b",
    }
    with pytest.raises(InvalidOptionError, match="key=value"):
        parse_options(["=8"])


# -- search --------------------------------------------------------------------------------------------------


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small folder of files, with the working directory at its parent so paths print as ``corpus/...``."""
    root = tmp_path / "corpus"
    files = {
        "docs/guide.md": "# Guide\n\nwelcome to the project documentation\n\nconfigure the vector cache\n"
        "with an environment variable\n\npurple elephants dance under silver moonlight\n",
        "notes.txt": "shopping list eggs milk bread\n",
        "src/app.py": "def main():\n    return 'hello world'\n",
        ".git/HEAD": "purple elephants dance under silver moonlight\n",
        ".venv/lib/site.py": "purple elephants dance under silver moonlight\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    (root / "moon.bin").write_bytes(b"purple elephants dance\x00under silver moonlight")
    (root / "moon-latin1.txt").write_bytes("purple elephants dance under silver moonlight caf\xe9".encode("latin-1"))
    monkeypatch.chdir(tmp_path)
    return root


def hits(out: str) -> list[re.Match[str]]:
    found = [HIT.match(line) for line in out.splitlines()]
    assert all(found), out
    return [match for match in found if match]


def test_search_finds_the_best_passage_with_file_and_line(
    fake: FakeEmbedder, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["search", "corpus", "purple elephants dance in moonlight", "-p", "fake/test", "--passage-tokens", "8"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    found = hits(captured.out)
    assert len(found) == 5
    assert found[0]["place"] == f"{Path('corpus/docs/guide.md')}:8"
    assert found[0]["snippet"] == "purple elephants dance under silver moonlight"
    places = [match["place"] for match in found]
    assert f"{Path('corpus/docs/guide.md')}:5" in places
    scores = [float(line.split()[0]) for line in captured.out.splitlines()]
    assert scores == sorted(scores, reverse=True)
    # Hidden folders and binary files are not searched; the skipped files are named on stderr.
    assert ".git" not in captured.out and ".venv" not in captured.out and "moon.bin" not in captured.out
    assert "latin1" not in captured.out
    assert "moon.bin: binary" in captured.err and "moon-latin1.txt: binary or not UTF-8" in captured.err
    assert "embedding [" in captured.err
    assert "searched 5 passages in 3 files" in captured.err


def test_search_embeds_documents_and_query_with_their_roles_through_the_cache(
    fake: FakeEmbedder, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["search", str(corpus), "shopping list eggs milk", "-p", "fake/test", "-k", "1"]
    assert main(argv) == 0
    first = capsys.readouterr().out
    assert hits(first)[0]["place"] == f"{corpus / 'notes.txt'}:1"
    assert set(fake.roles) == {"document", "query"}
    calls = len(fake.calls)

    assert main(argv) == 0
    assert capsys.readouterr().out == first
    assert len(fake.calls) == calls, "a second search should come from the cache"

    assert main([*argv, "--no-cache"]) == 0
    assert len(fake.calls) > calls


def test_search_a_single_file_with_an_over_long_line(
    fake: FakeEmbedder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "long.txt"
    long_line = " ".join(f"word{n}" for n in range(150))
    source.write_text(f"intro line here\n{long_line}\n", encoding="utf-8")
    # The query is over the limit too: it is chunked the same way rather than refused.
    assert main(["search", str(source), long_line, "-p", "fake/test", "-k", "3"]) == 0
    found = hits(capsys.readouterr().out)
    assert [match["place"] for match in found] == [f"{source}:2", f"{source}:1"]
    assert found[0]["snippet"].startswith("word0 word1")
    assert found[0]["snippet"].endswith("...") and len(found[0]["snippet"]) <= 100
    sent = [item for call in fake.calls for item in call]
    assert all(len(item.split()) <= 64 for item in sent), "the over-long passage is chunked to the limit"


def test_search_cuts_passages_to_the_provider_limit(
    fake: FakeEmbedder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "essay.txt"
    source.write_text("\n".join(f"line{n} has exactly five words" for n in range(40)), encoding="utf-8")
    assert main(["search", str(source), "line30 line31", "-p", "fake/test", "-k", "20", "-O", "max_tokens=10"]) == 0
    captured = capsys.readouterr()
    lines = [int(match["place"].rsplit(":", 1)[1]) for match in hits(captured.out)]
    # Two five-word lines fill the 10-token limit, so the 20 passages start at every other line.
    assert sorted(lines) == list(range(1, 41, 2))
    assert lines[0] == 31
    assert "searched 20 passages in 1 file" in captured.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["search", "nowhere", "query"], "nowhere: no such file or folder"),
        (["search", "corpus/moon.bin", "query"], "no text to search in corpus/moon.bin (skipped 1 file"),
        (["search", "corpus", "   "], "the query is empty"),
        (["search", "corpus", "query", "-p", "nothere"], "unknown provider 'nothere'"),
    ],
)
def test_search_problems_exit_2_with_a_message(
    fake: FakeEmbedder, corpus: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main([*argv, "-p", "fake/test"] if "-p" not in argv else argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("embedsdk: error: ")
    assert message.replace("corpus/moon.bin", str(Path("corpus/moon.bin"))) in captured.err


# -- text that is not UTF-8 ------------------------------------------------------------------------------------


def test_an_argument_that_is_not_utf8_is_a_clear_message_not_a_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "EMBEDSDK_CACHE_DIR": str(tmp_path / "cache"), "LC_ALL": "C.UTF-8"}
    done = subprocess.run(
        [sys.executable, "-m", "embedsdk", "embed", b"good", b"caf\xe9 latin-1"], capture_output=True, env=env
    )
    assert done.returncode == 2
    stderr = done.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr
    assert "argument 2 is not valid UTF-8 text" in stderr


def test_stdin_that_is_not_utf8_is_a_clear_message(
    fake: FakeEmbedder, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"fine\n\xff\xfe broken\n"), encoding="utf-8"))
    assert main(["embed", "-p", "fake/test"]) == 2
    assert "stdin is not UTF-8 text" in capsys.readouterr().err
    assert fake.calls == []


def test_a_lone_surrogate_argument_in_process_is_refused(
    fake: FakeEmbedder, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["embed", "ok", "bad \udce9", "-p", "fake/test"]) == 2
    assert "argument 2 is not valid UTF-8 text" in capsys.readouterr().err


def test_search_takes_its_index_from_the_registry(
    fake: FakeEmbedder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("the cat sat on the mat\n\nrivers flow to the sea\n", encoding="utf-8")
    assert main(["search", str(tmp_path), "cat mat", "-p", "fake/test", "--index", "exact", "-k", "1"]) == 0
    assert "notes.txt:1" in capsys.readouterr().out
    assert main(["search", str(tmp_path), "cat", "-p", "fake/test", "--index", "exakt"]) == 2
    assert "unknown index backend 'exakt'; did you mean 'exact'" in capsys.readouterr().err
