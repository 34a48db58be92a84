"""`BaseEmbedder` and option parsing: what a plugin author gets for implementing `embed_batch` only."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import BaseModel, ConfigDict

import embedsdk
from embedsdk.errors import ConfigurationError, InvalidOptionError
from embedsdk.providers.base import BaseEmbedder, NoOptions, parse_options
from embedsdk.providers.protocols import Embedder, ProviderLimits
from embedsdk.space import EmbeddingSpace
from embedsdk.testing.conformance import assert_implements


class HostedOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    api_key: str
    timeout: float = 30.0


class Minimal(BaseEmbedder):
    """The least a plugin writes: a space and `embed_batch`."""

    @property
    def space(self) -> EmbeddingSpace:
        return EmbeddingSpace(provider=self.provider_id, model="minimal", dim=3)

    def embed_batch(self, items, role=None):
        return np.array([[len(item), 1.0, 0.0] for item in items], dtype=np.float32)


class Hosted(Minimal):
    Options = HostedOptions


def test_a_minimal_subclass_is_an_embedder_with_defaults():
    model = Minimal("mini/model")
    assert_implements(model, Embedder)
    assert model.limits == ProviderLimits()
    assert model.tokenizer is None
    assert model.modalities == frozenset({"text"})
    assert model.supports_async is False
    assert isinstance(model.options, NoOptions)
    assert repr(model) == "Minimal('mini/model')"


def test_a_minimal_subclass_goes_through_the_whole_pipeline():
    model = Minimal("mini/model")
    result = model.embed(["ab", "abcd"])
    np.testing.assert_array_equal(result.vectors, [[2, 1, 0], [4, 1, 0]])
    assert result.space.provider == "mini/model"


async def test_the_default_async_twin_runs_embed_batch():
    model = Minimal("mini/model")
    np.testing.assert_array_equal(await model.aembed_batch(["abc"]), [[3, 1, 0]])
    result = await model.aembed(["ab"])
    np.testing.assert_array_equal(result.vectors, [[2, 1, 0]])


def test_a_provider_without_options_refuses_any():
    with pytest.raises(InvalidOptionError, match="it takes no options"):
        Minimal("mini/model", pooling="cls")


def test_options_are_validated_and_named():
    with pytest.raises(InvalidOptionError) as caught:
        Hosted("hosted/model", api_key="k", timout=3)
    message = str(caught.value)
    assert "hosted/model" in message
    assert "unknown option 'timout'" in message
    assert "it takes: api_key, timeout" in message
    with pytest.raises(InvalidOptionError, match="option 'timeout'"):
        Hosted("hosted/model", api_key="k", timeout="soon")
    with pytest.raises(InvalidOptionError, match="option 'api_key'"):
        Hosted("hosted/model")


def test_repr_shows_option_names_never_values():
    model = Hosted("hosted/model", api_key="sk-very-secret")
    assert "sk-very-secret" not in repr(model)
    assert "api_key" in repr(model)


def test_parse_options_returns_the_model():
    parsed = parse_options(HostedOptions, {"api_key": "k"}, "hosted/model")
    assert parsed == HostedOptions(api_key="k", timeout=30.0)


def test_embed_words_is_refused_by_providers_without_it():
    with pytest.raises(ConfigurationError, match="does not embed words"):
        Minimal("mini/model").embed_words("the river bank")
    with pytest.raises(InvalidOptionError, match="does not embed words"):
        embedsdk.embed_words("the river bank", provider=Minimal("mini/model"))
