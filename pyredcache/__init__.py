"""pyredcache: a Redis-compatible in-memory data server (asyncio/uvloop + Cython).

Public API only; heavy modules are imported lazily.
"""
from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
REDIS_VERSION = "7.0.15"

__all__ = ["Server", "Cluster", "__version__", "REDIS_VERSION"]


def __getattr__(name: str) -> Any:
    if name == "Server":
        from .embed.server import Server

        return Server
    if name == "Cluster":
        from .embed.cluster import Cluster

        return Cluster
    raise AttributeError(name)
