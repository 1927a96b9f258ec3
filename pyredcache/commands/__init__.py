"""Command groups: importing this package registers every command row in table.TABLE."""
from __future__ import annotations

from . import (  # noqa: F401
    bitmaps,
    command_docs,
    connection,
    debug,
    generic,
    hashes,
    hyperloglog,
    lists,
    pubsub,
    scripting,
    server,
    sets,
    sort,
    strings,
    transactions,
    zset_multi,
    zsets,
)
from .table import TABLE

__all__ = ["TABLE"]
