"""Checking that an object really implements a protocol: members, and the parameters of each method.

``isinstance(obj, SomeProtocol)`` with ``runtime_checkable`` only checks that the names exist, so a
``search(self, q)`` missing ``k`` and ``filter`` would pass. `assert_implements` compares each method's
parameter names and kinds with the protocol's, which is what callers rely on::

    assert_implements(MyIndex(), embedsdk.Index)
"""

from __future__ import annotations

import inspect
from typing import Any

__all__ = ["assert_implements", "protocol_members"]


def protocol_members(protocol: type) -> dict[str, Any]:
    """The members a protocol declares (methods, properties, class methods), by name."""
    members: dict[str, Any] = {}
    for klass in reversed(protocol.__mro__):
        if klass is object or not getattr(klass, "_is_protocol", False):
            continue
        for name, value in vars(klass).items():
            if not name.startswith("_"):
                members[name] = value
    return members


def _parameters(function: Any) -> list[tuple[str, Any]]:
    signature = inspect.signature(function)
    return [(p.name, p.kind) for p in signature.parameters.values() if p.name not in {"self", "cls"}]


def assert_implements(obj: object, protocol: type) -> None:
    """Raise AssertionError naming each member of ``protocol`` that ``obj`` lacks or declares differently.

    A method must take the protocol's parameters, by the same names and kinds, in the same order (it may add
    keyword-only ones after them); a property must be readable.
    """
    problems = []
    for name, declared in protocol_members(protocol).items():
        if isinstance(declared, property):
            if not hasattr(obj, name):
                problems.append(f"property {name!r} is missing")
            continue
        function = declared.__func__ if isinstance(declared, (classmethod, staticmethod)) else declared
        actual = getattr(obj, name, None)
        if actual is None or not callable(actual):
            problems.append(f"method {name!r} is missing")
            continue
        wanted, given = _parameters(function), _parameters(actual)
        extra = given[len(wanted) :]
        if given[: len(wanted)] != wanted or any(kind is not inspect.Parameter.KEYWORD_ONLY for _, kind in extra):
            problems.append(f"{name}{inspect.signature(actual)} does not take {name}{inspect.signature(function)}")
    if problems:
        raise AssertionError(f"{type(obj).__name__} does not implement {protocol.__name__}: " + "; ".join(problems))
