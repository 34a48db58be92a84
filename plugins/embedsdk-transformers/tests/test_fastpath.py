"""The CPU bf16 fast path: oneDNN-packed linear layers, GELU fused into the feed-forward matmul, and its checks."""

from __future__ import annotations

import logging

import embedsdk_transformers.fastpath as fastpath
import numpy as np
import pytest
from embedsdk_transformers.fastpath import pack_linears

import embedsdk

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

if not fastpath._supported(torch):  # the fast path's own condition; this machine's CPU meets it
    pytest.skip("oneDNN has no bf16 support on this CPU: the fast path is off here", allow_module_level=True)


def _bert(folder, dtype):
    model = transformers.AutoModel.from_pretrained(str(folder), local_files_only=True, dtype=dtype)
    return model.eval()


def _states(model, seed=0):
    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, model.config.vocab_size, (3, 11), generator=generator)
    mask = torch.ones_like(ids)
    mask[1, 7:] = 0  # padding, so the attention mask is in play too
    with torch.inference_mode():
        return model(input_ids=ids, attention_mask=mask).last_hidden_state.float(), mask


def _row_cosines(a, b):
    a, b = a.reshape(-1, a.shape[-1]), b.reshape(-1, b.shape[-1])
    return torch.nn.functional.cosine_similarity(a, b, dim=1)


def test_every_linear_layer_is_packed_and_the_feed_forward_gelu_fused(tiny_bert):
    model = _bert(tiny_bert, torch.bfloat16)
    layers = model.config.num_hidden_layers
    # Per layer: query, key, value, attention output, feed-forward in (GELU fused) and out; then the pooler.
    assert pack_linears(model) == 6 * layers + 1
    assert not [name for name, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
    for layer in model.encoder.layer:
        assert isinstance(layer.intermediate.intermediate_act_fn, torch.nn.Identity)
        assert layer.intermediate.dense.activation == "gelu"
        assert layer.output.dense.activation == "none"
    # Same function as the float32 model, to bf16 rounding.
    packed, mask = _states(model)
    exact, _ = _states(_bert(tiny_bert, torch.float32))
    kept = mask.reshape(-1).bool()
    assert float(_row_cosines(packed, exact)[kept].min()) >= 0.999


def test_fp32_models_and_a_torch_without_the_operators_are_left_alone(tiny_bert, monkeypatch):
    assert pack_linears(_bert(tiny_bert, torch.float32)) == 0, "only bf16 weights are packed"
    monkeypatch.setattr(fastpath, "_supported", lambda torch: False)
    model = _bert(tiny_bert, torch.bfloat16)
    assert pack_linears(model) == 0
    assert all(isinstance(layer.intermediate.dense, torch.nn.Linear) for layer in model.encoder.layer)


def test_a_packed_layer_that_fails_its_check_is_not_used(tiny_bert, monkeypatch, caplog):
    real = fastpath._module_class()

    class Wrong(real):  # type: ignore[misc, valid-type]
        def forward(self, x):
            return super().forward(x) * 1.5

    monkeypatch.setattr(fastpath, "_module_class", lambda: Wrong)
    model = _bert(tiny_bert, torch.bfloat16)
    before, _ = _states(model)
    with caplog.at_level(logging.WARNING, logger="embedsdk_transformers"):
        assert pack_linears(model) == 0
    assert "disagrees" in caplog.text
    after, _ = _states(model)
    assert torch.equal(before, after), "the model must be exactly as it was"


def test_the_default_model_runs_packed_in_bf16_and_plain_in_fp32():
    fast = embedsdk.embedder("minilm", precision="bf16")
    model, _ = fast._load()
    assert fast.precision == "bf16", "all-MiniLM-L6-v2 passes the quality gate in bf16"
    assert not any(isinstance(m, torch.nn.Linear) for m in model.modules())
    exact = embedsdk.embedder("minilm", precision="fp32")
    assert any(isinstance(m, torch.nn.Linear) for m in exact._load()[0].modules())
    texts = ["the fast path packs weights once", "a", "GELU runs inside the matmul now"]
    a = embedsdk.embed(texts, provider=fast, cache=False).vectors
    b = embedsdk.embed(texts, provider=exact, cache=False).vectors
    assert float(np.sum(a * b, axis=1).min()) >= 0.999
