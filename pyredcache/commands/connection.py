"""Connection commands (group "connection"): PING ECHO QUIT RESET SELECT HELLO AUTH CLIENT *."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from .. import errors
from ..errors import ReplyError
from .args import parse_int
from .table import command

if TYPE_CHECKING:
    from ..server.client import Client


@command("ping", -1, "FAST SENTINEL", acl="@connection", group="connection", since="1.0.0",
         complexity="O(1)", summary="Ping the server", args="[message:string]",
         tips=("request_policy:all_shards", "response_policy:all_succeeded"))
def ping_command(c: Client, argv: list[bytes]) -> None:
    """PING [message]"""
    if len(argv) > 2:
        raise ReplyError(errors.wrong_arity("ping"))
    if c.resp == 2 and (c.sub_channels or c.sub_patterns or c.sub_shard_channels):
        # In RESP2 subscribed mode PING answers with a pong message array.
        c.out.array_header(2)
        c.out.bulk(b"pong")
        c.out.bulk(argv[1] if len(argv) == 2 else b"")
        return
    if len(argv) == 1:
        c.out.raw(b"+PONG\r\n")
    else:
        c.out.bulk(argv[1])


@command("echo", 2, "FAST", acl="@connection", group="connection", since="1.0.0", complexity="O(1)",
         summary="Echo the given string", args="message:string")
def echo_command(c: Client, argv: list[bytes]) -> None:
    """ECHO message"""
    c.out.bulk(argv[1])


@command("quit", -1, "ALLOW_BUSY NOSCRIPT LOADING STALE FAST NO_AUTH", acl="@connection",
         group="connection", since="1.0.0", complexity="O(1)", summary="Close the connection",
         doc_flags=("deprecated",), deprecated_since="7.2.0", replaced_by="just closing the connection")
def quit_command(c: Client, argv: list[bytes]) -> None:
    """QUIT"""
    from ..server.client import ClientFlag

    c.out.raw(b"+OK\r\n")
    c.flags |= ClientFlag.CLOSE_AFTER_REPLY


@command("select", 2, "LOADING STALE FAST", acl="@connection", group="connection", since="1.0.0",
         complexity="O(1)", summary="Change the selected database for the current connection",
         args="index:integer")
def select_command(c: Client, argv: list[bytes]) -> None:
    """SELECT index"""
    index = parse_int(argv[1], errors.INVALID_DB_INDEX)
    if not 0 <= index < len(c.server.dbs):
        raise ReplyError(errors.DB_INDEX_OUT_OF_RANGE)
    c.select(index)
    c.out.raw(b"+OK\r\n")


def client_info_line(c: Client) -> str:
    """One CLIENT LIST / CLIENT INFO line (fields in Redis 7.0's order)."""
    now = time.monotonic()
    flags = "N"
    return (
        f"id={c.id} addr={c.addr} laddr={c.laddr} fd={c.fd} name={c.name.decode(errors='replace')} "
        f"age={int(now - c.ctime)} idle={int(now - c.last_interaction)} flags={flags} db={c.db.id} "
        f"sub={len(c.sub_channels)} psub={len(c.sub_patterns)} ssub={len(c.sub_shard_channels)} "
        f"multi={len(c.multi_queue) if c.multi_queue is not None else -1} qbuf=0 qbuf-free=0 argv-mem=0 "
        f"multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd={c.last_cmd.decode()} "
        f"user={c.user} redir=-1 resp={c.resp}"
    )
