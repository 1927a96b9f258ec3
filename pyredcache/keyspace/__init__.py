"""The data layer as seen from Python: Db and Context come from the Cython engine."""
from __future__ import annotations

from .._speedups.keyspace import Context, Db

__all__ = ["Context", "Db"]
