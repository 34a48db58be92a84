from __future__ import annotations

import subprocess
import sys

import pytest

import embedsdk.eval
from embedsdk.errors import InvalidOptionError
from embedsdk.testing import FakeEmbedder


def test_run_by_name(fake: FakeEmbedder) -> None:
    result = embedsdk.eval.run("sts", "fake/test", [("a b", "a b", 5), ("a b", "c d", 0), ("a c", "a b", 2)])
    assert isinstance(result, embedsdk.eval.STSResult) and result.spearman == pytest.approx(1.0)
    assert result.to_dict()["metrics"] == {"spearman": 1.0, "pearson": pytest.approx(result.pearson, abs=1e-6)}


def test_unknown_task_lists_close_matches() -> None:
    with pytest.raises(InvalidOptionError, match="unknown evaluation task 'stss'; did you mean 'sts'"):
        embedsdk.eval.run("stss", "fake/test", [])


def test_import_stays_light_and_the_packages_are_reachable_from_embedsdk() -> None:
    code = (
        "import sys, embedsdk; embedsdk.eval.sts, embedsdk.train.contrastive, embedsdk.plot.map; "
        "print(sorted(m for m in ('torch', 'sklearn', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_reports_put_providers_side_by_side(fake: FakeEmbedder) -> None:
    import json

    from embedsdk.eval.report import to_json, to_markdown, to_table
    from embedsdk.testing import fake_provider

    pairs = [("a b", "a b", 5), ("a b", "c d", 0), ("a c", "a b", 2)]
    with fake_provider("fake/other", dim=8):
        results = [embedsdk.eval.sts("fake/test", pairs), embedsdk.eval.sts("fake/other", pairs)]
    table = to_table(results).splitlines()
    assert table[0].split() == ["task", "provider", "n", "spearman", "pearson", *COST]
    assert table[1].split()[:4] == ["sts", "fake/test", "3", "1.0000"]
    assert table[2].split()[1] == "fake/other"
    markdown = to_markdown(results).splitlines()
    assert markdown[0].startswith("| task | provider | n | spearman") and markdown[1].startswith("|---|")
    assert [row["provider"] for row in json.loads(to_json(results))] == ["fake/test", "fake/other"]


COST = ["items", "cache_hits", "tokens", "requests", "seconds"]
