"""Unit tests for the cluster bus codec (pyredcache/cluster/messages.py): field offsets of Redis 7.0's clusterMsg,
round trips of every message type, totlen per type, the validation redis-server applies to incoming packets,
ping extensions (hostname, forgotten node, unknown types) and the slot bitmap helpers."""
from __future__ import annotations

import random
import struct
import timeit

import pytest

from pyredcache.cluster import messages as m
from pyredcache.cluster.messages import (
    FailBody,
    Gossip,
    Header,
    Message,
    MessageError,
    ModuleBody,
    PingBody,
    PublishBody,
    RawBody,
    UpdateBody,
    decode,
    encode,
    frame_length,
)

A = b"a" * 40
B = b"0123456789abcdef0123456789abcdef01234567"
C = b"c" * 40


def header(t: int, **kw: object) -> Header:
    base: dict[str, object] = dict(sender=A, current_epoch=7, config_epoch=5, offset=123456789,
                                   myslots=m.slots_to_bitmap([0, 1, 5460, 16383]), slaveof=None,
                                   myip="10.0.0.1", port=7000, pport=0, cport=17000,
                                   flags=m.NODE_MASTER | m.NODE_MYSELF, state=m.CLUSTER_STATE_OK)
    base.update(kw)
    return Header(t, **base)  # type: ignore[arg-type]


def retotal(raw: bytes) -> bytes:
    """Rewrite totlen to the buffer's real length, so only the type-specific length check can fail."""
    return raw[:4] + struct.pack(">I", len(raw)) + raw[8:]


def gossips(n: int) -> list[Gossip]:
    return [Gossip(bytes([0x61 + i]) * 40, 1700000000 + i, 1700000100 + i, f"192.168.1.{i}", 7001 + i,
                   17001 + i, m.NODE_MASTER if i % 2 else m.NODE_SLAVE | m.NODE_PFAIL, 0) for i in range(n)]


# ---- layout ----

def test_sizes_match_redis_7_0() -> None:
    assert m.HEADER_SIZE == 2256
    assert m.GOSSIP_SIZE == 104
    assert m.UPDATE_BODY_SIZE == 2096
    assert m.MIN_MESSAGE_LEN == 2256
    assert m.SIGNATURE == b"RCmb" and m.PROTO_VER == 1
    assert (m.NODE_NAME_LEN, m.NET_IP_STR_LEN) == (40, 46)
    assert [m.TYPE_PING, m.TYPE_PONG, m.TYPE_MEET, m.TYPE_FAIL, m.TYPE_PUBLISH, m.TYPE_FAILOVER_AUTH_REQUEST,
            m.TYPE_FAILOVER_AUTH_ACK, m.TYPE_UPDATE, m.TYPE_MFSTART, m.TYPE_MODULE,
            m.TYPE_PUBLISHSHARD] == list(range(11))
    assert (m.FLAG0_PAUSED, m.FLAG0_FORCEACK, m.FLAG0_EXT_DATA) == (1, 2, 4)
    assert [m.NODE_MASTER, m.NODE_SLAVE, m.NODE_PFAIL, m.NODE_FAIL, m.NODE_MYSELF, m.NODE_HANDSHAKE,
            m.NODE_NOADDR, m.NODE_MEET, m.NODE_MIGRATE_TO, m.NODE_NOFAILOVER] == [1 << i for i in range(10)]


def test_header_field_offsets() -> None:
    h = header(m.TYPE_FAILOVER_AUTH_ACK, slaveof=B, port=0x1234, pport=0x2345, cport=0x3456, flags=0x0203,
               state=1, mflags=bytes([m.FLAG0_PAUSED | m.FLAG0_FORCEACK, 0, 0]), count=9,
               current_epoch=0x0102030405060708, config_epoch=0x1112131415161718, offset=0x2122232425262728)
    raw = encode(Message(h))
    assert len(raw) == 2256
    assert raw[0:4] == b"RCmb"
    assert raw[4:8] == struct.pack(">I", 2256)
    assert raw[8:10] == b"\x00\x01"
    assert raw[10:12] == b"\x12\x34"
    assert raw[12:14] == b"\x00\x06"
    assert raw[14:16] == b"\x00\x09"
    assert raw[16:24] == bytes(range(1, 9))
    assert raw[24:32] == bytes(range(0x11, 0x19))
    assert raw[32:40] == bytes(range(0x21, 0x29))
    assert raw[40:80] == A
    assert raw[80:2128] == h.myslots
    assert raw[2128:2168] == B
    assert raw[2168:2214] == b"10.0.0.1" + bytes(38)
    assert raw[2214:2216] == b"\x00\x00"           # extensions
    assert raw[2216:2246] == bytes(30)
    assert raw[2246:2248] == b"\x23\x45"
    assert raw[2248:2250] == b"\x34\x56"
    assert raw[2250:2252] == b"\x02\x03"
    assert raw[2252] == 1
    assert raw[2253:2256] == b"\x03\x00\x00"


def test_no_primary_travels_as_forty_zero_bytes() -> None:
    raw = encode(Message(header(m.TYPE_MFSTART, slaveof=None)))
    assert raw[2128:2168] == bytes(40)
    assert decode(raw).header.slaveof is None
    assert decode(encode(Message(header(m.TYPE_MFSTART, slaveof=B)))).header.slaveof == B


def test_gossip_entry_layout() -> None:
    g = Gossip(B, 0x01020304, 0x05060708, "127.0.0.1", 7001, 17001, m.NODE_MASTER | m.NODE_FAIL, 6379)
    raw = encode(Message(header(m.TYPE_PING), PingBody([g])))
    entry = raw[2256:2360]
    assert len(raw) == 2360 and raw[14:16] == b"\x00\x01"
    assert entry[0:40] == B
    assert entry[40:48] == bytes([1, 2, 3, 4, 5, 6, 7, 8])
    assert entry[48:94] == b"127.0.0.1" + bytes(37)
    assert entry[94:104] == struct.pack(">HHHHH", 7001, 17001, 9, 6379, 0)


def test_hostname_extension_layout_and_ext_flag() -> None:
    raw = encode(Message(header(m.TYPE_PING), PingBody([], hostname="host-1.example")))
    # 14 chars + NUL = 15, padded to 16, plus the 8-byte extension header
    assert len(raw) == 2256 + 24
    assert raw[2253] == m.FLAG0_EXT_DATA
    assert raw[2214:2216] == b"\x00\x01"
    assert raw[2256:2264] == struct.pack(">IHH", 24, m.EXT_HOSTNAME, 0)
    assert raw[2264:] == b"host-1.example" + b"\x00\x00"


@pytest.mark.parametrize("name_len,ext_len", [(1, 16), (7, 16), (8, 24), (15, 24), (16, 32), (255, 264)])
def test_hostname_extension_padding(name_len: int, ext_len: int) -> None:
    raw = encode(Message(header(m.TYPE_PONG), PingBody(gossips(2), hostname="h" * name_len)))
    assert len(raw) == 2256 + 2 * 104 + ext_len
    assert struct.unpack_from(">I", raw, 4)[0] == len(raw)
    body = decode(raw).body
    assert isinstance(body, PingBody) and body.hostname == "h" * name_len


def test_empty_hostname_sends_no_extension_and_no_flag() -> None:
    for hostname in (None, ""):
        raw = encode(Message(header(m.TYPE_MEET), PingBody(gossips(1), hostname=hostname)))
        assert len(raw) == 2256 + 104
        assert raw[2253] == 0 and raw[2214:2216] == b"\x00\x00"
        body = decode(raw).body
        assert isinstance(body, PingBody) and body.hostname is None


def test_encode_clears_flags_redis_7_0_does_not_know() -> None:
    h = header(m.TYPE_PING, mflags=b"\xff\xff\xff")
    raw = encode(Message(h, PingBody()))
    assert raw[2253:2256] == bytes([m.FLAG0_PAUSED | m.FLAG0_FORCEACK, 0, 0])
    raw = encode(Message(h, PingBody(hostname="x")))
    assert raw[2253:2256] == bytes([m.FLAG0_PAUSED | m.FLAG0_FORCEACK | m.FLAG0_EXT_DATA, 0, 0])
    assert encode(Message(header(m.TYPE_FAIL, mflags=b"\x04\x00\x00"), FailBody(B)))[2253] == 0


def test_count_comes_from_the_gossip_list() -> None:
    raw = encode(Message(header(m.TYPE_PING, count=99), PingBody(gossips(3))))
    assert raw[14:16] == b"\x00\x03"
    assert decode(raw).header.count == 3


# ---- round trips and totlen per type ----

def roundtrip(msg: Message) -> tuple[bytes, Message]:
    raw = encode(msg)
    assert frame_length(raw) == len(raw)
    out = decode(raw)
    assert out.body == msg.body
    assert out.type == msg.header.type
    assert encode(out) == raw
    return raw, out


@pytest.mark.parametrize("t", [m.TYPE_PING, m.TYPE_PONG, m.TYPE_MEET])
@pytest.mark.parametrize("n", [0, 1, 3, 10])
def test_ping_types_roundtrip(t: int, n: int) -> None:
    body = PingBody(gossips(n), hostname="node.example.com", forgotten=[(C, 60)],
                    unknown_exts=[(m.EXT_SHARDID, B), (77, b"abcdefgh12345678")])
    raw, out = roundtrip(Message(header(t), body))
    assert len(raw) == 2256 + 104 * n + 8 + 24 + 56 + 48 + 24
    h = out.header
    assert (h.sender, h.current_epoch, h.config_epoch, h.offset, h.myip, h.port, h.pport, h.cport, h.flags,
            h.state, h.count) == (A, 7, 5, 123456789, "10.0.0.1", 7000, 0, 17000, 17, 0, n)
    assert m.bitmap_to_slots(h.myslots) == [0, 1, 5460, 16383]
    assert h.mflags == bytes([m.FLAG0_EXT_DATA, 0, 0])


def test_ping_without_extensions_roundtrip() -> None:
    raw, out = roundtrip(Message(header(m.TYPE_PING, slaveof=B, flags=m.NODE_SLAVE), PingBody(gossips(4))))
    assert len(raw) == 2256 + 416
    assert out.header.slaveof == B and out.header.flags == m.NODE_SLAVE


def test_fail_roundtrip() -> None:
    raw, out = roundtrip(Message(header(m.TYPE_FAIL), FailBody(B)))
    assert len(raw) == 2256 + 40 and raw[2256:] == B


@pytest.mark.parametrize("t", [m.TYPE_PUBLISH, m.TYPE_PUBLISHSHARD])
def test_publish_roundtrip(t: int) -> None:
    for channel, message in [(b"news", b"hello"), (b"", b""), (b"c" * 1000, bytes(range(256)) * 10)]:
        raw, _ = roundtrip(Message(header(t), PublishBody(channel, message)))
        assert len(raw) == 2256 + 8 + len(channel) + len(message)
        assert raw[2256:2264] == struct.pack(">II", len(channel), len(message))
        assert raw[2264:] == channel + message


def test_update_roundtrip() -> None:
    bm = m.slots_to_bitmap(range(100, 200))
    raw, _ = roundtrip(Message(header(m.TYPE_UPDATE), UpdateBody(2**63 + 5, B, bm)))
    assert len(raw) == 2256 + 2096
    assert raw[2256:2264] == struct.pack(">Q", 2**63 + 5) and raw[2264:2304] == B and raw[2304:] == bm


def test_module_roundtrip() -> None:
    raw, _ = roundtrip(Message(header(m.TYPE_MODULE), ModuleBody(0x0102030405060708, 200, b"payload")))
    assert len(raw) == 2256 + 13 + 7
    assert raw[2256:2264] == bytes([8, 7, 6, 5, 4, 3, 2, 1])     # copied raw: host (little-endian) order
    assert raw[2264:2269] == struct.pack(">IB", 7, 200) and raw[2269:] == b"payload"


@pytest.mark.parametrize("t", [m.TYPE_FAILOVER_AUTH_REQUEST, m.TYPE_FAILOVER_AUTH_ACK, m.TYPE_MFSTART])
def test_header_only_types(t: int) -> None:
    raw, out = roundtrip(Message(header(t, mflags=bytes([m.FLAG0_FORCEACK, 0, 0]))))
    assert len(raw) == 2256 and out.body is None
    assert out.header.mflags[0] == m.FLAG0_FORCEACK


def test_unknown_message_type_is_accepted_as_raw() -> None:
    raw, out = roundtrip(Message(header(42), RawBody(b"whatever")))
    assert len(raw) == 2256 + 8
    assert out.body == RawBody(b"whatever")


def test_memoryview_and_bytearray_inputs() -> None:
    raw = encode(Message(header(m.TYPE_PONG), PingBody(gossips(2))))
    assert decode(memoryview(raw)) == decode(bytearray(raw)) == decode(raw)
    assert frame_length(memoryview(raw)[:8]) == len(raw)


def test_ip_strings() -> None:
    ip6 = "2001:db8:85a3:0:0:8a2e:370:7334"
    raw, out = roundtrip(Message(header(m.TYPE_PING, myip=""), PingBody([Gossip(B, ip=ip6)])))
    assert raw[2168:2214] == bytes(46)
    assert out.header.myip == ""
    assert isinstance(out.body, PingBody) and out.body.gossip[0].ip == ip6
    longest = "f" * 45
    assert decode(encode(Message(header(m.TYPE_MFSTART, myip=longest)))).header.myip == longest
    # a peer that fills all 46 bytes: Redis forces the last byte to NUL when it copies the field
    full = bytearray(encode(Message(header(m.TYPE_MFSTART))))
    full[2168:2214] = b"9" * 46
    assert decode(bytes(full)).header.myip == "9" * 45


def test_gossip_times_are_truncated_to_32_bits() -> None:
    raw = encode(Message(header(m.TYPE_PING), PingBody([Gossip(B, ping_sent=2**32 + 5, pong_received=7)])))
    body = decode(raw).body
    assert isinstance(body, PingBody) and (body.gossip[0].ping_sent, body.gossip[0].pong_received) == (5, 7)


def test_random_roundtrips() -> None:
    rng = random.Random(6)
    for _ in range(200):
        n = rng.randrange(12)
        gs = [Gossip(rng.randbytes(20).hex().encode(), rng.randrange(2**32), rng.randrange(2**32),
                     ".".join(str(rng.randrange(256)) for _ in range(4)), rng.randrange(65536),
                     rng.randrange(65536), rng.randrange(1024), rng.randrange(65536)) for _ in range(n)]
        hostname = rng.choice([None, "h" * rng.randrange(1, 40)])
        body = PingBody(gs, hostname, [(rng.randbytes(20).hex().encode(), rng.randrange(2**64))
                                       for _ in range(rng.randrange(3))])
        h = header(rng.choice([0, 1, 2]), current_epoch=rng.randrange(2**64), config_epoch=rng.randrange(2**64),
                   offset=rng.randrange(2**64), myslots=rng.randbytes(2048), state=rng.randrange(2),
                   flags=rng.randrange(65536), port=rng.randrange(65536), cport=rng.randrange(65536))
        roundtrip(Message(h, body))


# ---- extensions on decode ----

def ping_with_exts(exts: list[bytes], n: int = 1, flag: bool = True, count: int | None = None) -> bytes:
    raw = bytearray(encode(Message(header(m.TYPE_PING), PingBody(gossips(n)))))
    raw[2214:2216] = struct.pack(">H", len(exts) if count is None else count)
    if flag:
        raw[2253] |= m.FLAG0_EXT_DATA
    return retotal(bytes(raw) + b"".join(exts))


def ext(t: int, payload: bytes, length: int | None = None) -> bytes:
    padded = payload + bytes(-len(payload) % 8)
    return struct.pack(">IHH", 8 + len(padded) if length is None else length, t, 0) + padded


def test_unknown_extension_types_are_skipped_by_length() -> None:
    raw = ping_with_exts([ext(m.EXT_HUMAN_NODENAME, b"my-node\x00"), ext(m.EXT_SHARDID, B),
                          ext(m.EXT_HOSTNAME, b"hn\x00"), ext(999, b"")])
    body = decode(raw).body
    assert isinstance(body, PingBody)
    assert body.hostname == "hn"
    assert body.unknown_exts == [(m.EXT_HUMAN_NODENAME, b"my-node\x00"), (m.EXT_SHARDID, B), (999, b"")]
    assert len(body.gossip) == 1


def test_forgotten_node_extension() -> None:
    raw = ping_with_exts([ext(m.EXT_FORGOTTEN_NODE, struct.pack(">40sQ", C, 59))])
    body = decode(raw).body
    assert isinstance(body, PingBody) and body.forgotten == [(C, 59)]
    assert len(encode(Message(header(0), PingBody(forgotten=[(C, 1)])))) == 2256 + m.FORGOTTEN_EXT_SIZE == 2312


def test_extensions_ignored_without_the_ext_data_flag() -> None:
    # Redis only walks extensions when EXT_DATA is set; otherwise the length is header + gossip only.
    raw = ping_with_exts([], flag=False, count=3)
    body = decode(raw).body
    assert isinstance(body, PingBody) and body.hostname is None and body.unknown_exts == []
    with pytest.raises(MessageError, match="expected length"):
        decode(ping_with_exts([ext(m.EXT_HOSTNAME, b"hn\x00")], flag=False))


def test_bad_extensions_are_rejected() -> None:
    cases = [
        [ext(m.EXT_HOSTNAME, b"abc\x00", length=12) + bytes(4)],                   # not a multiple of 8
        [ext(m.EXT_HOSTNAME, b"abc\x00", length=24)],                              # exceeds totlen
        [ext(m.EXT_HOSTNAME, b"abcdefgh")],                                        # no NUL terminator
        [ext(m.EXT_HOSTNAME, b"")],                                                # empty hostname payload
        [ext(7, b"", length=0)],                                                   # zero length
        [struct.pack(">I", 8)[:3]],                                                # truncated ext header
    ]
    for exts in cases:
        with pytest.raises(MessageError):
            decode(ping_with_exts(exts))
    with pytest.raises(MessageError):                                          # count says 2, only one there
        decode(ping_with_exts([ext(m.EXT_HOSTNAME, b"hn\x00")], count=2))
    with pytest.raises(MessageError, match="expected length"):                 # trailing bytes after the exts
        decode(ping_with_exts([ext(m.EXT_HOSTNAME, b"hn\x00"), bytes(8)], count=1))


# ---- malformed messages ----

def test_short_buffer_and_bad_signature_and_version() -> None:
    raw = encode(Message(header(m.TYPE_MFSTART)))
    for bad in (b"", raw[:8], raw[:2255]):
        with pytest.raises(MessageError):
            decode(bad)
    with pytest.raises(MessageError, match="signature"):
        decode(b"RCmc" + raw[4:])
    with pytest.raises(MessageError, match="version"):
        decode(raw[:8] + b"\x00\x02" + raw[10:])


def test_totlen_must_match_the_buffer() -> None:
    raw = encode(Message(header(m.TYPE_MFSTART)))
    with pytest.raises(MessageError, match="totlen"):
        decode(raw + b"x")
    with pytest.raises(MessageError, match="totlen"):
        decode(raw[:4] + struct.pack(">I", 2257) + raw[8:])


@pytest.mark.parametrize("msg", [
    Message(header(m.TYPE_PING), PingBody(gossips(2))),
    Message(header(m.TYPE_PONG), PingBody(gossips(0))),
    Message(header(m.TYPE_MEET), PingBody(gossips(1), hostname="abc")),
    Message(header(m.TYPE_FAIL), FailBody(B)),
    Message(header(m.TYPE_PUBLISH), PublishBody(b"ch", b"msg")),
    Message(header(m.TYPE_PUBLISHSHARD), PublishBody(b"ch", b"msg")),
    Message(header(m.TYPE_UPDATE), UpdateBody(1, B, m.slots_to_bitmap([3]))),
    Message(header(m.TYPE_MODULE), ModuleBody(1, 2, b"xyz")),
    Message(header(m.TYPE_FAILOVER_AUTH_REQUEST)),
    Message(header(m.TYPE_FAILOVER_AUTH_ACK)),
    Message(header(m.TYPE_MFSTART)),
], ids=lambda msg: m.TYPE_NAMES[msg.type])
def test_length_mismatch_for_each_type(msg: Message) -> None:
    raw = encode(msg)
    for bad in (retotal(raw + bytes(8)), retotal(raw + b"\x01"), retotal(raw[:-1])):
        if len(bad) < 2256:
            continue
        with pytest.raises(MessageError):
            decode(bad)


def test_gossip_count_too_big() -> None:
    raw = bytearray(encode(Message(header(m.TYPE_PING), PingBody(gossips(2)))))
    for count in (3, 65535):
        raw[14:16] = struct.pack(">H", count)
        with pytest.raises(MessageError, match="gossip count"):
            decode(bytes(raw))
    raw[14:16] = struct.pack(">H", 1)
    with pytest.raises(MessageError, match="expected length"):
        decode(bytes(raw))


def test_publish_and_module_lengths_too_big() -> None:
    raw = bytearray(encode(Message(header(m.TYPE_PUBLISH), PublishBody(b"ch", b"msg"))))
    raw[2256:2264] = struct.pack(">II", 2, 2**32 - 1)
    with pytest.raises(MessageError):
        decode(bytes(raw))
    with pytest.raises(MessageError):                                  # not even room for the two lengths
        decode(retotal(encode(Message(header(m.TYPE_PUBLISH), PublishBody(b"", b"")))[:2260]))
    raw = bytearray(encode(Message(header(m.TYPE_MODULE), ModuleBody(1, 1, b"abc"))))
    raw[2264:2268] = struct.pack(">I", 4)
    with pytest.raises(MessageError):
        decode(bytes(raw))


# ---- encode errors ----

def test_encode_rejects_bad_messages() -> None:
    bad = [
        Message(header(m.TYPE_PING)),                                       # no body
        Message(header(m.TYPE_PING), FailBody(B)),
        Message(header(m.TYPE_FAIL), PingBody()),
        Message(header(m.TYPE_FAIL), FailBody(b"short")),
        Message(header(m.TYPE_PUBLISH), FailBody(B)),
        Message(header(m.TYPE_UPDATE), UpdateBody(1, B, b"\x00" * 10)),
        Message(header(m.TYPE_MODULE), PublishBody(b"", b"")),
        Message(header(m.TYPE_MFSTART), FailBody(B)),
        Message(header(m.TYPE_MFSTART, sender=b"x")),
        Message(header(m.TYPE_MFSTART, slaveof=b"x" * 41)),
        Message(header(m.TYPE_MFSTART, myslots=b"")),
        Message(header(m.TYPE_MFSTART, myip="1" * 46)),
        Message(header(m.TYPE_MFSTART, port=65536)),
        Message(header(m.TYPE_MFSTART, current_epoch=-1)),
        Message(header(m.TYPE_PING), PingBody([Gossip(B, port=70000)])),
        Message(header(m.TYPE_PING), PingBody([Gossip(b"x")])),
        Message(header(m.TYPE_PING), PingBody(hostname="a\x00b")),
        Message(header(m.TYPE_PING), PingBody(forgotten=[(B, -1)])),
        Message(header(42), FailBody(B)),
    ]
    for msg in bad:
        with pytest.raises(MessageError):
            encode(msg)


# ---- framing ----

def test_frame_length() -> None:
    raw = encode(Message(header(m.TYPE_PONG), PingBody(gossips(3))))
    assert frame_length(b"") is None
    assert frame_length(raw[:7]) is None
    assert frame_length(raw[:8]) == len(raw) == 2256 + 312
    assert frame_length(bytearray(raw + raw)) == len(raw)
    with pytest.raises(MessageError):
        frame_length(b"RCmX" + raw[4:8])
    with pytest.raises(MessageError):
        frame_length(b"RCmb" + struct.pack(">I", 2255))
    assert frame_length(b"RCmb" + struct.pack(">I", 2256)) == 2256


# ---- slot bitmaps ----

def test_bitmap_bit_order_is_redis() -> None:
    bm = m.slots_to_bitmap([0, 9, 16383])
    assert len(bm) == 2048
    assert bm[0] == 0x01 and bm[1] == 0x02 and bm[2047] == 0x80
    assert m.bitmap_to_slots(bm) == [0, 9, 16383]
    assert m.bitmap_count(bm) == 3


def test_bitmap_helpers() -> None:
    rng = random.Random(3)
    slots = sorted(rng.sample(range(16384), 3000))
    bm = m.slots_to_bitmap(slots)
    assert m.bitmap_to_slots(bm) == slots
    assert m.bitmap_to_slots(memoryview(bm)) == slots
    assert m.bitmap_count(bm) == 3000
    assert all(m.bitmap_test(bm, s) for s in slots)
    assert sum(m.bitmap_test(bm, s) for s in range(16384)) == 3000
    work = m.empty_bitmap()
    for s in slots:
        m.bitmap_set(work, s)
    assert bytes(work) == bm
    for s in slots[::2]:
        m.bitmap_clear(work, s)
    assert m.bitmap_to_slots(work) == slots[1::2]
    m.bitmap_clear(work, slots[1])
    m.bitmap_clear(work, slots[1])
    assert m.bitmap_to_slots(work) == slots[3::2]
    assert m.slots_to_bitmap(range(16384)) == b"\xff" * 2048
    assert m.bitmap_to_slots(bytes(2048)) == []
    for fn in (lambda: m.slots_to_bitmap([16384]), lambda: m.bitmap_set(work, -1),
               lambda: m.bitmap_clear(work, 16384)):
        with pytest.raises(ValueError):
            fn()


def test_ping_codec_is_fast_enough() -> None:
    msg = Message(header(m.TYPE_PING), PingBody(gossips(10), hostname="node-1"))
    raw = encode(msg)
    n = 500
    per_call = min(timeit.repeat(lambda: decode(encode(msg)), number=n, repeat=3)) / n
    assert per_call < 500e-6, per_call      # generous bound for loaded CI boxes; ~30 us here
    assert decode(raw).header.count == 10
