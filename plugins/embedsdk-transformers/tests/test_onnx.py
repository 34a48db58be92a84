"""backend="onnx": the model exported locally, checked against torch, run by ONNX Runtime without torch."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import embedsdk
from embedsdk.errors import ConfigurationError, InvalidOptionError, MissingDependencyError

TEXTS = [
    "The cat sat on the mat.",
    "Embedding models turn sentences into vectors for similarity search.",
    "ok",
    "def add(a, b): return a + b",
]


def _exports() -> list[Path]:
    root = Path(os.environ["EMBEDSDK_CACHE_DIR"]) / "onnx"
    return sorted(p for p in root.iterdir() if not p.name.startswith(".")) if root.is_dir() else []


def test_onnx_matches_sentence_transformers_and_torch(tiny_st):
    from sentence_transformers import SentenceTransformer

    onnx = embedsdk.embed(TEXTS, provider=f"hf/{tiny_st}", backend="onnx", cache=False)
    torch_ = embedsdk.embed(TEXTS, provider=f"hf/{tiny_st}", precision="fp32", cache=False)
    reference = SentenceTransformer(str(tiny_st), device="cpu").encode(TEXTS)
    np.testing.assert_allclose(onnx.vectors, reference, atol=1e-5)
    np.testing.assert_allclose(onnx.vectors, torch_.vectors, atol=1e-5)
    # The space says which backend made the vectors, so the cache and indexes never mix them.
    assert onnx.space.extra["backend"] == "onnx" and "backend" not in torch_.space.extra
    assert onnx.space.fingerprint() != torch_.space.fingerprint()
    [folder] = _exports()
    verdict = json.loads((folder / "export.json").read_text())
    assert verdict["min_cosine"] >= 0.99999 and (folder / "model.onnx").is_file()


def test_roles_prompts_and_batches_of_one(tiny_st):
    for role in ("query", "document", None):
        onnx = embedsdk.embed(TEXTS, provider=f"hf/{tiny_st}", backend="onnx", role=role, cache=False)
        exact = embedsdk.embed(TEXTS, provider=f"hf/{tiny_st}", precision="fp32", role=role, cache=False)
        np.testing.assert_allclose(onnx.vectors, exact.vectors, atol=1e-5)
    alone = embedsdk.embed(TEXTS[1:2], provider=f"hf/{tiny_st}", backend="onnx", cache=False)
    together = embedsdk.embed(TEXTS, provider=f"hf/{tiny_st}", backend="onnx", cache=False)
    np.testing.assert_allclose(alone.vectors[0], together.vectors[1], atol=1e-5)


@pytest.mark.parametrize("pooling", ["cls", "max", "weightedmean", "lasttoken"])
def test_pooling_modes_on_a_plain_folder(tiny_bert, pooling):
    onnx = embedsdk.embed(TEXTS, provider=f"hf/{tiny_bert}", backend="onnx", pooling=pooling, cache=False)
    exact = embedsdk.embed(TEXTS, provider=f"hf/{tiny_bert}", precision="fp32", pooling=pooling, cache=False)
    np.testing.assert_allclose(onnx.vectors, exact.vectors, atol=1e-4)


def test_words_in_context(tiny_bert):
    sentence = "the proteins fold into structures"
    onnx = embedsdk.embed_words(sentence, ["proteins", "fold"], provider=f"hf/{tiny_bert}", backend="onnx")
    exact = embedsdk.embed_words(sentence, ["proteins", "fold"], provider=f"hf/{tiny_bert}", precision="fp32")
    np.testing.assert_allclose(onnx.vectors, exact.vectors, atol=1e-5)


def test_the_export_is_reused_and_a_damaged_one_is_redone_or_named(tiny_bert):
    embedsdk.embed(["a"], provider=f"hf/{tiny_bert}", backend="onnx", cache=False)
    [folder] = _exports()
    stamp = (folder / "model.onnx").stat().st_mtime_ns
    embedsdk.runtime.current().forget_embedders()
    embedsdk.embed(["b"], provider=f"hf/{tiny_bert}", backend="onnx", cache=False)
    assert (folder / "model.onnx").stat().st_mtime_ns == stamp, "a second embedder reuses the export"

    (folder / "export.json").write_text("{not json")  # an unreadable verdict: export again
    embedsdk.runtime.current().forget_embedders()
    embedsdk.embed(["c"], provider=f"hf/{tiny_bert}", backend="onnx", cache=False)
    assert json.loads((folder / "export.json").read_text())["min_cosine"] >= 0.99999

    for optimized in folder.glob("optimized-*.onnx"):
        optimized.write_bytes(b"garbage")
    embedsdk.runtime.current().forget_embedders()
    with pytest.raises(ConfigurationError, match="delete"):
        embedsdk.embed(["d"], provider=f"hf/{tiny_bert}", backend="onnx", cache=False)


def test_an_export_that_fails_parity_is_not_used(tiny_bert, monkeypatch, caplog):
    import embedsdk_transformers.onnx_backend as onnx_backend

    monkeypatch.setattr(onnx_backend, "PARITY_MIN_COSINE", 1.5)  # no export can pass
    with caplog.at_level(logging.WARNING, logger="embedsdk_transformers"):
        model = embedsdk.embedder(f"hf/{tiny_bert}", backend="onnx")
        assert model.backend == "torch"
    assert "using torch" in caplog.text
    assert "backend" not in model.space.extra


def test_bad_combinations_are_refused(tiny_bert, monkeypatch):
    with pytest.raises(InvalidOptionError, match="fp32"):
        _ = embedsdk.embedder(f"hf/{tiny_bert}", backend="onnx", precision="bf16").space
    with pytest.raises(InvalidOptionError, match="cpu or cuda"):
        embedsdk.embed(["x"], provider=f"hf/{tiny_bert}", backend="onnx", device="mps", cache=False)
    with pytest.raises(InvalidOptionError):
        embedsdk.embedder(f"hf/{tiny_bert}", backend="tensorrt")
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(MissingDependencyError, match="onnxruntime"):
        embedsdk.embed(["x"], provider=f"hf/{tiny_bert}", backend="onnx", cache=False)


SCRIPT = """
import json, sys
import embedsdk
result = embedsdk.embed([sys.argv[2]], provider=sys.argv[1], backend="onnx")
heavy = sorted(m for m in ("torch", "transformers") if m in sys.modules)
print(json.dumps({"heavy": heavy, "hits": result.stats.cache_hits, "vector": result.vectors[0].tolist()}))
"""


def test_a_cache_miss_on_the_onnx_backend_imports_neither_torch_nor_transformers(tiny_st, tmp_path):
    environment = {**os.environ, "EMBEDSDK_CACHE_DIR": str(tmp_path / "shared"), "HF_HUB_OFFLINE": "1"}
    environment.pop("EMBEDSDK_PROVIDER", None)

    def run(text: str) -> dict[str, object]:
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT, f"hf/{tiny_st}", text],
            capture_output=True,
            text=True,
            env=environment,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        output: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
        return output

    first = run("the cat sat on the mat")  # exports (torch), then stores the model's facts
    assert first["heavy"] == ["torch", "transformers"] and first["hits"] == 0
    miss = run("a text this cache has never seen")
    assert miss["heavy"] == [] and miss["hits"] == 0
    exact = embedsdk.embed(["a text this cache has never seen"], provider=f"hf/{tiny_st}", precision="fp32")
    np.testing.assert_allclose(np.array(miss["vector"]), exact.vectors[0], atol=1e-5)
