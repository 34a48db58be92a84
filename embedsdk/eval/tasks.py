"""The harness's tasks by name, so reports and the command line can run any of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from embedsdk.errors import InvalidOptionError
from embedsdk.eval.bias import weat
from embedsdk.eval.classify import classification
from embedsdk.eval.clusters import clustering
from embedsdk.eval.documents import document_similarity
from embedsdk.eval.ranking import retrieval
from embedsdk.eval.result import TaskResult
from embedsdk.eval.similarity import sts
from embedsdk.eval.words import analogy_accuracy, word_similarity

__all__ = ["TASKS", "run", "task"]

TASKS: dict[str, Callable[..., TaskResult]] = {
    "sts": sts,
    "retrieval": retrieval,
    "classification": classification,
    "clustering": clustering,
    "document_similarity": document_similarity,
    "weat": weat,
    "word_similarity": word_similarity,
    "analogy": analogy_accuracy,
}


def task(name: str) -> Callable[..., TaskResult]:
    """The task function called ``name``.

    Raises:
        InvalidOptionError: no task has that name (the message suggests close matches).
    """
    found = TASKS.get(name) or TASKS.get(name.replace("-", "_"))
    if found is None:
        import difflib

        close = difflib.get_close_matches(name, TASKS, n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(repr(c) for c in close)}? " if close else ""
        raise InvalidOptionError(f"unknown evaluation task {name!r}; {hint}tasks: {', '.join(TASKS)}")
    return found


def run(name: str, provider: Any, *args: Any, **kwargs: Any) -> TaskResult:
    """Run the task called ``name``: ``run("sts", "minilm", pairs)`` is ``sts("minilm", pairs)``.

    Raises:
        InvalidOptionError: no task has that name.
    """
    return task(name)(provider, *args, **kwargs)
