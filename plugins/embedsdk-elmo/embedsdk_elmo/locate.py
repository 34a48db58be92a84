"""Find an ELMo model on disk: an AllenNLP options.json + weights.hdf5 pair, or an ELMoForManyLangs folder.

Nothing is downloaded. ``elmo`` (the alias) reads ``EMBEDSDK_ELMO_PATH``, else ``<user cache>/embedsdk/elmo``
(``~/.cache/embedsdk/elmo`` on Linux); ``elmo/<folder or file>`` reads that path.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from embedsdk.errors import ModelNotFoundError

__all__ = [
    "ALLENNLP_FILES",
    "MANYLANGS_FILES",
    "ElmoFiles",
    "default_location",
    "files_revision",
    "locate_elmo",
]

ALLENNLP_FILES = ("options.json", "weights.hdf5")
MANYLANGS_FILES = ("config.json", "char.dic", "word.dic", "encoder.pkl", "token_embedder.pkl")
_MIX_FILE = "scalar_mix.json"


@dataclass(frozen=True)
class ElmoFiles:
    """The files of one ELMo model.

    Attributes:
        kind: ``allennlp`` or ``manylangs``.
        folder: The folder holding them.
        options: AllenNLP's options file (``allennlp`` only).
        weights: AllenNLP's hdf5 file (``allennlp`` only).
        mix: ``scalar_mix.json`` beside the weights, when there is one (weights for ``layer="mix"``).
        all: Every file that decides the vectors, for the content revision.
    """

    kind: Literal["allennlp", "manylangs"]
    folder: Path
    options: Path = Path()
    weights: Path = Path()
    mix: Path | None = None
    all: tuple[Path, ...] = field(default_factory=tuple)


def default_location() -> Path:
    """``EMBEDSDK_ELMO_PATH``, else ``<user cache dir>/embedsdk/elmo``."""
    configured = os.environ.get("EMBEDSDK_ELMO_PATH")
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("embedsdk")) / "elmo"


def _not_found(where: Path, why: str) -> ModelNotFoundError:
    return ModelNotFoundError(
        f"no ELMo weights at {where} ({why}). embedsdk looked for AllenNLP's {' + '.join(ALLENNLP_FILES)} "
        f"(or a *_options.json + *_weights.hdf5 pair) or an ELMoForManyLangs folder with "
        f"{', '.join(MANYLANGS_FILES)}. Download a model (see docs/elmo.md) and put its files in {where}, or "
        f"point at them: provider='elmo/<folder or weights file>', or set EMBEDSDK_ELMO_PATH for the 'elmo' alias"
    )


def _mix(folder: Path) -> Path | None:
    return folder / _MIX_FILE if (folder / _MIX_FILE).is_file() else None


def _allennlp_pair(weights: Path, options: Path, folder: Path) -> ElmoFiles:
    mix = _mix(folder)
    return ElmoFiles("allennlp", folder, options, weights, mix, tuple(p for p in (options, weights, mix) if p))


def _options_for(weights: Path) -> Path | None:
    stem = weights.stem
    candidates = [weights.with_name(stem.replace("weights", "options") + ".json"), weights.with_name("options.json")]
    found = [c for c in candidates if c.is_file()]
    if found:
        return found[0]
    others = sorted(weights.parent.glob("*options*.json"))
    return others[0] if len(others) == 1 else None


def _weights_for(options: Path) -> Path | None:
    candidates = [
        options.with_name(options.stem.replace("options", "weights") + ".hdf5"),
        options.with_name("weights.hdf5"),
    ]
    found = [c for c in candidates if c.is_file()]
    if found:
        return found[0]
    others = sorted(options.parent.glob("*weights*.hdf5"))
    return others[0] if len(others) == 1 else None


def locate_elmo(path: Path) -> ElmoFiles:
    """The model at ``path``: a folder of either format, a weights.hdf5, or an options.json.

    Raises:
        ModelNotFoundError: nothing there, or not all the files one format needs (named in the message).
    """
    path = path.expanduser()
    if path.is_file():
        if path.suffix in (".hdf5", ".h5"):
            options = _options_for(path)
            if options is None:
                raise _not_found(path.parent, f"{path.name} has no options file beside it")
            return _allennlp_pair(path, options, path.parent)
        if path.suffix == ".json" and path.name != "config.json":
            weights = _weights_for(path)
            if weights is None:
                raise _not_found(path.parent, f"{path.name} has no weights .hdf5 beside it")
            return _allennlp_pair(weights, path, path.parent)
        path = path.parent
    if not path.is_dir():
        raise _not_found(path, "the path does not exist")
    present = {p.name for p in path.iterdir()}
    if {"config.json", "encoder.pkl", "token_embedder.pkl"} <= present:
        # word.dic is only needed by models with a word embedding; the loader says so when it is missing.
        # The model configuration config.json names is another JSON file of the folder: hash them all.
        names = sorted(
            {name for name in MANYLANGS_FILES if name in present} | {n for n in present if n.endswith(".json")}
        )
        return ElmoFiles("manylangs", path, mix=_mix(path), all=tuple(path / name for name in names))
    if set(ALLENNLP_FILES) <= present:
        return _allennlp_pair(path / "weights.hdf5", path / "options.json", path)
    hdf5_files = sorted(path.glob("*weights*.hdf5"))
    if len(hdf5_files) == 1 and (options_file := _options_for(hdf5_files[0])) is not None:
        return _allennlp_pair(hdf5_files[0], options_file, path)
    found = sorted(present & {*ALLENNLP_FILES, *MANYLANGS_FILES})
    raise _not_found(path, f"found only {found}" if found else "the folder holds no model files")


def _file_digest(path: Path) -> str:
    """sha256 of a file's content, hashed once per file state by the runtime (`Runtime.file_digest`)."""
    from embedsdk import runtime

    return runtime.current().file_digest(path)


def files_revision(files: ElmoFiles) -> str:
    """A content hash of the model's files, memoized per file state (path, size, mtime)."""
    digest = hashlib.sha256(files.kind.encode())
    for path in files.all:
        digest.update(path.name.encode() + b"\0" + _file_digest(path).encode())
    return digest.hexdigest()[:16]
