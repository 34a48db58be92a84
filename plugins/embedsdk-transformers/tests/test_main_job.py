"""The README's main job, end to end on the real bundled MiniLM: search docs/ for the cache question."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from embedsdk.cli import main

DOCS = Path(__file__).resolve().parents[3] / "docs"
HIT = re.compile(r"^\s*(?P<score>[01]\.\d{4})\s+(?P<path>\S+?):(?P<line>\d+)\s")


@pytest.mark.slow
def test_the_readme_main_job_finds_the_cache_page(capsys):
    assert main(["search", str(DOCS), "how does the cache decide what is a hit?", "-k", "5"]) == 0
    captured = capsys.readouterr()
    hits = [HIT.match(line) for line in captured.out.splitlines()]
    assert len(hits) == 5 and all(hits), captured.out
    places = [(Path(hit["path"]).name, int(hit["line"])) for hit in hits if hit]
    # The page that answers the question, from its opening paragraph, ranks first.
    assert places[0] == ("cache.md", 1), captured.out
    scores = [float(hit["score"]) for hit in hits if hit]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0.5
    assert "searched" in captured.err and "passages in" in captured.err
