"""Command groups: importing this package registers every command row in table.TABLE."""
from __future__ import annotations

from . import (  # noqa: F401
    bitmaps,
    cluster,
    cluster_client,
    command_docs,
    connection,
    debug,
    dump,
    generic,
    hashes,
    hyperloglog,
    lists,
    migrate,
    persistence,
    pubsub,
    replica_of,
    replication,
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
