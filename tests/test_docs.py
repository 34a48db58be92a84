"""The documentation keeps up with the code: hooks, environment variables, links, and runnable examples.

Code blocks in the docs are illustrations and are not executed; the examples are, each in its own process.
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from embedsdk.plugins import hookspecs

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
ENVIRONMENT_READERS = sorted((ROOT / "embedsdk").rglob("*.py"))


def hook_names() -> list[str]:
    """Every hook declared in `embedsdk.plugins.hookspecs`."""
    return sorted(
        name
        for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(function, f"{hookspecs.PROJECT_NAME}_spec")
    )


def headings_and_code(markdown: str) -> str:
    """The headings, fenced code blocks and inline code of a Markdown page, joined."""
    parts: list[str] = []
    fenced = False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced or line.startswith("#"):
            parts.append(line)
        else:
            parts.extend(re.findall(r"`([^`]+)`", line))
    return "\n".join(parts)


def environment_variables(path: Path) -> set[str]:
    """Names a module reads with ``os.environ.get``, ``os.getenv`` or ``os.environ[...]``."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            target = ast.unparse(node.func)
            if target in {"os.environ.get", "os.getenv", "environ.get", "getenv"}:
                names.add(str(node.args[0].value))
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            if ast.unparse(node.value) in {"os.environ", "environ"}:
                names.add(str(node.slice.value))
    return names


def test_the_hook_list_is_complete():
    assert hook_names()
    assert hook_names() == sorted(name for name in hookspecs.__all__ if name.startswith("register_"))


@pytest.mark.parametrize("name", hook_names())
def test_every_hook_is_documented_in_plugins_page(name):
    page = headings_and_code((DOCS / "plugins.md").read_text(encoding="utf-8"))
    assert name in page, f"docs/plugins.md has no heading or code naming the hook {name}"


def test_the_environment_variables_are_found():
    found = set().union(*(environment_variables(path) for path in ENVIRONMENT_READERS))
    assert {"EMBEDSDK_PROVIDER", "EMBEDSDK_CACHE_DIR", "EMBEDSDK_DISABLE_PLUGINS"} <= found


@pytest.mark.parametrize(
    "variable", sorted(set().union(*(environment_variables(path) for path in ENVIRONMENT_READERS)))
)
def test_every_environment_variable_is_documented_in_settings_page(variable):
    assert variable in (DOCS / "settings.md").read_text(encoding="utf-8"), f"docs/settings.md lacks {variable}"


@pytest.mark.parametrize("page", sorted(DOCS.glob("*.md")), ids=lambda path: path.name)
def test_relative_links_point_at_existing_files(page):
    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if "://" in target:
            continue
        assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


def test_every_page_is_in_the_page_map():
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    missing = [page.name for page in DOCS.glob("*.md") if page.name != "index.md" and f"({page.name})" not in index]
    assert missing == [], f"docs/index.md does not link to {missing}"


def test_there_are_examples():
    assert {path.name for path in EXAMPLES} >= {
        "quickstart.py",
        "semantic_search.py",
        "words_in_context.py",
        "custom_plugin.py",
    }


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
def test_example_runs_offline(example):
    # The conftest points EMBEDSDK_CACHE_DIR at this test's own folder; the child process inherits it.
    environment = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, str(example)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"{example.name} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert done.stdout.strip(), f"{example.name} printed nothing"
