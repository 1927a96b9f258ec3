"""TCP listeners: bind the `bind` addresses on `port` (synchronously, so CONFIG SET can refuse), then serve.

Binding happens with plain sockets first so a failure is known before anything changes; the asyncio
servers are attached afterwards (a bound, listening socket queues connections meanwhile).
"""
from __future__ import annotations

import asyncio
import errno
import socket
from collections.abc import Callable

# Address families the machine may lack: binding "::" or "::1" then fails with these, like Redis ignores.
_NO_FAMILY = (errno.EAFNOSUPPORT, errno.EADDRNOTAVAIL, errno.EPROTONOSUPPORT)


class BindError(OSError):
    """A required address could not be bound; the message is Redis's log line."""


def bind_sockets(binds: list[str], port: int, backlog: int) -> list[socket.socket]:
    """Listening sockets for every bind entry ('-' prefix: optional; '*' and '::*': any address)."""
    sockets: list[socket.socket] = []
    try:
        for entry in binds or ["*", "-::*"]:
            optional = entry.startswith("-")
            host = entry[1:] if optional else entry
            host = {"*": "0.0.0.0", "::*": "::"}.get(host, host)
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                sock.bind((host, port))
                sock.listen(backlog)
                sock.setblocking(False)
            except OSError as exc:
                sock.close()
                if optional or exc.errno in _NO_FAMILY and family == socket.AF_INET6:
                    continue
                raise BindError(exc.errno, f"Could not create server TCP listening socket {host}:{port}: "
                                           f"bind: {exc.strerror}") from None
            sockets.append(sock)
        if not sockets:
            raise BindError(errno.EADDRNOTAVAIL, f"Failed listening on port {port} (TCP), aborting.")
    except BaseException:
        for s in sockets:
            s.close()
        raise
    return sockets


class Listeners:
    """The asyncio servers accepting clients; replace() swaps them for new sockets (CONFIG SET port/bind)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, factory: Callable[[], asyncio.Protocol]) -> None:
        self.loop = loop
        self.factory = factory
        self.servers: list[asyncio.AbstractServer] = []

    async def serve(self, sockets: list[socket.socket]) -> None:
        for sock in sockets:
            self.servers.append(await self.loop.create_server(self.factory, sock=sock))

    def replace(self, sockets: list[socket.socket]) -> None:
        """Close the current listeners and start serving `sockets` (already bound and listening)."""
        self.close()
        self.loop.create_task(self.serve(sockets))

    def close(self) -> None:
        for srv in self.servers:
            srv.close()
        self.servers = []

    def port(self) -> int | None:
        for srv in self.servers:
            for sock in getattr(srv, "sockets", ()):
                return int(sock.getsockname()[1])
        return None
