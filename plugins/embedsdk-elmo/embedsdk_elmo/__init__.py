"""embedsdk provider for ELMo: ``elmo/<folder or file>`` on current torch, with a port of its modules.

Loads AllenNLP's ``options.json`` + ``weights.hdf5`` (the English models) and ELMoForManyLangs folders (44
languages) into the same torch modules (`embedsdk_elmo.model`). torch is imported on first use, never at
import time.
"""

from __future__ import annotations

from embedsdk_elmo.embedder import ElmoEmbedder
from embedsdk_elmo.locate import ALLENNLP_FILES, MANYLANGS_FILES, ElmoFiles, default_location, locate_elmo
from embedsdk_elmo.options import ElmoOptions
from embedsdk_elmo.tokenizer import WordTokenizer, tokenize

__all__ = [
    "ALLENNLP_FILES",
    "MANYLANGS_FILES",
    "ElmoEmbedder",
    "ElmoFiles",
    "ElmoOptions",
    "WordTokenizer",
    "default_location",
    "locate_elmo",
    "tokenize",
]
