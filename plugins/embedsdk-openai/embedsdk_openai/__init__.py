"""embedsdk-openai: ``openai/<model>`` providers on the official ``openai`` client.

Importing this package is cheap; the client loads on the first request. See docs/openai.md.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
