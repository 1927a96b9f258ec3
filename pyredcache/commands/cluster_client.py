"""ASKING, READONLY and READWRITE (Redis group "cluster"): the per-connection cluster flags routing reads.

cluster/routing.py honours them: ASKING lets the next command use a slot being imported, READONLY lets a
replica serve reads of its primary's slots.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import errors
from ..errors import ReplyError
from ..server.client import ClientFlag
from .table import command

if TYPE_CHECKING:
    from ..server.client import Client

_OK = b"+OK\r\n"


def _require_cluster(c: Client) -> None:
    if c.server.cluster is None:
        raise ReplyError(errors.NOT_IN_CLUSTER_MODE)


@command("asking", 1, "FAST", acl="@connection", group="cluster", since="3.0.0", complexity="O(1)",
         summary="Sent by cluster clients after an -ASK redirect")
def asking_command(c: Client, argv: list[bytes]) -> None:
    """ASKING"""
    _require_cluster(c)
    c.flags |= ClientFlag.ASKING
    c.out.raw(_OK)


@command("readonly", 1, "LOADING STALE FAST", acl="@connection", group="cluster", since="3.0.0",
         complexity="O(1)", summary="Enables read queries for a connection to a cluster replica node")
def readonly_command(c: Client, argv: list[bytes]) -> None:
    """READONLY"""
    _require_cluster(c)
    c.flags |= ClientFlag.READONLY
    c.out.raw(_OK)


@command("readwrite", 1, "LOADING STALE FAST", acl="@connection", group="cluster", since="3.0.0",
         complexity="O(1)", summary="Disables read queries for a connection to a cluster replica node")
def readwrite_command(c: Client, argv: list[bytes]) -> None:
    """READWRITE"""
    _require_cluster(c)
    c.flags &= ~ClientFlag.READONLY
    c.out.raw(_OK)
