"""Command groups: importing this package registers every command row in table.TABLE."""
from __future__ import annotations

from . import command_docs, connection, debug, generic, server, strings  # noqa: F401
from .table import TABLE

__all__ = ["TABLE"]
