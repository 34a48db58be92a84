"""`OpenAIOptions`: what ``openai/<model>`` providers take, and where unset values come from."""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = ["DEFAULT_BASE_URL", "OpenAIOptions"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"


class OpenAIOptions(BaseModel):
    """Options of ``openai/<model>`` providers.

    Attributes:
        api_key: The API key; default ``OPENAI_API_KEY``. Kept as a `SecretStr`: it never appears in reprs,
            logs, errors, spaces or cache keys.
        base_url: The API's base URL; default ``OPENAI_BASE_URL``, else ``https://api.openai.com/v1``. Any
            OpenAI-compatible server works (vLLM, Ollama, TEI, infinity).
        organization: The OpenAI organization id; default ``OPENAI_ORG_ID``.
        timeout: Seconds before one request is abandoned (and retried by the core).
        dimensions: Ask the service for vectors of this many dimensions (text-embedding-3 models and servers
            that support it; refused for text-embedding-ada-002).
        dim: Vector dimension of a model this plugin does not know (else learnt from one probe request).
        rpm: Requests per minute allowed (default ``EMBEDSDK_OPENAI_RPM``, else what the service's
            ``x-ratelimit-*`` headers say).
        tpm: Tokens per minute allowed (default ``EMBEDSDK_OPENAI_TPM``, else the headers).
        max_concurrency: Requests in flight at once in ``aembed``.
        max_bytes_per_request: Largest request body in bytes (some compatible servers refuse over 2 MB).
        normalized: Whether the model's vectors are unit length (known for OpenAI's models; default False for
            others).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    api_key: SecretStr | None = None
    base_url: str | None = None
    organization: str | None = None
    timeout: float = Field(default=60.0, gt=0)
    dimensions: int | None = Field(default=None, gt=0)
    dim: int | None = Field(default=None, gt=0)
    rpm: int | None = Field(default=None, gt=0)
    tpm: int | None = Field(default=None, gt=0)
    max_concurrency: int = Field(default=4, gt=0)
    max_bytes_per_request: int | None = Field(default=None, gt=1024)
    normalized: bool | None = None

    def resolved_base_url(self) -> str:
        """The base URL in force: the option, else ``OPENAI_BASE_URL``, else OpenAI's."""
        return (self.base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")

    def resolved_api_key(self) -> SecretStr | None:
        """The key in force: the option, else ``OPENAI_API_KEY`` (None when neither is set)."""
        if self.api_key is not None and self.api_key.get_secret_value():
            return self.api_key
        from_env = os.environ.get("OPENAI_API_KEY")
        return SecretStr(from_env) if from_env else None

    def resolved_organization(self) -> str | None:
        """The organization in force: the option, else ``OPENAI_ORG_ID``."""
        return self.organization or os.environ.get("OPENAI_ORG_ID") or None
