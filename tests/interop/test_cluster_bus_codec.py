"""The cluster bus codec (pyredcache/cluster/messages.py) against a real redis-server 7.0.15 bus port.

(a) A MEET we encode is answered with a PONG that decodes to the server's id, slots, ports and epochs.
(b) The server's own MEET (after CLUSTER MEET towards a socket of ours) decodes, hostname extension included;
    the PONG we answer with completes the handshake: the server renames the node to our fake id, flags it
    master, no longer handshake, and takes our claimed slots.
(c) A PING from our (now known) node with a gossip entry about a third, nonexistent node is answered with a
    decodable PONG, and the server learns the third node exactly as our gossip described it.
Every byte is produced during the run; nothing captured is committed.
"""
from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import redis
from helpers.procs import REDIS_SERVER, ServerProcess, free_port, start_server
from helpers.wait import wait_until

from pyredcache.cluster import messages as m
from pyredcache.cluster.messages import Gossip, Header, Message, PingBody, decode, encode, frame_length

pytestmark = pytest.mark.cluster

FAKE = b"f00dfeed" * 5
THIRD = b"3333abcd" * 5
HOSTNAME = "redis-node.test"
SLOTS = [*range(0, 100), *range(5000, 5011), 16383]
OUR_SLOTS = list(range(200, 211))


@pytest.fixture(scope="module")
def node() -> Iterator[ServerProcess]:
    if REDIS_SERVER is None:
        pytest.skip("Debian's redis-server is not installed (apt-get install redis-server redis-tools)")
    sp = start_server("redis", {"cluster-enabled": "yes", "cluster-config-file": "nodes.conf",
                                "cluster-node-timeout": "2000", "cluster-announce-hostname": HOSTNAME,
                                "cluster-announce-ip": "127.0.0.1", "loglevel": "verbose"})
    try:
        r = client(sp)
        r.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 99, 5000, 5010)
        r.execute_command("CLUSTER", "ADDSLOTS", 16383)
        r.execute_command("CLUSTER", "BUMPEPOCH")
        yield sp
    finally:
        sp.cleanup()


def client(sp: ServerProcess) -> redis.Redis:
    return redis.Redis(port=sp.port, socket_timeout=10, decode_responses=True)


def recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("bus connection closed")
        buf += chunk
    return buf


def read_message(sock: socket.socket) -> tuple[bytes, Message]:
    """One frame off the bus socket (the socket's timeout bounds the wait), decoded."""
    head = recv_exact(sock, 8)
    totlen = frame_length(head)
    assert totlen is not None
    raw = head + recv_exact(sock, totlen - 8)
    return raw, decode(raw)


def read_until_type(sock: socket.socket, types: set[int], limit: int = 20) -> Message:
    for _ in range(limit):
        _, msg = read_message(sock)
        if msg.type in types:
            return msg
    raise AssertionError(f"no message of type {types} in {limit} frames")


def our_header(t: int, port: int, myslots: bytes = bytes(2048)) -> Header:
    return Header(t, sender=FAKE, myslots=myslots, port=port, cport=port + 10000, flags=m.NODE_MASTER)


def info_field(r: redis.Redis, name: str) -> int:
    for line in str(r.execute_command("CLUSTER", "INFO")).splitlines():
        if line.startswith(name + ":"):
            return int(line.split(":", 1)[1])
    raise AssertionError(name)


def nodes_line(r: redis.Redis, name: bytes) -> list[str] | None:
    for line in str(r.execute_command("CLUSTER", "NODES")).splitlines():
        if line.startswith(name.decode()):
            return line.split()
    return None


def read_log(sp: ServerProcess) -> str:
    with open(sp.logfile, errors="replace") as fh:
        return fh.read()


REJECTIONS = ("Received invalid", "without proper padding", "missing null terminator", "Bad message length")


def assert_no_rejections(sp: ServerProcess) -> None:
    log = read_log(sp)
    assert not any(word in log for word in REJECTIONS), log


def check_sender_is(msg: Message, sp: ServerProcess, r: redis.Redis) -> None:
    h = msg.header
    assert h.sender == r.execute_command("CLUSTER", "MYID").encode()
    assert m.bitmap_to_slots(h.myslots) == SLOTS
    assert (h.port, h.cport, h.pport) == (sp.port, sp.port + 10000, 0)
    assert h.flags & (m.NODE_MASTER | m.NODE_MYSELF) == m.NODE_MASTER | m.NODE_MYSELF
    assert h.slaveof is None
    assert h.myip == "127.0.0.1"
    assert h.current_epoch == info_field(r, "cluster_current_epoch")
    assert h.config_epoch == info_field(r, "cluster_my_epoch") >= 1
    ok = "cluster_state:ok" in str(r.execute_command("CLUSTER", "INFO"))
    assert h.state == (m.CLUSTER_STATE_OK if ok else m.CLUSTER_STATE_FAIL)
    assert h.mflags[1:] == b"\x00\x00"
    assert isinstance(msg.body, PingBody)
    assert msg.body.hostname == HOSTNAME            # 7.0 sends the hostname extension when announced
    assert h.mflags[0] & m.FLAG0_EXT_DATA


def test_meet_is_answered_with_a_pong(node: ServerProcess) -> None:
    r = client(node)
    fake_port = free_port()          # nothing listens there; the server's handshake towards it just fails
    with socket.create_connection(("127.0.0.1", node.port + 10000), timeout=10) as sock:
        sock.sendall(encode(Message(our_header(m.TYPE_MEET, fake_port), PingBody())))
        raw, msg = read_message(sock)
    assert msg.type == m.TYPE_PONG
    assert len(raw) == m.HEADER_SIZE + m.GOSSIP_SIZE * msg.header.count + 8 + 16     # "redis-node.test\0"
    check_sender_is(msg, node, r)
    assert encode(msg) == raw        # our encoder reproduces redis-server's bytes exactly
    assert_no_rejections(node)


def test_handshake_with_the_server_then_gossip(node: ServerProcess) -> None:
    r = client(node)
    fake_port = free_port()
    listener = socket.create_server(("127.0.0.1", fake_port + 10000))
    listener.settimeout(10)
    try:
        # (b) the server's MEET towards us
        assert r.execute_command("CLUSTER", "MEET", "127.0.0.1", fake_port, fake_port + 10000) == "OK"
        conn, _ = listener.accept()
        conn.settimeout(10)
        with conn:
            raw, meet = read_message(conn)
            assert meet.type == m.TYPE_MEET
            check_sender_is(meet, node, r)
            assert isinstance(meet.body, PingBody)
            assert meet.header.count == len(meet.body.gossip)
            for g in meet.body.gossip:
                assert len(g.name) == 40 and g.name != FAKE
            assert encode(meet) == raw

            pong = Message(our_header(m.TYPE_PONG, fake_port, m.slots_to_bitmap(OUR_SLOTS)), PingBody())
            conn.sendall(encode(pong))

            def accepted() -> list[str] | None:
                fields = nodes_line(r, FAKE)
                if fields is None or "handshake" in fields[2]:
                    return None
                return fields
            fields = wait_until(accepted, timeout=10, message="our fake node to replace the handshake node")
            assert fields[1] == f"127.0.0.1:{fake_port}@{fake_port + 10000}"
            assert fields[2] == "master" and fields[3] == "-"

            # (c) a PING from our known node gossiping about a third node nobody can reach
            third_port = free_port()
            gossip = Gossip(THIRD, 0, 0, "127.0.0.1", third_port, third_port + 10000, m.NODE_MASTER, 0)
            with socket.create_connection(("127.0.0.1", node.port + 10000), timeout=10) as sock:
                # an extension type 7.0 does not know sits before the hostname: the server must skip it by its
                # length to find the hostname
                body = PingBody([gossip], hostname="fake-node.test", unknown_exts=[(m.EXT_SHARDID, THIRD)])
                ping = encode(Message(our_header(m.TYPE_PING, fake_port, m.slots_to_bitmap(OUR_SLOTS)), body))
                # the codec writes the hostname first; move the unknown extension in front of it
                ext_start = m.HEADER_SIZE + m.GOSSIP_SIZE
                sock.sendall(ping[:ext_start] + ping[ext_start + 24:] + ping[ext_start:ext_start + 24])
                reply = read_until_type(sock, {m.TYPE_PONG})
            check_sender_is(reply, node, r)
            assert isinstance(reply.body, PingBody)
            assert reply.header.count == len(reply.body.gossip) <= 2
            for g in reply.body.gossip:
                assert g.name in (FAKE, THIRD)
                assert g.ip == "127.0.0.1"

            # the server took the slots our PING claimed (unassigned, so any configEpoch wins them)
            wait_until(lambda: (nodes_line(r, FAKE) or [])[8:] == ["200-210"], timeout=10,
                       message="our claimed slots in CLUSTER NODES")
            third = wait_until(lambda: nodes_line(r, THIRD), timeout=10, message="the gossiped third node")
            assert third[1] == f"127.0.0.1:{third_port}@{third_port + 10000}"
            assert "master" in third[2]
            # our hostname extension was understood too (7.0 shows it after the cport in CLUSTER NODES)
            wait_until(lambda: (nodes_line(r, FAKE) or ["", ""])[1].endswith(",fake-node.test"), timeout=10,
                       message="our announced hostname in CLUSTER NODES")
            wait_until(lambda: "Received unknown extension type 3" in read_log(node), timeout=10,
                       message="the server to log the skipped extension")
            assert_no_rejections(node)
    finally:
        listener.close()


def test_server_rejects_what_the_decoder_rejects(node: ServerProcess) -> None:
    """Malformed packets our decoder refuses are refused by redis-server too, with the matching log line."""
    port = free_port()
    good = encode(Message(our_header(m.TYPE_PING, port), PingBody([Gossip(THIRD, ip="127.0.0.1")],
                                                                   hostname="abcdefg")))
    no_nul = bytearray(good)
    no_nul[-1] = ord("h")                                   # "abcdefgh" fills the padded payload, no NUL
    big_count = bytearray(good)
    big_count[14:16] = b"\x00\x05"
    bad_pad = bytearray(good)
    bad_pad[m.HEADER_SIZE + m.GOSSIP_SIZE:m.HEADER_SIZE + m.GOSSIP_SIZE + 4] = b"\x00\x00\x00\x0c"
    fail = encode(Message(our_header(m.TYPE_FAIL, port), m.FailBody(THIRD))) + b"x"
    long_fail = fail[:4] + len(fail).to_bytes(4, "big") + fail[8:]
    cases = [(bytes(no_nul), "Received ping packet with missing null terminator in extension type 0"),
             (bytes(big_count), "Received invalid ping packet with gossip count 5 that exceeds"),
             (bytes(bad_pad), "Received a ping packet without proper padding (12 bytes)"),
             (long_fail, f"Received invalid fail packet of length {len(long_fail)} but expected length 2296")]
    for raw, line in cases:
        with pytest.raises(m.MessageError):
            decode(raw)
        with socket.create_connection(("127.0.0.1", node.port + 10000), timeout=10) as sock:
            sock.sendall(raw)
            wait_until(lambda line=line: line in read_log(node), timeout=10, message=line)
