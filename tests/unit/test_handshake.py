"""The replica side's sans-IO parts without sockets: the handshake state machine (replication/handshake.py)
and the RDB payload framing (replication/payload.py)."""
from __future__ import annotations

from pyredcache.replication.handshake import (
    Continue,
    Failed,
    FullResync,
    Handshake,
    ReplState,
    encode,
    role_state_name,
)
from pyredcache.replication.payload import Abort, Chunk, Header, PayloadReader

REPLID = "a" * 40


def _through_capa(hs: Handshake, auth: bool = False, ip: bool = False) -> bytes:
    assert hs.start() == encode("PING")
    step = hs.on_line(b"+PONG")
    assert step.notices == ["Master replied to PING, replication can continue..."]
    sent = step.send
    if auth:
        assert hs.on_line(b"+OK").outcome is None
    assert hs.on_line(b"+OK").outcome is None        # listening-port
    if ip:
        assert hs.on_line(b"+OK").outcome is None
    step = hs.on_line(b"+OK")                          # capa
    assert hs.state == ReplState.RECEIVE_PSYNC_REPLY
    return sent + step.send


def test_handshake_without_auth_sends_port_capa_then_psync_unknown() -> None:
    hs = Handshake(listening_port=7000)
    sent = _through_capa(hs)
    assert sent == (encode("REPLCONF", "listening-port", "7000") + encode("REPLCONF", "capa", "eof", "capa", "psync2")
                    + encode("PSYNC", "?", "-1"))


def test_handshake_with_auth_ip_and_cached_primary() -> None:
    hs = Handshake(listening_port=1, masterauth="pw", masteruser="u", announce_ip="10.0.0.1", psync=(REPLID, 101))
    sent = _through_capa(hs, auth=True, ip=True)
    assert sent.startswith(encode("AUTH", "u", "pw"))
    assert encode("REPLCONF", "ip-address", "10.0.0.1") in sent
    assert sent.endswith(encode("PSYNC", REPLID, "101"))


def test_psync_replies() -> None:
    hs = Handshake(listening_port=1, psync=(REPLID, 5))
    _through_capa(hs)
    assert hs.on_line(b"").outcome is None           # keepalive newline
    step = hs.on_line(b"+FULLRESYNC " + b"b" * 40 + b" 77")
    assert step.outcome == FullResync("b" * 40, 77)
    assert hs.state == ReplState.TRANSFER

    hs = Handshake(listening_port=1, psync=(REPLID, 5))
    _through_capa(hs)
    assert hs.on_line(b"+CONTINUE").outcome == Continue(None)
    hs = Handshake(listening_port=1, psync=(REPLID, 5))
    _through_capa(hs)
    assert hs.on_line(b"+CONTINUE " + REPLID.encode()).outcome == Continue(None)
    hs = Handshake(listening_port=1, psync=(REPLID, 5))
    _through_capa(hs)
    assert hs.on_line(b"+CONTINUE " + b"c" * 40).outcome == Continue("c" * 40)

    for line in (b"-NOMASTERLINK Can't SYNC while not connected with my master", b"-LOADING x", b"-ERR nope"):
        hs = Handshake(listening_port=1)
        _through_capa(hs)
        assert isinstance(hs.on_line(line).outcome, Failed)


def test_errors_fail_the_attempt() -> None:
    hs = Handshake(listening_port=1)
    hs.start()
    assert isinstance(hs.on_line(b"-ERR weird").outcome, Failed)
    hs = Handshake(listening_port=1)
    hs.start()
    assert hs.on_line(b"-NOAUTH Authentication required.").outcome is None
    hs = Handshake(listening_port=1, masterauth="bad")
    hs.start()
    hs.on_line(b"+PONG")
    step = hs.on_line(b"-WRONGPASS invalid username-password pair or user is disabled.")
    assert isinstance(step.outcome, Failed)
    assert step.warnings[0].startswith("Unable to AUTH to MASTER: -WRONGPASS")


def test_role_state_names() -> None:
    assert role_state_name(ReplState.CONNECT) == "connect"
    assert role_state_name(ReplState.CONNECTING) == "connecting"
    assert role_state_name(ReplState.RECEIVE_CAPA_REPLY) == "handshake"
    assert role_state_name(ReplState.TRANSFER) == "sync"
    assert role_state_name(ReplState.CONNECTED) == "connected"


# ------------------------------------------------------------------ RDB payload framing (replication/payload.py)

MARK = b"m" * 40


def _feed_all(pieces: list[bytes]) -> tuple[list[object], bytes, bytearray]:
    reader = PayloadReader()
    buf = bytearray()
    events: list[object] = []
    body = b""
    for piece in pieces:
        buf += piece
        for ev in reader.feed(buf):
            events.append(ev)
            if isinstance(ev, Chunk):
                body += ev.data
    return events, body, buf


def test_payload_by_length_keeps_the_stream_after_it() -> None:
    events, body, rest = _feed_all([b"\n\n$10\r\n01234", b"56789*1\r\n$4\r\nPING\r\n"])
    assert events[0] == Header(10)
    assert body == b"0123456789"
    assert isinstance(events[-1], Chunk) and events[-1].last
    assert rest == b"*1\r\n$4\r\nPING\r\n"


def test_payload_eof_mark_split_across_reads() -> None:
    payload = bytes(range(256)) * 3
    wire = b"$EOF:" + MARK + b"\r\n" + payload + MARK
    for cut in (1, 7, 50, len(wire) - 39, len(wire) - 1):
        events, body, rest = _feed_all([wire[:cut], wire[cut:]])
        assert events[0] == Header(-1)
        assert body == payload
        assert isinstance(events[-1], Chunk) and events[-1].last
        assert sum(1 for ev in events if isinstance(ev, Chunk) and ev.last) == 1
        assert rest == b""


def test_payload_errors() -> None:
    events, _, _ = _feed_all([b"-ERR something broke\r\n"])
    assert events == [Abort("MASTER aborted replication with an error: ERR something broke")]
    events, _, _ = _feed_all([b"+OK\r\n"])
    assert isinstance(events[0], Abort) and "the first byte is not '$'" in events[0].message
