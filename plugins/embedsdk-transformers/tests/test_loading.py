"""The hf provider's loading code on tiny random-weight models: folders, pooling, sentence-transformers
pipelines (checked against sentence-transformers itself), options, devices and missing-model errors."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from transformers import AutoModel, AutoTokenizer

import embedsdk

TEXTS = ["The cat sat on the mat.", "Embedding models turn sentences into vectors.", "a", "def add(a, b): return a"]


def reference_pooling(folder, texts, mode):
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    model = AutoModel.from_pretrained(str(folder)).eval()
    batch = tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    if mode == "cls":
        return hidden[:, 0].numpy()
    if mode == "mean":
        return ((hidden * mask).sum(1) / mask.sum(1)).numpy()
    return hidden.masked_fill(mask == 0, -1e9).max(1).values.numpy()


@pytest.mark.parametrize("pooling", ["cls", "mean", "max"])
@pytest.mark.parametrize("model", ["tiny_bert", "tiny_roberta"])
def test_pooling_matches_transformers(request, model, pooling):
    folder = request.getfixturevalue(model)
    result = embedsdk.embed(TEXTS, provider=f"hf/{folder}", pooling=pooling, precision="fp32", cache=False)
    np.testing.assert_allclose(result.vectors, reference_pooling(folder, TEXTS, pooling), atol=1e-5)
    assert result.space.pooling == pooling
    assert result.space.dim == 32 and not result.space.normalized


def test_plain_folder_defaults_to_mean_pooling_and_model_limits(tiny_bert, tiny_roberta):
    bert = embedsdk.embedder(f"hf/{tiny_bert}")
    assert bert.space.pooling == "mean"
    assert bert.space.max_tokens == 64
    # RoBERTa positions start after the padding index: 66 positions hold 64 tokens.
    assert embedsdk.embedder(f"hf/{tiny_roberta}").space.max_tokens == 64


def test_sentence_transformers_folder_matches_sentence_transformers(tiny_st):
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(tiny_st), device="cpu")
    result = embedsdk.embed(TEXTS, provider=f"hf/{tiny_st}", precision="fp32", cache=False)
    np.testing.assert_allclose(result.vectors, st.encode(TEXTS), atol=1e-5)
    assert result.space.dim == 16 and result.space.normalized and result.space.pooling == "cls"
    assert result.space.max_tokens == 48
    # Roles map to the folder's prompts, exactly as sentence-transformers' prompt_name does.
    query = embedsdk.embed(TEXTS, provider=f"hf/{tiny_st}", role="query", precision="fp32", cache=False)
    np.testing.assert_allclose(query.vectors, st.encode(TEXTS, prompt_name="query"), atol=1e-5)
    assert not np.allclose(query.vectors, result.vectors)
    assert query.space.role == "query" and query.space.extra["query_prompt"] == "query: "


def test_lower_casing_from_sentence_bert_config(tiny_st):
    result = embedsdk.embed(["THE CAT SAT", "the cat sat"], provider=f"hf/{tiny_st}", precision="fp32", cache=False)
    np.testing.assert_allclose(result.vectors[0], result.vectors[1], atol=1e-6)


def test_alias_loads_from_model_path_and_keeps_its_name(tiny_roberta):
    result = embedsdk.embed(TEXTS, provider="codebert", model_path=str(tiny_roberta), precision="fp32", cache=False)
    assert result.space.provider == "hf/microsoft/codebert-base"
    assert result.space.model == "microsoft/codebert-base"
    np.testing.assert_allclose(result.vectors, reference_pooling(tiny_roberta, TEXTS, "mean"), atol=1e-5)


def test_revision_follows_the_weights(tiny_bert, tmp_path):
    from transformers import BertModel

    copy = tmp_path / "copy"
    shutil.copytree(tiny_bert, copy)
    before = embedsdk.embed(["the cat"], provider=f"hf/{copy}")
    torch.manual_seed(99)
    BertModel(BertModel.from_pretrained(str(copy)).config).save_pretrained(str(copy))
    embedsdk.runtime.current().forget_embedders()
    after = embedsdk.embed(["the cat"], provider=f"hf/{copy}")
    assert before.space.revision != after.space.revision
    assert after.stats.cache_hits == 0
    assert not np.allclose(before.vectors, after.vectors)


def test_batches_are_sorted_and_results_in_input_order(tiny_bert):
    texts = [("the cat " * n).strip() for n in (15, 1, 6, 3, 20, 2, 4)]
    together = embedsdk.embed(texts, provider=f"hf/{tiny_bert}", max_batch_tokens=64, precision="fp32", cache=False)
    assert together.stats.batches > 1
    for n, text in enumerate(texts):
        alone = embedsdk.embed([text], provider=f"hf/{tiny_bert}", precision="fp32", cache=False)
        np.testing.assert_allclose(together.vectors[n], alone.vectors[0], atol=1e-5)


def test_long_inputs_under_each_policy(tiny_bert):
    megabyte = "the cat sat on the mat " * (2**20 // 23)
    provider = f"hf/{tiny_bert}"
    with pytest.raises(embedsdk.InputTooLongError, match=r"item 1 .* on_long='truncate'"):
        embedsdk.embed(["short", megabyte], provider=provider, precision="fp32", cache=False)
    truncated = embedsdk.embed(
        ["short", megabyte], provider=provider, on_long="truncate", precision="fp32", cache=False
    )
    assert truncated.stats.truncated == 1 and np.isfinite(truncated.vectors).all()
    chunked = embedsdk.embed(
        ["short", megabyte[:20000]], provider=provider, on_long="chunk", precision="fp32", cache=False
    )
    assert chunked.stats.chunked == 1 and np.isfinite(chunked.vectors).all()


@pytest.mark.parametrize(
    ("pooling", "st_mode"),
    [("weightedmean", "weightedmean"), ("mean_sqrt_len", "mean_sqrt_len_tokens"), ("lasttoken", "lasttoken")],
)
def test_the_other_pooling_modes_match_sentence_transformers(tiny_bert, pooling, st_mode):
    from sentence_transformers import SentenceTransformer, models

    reference = SentenceTransformer(
        modules=[models.Transformer(str(tiny_bert)), models.Pooling(32, pooling_mode=st_mode)], device="cpu"
    )
    expected = reference.encode(TEXTS, convert_to_numpy=True)
    result = embedsdk.embed(TEXTS, provider=f"hf/{tiny_bert}", pooling=pooling, precision="fp32", cache=False)
    np.testing.assert_allclose(result.vectors, expected, atol=1e-5)
    assert result.space.pooling == pooling
    # Each mode gives other vectors than mean pooling: the test would notice a mode silently mapped to mean.
    mean = embedsdk.embed(TEXTS, provider=f"hf/{tiny_bert}", pooling="mean", precision="fp32", cache=False)
    assert not np.allclose(result.vectors, mean.vectors, atol=1e-3)


@pytest.mark.parametrize("device", ["tpu", "cuda:x", "gpu", ""])
def test_an_unknown_device_is_refused_when_the_options_are_read(tiny_bert, device):
    with pytest.raises(embedsdk.InvalidOptionError, match="option 'device'"):
        embedsdk.embedder(f"hf/{tiny_bert}", device=device)
    embedsdk.embed(["the cat"], provider=f"hf/{tiny_bert}")
    # Even when every item is a cache hit, so no batch would run and no device would be touched.
    with pytest.raises(embedsdk.InvalidOptionError, match="option 'device'"):
        embedsdk.embed(["the cat"], provider=f"hf/{tiny_bert}", device=device)


def test_bad_options_are_named(tiny_bert):
    with pytest.raises(embedsdk.InvalidOptionError, match="pooling"):
        embedsdk.embed(["x"], provider=f"hf/{tiny_bert}", pooling="median")
    with pytest.raises(embedsdk.InvalidOptionError, match="unknown option 'poolin'"):
        embedsdk.embed(["x"], provider=f"hf/{tiny_bert}", poolin="cls")
    with pytest.raises(embedsdk.InvalidOptionError, match=r"max_seq_length=500 .* at most 64"):
        embedsdk.embed(["x"], provider=f"hf/{tiny_bert}", max_seq_length=500)


def test_unsupported_pipeline_module_is_named(tiny_st, tmp_path):
    copy = tmp_path / "st"
    shutil.copytree(tiny_st, copy)
    modules = (copy / "modules.json").read_text().replace('Normalize"', 'LayerNorm"')
    (copy / "modules.json").write_text(modules)
    with pytest.raises(embedsdk.ConfigurationError, match="LayerNorm"):
        embedsdk.embed(["x"], provider=f"hf/{copy}")


def test_missing_files_are_named(tiny_bert, tmp_path):
    copy = tmp_path / "no-weights"
    shutil.copytree(tiny_bert, copy)
    (copy / "model.safetensors").unlink()
    with pytest.raises(embedsdk.ModelNotFoundError, match=r"model\.safetensors"):
        embedsdk.embed(["x"], provider=f"hf/{copy}")
    with pytest.raises(embedsdk.ModelNotFoundError, match="does not exist"):
        embedsdk.embed(["x"], provider=f"hf/{tmp_path / 'nowhere'}")


@pytest.mark.parametrize(
    ("alias", "hub_id"),
    [
        ("bert", "bert-base-uncased"),
        ("codebert", "microsoft/codebert-base"),
        ("scibert", "allenai/scibert_scivocab_uncased"),
    ],
)
def test_absent_weights_error_names_model_files_and_fix(alias, hub_id, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub-cache"))
    with pytest.raises(embedsdk.ModelNotFoundError) as caught:
        embedsdk.embed(["x"], provider=alias)
    message = str(caught.value)
    assert hub_id in message and "config.json" in message and "HF_HUB_OFFLINE" in message
    assert "hf/<folder>" in message and "model_path" in message
    assert isinstance(caught.value, FileNotFoundError)


def test_construction_is_cheap_and_weights_load_on_first_use(tiny_bert):
    model = embedsdk.embedder(f"hf/{tiny_bert}")
    assert not model.loaded
    model.embed(["the cat"], cache=False)
    assert model.loaded


def test_close_drops_the_weights_and_the_next_call_reloads_them(tiny_bert):
    model = embedsdk.embedder(f"hf/{tiny_bert}")
    first = model.embed(["the cat sat"], cache=False)
    model.close()
    assert not model.loaded
    again = model.embed(["the cat sat"], cache=False)
    assert model.loaded
    np.testing.assert_allclose(again.vectors, first.vectors, atol=1e-6)


def test_the_runtime_closes_an_embedder_it_evicts(tiny_bert, tiny_roberta):
    fresh = embedsdk.runtime.Runtime(embedsdk.runtime.current().plugin_manager_factory, max_embedders=1)
    with embedsdk.runtime.using(fresh):
        bert = embedsdk.embedder(f"hf/{tiny_bert}")
        bert.embed(["the cat"], cache=False)
        assert bert.loaded
        embedsdk.embedder(f"hf/{tiny_roberta}")  # the second one pushes the first out of the LRU
        assert not bert.loaded
        assert embedsdk.embedder(f"hf/{tiny_bert}") is not bert


def test_revision_is_the_same_in_every_process(tiny_st):
    import subprocess
    import sys

    script = (
        "import sys; from pathlib import Path; from embedsdk_transformers.recipe import read_recipe; "
        "from embedsdk_transformers.embedder import folder_revision; "
        "print(folder_revision(read_recipe(Path(sys.argv[1]))))"
    )
    revisions = {
        subprocess.run(
            [sys.executable, "-c", script, str(tiny_st)],
            capture_output=True,
            text=True,
            check=True,
            env={**__import__("os").environ, "PYTHONHASHSEED": str(seed)},
        ).stdout.strip()
        for seed in range(4)
    }
    assert len(revisions) == 1
