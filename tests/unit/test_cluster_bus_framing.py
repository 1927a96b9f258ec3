"""bus.Link's stream framing and bookkeeping without sockets: whole, split and coalesced frames, a bad
signature closing the link, invalid messages dropped but counted, send stats and the modelled send buffer."""
from __future__ import annotations

from typing import Any

import pytest

from pyredcache.cluster import bus as bus_mod
from pyredcache.cluster import gossip
from pyredcache.cluster import messages as m
from pyredcache.cluster.node import Node, NodeFlag
from pyredcache.cluster.state import ClusterState


class Log:
    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def __getattr__(self, level: str) -> Any:
        return lambda msg: self.lines.append((level, msg))


class FakeCluster:
    def __init__(self) -> None:
        self.state = ClusterState(Node("5" * 40, NodeFlag.MYSELF | NodeFlag.MASTER))
        self.log = Log()
        self.config = {"cluster-link-sendbuf-limit": 1000}


class FakeTransport:
    def __init__(self) -> None:
        self.buffered = 0
        self.written: list[bytes] = []
        self.aborted = False

    def write(self, data: bytes) -> None:
        self.written.append(data)
        self.buffered += len(data)

    def get_write_buffer_size(self) -> int:
        return self.buffered

    def abort(self) -> None:
        self.aborted = True

    def get_extra_info(self, name: str) -> Any:
        return {"peername": ("127.0.0.1", 40000), "sockname": ("127.0.0.1", 17000)}.get(name)


@pytest.fixture
def setup(monkeypatch: pytest.MonkeyPatch) -> tuple[bus_mod.Bus, bus_mod.Link, list[m.Message]]:
    seen: list[m.Message] = []
    monkeypatch.setattr(gossip, "process_message", lambda cluster, link, msg: seen.append(msg) or True)
    b = bus_mod.Bus(FakeCluster())   # type: ignore[arg-type]
    link = bus_mod.Link(b, None, inbound=True)
    link.on_connected(FakeTransport())   # type: ignore[arg-type]
    return b, link, seen


def ping_bytes(i: int) -> bytes:
    hdr = m.Header(type=m.TYPE_PING, sender=str(i).encode() * 40, port=7000 + i, cport=17000 + i, flags=1)
    return m.encode(m.Message(hdr, m.PingBody([])))


def test_whole_split_and_coalesced_frames(setup: tuple[bus_mod.Bus, bus_mod.Link, list[m.Message]]) -> None:
    b, link, seen = setup
    link.feed(ping_bytes(1))
    two, three = ping_bytes(2), ping_bytes(3)
    stream = two + three + ping_bytes(4)
    link.feed(stream[:5])
    link.feed(stream[5:1000])
    link.feed(stream[1000:len(two) + 3])
    link.feed(stream[len(two) + 3:])
    assert [msg.header.port for msg in seen] == [7001, 7002, 7003, 7004]
    assert not link.rbuf and not link.closed
    assert b.cluster.state.stats_received[m.TYPE_PING] == 4
    assert link.peer_ip == "127.0.0.1" and link.local_ip == "127.0.0.1"


def test_bad_signature_closes_the_link(setup: tuple[bus_mod.Bus, bus_mod.Link, list[m.Message]]) -> None:
    b, link, seen = setup
    link.feed(b"XXXX" + bytes(100))
    assert link.closed and link not in b.links and seen == []
    assert any("Bad message length or signature" in msg for _, msg in b.cluster.log.lines)


def test_invalid_message_is_dropped_but_counted(setup: tuple[bus_mod.Bus, bus_mod.Link, list[m.Message]]) -> None:
    b, link, seen = setup
    raw = bytearray(ping_bytes(1))
    raw[14:16] = (5).to_bytes(2, "big")           # count 5 gossip entries that are not there
    link.feed(bytes(raw))
    link.feed(ping_bytes(2))
    assert [msg.header.port for msg in seen] == [7002] and not link.closed
    assert b.cluster.state.stats_received[m.TYPE_PING] == 2


def test_send_counts_and_models_the_buffer(setup: tuple[bus_mod.Bus, bus_mod.Link, list[m.Message]]) -> None:
    b, link, _ = setup
    data = ping_bytes(1)
    link.send(data)
    assert b.cluster.state.stats_sent[m.TYPE_PING] == 1
    assert link.send_buffer_used == len(data) and link.send_buffer_allocated == 2 * len(data)
    assert link.events == "rw"
    b.free_on_buffer_limit(link)                   # allocated > 1000: freed and counted
    assert link.closed and b.cluster.state.stats_links_buffer_limit_exceeded == 1


def test_outbound_link_queues_until_connected(setup: tuple[bus_mod.Bus, bus_mod.Link, list[m.Message]],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    b, _, _ = setup
    node = Node("7" * 40, NodeFlag.MASTER)
    link = bus_mod.Link(b, node, inbound=False)
    assert node.link is link
    link.send(ping_bytes(1))
    assert link.send_buffer_used == len(ping_bytes(1)) and link.events == "rw"
    connected: list[bus_mod.Link] = []
    monkeypatch.setattr(gossip, "on_link_connected", lambda cluster, lk: connected.append(lk))
    t = FakeTransport()
    link.on_connected(t)   # type: ignore[arg-type]
    assert t.written == [ping_bytes(1)] and not link.pending and connected == [link]
    link.close()
    assert node.link is None and t.aborted
