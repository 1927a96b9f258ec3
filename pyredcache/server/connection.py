"""ClientProtocol: the asyncio Protocol per client connection. bytes → parser → dispatch → one write.

Every complete request in a read runs in order and the replies leave in one transport.write(). Replies
produced outside data_received (unblocked clients, pub/sub, monitors) go through Server.mark_pending_write.
"""
from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from ..protocol.request import RequestParser
from .client import Client, ClientFlag
from .dispatch import process_command, run_request
from .output_limits import CHECK_NORMAL

if TYPE_CHECKING:
    from .instance import Server

_monotonic = time.monotonic
# After a command sets one of these (QUIT, a protocol violation), nothing more of the batch runs.
_STOP_READING = ClientFlag.CLOSE_ASAP | ClientFlag.CLOSE_AFTER_REPLY
# With an output limit on the client's class, plain requests run this many at a time between limit checks.
_OBUF_STEP = 32


class ClientProtocol(asyncio.Protocol):
    __slots__ = ("server", "client", "transport", "parser", "closed", "deferred", "deferred_bytes")

    def __init__(self, server: Server) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.client: Client | None = None
        self.parser: RequestParser | None = None
        self.closed = False
        self.deferred: list[list[bytes]] | None = None
        self.deferred_bytes = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        t: asyncio.Transport = transport  # type: ignore[assignment]
        self.transport = t
        server = self.server
        peer = transport.get_extra_info("peername")
        sock = transport.get_extra_info("sockname")
        addr = _format_addr(peer)
        laddr = _format_addr(sock)
        socket = transport.get_extra_info("socket")
        fd = socket.fileno() if socket is not None else -1
        c = server.new_client(addr, laddr, fd)
        self.client = c
        cfg = server.config
        parser = RequestParser(cfg["proto-max-bulk-len"], cfg["client-query-buffer-limit"])
        parser.authenticated = c.authenticated
        self.parser = parser
        c.parser = parser
        c.conn = self
        reason = server.refuse_reason(c, peer)
        if reason is not None:
            # maxclients / protected-mode: Redis writes the error and closes at once.
            t.write(b"-" + reason + b"\r\n")
            self.close()
            return
        try:
            import socket as _socket

            if socket is not None and socket.family in (_socket.AF_INET, _socket.AF_INET6):
                socket.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
                keepalive = cfg["tcp-keepalive"]
                if keepalive > 0:
                    socket.setsockopt(_socket.SOL_SOCKET, _socket.SO_KEEPALIVE, 1)
                    if hasattr(_socket, "TCP_KEEPIDLE"):
                        socket.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_KEEPIDLE, keepalive)
        except OSError:
            pass

    def data_received(self, data: bytes) -> None:
        c = self.client
        parser = self.parser
        if c is None or parser is None or self.closed:
            return
        c.tot_net_in += len(data)
        c.last_interaction = _monotonic()
        requests = parser.feed(data)
        if self.deferred is not None:
            # A blocked or paused client is still read, as in Redis, so that a disconnect frees it at once;
            # what it sends meanwhile waits here, within client-query-buffer-limit.
            self.deferred.extend(requests)
            self.deferred_bytes += len(data)
            if parser.overflow or self.deferred_bytes > parser.query_buffer_limit:
                self.server.log.warning(
                    f"Closing client that reached max query buffer length: {self.server.client_info(c)}"
                )
                self.close()
            return
        self.server.ctx.now_ms = self.server.clock.now_ms()
        self.run(requests)

    def run(self, requests: list[list[bytes]]) -> None:
        """Execute parsed requests in order (stopping where the client must wait), then flush once."""
        c = self.client
        parser = self.parser
        assert c is not None and parser is not None
        server = self.server
        fast_run = server.fastpath.run
        i = 0
        n = len(requests)
        one_by_one = not parser.authenticated
        limited = (c.flags | CHECK_NORMAL) & server.obuf_mask
        while i < n:
            if limited and not c.flags and n - i > _OBUF_STEP:
                # An output limit applies: run plain requests a few at a time and check the output between
                # runs, so a pipeline of large replies stops near the limit (Redis checks every reply).
                end = i + _OBUF_STEP
                i = fast_run(c, requests[:end], i, server)
                server.obuf.check(c)
                if c.flags & _STOP_READING:
                    break
                if i == end:
                    continue
            else:
                # Plain requests run in the Cython fast path; it stops at the first one needing the pipeline.
                i = fast_run(c, requests, i, server)
            if i >= n or c.flags & _STOP_READING:
                break
            if c.blocked is not None:
                # A plain command blocked its client (WAIT): the rest waits, as after the pipeline's commands.
                self.defer(requests[i:])
                break
            argv = requests[i]
            if server.pause_end is not None and server.must_wait(c, argv):
                self.defer(requests[i:])
                break
            i += 1
            if c.reply_mode:
                run_request(c, argv)
            else:
                process_command(c, argv)
            limited = (c.flags | CHECK_NORMAL) & server.obuf_mask
            if limited:
                server.obuf.check(c)
            if c.flags & _STOP_READING:
                break
            if c.blocked is not None:
                self.defer(requests[i:])
                break
            if i == n and one_by_one and self.deferred is None:
                # An unauthenticated parser hands out one request per feed (its header limits depend on
                # whether that request authenticated us): pull the next one from the buffer.
                parser.authenticated = c.authenticated
                one_by_one = not c.authenticated
                more = parser.feed(b"")
                if more:
                    c.tot_cmds += i
                    requests, i, n = more, 0, len(more)
        c.tot_cmds += i
        if self.deferred is None:
            if parser.error is not None and not c.flags & (ClientFlag.CLOSE_ASAP | ClientFlag.CLOSE_AFTER_REPLY):
                server.protocol_error(c, parser.error)
                if not c.reply_mode:
                    # CLIENT REPLY OFF/SKIP swallow this reply too (Redis then leaves the connection open
                    # but deaf; we close it).
                    c.out.error(parser.error)
                c.flags |= ClientFlag.CLOSE_AFTER_REPLY
            elif parser.overflow:
                server.log.warning(
                    f"Closing client that reached max query buffer length: {server.client_info(c)}"
                )
                c.flags |= ClientFlag.CLOSE_ASAP
        parser.authenticated = c.authenticated
        self.flush()

    def defer(self, rest: list[list[bytes]]) -> None:
        """Keep unexecuted requests until the client may run again (blocked, or CLIENT PAUSE)."""
        self.deferred = list(rest)
        self.deferred_bytes = 0
        self.server.waiting.add(self)

    def resume(self) -> None:
        """Run the requests kept by defer() (called by the server when the wait ends)."""
        if self.deferred is None or self.closed:
            return
        requests = self.deferred
        self.deferred = None
        self.server.waiting.discard(self)
        self.run(requests)

    def flush(self) -> None:
        c = self.client
        t = self.transport
        if c is None or t is None or self.closed:
            return
        c.pending_write = False
        if c.flags & ClientFlag.CLOSE_ASAP:
            self.close()
            return
        if len(c.out):
            # client-output-buffer-limit, only for clients whose class has a limit (normal's is 0 by default);
            # checked before the write, as Redis checks when a reply is appended, before any send.
            if (c.flags | CHECK_NORMAL) & self.server.obuf_mask and self.server.obuf.check(c):
                return
            data = c.out.take()
            c.tot_net_out += len(data)
            t.write(data)
        if c.flags & ClientFlag.CLOSE_AFTER_REPLY:
            self.close()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        """Close at once, dropping unsent output (freeClient on an output-buffer-limit breach)."""
        if self.closed:
            return
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.server.waiting.discard(self)
        if self.client is not None:
            self.server.free_client(self.client)


def _format_addr(addr: object) -> str:
    if isinstance(addr, tuple) and len(addr) >= 2:
        host, port = addr[0], addr[1]
        return f"{host}:{port}"
    if isinstance(addr, str):
        return addr + ":0"
    return "?:0"
