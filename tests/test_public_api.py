"""The public surface: a sorted, complete ``__all__`` everywhere, and ``import embedsdk`` stays light."""

from __future__ import annotations
import __future__

import importlib
import inspect
import pkgutil
import subprocess
import sys
import types

import pytest

import embedsdk

MODULES = sorted(name for _, name, _ in pkgutil.iter_modules(embedsdk.__path__) if name != "__main__")
# Modules of the core library; the CLI's command functions are not API.
CORE_MODULES = [name for name in MODULES if name != "cli"]
HEAVY = ("torch", "transformers", "sentence_transformers", "open_clip", "onnxruntime", "gensim")


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_all_is_sorted():
    assert embedsdk.__all__ == sorted(embedsdk.__all__)
    assert len(set(embedsdk.__all__)) == len(embedsdk.__all__)


def test_every_exported_name_exists():
    missing = [name for name in embedsdk.__all__ if not hasattr(embedsdk, name)]
    assert missing == []


def test_every_public_name_is_exported():
    public = {
        name
        for name, value in vars(embedsdk).items()
        if not name.startswith("_") and not isinstance(value, (types.ModuleType, __future__._Feature))
    }
    assert public - set(embedsdk.__all__) == set()


def test_the_documented_entry_points_are_exported():
    for name in ("embed", "aembed", "embedder", "embed_words", "providers", "hookimpl", "EmbedSDKError"):
        assert name in embedsdk.__all__
    assert embedsdk.__version__


@pytest.mark.parametrize("module_name", MODULES)
def test_every_module_has_an_all_of_names_it_defines(module_name):
    module = importlib.import_module(f"embedsdk.{module_name}")
    assert isinstance(getattr(module, "__all__", None), list), f"embedsdk.{module_name} has no __all__"
    assert [name for name in module.__all__ if not hasattr(module, name)] == []


@pytest.mark.parametrize("module_name", CORE_MODULES)
def test_every_public_definition_of_a_core_module_is_in_its_all(module_name):
    module = importlib.import_module(f"embedsdk.{module_name}")
    defined = [
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and value.__module__ == module.__name__
    ]
    assert sorted(set(defined) - set(module.__all__)) == []


def test_import_embedsdk_does_not_import_torch():
    result = run_python("import embedsdk, sys; assert 'torch' not in sys.modules, 'torch was imported'")
    assert result.returncode == 0, result.stderr


def test_import_and_a_fake_embed_stay_light():
    code = (
        "import sys, tempfile, os\n"
        "os.environ['EMBEDSDK_CACHE_DIR'] = tempfile.mkdtemp()\n"
        "import embedsdk\n"
        "from embedsdk.testing import fake_provider, isolated_plugins\n"
        "with isolated_plugins(), fake_provider('fake/test'):\n"
        "    embedsdk.embed(['a b'], provider='fake/test')\n"
        f"heavy = [name for name in {HEAVY!r} if name in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
