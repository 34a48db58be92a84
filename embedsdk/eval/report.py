"""Side-by-side reports of evaluation results: a terminal table, Markdown and JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence

from embedsdk.eval.result import TaskResult

__all__ = ["to_json", "to_markdown", "to_table"]

_COST = ("items", "cache_hits", "tokens", "requests", "seconds")


def _rows(results: Sequence[TaskResult]) -> tuple[list[str], list[list[str]]]:
    metric_names = list(dict.fromkeys(name for result in results for name in result.metrics))
    header = ["task", "provider", "n", *metric_names, *_COST]
    rows = []
    for result in results:
        cost = result.cost.to_dict()
        metrics = result.metrics
        rows.append(
            [
                result.task,
                result.provider,
                str(result.examples),
                *(f"{metrics[name]:.4f}" if name in metrics else "" for name in metric_names),
                *(f"{cost[name]:.2f}" if name == "seconds" else str(cost[name]) for name in _COST),
            ]
        )
    return header, rows


def to_table(results: Sequence[TaskResult]) -> str:
    """Results as an aligned plain-text table, one row per result."""
    header, rows = _rows(results)
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def to_markdown(results: Sequence[TaskResult]) -> str:
    """Results as a Markdown table, one row per result."""
    header, rows = _rows(results)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def to_json(results: Sequence[TaskResult]) -> str:
    """Results as a JSON list of their `TaskResult.to_dict`."""
    return json.dumps([result.to_dict() for result in results], indent=2)
