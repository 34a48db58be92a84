"""`CohereOptions`: what ``cohere/<model>`` providers take, and where unset values come from."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = ["DEFAULT_BASE_URL", "CohereOptions", "EmbeddingType"]

DEFAULT_BASE_URL = "https://api.cohere.com"

EmbeddingType = Literal["float", "int8", "uint8", "binary", "ubinary"]


class CohereOptions(BaseModel):
    """Options of ``cohere/<model>`` providers.

    Attributes:
        api_key: The API key; default ``CO_API_KEY``. Kept as a `SecretStr`: it never appears in reprs, logs,
            errors, spaces or cache keys.
        base_url: The API's base URL; default ``CO_API_URL``, else ``https://api.cohere.com``.
        timeout: Seconds before one request is abandoned (and retried by the core).
        input_type: ``classification`` or ``clustering``: Cohere's input types that are not a search role.
            Without it, ``role="query"`` sends ``search_query`` and ``role="document"`` ``search_document``.
        embedding_types: What the service sends back: ``float`` (float32), ``int8``, ``uint8``, or ``binary`` /
            ``ubinary`` (one bit a dimension, packed eight to a byte: ``dim / 8`` values). The space records it.
        truncate: Cohere's own handling of inputs over the model's limit: ``NONE`` refuses them (one error per
            item, naming its index), ``START`` or ``END`` drops that end. Default: from the call's ``on_long``
            (``truncate`` sends ``END``, ``error`` sends ``NONE``).
        dimensions: ``output_dimension`` of embed-v4.0 (256, 512, 1024 or 1536).
        dim: Vector dimension of a model this plugin does not know (else learnt from one probe request).
        rpm: Requests per minute allowed (default ``EMBEDSDK_COHERE_RPM``, else the service's headers).
        tpm: Tokens per minute allowed (default ``EMBEDSDK_COHERE_TPM``, else the service's headers).
        max_concurrency: Requests in flight at once in ``aembed``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    api_key: SecretStr | None = None
    base_url: str | None = None
    timeout: float = Field(default=60.0, gt=0)
    input_type: Literal["classification", "clustering"] | None = None
    embedding_types: EmbeddingType = "float"
    truncate: Literal["NONE", "START", "END"] | None = None
    dimensions: Literal[256, 512, 1024, 1536] | None = None
    dim: int | None = Field(default=None, gt=0)
    rpm: int | None = Field(default=None, gt=0)
    tpm: int | None = Field(default=None, gt=0)
    max_concurrency: int = Field(default=4, gt=0)

    def resolved_base_url(self) -> str:
        """The base URL in force: the option, else ``CO_API_URL``, else Cohere's."""
        return (self.base_url or os.environ.get("CO_API_URL") or DEFAULT_BASE_URL).rstrip("/")

    def resolved_api_key(self) -> SecretStr | None:
        """The key in force: the option, else ``CO_API_KEY`` (None when neither is set)."""
        if self.api_key is not None and self.api_key.get_secret_value():
            return self.api_key
        from_env = os.environ.get("CO_API_KEY")
        return SecretStr(from_env) if from_env else None
