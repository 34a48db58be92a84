"""Pictures of embeddings: a 2-D map of the vectors, coloured by label, saved as a PNG.

The map is PCA (numpy only), or UMAP when ``umap-learn`` is installed; matplotlib draws it off-screen
(the Agg backend), so it works on servers without a display.

    >>> vecs = embedsdk.embed(["cat", "dog", "red", "blue"])
    >>> embedsdk.plot.map(vecs, ["animal", "animal", "colour", "colour"], "map.png")
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embedsdk.errors import InvalidInputError, InvalidOptionError, MissingDependencyError

__all__ = ["METHODS", "map", "project"]

METHODS = ("auto", "pca", "umap")


def _has_umap() -> bool:
    import importlib.util

    return importlib.util.find_spec("umap") is not None


def project(vectors: Any, method: str = "auto", seed: int = 0) -> tuple[np.ndarray, str]:
    """Project ``vectors`` (n, d) to 2-D and say how: ``pca``, or ``umap`` (``auto`` picks UMAP when installed).

    Raises:
        InvalidInputError: fewer than 2 vectors, or non-finite values.
        InvalidOptionError: an unknown method.
        MissingDependencyError: ``method="umap"`` without umap-learn.
    """
    if method not in METHODS:
        raise InvalidOptionError(f"unknown projection {method!r}; choose one of {', '.join(METHODS)}")
    matrix = np.asarray(vectors, dtype=np.float64)
    if matrix.ndim != 2 or len(matrix) < 2:
        raise InvalidInputError(f"a map needs at least 2 vectors in an (n, dim) array, got shape {matrix.shape}")
    if not np.isfinite(matrix).all():
        row = int(np.flatnonzero(~np.isfinite(matrix).all(axis=1))[0])
        raise InvalidInputError(f"vector {row} has NaN or infinite values (a failed item?); drop it first")
    use_umap = method == "umap" or (method == "auto" and _has_umap() and len(matrix) > 3)
    if use_umap:
        try:
            import umap  # optional: a better map when installed
        except ImportError as exc:
            raise MissingDependencyError("method='umap' needs umap-learn: pip install umap-learn") from exc
        reducer = umap.UMAP(n_components=2, n_neighbors=max(2, min(15, len(matrix) - 1)), random_state=seed)
        return np.asarray(reducer.fit_transform(matrix), dtype=np.float64), "umap"
    centered = matrix - matrix.mean(axis=0)
    _, _, components = np.linalg.svd(centered, full_matrices=False)
    points = centered @ components[:2].T
    if points.shape[1] < 2:  # one-dimensional data: a flat second axis
        points = np.hstack([points, np.zeros((len(points), 1))])
    # Fix each axis's sign (SVD may flip it between runs or platforms) so the same data draws the same map.
    signs = np.sign(points[np.abs(points).argmax(axis=0), range(2)])
    return points * np.where(signs == 0, 1, signs), "pca"


def map(  # shadows the builtin on purpose: embedsdk.plot.map is the public name
    embeddings: Any,
    labels: Sequence[Hashable] | None,
    path: str | Path,
    *,
    texts: Sequence[str] | None = None,
    annotate: int = 30,
    method: str = "auto",
    title: str | None = None,
    seed: int = 0,
    size: tuple[float, float] = (8.0, 6.0),
    dpi: int = 120,
) -> Path:
    """Draw a 2-D map of ``embeddings`` coloured by ``labels`` into a PNG at ``path``.

    Args:
        embeddings: An `embedsdk.Embeddings` or an array of shape (n, dim).
        labels: One label per vector (the colour and the legend), or None for one colour.
        path: Where to write the PNG (its folder is created).
        texts: One text per vector; a sample of ``annotate`` of them is written next to their points.
        annotate: How many points get their text (a seeded sample when there are more); 0 for none.
        method: ``auto`` (UMAP when umap-learn is installed, else PCA), ``pca`` or ``umap``.
        title: The picture's title (default: the provider and the method).
        seed: Seeds UMAP and the sample of annotated points.
        size: Figure size in inches.
        dpi: Dots per inch.

    Returns:
        The path of the PNG.

    Raises:
        InvalidInputError: labels or texts of another length than the vectors, fewer than 2 vectors.
        MissingDependencyError: matplotlib (or umap-learn with ``method="umap"``) is not installed.
    """
    vectors = np.asarray(getattr(embeddings, "vectors", embeddings))
    n = len(vectors)
    for name, values in (("labels", labels), ("texts", texts)):
        if values is not None and len(values) != n:
            raise InvalidInputError(f"{n} vectors but {len(values)} {name}; give one per vector")
    points, used = project(vectors, method, seed)
    try:
        import matplotlib

        matplotlib.use("Agg")  # draw off-screen: no display needed, and no window pops up
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise MissingDependencyError("plots need matplotlib: pip install 'embedsdk[eval]'") from exc
    space = getattr(embeddings, "space", None)
    figure, axes = plt.subplots(figsize=size, dpi=dpi)
    try:
        groups = list(dict.fromkeys(labels)) if labels is not None else [None]
        colours = plt.get_cmap("tab10" if len(groups) <= 10 else "tab20")
        for number, group in enumerate(groups):
            mask = np.ones(n, bool) if labels is None else np.array([label == group for label in labels])
            axes.scatter(
                points[mask, 0], points[mask, 1], s=28, alpha=0.8, color=colours(number % colours.N),
                label=None if group is None else str(group),
            )  # fmt: skip
        if texts is not None and annotate > 0:
            chosen = range(n) if n <= annotate else np.random.default_rng(seed).choice(n, annotate, replace=False)
            for index in chosen:
                axes.annotate(
                    str(texts[index])[:30], points[index], fontsize=8, alpha=0.85,
                    xytext=(3, 3), textcoords="offset points",
                )  # fmt: skip
        if labels is not None:
            axes.legend(loc="best", fontsize=8, frameon=False)
        provider = f"{space.provider}, " if space is not None else ""
        axes.set_title(title if title is not None else f"{provider}{used.upper()} of {n} vectors")
        axes.set_xticks([])
        axes.set_yticks([])
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        figure.tight_layout()
        figure.savefig(out, format="png")
    finally:
        plt.close(figure)
    return out

