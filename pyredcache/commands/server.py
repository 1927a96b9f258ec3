"""Server commands (group "server"): INFO CONFIG COMMAND FLUSH* DBSIZE TIME SHUTDOWN SLOWLOG MONITOR DEBUG."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from .table import command

if TYPE_CHECKING:
    from ..server.client import Client
    from ..server.instance import Server


def monitor_line(server: Server, c: Client, argv: list[bytes]) -> bytes:
    """The line MONITOR clients receive: +<unix time.µs> [<db> <addr>] "arg" ..."""
    now = time.time()
    parts = " ".join('"' + _repr_arg(a) + '"' for a in argv)
    return f"+{now:.6f} [{c.db.id} {c.addr}] {parts}\r\n".encode()


def _repr_arg(arg: bytes) -> str:
    out = []
    for b in arg:
        ch = chr(b)
        if ch in '\\"':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\a":
            out.append("\\a")
        elif ch == "\b":
            out.append("\\b")
        elif 32 <= b < 127:
            out.append(ch)
        else:
            out.append("\\x%02x" % b)
    return "".join(out)


@command("dbsize", 1, "READONLY FAST", acl="@keyspace", group="server", since="1.0.0", complexity="O(1)",
         summary="Return the number of keys in the selected database",
         tips=("request_policy:all_shards", "response_policy:agg_sum"))
def dbsize_command(c: Client, argv: list[bytes]) -> None:
    """DBSIZE"""
    c.out.integer(len(c.db))
