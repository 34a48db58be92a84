"""The embedsdk error tree: every error the library raises on purpose is one of these.

```
EmbedSDKError                      base of everything below (alias: EmbedsdkError)
├── ConfigurationError (ValueError)        a setting, option or id is wrong
│   ├── UnknownProviderError (KeyError)    no provider has that id; lists close matches
│   ├── InvalidOptionError                 an option a provider does not take, or a bad value
│   └── MissingDependencyError (ImportError)  an optional package is absent; says what to pip install
├── ModelNotFoundError (FileNotFoundError)    weights are not on this machine; names the files looked for
├── InvalidInputError (ValueError)         an item cannot be embedded; names its index and the fix
│   ├── InvalidItemTypeError (TypeError)   None, bytes, a number... where text is expected
│   ├── EmptyItemError                     an empty or blank string
│   └── InputTooLongError                  over the provider's token limit with on_long="error"
├── ProviderError                          the provider failed while embedding
│   ├── RateLimitedError                   429 or overload; retried with backoff, honouring retry_after
│   ├── ItemRejectedError                  a request refused for its content (HTTP 400); the batch is bisected
│   └── EmbeddingFailedError               some items failed; `.result` keeps everything that worked
├── SpaceMismatchError (ValueError)        vectors or queries from another embedding space
└── PluginError                            a plugin is broken (bad hook, duplicate id)
```

Third-party errors are translated in one place per plugin and chained (``raise ... from exc``), so callers
catch ``EmbedSDKError`` and never a library they did not choose. Messages name the item or option and the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from embedsdk.space import Embeddings

__all__ = [
    "ConfigurationError",
    "EmbedSDKError",
    "EmbeddingFailedError",
    "EmbedsdkError",
    "EmptyItemError",
    "InputTooLongError",
    "InvalidInputError",
    "InvalidItemTypeError",
    "InvalidOptionError",
    "ItemError",
    "ItemFailure",
    "ItemRejectedError",
    "MissingDependencyError",
    "ModelNotFoundError",
    "PluginError",
    "ProviderError",
    "RateLimitedError",
    "SpaceMismatchError",
    "UnknownProviderError",
]


class EmbedSDKError(Exception):
    """Base class of every error embedsdk raises on purpose."""


EmbedsdkError = EmbedSDKError


class ConfigurationError(EmbedSDKError, ValueError):
    """A setting, option or provider id is wrong."""


class UnknownProviderError(ConfigurationError, KeyError):
    """No registered provider (or index backend, or OOV strategy) has this name.

    Attributes:
        provider: The id that was asked for.
        suggestions: Registered ids and aliases that look like it, best first.
    """

    def __init__(
        self, provider: str, suggestions: Sequence[str] = (), available: Sequence[str] = (), kind: str = "provider"
    ) -> None:
        self.provider = provider
        self.suggestions = list(suggestions)
        message = f"unknown {kind} {provider!r}"
        if self.suggestions:
            message += f"; did you mean {', '.join(repr(s) for s in self.suggestions)}?"
        elif available:
            message += f"; registered: {', '.join(sorted(available))}"
        if kind == "provider":
            message += " (run `embedsdk providers` to list them all)"
        super().__init__(message)

    def __str__(self) -> str:
        # KeyError.__str__ would wrap the message in quotes; show it as written.
        return str(self.args[0])


class InvalidOptionError(ConfigurationError):
    """An option a provider does not accept, or a value it cannot use."""


class MissingDependencyError(ConfigurationError, ImportError):
    """An optional package is not installed; the message gives the pip command."""


class ModelNotFoundError(EmbedSDKError, FileNotFoundError):
    """A model's files are not on this machine (and could not be downloaded)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class InvalidInputError(EmbedSDKError, ValueError):
    """An item cannot be embedded.

    Attributes:
        errors: One ``ItemError`` per bad item (index, message), in input order.
    """

    def __init__(self, message: str, errors: Sequence[ItemError] = ()) -> None:
        self.errors = list(errors)
        super().__init__(message)

    @property
    def index(self) -> int | None:
        """Index of the first bad item, or None when the error is not about one item."""
        return self.errors[0].index if self.errors else None


class InvalidItemTypeError(InvalidInputError, TypeError):
    """An item of a type the provider cannot embed (None where text is expected, say)."""


class EmptyItemError(InvalidInputError):
    """An empty or blank string, which carries nothing to embed."""


class InputTooLongError(InvalidInputError):
    """An item over the provider's token limit while ``on_long="error"``."""


class ProviderError(EmbedSDKError):
    """The provider failed while embedding."""


class RateLimitedError(ProviderError):
    """The provider asked to slow down (HTTP 429, overload); the core retries with backoff.

    Attributes:
        retry_after: Seconds the provider asked to wait, when it said (``Retry-After``).
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class ItemRejectedError(ProviderError):
    """The provider refused a request because of what it holds (HTTP 400).

    The core bisects the batch so the bad item fails alone and the others are embedded.
    """


class EmbeddingFailedError(ProviderError):
    """Some items could not be embedded; the others are kept.

    Attributes:
        result: The ``Embeddings`` of the whole call; rows of failed items are NaN and ``result.errors``
            says why each failed. Everything that worked is already cached, so a rerun resumes.
    """

    def __init__(self, message: str, result: Embeddings) -> None:
        self.result = result
        super().__init__(message)

    @property
    def errors(self) -> list[ItemError]:
        """Per-item errors, in input order."""
        return self.result.errors


class SpaceMismatchError(EmbedSDKError, ValueError):
    """Vectors or queries that belong to a different embedding space than the index or other operand."""


class PluginError(EmbedSDKError):
    """A plugin registered something broken: a duplicate id, a bad hook, an object of the wrong kind."""


class ItemError:
    """Why one item failed: its index in the input and a message that names the fix.

    Attributes:
        index: The item's position in the call's input.
        message: What is wrong and how to fix it.
        kind: The error class of this failure (`InvalidItemTypeError`, `InputTooLongError`, `ItemRejectedError`...).
        cause: The exception behind it, when there was one (a provider's rejection, say).
    """

    __slots__ = ("cause", "index", "kind", "message")

    def __init__(
        self,
        index: int,
        message: str,
        kind: type[Exception] | None = None,
        cause: BaseException | None = None,
    ) -> None:
        self.index = index
        self.message = message
        self.kind = kind
        self.cause = cause

    def __repr__(self) -> str:
        return f"ItemError(index={self.index}, message={self.message!r})"

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, ItemError) and (self.index, self.message) == (other.index, other.message)

    def __hash__(self) -> int:
        return hash((self.index, self.message))


ItemFailure = ItemError
"""The name the redesigned core gives the per-item record (an alias until the redesign lands)."""
