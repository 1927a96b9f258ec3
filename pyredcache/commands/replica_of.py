"""REPLICAOF / SLAVEOF (the replica side of group "server"); the link itself is replication/replica.py."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import errors
from ..errors import ReplyError
from ..replication.handshake import role_state_name
from ..replication.replica import set_primary, unset_primary
from ..server.client import ClientFlag
from .args import parse_int
from .table import command

if TYPE_CHECKING:
    from ..server.client import Client

_OK = b"+OK\r\n"
_ALREADY = b"+OK Already connected to specified master\r\n"
_ARGS = "args:{host-port:{host:string port:integer} | no-one:{NO ONE}}"
_SUMMARY = "Make the server a replica of another instance, or promote it as master."


@command("replicaof", 3, "ADMIN NOSCRIPT STALE NO_ASYNC_LOADING", group="server", since="5.0.0",
         complexity="O(1)", summary=_SUMMARY, args=_ARGS)
def replicaof_command(c: Client, argv: list[bytes]) -> None:
    """REPLICAOF host port | NO ONE"""
    server = c.server
    if server.config["cluster-enabled"]:
        raise ReplyError(errors.REPLICAOF_IN_CLUSTER)
    if argv[1].lower() == b"no" and argv[2].lower() == b"one":
        if server.repl.link is not None:
            unset_primary(server)
            server.log.notice(f"MASTER MODE enabled (user request from '{server.client_info(c)}')")
        c.out.raw(_OK)
        return
    if c.flags & ClientFlag.REPLICA:
        # A replica of ours asking us to follow someone would make a loop.
        raise ReplyError(errors.REPLICAOF_FROM_REPLICA)
    port = _port(argv[2])
    host = argv[1].decode("utf-8", "surrogateescape")
    link = server.repl.link
    if link is not None and link.host.lower() == host.lower() and link.port == port:
        server.log.notice("REPLICAOF would result into synchronization with the master we are already "
                          "connected with. No operation performed.")
        c.out.raw(_ALREADY)
        return
    set_primary(server, host, port)
    server.log.notice(f"REPLICAOF {host}:{port} enabled (user request from '{server.client_info(c)}')")
    c.out.raw(_OK)


@command("slaveof", 3, "ADMIN NOSCRIPT STALE NO_ASYNC_LOADING", group="server", since="1.0.0",
         complexity="O(1)", summary=_SUMMARY, args=_ARGS, doc_flags=("deprecated",), deprecated_since="5.0.0",
         replaced_by="`REPLICAOF`")
def slaveof_command(c: Client, argv: list[bytes]) -> None:
    """SLAVEOF host port | NO ONE"""
    replicaof_command(c, argv)


def _port(raw: bytes) -> int:
    # getRangeLongFromObjectOrReply(0..65535, "Invalid master port"): any non-number is the same error.
    port = parse_int(raw, errors.INVALID_MASTER_PORT)
    if not 0 <= port <= 65535:
        raise ReplyError(errors.INVALID_MASTER_PORT)
    return port


@command("role", 1, "NOSCRIPT LOADING STALE FAST", acl="@admin @dangerous", group="server", since="2.8.12",
         complexity="O(1)", summary="Return the role of the instance in the context of replication")
def role_command(c: Client, argv: list[bytes]) -> None:
    """ROLE"""
    server = c.server
    out = c.out
    link = server.repl.link
    if link is not None:
        out.array_header(5)
        out.bulk(b"slave")
        out.bulk(link.host.encode())
        out.integer(link.port)
        out.bulk(role_state_name(link.state).encode())
        out.integer(link.role_offset())
        return
    # The primary half: online replicas as [ip, listening port, acked offset] (replication/primary.py).
    provider = getattr(server.repl, "role_replicas", None)
    replicas: list[tuple[str, int, int]] = provider() if provider is not None else []
    out.array_header(3)
    out.bulk(b"master")
    out.integer(server.repl.offset)
    out.array_header(len(replicas))
    for ip, port, offset in replicas:
        out.array_header(3)
        out.bulk(ip.encode())
        out.bulk(b"%d" % port)
        out.bulk(b"%d" % offset)
