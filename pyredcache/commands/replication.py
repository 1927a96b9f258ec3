"""Replication commands, primary side: SYNC, PSYNC, REPLCONF, WAIT (ROLE is in replica_of.py) (thin; logic in pyredcache/replication)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import errors
from ..errors import ReplyError
from ..replication.primary import primary_of
from ..server.client import ClientFlag
from .args import parse_int
from .table import command

if TYPE_CHECKING:
    from ..server.client import Client

_SYNC_FLAGS = "ADMIN NOSCRIPT NO_ASYNC_LOADING NO_MULTI"


def _sync_generic(c: Client, argv: list[bytes], psync: bool) -> None:
    if c.flags & ClientFlag.REPLICA:
        return      # ignore SYNC from a replica (or a MONITOR), as Redis
    offset = 0
    if psync:
        offset = parse_int(argv[2])
    server = c.server
    link = server.repl.link
    if link is not None and not link.connected():
        raise ReplyError(errors.NOMASTERLINK)
    if len(c.out):
        raise ReplyError(errors.SYNC_PENDING_OUTPUT)
    primary_of(server).sync(c, (argv[1].decode(errors="replace"), offset) if psync else None)


@command("sync", 1, _SYNC_FLAGS, group="server", since="1.0.0",
         summary="Internal command used for replication")
def sync_command(c: Client, argv: list[bytes]) -> None:
    """SYNC"""
    _sync_generic(c, argv, False)


@command("psync", -3, _SYNC_FLAGS, group="server", since="2.8.0",
         summary="Internal command used for replication", args="replicationid:string offset:integer")
def psync_command(c: Client, argv: list[bytes]) -> None:
    """PSYNC replicationid offset"""
    _sync_generic(c, argv, True)


@command("replconf", -1, "ADMIN NOSCRIPT LOADING STALE ALLOW_BUSY", group="server", since="3.0.0",
         complexity="O(1)", summary="An internal command for configuring the replication stream",
         doc_flags=("syscmd",))
def replconf_command(c: Client, argv: list[bytes]) -> None:
    """REPLCONF <option> <value> <option> <value> ..."""
    if len(argv) % 2 == 0:
        raise ReplyError(errors.SYNTAX)
    primary = primary_of(c.server)
    info = primary.handshake(c) if c.id not in primary.links else None
    for j in range(1, len(argv), 2):
        option = argv[j].lower()
        value = argv[j + 1]
        if option == b"listening-port":
            port = parse_int(value)
            if info is not None:
                info["listening_port"] = port
            else:
                primary.links[c.id].listening_port = port
        elif option == b"ip-address":
            if info is not None:
                info["ip_address"] = value.decode(errors="replace")
        elif option == b"capa":
            if info is not None:
                if value.lower() == b"eof":
                    info["capa_eof"] = True
                elif value.lower() == b"psync2":
                    info["capa_psync2"] = True
        elif option == b"ack":
            # REPLCONF ACK <offset> [FACK <offset>] comes only from replicas, and gets no reply.
            if not c.flags & ClientFlag.REPLICA:
                return
            try:
                offset = int(value)
            except ValueError:
                return
            primary.ack(c, offset)
            return
        elif option == b"getack":
            # Asked by our primary: the replica side answers with its ACK; never replied to.
            link = c.server.repl.link
            send_ack = getattr(link, "send_ack", None) if link is not None else None
            if send_ack is not None and c.flags & ClientFlag.PRIMARY:
                send_ack()
            return
        elif option == b"rdb-only":
            flag = parse_int(value)
            if flag not in (0, 1):
                raise ReplyError(errors.REPLCONF_RDB_ONLY_RANGE)
            if info is not None:
                info["rdb_only"] = bool(flag)
        else:
            raise ReplyError(errors.replconf_unknown_option(argv[j]))
    c.out.ok()


@command("wait", 3, "NOSCRIPT", acl="@connection", group="generic", since="3.0.0", complexity="O(1)",
         summary="Wait for the synchronous replication of all the write commands sent in the context of the "
                 "current connection",
         args="numreplicas:integer timeout:integer",
         tips=("request_policy:all_shards", "response_policy:agg_min"))
def wait_command(c: Client, argv: list[bytes]) -> None:
    """WAIT numreplicas timeout"""
    server = c.server
    if server.repl.link is not None:
        raise ReplyError(errors.WAIT_ON_REPLICA)
    numreplicas = parse_int(argv[1])
    timeout = parse_int(argv[2], errors.TIMEOUT_NOT_INTEGER)
    if timeout < 0:
        raise ReplyError(errors.TIMEOUT_NEGATIVE)
    primary = primary_of(server)
    offset = server.repl.prop.woff.get(c.id, 0)
    acks = primary.count_acks(offset)
    if c.flags & ClientFlag.MULTI or acks >= numreplicas:
        c.out.integer(acks)
        return
    primary.block_wait(c, offset, numreplicas, timeout)
