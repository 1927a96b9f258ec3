"""The cluster bus runtime: the listener on the cluster port, the links (one asyncio Protocol each), framing.

Moves bytes only (Redis's createClusterLink / freeClusterLink / clusterAcceptHandler / clusterReadHandler /
clusterSendMessage): every complete frame is decoded with messages.decode and handed to gossip.process_message,
which makes the decisions. Like Redis 7.0 a node may have two links: `node.link`, the one we opened (we send
our PINGs on it and expect PONGs back), and `node.inbound_link`, the one it opened to us (attached once a
message names the sender).

Send buffers: Redis appends to an sds per link and reports its allocation and length in CLUSTER LINKS; here
the bytes wait in `pending` until the end of the loop turn (or until an outbound connection is made), then in
the transport, and the allocation is modelled as Redis grows and trims the sds, so cluster-link-sendbuf-limit
frees a link whose peer stopped reading.
"""
from __future__ import annotations

import asyncio
import socket
from typing import TYPE_CHECKING, Any

from ..server.listener import bind_sockets
from . import messages
from .node import Node, mstime

if TYPE_CHECKING:
    from .manager import Cluster

_TYPE_OFFSET = 12          # clusterMsg.type: after sig[4], totlen u32, ver u16, port u16
_MAX_PREALLOC = 1024 * 1024
CLUSTER_PORT_INCR = 10000


def bus_port(config: Any) -> int:
    """The port the bus listens on: cluster-port, or the client port + 10000."""
    cport = int(config["cluster-port"])
    return cport if cport else int(config["port"]) + CLUSTER_PORT_INCR


class _LinkProtocol(asyncio.Protocol):
    __slots__ = ("link",)

    def __init__(self, link: Link) -> None:
        self.link = link

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.link.on_connected(transport)   # type: ignore[arg-type]

    def data_received(self, data: bytes) -> None:
        self.link.feed(data)

    def connection_lost(self, exc: Exception | None) -> None:
        link = self.link
        if not link.closed:
            link.bus.cluster.log.debug(f"I/O error reading from node link: {exc or 'connection closed'}")
            link.close()


class Link:
    """clusterLink. `node` is None for an inbound link until a message tells us who the peer is."""

    __slots__ = ("bus", "node", "inbound", "ctime", "transport", "pending", "rbuf", "closed", "allocated",
                 "peer", "local_ip", "task", "flush_scheduled")

    def __init__(self, bus: Bus, node: Node | None, inbound: bool) -> None:
        self.bus = bus
        self.node = node
        self.inbound = inbound
        self.ctime = mstime()
        self.transport: asyncio.Transport | None = None
        self.pending = bytearray()      # outbound bytes not yet given to the transport (see send())
        self.flush_scheduled = False
        self.rbuf = bytearray()
        self.closed = False
        self.allocated = 0              # the modelled sds allocation of the send buffer
        self.peer: tuple[str, int] | None = None
        self.local_ip = ""
        self.task: asyncio.Task[Any] | None = None
        bus.links.add(self)
        if not inbound and node is not None:
            node.link = self

    # ------------------------------------------------------------------ CLUSTER LINKS

    @property
    def send_buffer_used(self) -> int:
        used = len(self.pending)
        if self.transport is not None:
            used += self.transport.get_write_buffer_size()
        return used

    @property
    def send_buffer_allocated(self) -> int:
        return max(self.allocated, self.send_buffer_used)

    @property
    def events(self) -> str:
        return "rw" if self.send_buffer_used else "r"

    @property
    def peer_ip(self) -> str:
        return self.peer[0] if self.peer is not None else ""

    # ------------------------------------------------------------------ lifecycle

    def on_connected(self, transport: asyncio.Transport) -> None:
        if self.closed:
            transport.abort()
            return
        self.transport = transport
        peer = transport.get_extra_info("peername")
        if peer:
            self.peer = (_plain_ip(str(peer[0])), int(peer[1]))
        local = transport.get_extra_info("sockname")
        if local:
            self.local_ip = _plain_ip(str(local[0]))
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            except OSError:
                pass
        bus = self.bus
        if self.inbound:
            bus.cluster.log.verbose(f"Accepting cluster node connection from {self.peer_ip}:"
                                    f"{self.peer[1] if self.peer else 0}")
            return
        if self.pending:
            transport.write(bytes(self.pending))
            self.pending.clear()
        from . import gossip

        gossip.on_link_connected(bus.cluster, self)

    def close(self) -> None:
        """freeClusterLink: drop the connection and unhook the link from its node."""
        if self.closed:
            return
        self.closed = True
        self.bus.links.discard(self)
        if self.task is not None and not self.task.done():
            self.task.cancel()
        self.task = None
        if self.transport is not None:
            self.transport.abort()
        self.pending.clear()
        self.rbuf.clear()
        node = self.node
        if node is not None:
            if node.link is self:
                node.link = None
            elif node.inbound_link is self:
                node.inbound_link = None

    # ------------------------------------------------------------------ sending

    def send(self, data: bytes) -> None:
        """clusterSendMessage: queue one encoded message (never closes the link)."""
        if self.closed:
            return
        mtype = int.from_bytes(data[_TYPE_OFFSET:_TYPE_OFFSET + 2], "big")
        if mtype < messages.TYPE_COUNT:
            self.bus.cluster.state.stats_sent[mtype] += 1
        transport = self.transport
        self.pending += data
        used = len(self.pending)
        if transport is not None:
            used += transport.get_write_buffer_size()
            if not self.flush_scheduled:
                # Like Redis's write handler, the bytes go out after this loop turn's client replies (a
                # command that broadcasts, as SETSLOT NODE, answers first), in one write per link.
                try:
                    loop = asyncio.get_running_loop()
                except RuntimeError:    # no loop (unit tests): at once
                    self.flush()
                else:
                    self.flush_scheduled = True
                    loop.call_soon(self.flush)
        if used > self.allocated:
            # sdsMakeRoomFor's greedy growth.
            self.allocated = used * 2 if used < _MAX_PREALLOC else used + _MAX_PREALLOC

    def flush(self) -> None:
        """Hand the queued bytes to the transport (clusterWriteHandler)."""
        self.flush_scheduled = False
        transport = self.transport
        if self.closed or transport is None or not self.pending:
            return
        transport.write(bytes(self.pending))
        self.pending.clear()

    def trim_buffer(self) -> None:
        """clusterNodeCronResizeBuffers: give back the send buffer's free space when mostly unused."""
        used = self.send_buffer_used
        if (self.allocated - used) // 4 > used:
            self.allocated = used

    # ------------------------------------------------------------------ receiving

    def feed(self, data: bytes) -> None:
        """clusterReadHandler: split the stream into messages and process each complete one."""
        buf = self.rbuf
        if not buf and len(data) >= 8:
            # The common case: the read holds exactly one whole message.
            try:
                totlen = messages.frame_length(data)
            except messages.MessageError:
                self._bad_frame()
                return
            if totlen == len(data):
                self.bus.dispatch(self, data)
                return
        buf += data
        pos = 0
        while not self.closed:
            if len(buf) - pos < 8:
                break
            try:
                totlen = messages.frame_length(bytes(buf[pos:pos + 8]))
            except messages.MessageError:
                self._bad_frame()
                return
            assert totlen is not None
            if len(buf) - pos < totlen:
                break
            frame = bytes(buf[pos:pos + totlen])
            pos += totlen
            self.bus.dispatch(self, frame)
        if not self.closed and pos:
            del buf[:pos]

    def _bad_frame(self) -> None:
        where = f" from {self.peer[0]}:{self.peer[1]}" if self.peer else ""
        self.bus.cluster.log.warning(f"Bad message length or signature received on the Cluster bus{where}")
        self.close()

    def __repr__(self) -> str:
        who = self.node.name[:8] if self.node is not None else "?"
        return f"<Link {'from' if self.inbound else 'to'} {who}>"


def _plain_ip(ip: str) -> str:
    """An IPv4-mapped IPv6 peer address prints as plain IPv4, as Redis's anetFdToString does."""
    if ip.startswith("::ffff:") and "." in ip:
        return ip[7:]
    return ip.split("%", 1)[0]


class Bus:
    """The cluster port listener plus every live link."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.links: set[Link] = set()
        self.servers: list[asyncio.AbstractServer] = []
        self.port = 0

    async def start(self) -> None:
        """Listen on the cluster port at the server's bind addresses (clusterInitListeners)."""
        config = self.cluster.config
        self.port = bus_port(config)
        loop = asyncio.get_running_loop()
        sockets = bind_sockets(list(config["bind"]), self.port, int(config["tcp-backlog"]))
        for sock in sockets:
            self.servers.append(await loop.create_server(self._accept, sock=sock))

    def _accept(self) -> _LinkProtocol:
        return _LinkProtocol(Link(self, None, inbound=True))

    def close(self) -> None:
        for srv in self.servers:
            srv.close()
        self.servers = []
        for link in list(self.links):
            link.close()

    # ------------------------------------------------------------------ links

    def connect(self, node: Node) -> Link:
        """Open the outbound link to `node` (it becomes node.link at once; bytes sent meanwhile wait)."""
        link = Link(self, node, inbound=False)
        loop = self.cluster.server.loop or asyncio.get_event_loop()
        link.task = loop.create_task(self._connect(link, node.ip, node.cport))
        return link

    async def _connect(self, link: Link, ip: str, cport: int) -> None:
        loop = asyncio.get_running_loop()
        timeout = max(1.0, self.cluster.node_timeout / 1000)
        try:
            await asyncio.wait_for(loop.create_connection(lambda: _LinkProtocol(link), ip, cport), timeout)
        except asyncio.CancelledError:
            return
        except (OSError, asyncio.TimeoutError, ValueError) as exc:
            if not link.closed:
                name = link.node.name if link.node is not None else "?"
                self.cluster.log.verbose(f"Connection with Node {name} at {ip}:{cport} failed: "
                                         f"{exc.strerror if isinstance(exc, OSError) and exc.strerror else exc!r}")
                link.close()
        finally:
            link.task = None

    def attach_inbound(self, node: Node, link: Link) -> None:
        """setClusterNodeToInboundClusterLink: the peer may have reconnected before we saw its old link
        close; one inbound link per node, the newest wins."""
        old = node.inbound_link
        if old is link:
            return
        if old is not None:
            old.close()
        node.inbound_link = link
        link.node = node

    def free_on_buffer_limit(self, link: Link | None) -> None:
        """freeClusterLinkOnBufferLimitReached (cron)."""
        if link is None:
            return
        limit = int(self.cluster.config["cluster-link-sendbuf-limit"])
        if limit == 0:
            return
        mem = link.send_buffer_allocated
        if mem > limit:
            who = link.node.name if link.node is not None else ""
            self.cluster.log.warning(f"Freeing cluster link({'from' if link.inbound else 'to'} node {who}, "
                                     f"used memory: {mem}) due to exceeding send buffer memory limit.")
            link.close()
            self.cluster.state.stats_links_buffer_limit_exceeded += 1

    # ------------------------------------------------------------------ receiving

    def dispatch(self, link: Link, frame: bytes) -> None:
        """One whole frame: count it, decode it (invalid → dropped, as clusterProcessPacket returns early),
        process it."""
        cluster = self.cluster
        mtype = int.from_bytes(frame[_TYPE_OFFSET:_TYPE_OFFSET + 2], "big")
        if mtype < messages.TYPE_COUNT:
            cluster.state.stats_received[mtype] += 1
        try:
            msg = messages.decode(frame)
        except messages.MessageError as exc:
            # clusterProcessPacket drops it (a protocol version it does not speak, silently).
            text = str(exc)
            if "version" in text:
                cluster.log.verbose(f"Dropping cluster bus message: {text}")
            else:
                cluster.log.warning(text)
            return
        from . import gossip

        try:
            gossip.process_message(cluster, link, msg)
        except Exception as exc:   # a bad message must not take the server down
            cluster.log.warning(f"Error processing cluster bus message of type {mtype}: {exc!r}")
