"""`Runtime.stored_memo`: facts plugins keep across processes, in a JSON file that is not trusted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from embedsdk import runtime
from embedsdk.errors import InvalidOptionError


def test_values_survive_a_new_runtime_and_merge_with_other_writers(embedsdk_isolated: Path) -> None:
    memo = runtime.current().stored_memo("plugin.facts")
    memo["a"] = {"min_cosine": 0.9995}
    other = runtime.Runtime().stored_memo("plugin.facts")  # another process's view of the same file
    assert other["a"] == {"min_cosine": 0.9995}
    other["b"] = 2
    memo["c"] = 3  # written after the other writer: both entries are kept
    path = embedsdk_isolated / "memos" / "plugin.facts.json"
    assert json.loads(path.read_text()) == {"a": {"min_cosine": 0.9995}, "b": 2, "c": 3}
    assert sorted(runtime.Runtime().stored_memo("plugin.facts")) == ["a", "b", "c"]


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", "\x00\x01"])
def test_a_damaged_file_counts_as_empty_and_is_rewritten(embedsdk_isolated: Path, content: str) -> None:
    path = embedsdk_isolated / "memos" / "plugin.facts.json"
    path.parent.mkdir(parents=True)
    path.write_text(content)
    memo = runtime.current().stored_memo("plugin.facts")
    assert len(memo) == 0 and memo.get("a") is None
    memo["a"] = 1
    assert json.loads(path.read_text()) == {"a": 1}


@pytest.mark.parametrize("name", ["", "../escape", "a/b", "with space"])
def test_names_are_plain(embedsdk_isolated: Path, name: str) -> None:
    with pytest.raises(InvalidOptionError, match="letters, digits"):
        runtime.current().stored_memo(name)
