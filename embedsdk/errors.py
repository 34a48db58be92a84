"""The embedsdk error tree: every error a user can meet from a public call is one of these.

```
EmbedSDKError                              base of everything below
├── ConfigurationError (ValueError)        a setting, option, id or file path is wrong
│   ├── UnknownProviderError (KeyError)    no provider has that id; lists close matches
│   ├── UnknownIndexError (KeyError)       no index backend has that name; lists close matches
│   ├── UnknownOOVStrategyError (KeyError) no OOV strategy has that name; lists close matches
│   ├── InvalidOptionError                 an option a provider or call does not take, or a bad value
│   └── MissingDependencyError (ImportError)  an optional package is absent; says what to pip install
├── ModelNotFoundError (FileNotFoundError)    weights are not on this machine; names the files looked for
├── CorruptFileError (ValueError)          a file embedsdk reads (index, vectors) is damaged; names it and the problem
├── InvalidInputError (ValueError)         an item cannot be embedded; names its index and the fix
│   ├── InvalidItemTypeError (TypeError)   None, bytes, a number... where text is expected
│   ├── EmptyItemError                     text with nothing visible in it
│   └── InputTooLongError                  over the provider's token limit with on_long="error"
├── ProviderError                          the provider failed while embedding
│   ├── RateLimitedError                   429 or overload; retried with backoff, honouring retry_after
│   ├── TransientError                     5xx, a timeout, a dropped connection; retried with backoff and jitter
│   ├── ItemRejectedError                  a request refused for its content (HTTP 400); the batch is bisected
│   └── EmbeddingFailedError               some items failed; `.result` keeps everything that worked
├── SpaceMismatchError (ValueError)        vectors or queries from another embedding space
├── UnknownIdError (KeyError)              an id an index does not hold
└── PluginError                            a plugin is broken (bad hook, duplicate id)
```

Third-party errors are translated in one place per plugin and chained (``raise ... from exc``), so callers
catch ``EmbedSDKError`` and never a library they did not choose. Messages name the item or option and the fix.
Why one item failed, without raising, is an `ItemFailure`: a record kept in ``result.errors`` and
``InvalidInputError.errors``, deliberately not an exception class.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from embedsdk.result import Embeddings

__all__ = [
    "ConfigurationError",
    "CorruptFileError",
    "EmbedSDKError",
    "EmbeddingFailedError",
    "EmptyItemError",
    "InputTooLongError",
    "InvalidInputError",
    "InvalidItemTypeError",
    "InvalidOptionError",
    "ItemFailure",
    "ItemRejectedError",
    "MissingDependencyError",
    "ModelNotFoundError",
    "PluginError",
    "ProviderError",
    "RateLimitedError",
    "SpaceMismatchError",
    "TransientError",
    "UnknownIdError",
    "UnknownIndexError",
    "UnknownOOVStrategyError",
    "UnknownProviderError",
]


class EmbedSDKError(Exception):
    """Base class of every error embedsdk raises on purpose."""


class ConfigurationError(EmbedSDKError, ValueError):
    """A setting, option, provider id or path is wrong."""


class _UnknownName(ConfigurationError, KeyError):
    """What the three unknown-name errors share: the name asked for, close matches, a plain message."""

    kind = "name"

    def __init__(self, name: str, suggestions: Sequence[str] = (), available: Sequence[str] = ()) -> None:
        self.name = name
        self.suggestions = list(suggestions)
        message = f"unknown {self.kind} {name!r}"
        if self.suggestions:
            message += f"; did you mean {', '.join(repr(s) for s in self.suggestions)}?"
        elif available:
            message += f"; registered: {', '.join(sorted(available))}"
        super().__init__(message + self._hint())

    def _hint(self) -> str:
        return ""

    def __str__(self) -> str:
        # KeyError.__str__ would wrap the message in quotes; show it as written.
        return str(self.args[0])


class UnknownProviderError(_UnknownName):
    """No registered provider has this id or alias.

    Attributes:
        provider: The id that was asked for (also ``name``).
        suggestions: Registered ids and aliases that look like it, best first.
    """

    kind = "provider"

    @property
    def provider(self) -> str:
        """The id that was asked for."""
        return self.name

    def _hint(self) -> str:
        return " (run `embedsdk providers` to list them all)"


class UnknownIndexError(_UnknownName):
    """No registered index backend has this name.

    Attributes:
        name: The name that was asked for.
        suggestions: Registered names that look like it.
    """

    kind = "index backend"


class UnknownOOVStrategyError(_UnknownName):
    """No registered out-of-vocabulary strategy has this name.

    Attributes:
        name: The name that was asked for.
        suggestions: Registered names that look like it.
    """

    kind = "OOV strategy"


class InvalidOptionError(ConfigurationError):
    """An option a provider or call does not accept, or a value it cannot use."""


class MissingDependencyError(ConfigurationError, ImportError):
    """An optional package is not installed; the message gives the pip command."""


class ModelNotFoundError(EmbedSDKError, FileNotFoundError):
    """A model's files are not on this machine (and could not be downloaded)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class CorruptFileError(EmbedSDKError, ValueError):
    """A file embedsdk reads (a saved index, a vector file) is damaged or not what it claims to be.

    Attributes:
        path: The file (or folder) at fault.
    """

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        super().__init__(f"{self.path}: {problem}")


class InvalidInputError(EmbedSDKError, ValueError):
    """An item cannot be embedded.

    Attributes:
        errors: One `ItemFailure` per bad item (index, message), in input order.
    """

    def __init__(self, message: str, errors: Sequence[ItemFailure] = ()) -> None:
        self.errors = list(errors)
        super().__init__(message)

    @property
    def index(self) -> int | None:
        """Index of the first bad item, or None when the error is not about one item."""
        return self.errors[0].index if self.errors else None


class InvalidItemTypeError(InvalidInputError, TypeError):
    """An item of a type the provider cannot embed (None where text is expected, say)."""


class EmptyItemError(InvalidInputError):
    """Text with nothing visible in it (empty, whitespace, or only invisible characters)."""


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


class TransientError(ProviderError):
    """A request failed for a reason that may pass: HTTP 5xx, a timeout, a reset or dropped connection.

    The core retries it with exponential backoff and jitter, at most ``EMBEDSDK_MAX_RETRIES`` times; when the
    retries run out, the error raised says how many attempts were made and how they were spaced.
    """


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
    def errors(self) -> list[ItemFailure]:
        """Per-item failures, in input order."""
        return self.result.errors


class SpaceMismatchError(EmbedSDKError, ValueError):
    """Vectors or queries that belong to a different embedding space than the index or other operand."""


class UnknownIdError(EmbedSDKError, KeyError):
    """An id that an index does not hold (``remove``, ``similar_to``...).

    Attributes:
        ids: The ids that were not found.
    """

    def __init__(self, ids: Sequence[str], what: str = "the index") -> None:
        self.ids = list(ids)
        shown = ", ".join(repr(i) for i in self.ids[:10]) + (" ..." if len(self.ids) > 10 else "")
        super().__init__(f"{len(self.ids)} id(s) not in {what}: {shown}; nothing was changed")

    def __str__(self) -> str:
        return str(self.args[0])


class PluginError(EmbedSDKError):
    """A plugin registered something broken: a duplicate id, a bad hook, an object of the wrong kind."""


class ItemFailure:
    """Why one item failed: its index in the input and a message that names the fix.

    A record, not an exception: `Embeddings.errors` holds one per failed item, and `InvalidInputError.errors`
    one per bad item.

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
        return f"ItemFailure(index={self.index}, message={self.message!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ItemFailure) and (self.index, self.message) == (other.index, other.message)

    def __hash__(self) -> int:
        return hash((self.index, self.message))
