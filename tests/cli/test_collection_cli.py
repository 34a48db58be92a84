"""``embedsdk collection add|search|info`` end to end, in process, on the fake provider."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from embedsdk.cli.main import main
from embedsdk.testing import fake_provider


def test_add_search_and_info(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EMBEDSDK_COLLECTIONS_DIR", str(tmp_path / "collections"))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "fruit.txt").write_text("apples pears cherries plums grapes melons")
    (corpus / "sky.md").write_text("clouds rain sunshine wind storms thunder")
    with fake_provider("fake/test", dim=64):
        assert main(["collection", "add", "notes", str(corpus), "-p", "fake/test"]) == 0
        assert "2 documents (+2)" in capsys.readouterr().out
        assert main(["collection", "add", "notes", str(corpus)]) == 0
        assert "(+0)" in capsys.readouterr().out
        assert main(["collection", "search", "notes", "rain and wind", "-k", "1"]) == 0
        out = capsys.readouterr().out
        assert "sky.md" in out and "storms" in out
        assert (
            main(["collection", "search", "notes", "rain", "--json", "--filter", f"path={corpus / 'fruit.txt'}"]) == 0
        )
        (line,) = capsys.readouterr().out.splitlines()
        assert json.loads(line)["id"] == str(corpus / "fruit.txt")
        assert main(["collection", "info", "notes", "--json"]) == 0
        details = json.loads(capsys.readouterr().out)
        assert details["documents"] == 2 and details["provider"] == "fake/test" and details["index"] == "flat"


def test_searching_a_collection_that_does_not_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EMBEDSDK_COLLECTIONS_DIR", str(tmp_path))
    assert main(["collection", "search", "nothing", "query"]) == 2
    assert "embedsdk collection add nothing" in capsys.readouterr().err


def test_search_takes_the_flat_index_from_the_registry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.txt").write_text("the cat sat on the mat")
    (tmp_path / "b.txt").write_text("stock markets fell sharply")
    with fake_provider("fake/test", dim=64):
        assert main(["search", str(tmp_path), "cat mat", "-p", "fake/test", "--index", "flat", "-k", "1"]) == 0
    assert "a.txt" in capsys.readouterr().out
