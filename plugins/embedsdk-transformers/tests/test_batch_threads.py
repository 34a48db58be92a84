"""Many batches on a multi-core CPU run one per core, on the runtime's threads, with the vectors of one at a time."""

from __future__ import annotations

import threading

import numpy as np
import torch

import embedsdk


def test_many_batches_run_on_one_core_threads_with_the_same_vectors(tiny_bert, monkeypatch):
    texts = [f"the cat number {n} sat on the mat while the dog slept" for n in range(60)]
    model = embedsdk.embedder(f"hf/{tiny_bert}", precision="fp32", max_batch_tokens=64)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        threads: list[tuple[str, int]] = []
        real = type(model)._vectors

        def recording(self, *args, **kwargs):
            threads.append((threading.current_thread().name, torch.get_num_threads()))
            return real(self, *args, **kwargs)

        monkeypatch.setattr(type(model), "_vectors", recording)
        parallel = embedsdk.embed(texts, provider=model, cache=False).vectors
        assert len(threads) >= 8 and {name.split("_")[0] for name, _ in threads} == {"embedsdk-torch-cpu-2"}
        assert {count for _, count in threads} == {1}, "each batch runs on one core"
        assert torch.get_num_threads() == 2
        monkeypatch.setattr(type(model), "batch_executor", lambda self, batches: None)
        threads.clear()
        one_by_one = embedsdk.embed(texts, provider=model, cache=False).vectors
        assert {name for name, _ in threads} == {threading.current_thread().name}
        np.testing.assert_allclose(parallel, one_by_one, atol=1e-5)
    finally:
        torch.set_num_threads(before)
