"""``embedsdk eval ...`` and ``embedsdk plot``, run in-process through `main` against fake providers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from embedsdk.cli import main
from embedsdk.cli.evaluate import options_by_provider
from embedsdk.errors import InvalidOptionError
from embedsdk.testing import FakeEmbedder, fake_provider

STSB_SAMPLE = Path(__file__).parents[1] / "eval" / "data" / "stsb-sample.tsv"


def labelled_file(tmp_path: Path) -> Path:
    animals = zip("cat dog owl fox cow".split(), "ab cd ef gh ij".split())
    money = zip("loan fund rate tax bond".split(), "kl mn op qr st".split())
    lines = [f"__label__animals zoo zoo zoo {w} {v}" for w, v in animals]
    lines += [f"__label__money bank bank bank {w} {v}" for w, v in money]
    path = tmp_path / "topics.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_sts_compares_providers_side_by_side(fake: FakeEmbedder, capsys: pytest.CaptureFixture[str]) -> None:
    with fake_provider("fake/small", dim=4):
        assert main(["eval", "sts", str(STSB_SAMPLE), "--split", "dev", "-p", "fake/test", "-p", "fake/small"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:5] == ["task", "provider", "n", "spearman", "pearson"]
    assert [line.split()[1] for line in lines[1:]] == ["fake/test", "fake/small"]
    assert all(line.split()[2] == "200" for line in lines[1:])


def test_json_markdown_and_output_file(fake: FakeEmbedder, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = labelled_file(tmp_path)
    assert main(["eval", "classification", str(data), "--folds", "2", "-p", "fake/test", "--json"]) == 0
    [result] = json.loads(capsys.readouterr().out)
    assert result["task"] == "classification" and result["metrics"]["accuracy"] >= 0.9
    assert result["cost"]["items"] == 10
    report = tmp_path / "report.md"
    assert main(["eval", "clustering", str(data), "-p", "fake/test", "--markdown", "-o", str(report)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {report}"
    assert report.read_text(encoding="utf-8").startswith("| task | provider | n | v_measure | ari |")


def test_retrieval_from_pairs_and_weat(fake: FakeEmbedder, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "retrieval", "--pairs", str(STSB_SAMPLE), "-p", "fake/test", "-k", "1", "10", "--json"]) == 0
    [result] = json.loads(capsys.readouterr().out)
    assert set(result["metrics"]) == {"ndcg@10", "mrr@10", "recall@1", "recall@10"}
    assert main(["eval", "weat", "career-family", "-p", "fake/test", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["examples"] == 32
    assert main(["eval", "weat", "-p", "fake/test", "--x", "a,b", "--y", "c,d", "--a", "e", "--b", "f"]) == 0


def test_errors_are_one_line(fake: FakeEmbedder, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "retrieval", "-p", "fake/test"]) == 2
    assert "give a BEIR folder, or --pairs FILE" in capsys.readouterr().err
    assert main(["eval", "weat", "gender", "-p", "fake/test"]) == 2
    assert "unknown WEAT test 'gender'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["eval", "stss", "x"])


def test_options_apply_to_all_or_to_one_provider() -> None:
    options = options_by_provider(["dim=8", "glove:oov=skip", "clip/ViT-B-32:openai:device=cpu"],
                                  ["glove", "clip/ViT-B-32:openai"])  # fmt: skip
    assert options == {"glove": {"dim": 8, "oov": "skip"}, "clip/ViT-B-32:openai": {"dim": 8, "device": "cpu"}}
    with pytest.raises(InvalidOptionError, match="names provider 'muse', which no -p gives"):
        options_by_provider(["muse:x=1"], ["glove"])


def test_plot_draws_a_labelled_file(fake: FakeEmbedder, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "map.png"
    assert main(["plot", str(labelled_file(tmp_path)), "-o", str(out), "-p", "fake/test", "--method", "pca"]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {out} (10 points, 2 labels)"
    assert out.read_bytes()[:4] == b"\x89PNG"
