"""The cold path: a fully cached embed() in a fresh process loads neither torch nor transformers."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

SCRIPT = """
import json, sys
import embedsdk
result = embedsdk.embed(["the cat sat on the mat", "a dog"], provider=sys.argv[1])
heavy = sorted(m for m in ("torch", "transformers") if m in sys.modules)
print(json.dumps({"heavy": heavy, "hits": result.stats.cache_hits, "vectors": result.vectors.tolist()}))
"""


def _run(provider: str, cache: str) -> dict[str, object]:
    environment = {**os.environ, "EMBEDSDK_CACHE_DIR": cache, "HF_HUB_OFFLINE": "1"}
    environment.pop("EMBEDSDK_PROVIDER", None)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, provider], capture_output=True, text=True, env=environment, timeout=300
    )
    assert done.returncode == 0, done.stderr
    output: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return output


def test_a_full_cache_hit_imports_neither_torch_nor_transformers(tiny_st, tmp_path):
    cache = str(tmp_path / "shared-cache")
    first = _run(f"hf/{tiny_st}", cache)
    assert first["heavy"] == ["torch", "transformers"] and first["hits"] == 0
    again = _run(f"hf/{tiny_st}", cache)
    assert again["heavy"] == [] and again["hits"] == 2
    np.testing.assert_array_equal(np.array(again["vectors"]), np.array(first["vectors"]))
