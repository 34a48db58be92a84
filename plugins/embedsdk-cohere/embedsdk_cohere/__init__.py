"""embedsdk-cohere: ``cohere/<model>`` providers on the official ``cohere`` client (v2 API).

Importing this package is cheap; the client loads on the first request. See docs/cohere.md.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
