"""Plugins on pluggy: the hookspecs, the plugin manager factory, the registries hooks fill, the built-ins."""

from __future__ import annotations

from embedsdk.plugins.hookspecs import PROJECT_NAME, hookimpl, hookspec
from embedsdk.plugins.manager import ENTRY_POINT_GROUP, add_plugin, collect_registries, make_plugin_manager
from embedsdk.plugins.registries import IndexRegistry, OOVStrategyRegistry, Registries

__all__ = [
    "ENTRY_POINT_GROUP",
    "PROJECT_NAME",
    "IndexRegistry",
    "OOVStrategyRegistry",
    "Registries",
    "add_plugin",
    "collect_registries",
    "hookimpl",
    "hookspec",
    "make_plugin_manager",
]
