"""Sans-IO codec for the Redis 7.0 cluster bus ("RCmb" messages), byte-compatible with redis-server 7.0.15.

Every message is a fixed 2256-byte header (`clusterMsg` without its data union) followed by a type-specific
body: PING/PONG/MEET carry `count` gossip entries of 104 bytes, then (when the EXT_DATA header flag is set)
`extensions` ping extensions, each an 8-byte (length, type) header plus a payload padded to 8 bytes. All
integers travel in network order, except the MODULE message's module id which Redis copies raw (host order,
little-endian on every platform it ships for).

`decode` validates exactly like redis-server's packet checks (signature, version, the expected length for the
type, extension padding/bounds, hostname NUL terminator) and raises MessageError on any mismatch; the runtime
drops such packets. `encode` computes totlen as Redis does for each type. No I/O here.
"""
from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass, field

from .node import bit_list

SIGNATURE = b"RCmb"
PROTO_VER = 1
NODE_NAME_LEN = 40
NET_IP_STR_LEN = 46
CLUSTER_SLOTS = 16384
SLOTS_BITMAP_LEN = CLUSTER_SLOTS // 8
NULL_NAME = b"\x00" * NODE_NAME_LEN

# Message types (CLUSTERMSG_TYPE_*).
TYPE_PING = 0
TYPE_PONG = 1
TYPE_MEET = 2
TYPE_FAIL = 3
TYPE_PUBLISH = 4
TYPE_FAILOVER_AUTH_REQUEST = 5
TYPE_FAILOVER_AUTH_ACK = 6
TYPE_UPDATE = 7
TYPE_MFSTART = 8
TYPE_MODULE = 9
TYPE_PUBLISHSHARD = 10
TYPE_COUNT = 11

TYPE_NAMES = ("ping", "pong", "meet", "fail", "publish", "auth-req", "auth-ack", "update", "mfstart",
              "module", "publishshard")

PING_TYPES = frozenset((TYPE_PING, TYPE_PONG, TYPE_MEET))
HEADER_ONLY_TYPES = frozenset((TYPE_FAILOVER_AUTH_REQUEST, TYPE_FAILOVER_AUTH_ACK, TYPE_MFSTART))

# Header flags, mflags[0] (CLUSTERMSG_FLAG0_*). 7.0 knows no others; encode never sets any other bit.
FLAG0_PAUSED = 1 << 0
FLAG0_FORCEACK = 1 << 1
FLAG0_EXT_DATA = 1 << 2
_FLAG0_CALLER_BITS = FLAG0_PAUSED | FLAG0_FORCEACK

# Node flags as they travel in the header and in gossip entries (CLUSTER_NODE_*).
NODE_MASTER = 1
NODE_SLAVE = 2
NODE_PFAIL = 4
NODE_FAIL = 8
NODE_MYSELF = 16
NODE_HANDSHAKE = 32
NODE_NOADDR = 64
NODE_MEET = 128
NODE_MIGRATE_TO = 256
NODE_NOFAILOVER = 512

# Ping extension types. 7.0 knows only HOSTNAME; the others are 7.2's numbering, which a 7.0 node skips
# (logging "Received unknown extension type N" at warning level for every packet carrying one).
EXT_HOSTNAME = 0
EXT_HUMAN_NODENAME = 1
EXT_FORGOTTEN_NODE = 2
EXT_SHARDID = 3

CLUSTER_STATE_OK = 0
CLUSTER_STATE_FAIL = 1

# sig totlen ver port type count currentEpoch configEpoch offset sender myslots slaveof myip extensions
# notused1[30] pport cport flags state mflags[3]
_HEADER = struct.Struct(">4sIHHHHQQQ40s2048s40s46sH30sHHHB3s")
# nodename ping_sent pong_received ip port cport flags pport notused1
_GOSSIP = struct.Struct(">40sII46sHHHHH")
_EXT_HDR = struct.Struct(">IHH")
_FORGOTTEN = struct.Struct(">40sQ")
_PUBLISH_LENS = struct.Struct(">II")
_UPDATE = struct.Struct(">Q40s2048s")
_MODULE_ID = struct.Struct("<Q")
_MODULE_REST = struct.Struct(">IB")
_TOTLEN = struct.Struct(">I")

HEADER_SIZE = _HEADER.size                   # 2256 == CLUSTERMSG_MIN_LEN
GOSSIP_SIZE = _GOSSIP.size                   # 104
PING_EXT_HEADER_SIZE = _EXT_HDR.size         # 8
FAIL_BODY_SIZE = NODE_NAME_LEN               # 40
PUBLISH_FIXED_SIZE = _PUBLISH_LENS.size      # sizeof(clusterMsgDataPublish) - 8 placeholder bytes
UPDATE_BODY_SIZE = _UPDATE.size              # 2096
MODULE_FIXED_SIZE = 13                       # sizeof(clusterMsgModule) - 3 placeholder bytes
FORGOTTEN_EXT_SIZE = PING_EXT_HEADER_SIZE + _FORGOTTEN.size   # 56
MIN_MESSAGE_LEN = HEADER_SIZE
assert HEADER_SIZE == 2256 and GOSSIP_SIZE == 104 and UPDATE_BODY_SIZE == 2096

_EMPTY_BITMAP = bytes(SLOTS_BITMAP_LEN)
_NO_MFLAGS = b"\x00\x00\x00"


class MessageError(ValueError):
    """A malformed cluster bus message (decode/frame_length) or an unencodable one (encode)."""


@dataclass(slots=True)
class Gossip:
    """One clusterMsgDataGossip entry. Times are in seconds (Redis sends ms/1000, truncated to 32 bits)."""

    name: bytes
    ping_sent: int = 0
    pong_received: int = 0
    ip: str = ""
    port: int = 0
    cport: int = 0
    flags: int = 0
    pport: int = 0


@dataclass(slots=True)
class Header:
    """The fixed part of every message. `slaveof` None travels as 40 zero bytes ("no primary").

    `count` is computed by encode() for PING/PONG/MEET (the number of gossip entries) and written as given for
    the other types (Redis sends 0). mflags[0] holds FLAG0_*; encode() manages EXT_DATA itself and clears
    every bit 7.0 does not know.
    """

    type: int
    sender: bytes = NULL_NAME
    current_epoch: int = 0
    config_epoch: int = 0
    offset: int = 0
    myslots: bytes = _EMPTY_BITMAP
    slaveof: bytes | None = None
    myip: str = ""
    port: int = 0
    pport: int = 0
    cport: int = 0
    flags: int = 0
    state: int = CLUSTER_STATE_OK
    mflags: bytes = _NO_MFLAGS
    count: int = 0


@dataclass(slots=True)
class PingBody:
    """Body of PING, PONG and MEET: gossip entries plus the optional ping extensions.

    `hostname` None or "" sends no hostname extension. `forgotten` are (node name, ttl seconds) pairs of 7.2's
    FORGOTTEN_NODE extension (unknown to 7.0, which skips it). `unknown_exts` are (type, payload) pairs
    decoded from extension types this codec does not interpret; encode() writes them back padded to 8 bytes.
    """

    gossip: list[Gossip] = field(default_factory=list)
    hostname: str | None = None
    forgotten: list[tuple[bytes, int]] = field(default_factory=list)
    unknown_exts: list[tuple[int, bytes]] = field(default_factory=list)


@dataclass(slots=True)
class FailBody:
    """FAIL: the name of the node the sender marked as failed."""

    name: bytes


@dataclass(slots=True)
class PublishBody:
    """PUBLISH and PUBLISHSHARD: one channel and one message."""

    channel: bytes
    message: bytes


@dataclass(slots=True)
class UpdateBody:
    """UPDATE: the owner of a slot set and the configEpoch that claims it."""

    config_epoch: int
    name: bytes
    slots: bytes


@dataclass(slots=True)
class ModuleBody:
    """MODULE: a module's message; module_id is the raw 64-bit id (host order on the wire)."""

    module_id: int
    type: int
    payload: bytes


@dataclass(slots=True)
class RawBody:
    """The body of a message type this codec does not know (Redis accepts it as well formed)."""

    data: bytes


Body = PingBody | FailBody | PublishBody | UpdateBody | ModuleBody | RawBody | None


@dataclass(slots=True)
class Message:
    """One bus message: the header and the body its type calls for (None for the header-only types)."""

    header: Header
    body: Body = None

    @property
    def type(self) -> int:
        return self.header.type


def _type_name(t: int) -> str:
    return TYPE_NAMES[t] if 0 <= t < TYPE_COUNT else "unknown"


def _cstr(raw: bytes) -> str:
    """A NUL-padded C string field; Redis forces the last byte to NUL when it copies one in."""
    end = raw.find(b"\x00")
    if end < 0:
        end = len(raw) - 1
    return raw[:end].decode("latin-1")


def _ip_bytes(ip: str) -> bytes:
    raw = ip.encode("latin-1")
    if len(raw) >= NET_IP_STR_LEN or b"\x00" in raw:
        raise MessageError(f"ip {ip!r} does not fit a {NET_IP_STR_LEN}-byte C string")
    return raw


def _name(name: bytes, what: str) -> bytes:
    if len(name) != NODE_NAME_LEN:
        raise MessageError(f"{what} must be {NODE_NAME_LEN} bytes, got {len(name)}")
    return bytes(name)


def _bitmap(bm: bytes, what: str) -> bytes:
    if len(bm) != SLOTS_BITMAP_LEN:
        raise MessageError(f"{what} must be a {SLOTS_BITMAP_LEN}-byte bitmap, got {len(bm)}")
    return bytes(bm)


def _pad8(n: int) -> int:
    return (n + 7) & ~7


def _ext(ext_type: int, payload: bytes) -> bytes:
    length = PING_EXT_HEADER_SIZE + _pad8(len(payload))
    return _EXT_HDR.pack(length, ext_type, 0) + payload + b"\x00" * (length - PING_EXT_HEADER_SIZE - len(payload))


def _encode_ping(body: PingBody) -> tuple[bytes, int]:
    pack = _GOSSIP.pack
    parts = [pack(_name(g.name, "gossip name"), g.ping_sent & 0xFFFFFFFF, g.pong_received & 0xFFFFFFFF,
                  _ip_bytes(g.ip), g.port, g.cport, g.flags, g.pport, 0) for g in body.gossip]
    nexts = 0
    if body.hostname:
        raw = body.hostname.encode("latin-1")
        if b"\x00" in raw:
            raise MessageError("hostname contains a NUL byte")
        parts.append(_ext(EXT_HOSTNAME, raw + b"\x00"))
        nexts += 1
    for name, ttl in body.forgotten:
        parts.append(_ext(EXT_FORGOTTEN_NODE, _FORGOTTEN.pack(_name(name, "forgotten node name"), ttl)))
        nexts += 1
    for ext_type, payload in body.unknown_exts:
        parts.append(_ext(ext_type, bytes(payload)))
        nexts += 1
    return b"".join(parts), nexts


def encode(msg: Message) -> bytes:
    """The wire bytes of `msg`, with totlen, count, extensions and the EXT_DATA flag computed as Redis does."""
    try:
        return _encode(msg)
    except struct.error as exc:
        raise MessageError(f"field out of range: {exc}") from None


def _encode(msg: Message) -> bytes:
    h = msg.header
    body = msg.body
    t = h.type
    count = h.count
    nexts = 0
    mflags0 = (h.mflags[0] if h.mflags else 0) & _FLAG0_CALLER_BITS
    if t in PING_TYPES:
        if not isinstance(body, PingBody):
            raise MessageError(f"{_type_name(t)} needs a PingBody")
        payload, nexts = _encode_ping(body)
        count = len(body.gossip)
        if nexts:
            mflags0 |= FLAG0_EXT_DATA
    elif t == TYPE_FAIL:
        if not isinstance(body, FailBody):
            raise MessageError("fail needs a FailBody")
        payload = _name(body.name, "failing node name")
    elif t == TYPE_PUBLISH or t == TYPE_PUBLISHSHARD:
        if not isinstance(body, PublishBody):
            raise MessageError(f"{_type_name(t)} needs a PublishBody")
        payload = _PUBLISH_LENS.pack(len(body.channel), len(body.message)) + body.channel + body.message
    elif t == TYPE_UPDATE:
        if not isinstance(body, UpdateBody):
            raise MessageError("update needs an UpdateBody")
        payload = _UPDATE.pack(body.config_epoch, _name(body.name, "update node name"),
                               _bitmap(body.slots, "update slots"))
    elif t == TYPE_MODULE:
        if not isinstance(body, ModuleBody):
            raise MessageError("module needs a ModuleBody")
        payload = (_MODULE_ID.pack(body.module_id) + _MODULE_REST.pack(len(body.payload), body.type)
                   + body.payload)
    elif t in HEADER_ONLY_TYPES:
        if body is not None:
            raise MessageError(f"{_type_name(t)} has no body")
        payload = b""
    else:
        if not isinstance(body, RawBody | None):
            raise MessageError(f"unknown message type {t} takes a RawBody")
        payload = body.data if body is not None else b""
    slaveof = NULL_NAME if h.slaveof is None else _name(h.slaveof, "slaveof")
    head = _HEADER.pack(
        SIGNATURE, HEADER_SIZE + len(payload), PROTO_VER, h.port, t, count, h.current_epoch, h.config_epoch,
        h.offset, _name(h.sender, "sender"), _bitmap(h.myslots, "myslots"), slaveof, _ip_bytes(h.myip), nexts,
        b"", h.pport, h.cport, h.flags, h.state, bytes((mflags0, 0, 0)))
    return head + payload


def frame_length(buf: bytes | bytearray | memoryview) -> int | None:
    """The totlen of the message starting buf: None until 8 bytes are there; MessageError on a bad signature
    or a totlen below the fixed header (Redis closes the link then)."""
    if len(buf) < 8:
        return None
    if bytes(buf[:4]) != SIGNATURE:
        raise MessageError("Bad message signature received from Cluster bus")
    totlen: int = _TOTLEN.unpack_from(buf, 4)[0]
    if totlen < MIN_MESSAGE_LEN:
        raise MessageError(f"Bad message length {totlen} received from Cluster bus")
    return totlen


def _decode_exts(buf: bytes, pos: int, totlen: int, nexts: int, body: PingBody, tname: str) -> int:
    unpack_ext = _EXT_HDR.unpack_from
    for _ in range(nexts):
        if totlen - pos < PING_EXT_HEADER_SIZE:
            raise MessageError(f"{tname} extension header exceeds total packet length ({totlen})")
        extlen, ext_type, _unused = unpack_ext(buf, pos)
        if extlen % 8 != 0:
            raise MessageError(f"{tname} packet without proper padding ({extlen} bytes)")
        if extlen < PING_EXT_HEADER_SIZE or totlen - pos < extlen:
            raise MessageError(f"{tname} packet with extension data that exceeds total packet length ({totlen})")
        start = pos + PING_EXT_HEADER_SIZE
        end = pos + extlen
        if ext_type == EXT_HOSTNAME:
            if end == start or buf[end - 1] != 0:
                raise MessageError(f"{tname} packet with missing null terminator in extension type {ext_type}")
            body.hostname = buf[start:buf.index(0, start)].decode("latin-1")
        elif ext_type == EXT_FORGOTTEN_NODE and extlen >= FORGOTTEN_EXT_SIZE:
            name, ttl = _FORGOTTEN.unpack_from(buf, start)
            body.forgotten.append((name, ttl))
        else:
            body.unknown_exts.append((ext_type, buf[start:end]))
        pos = end
    return pos


def decode(buf: bytes | bytearray | memoryview) -> Message:
    """Decode exactly one message (len(buf) must equal its totlen), validating it as redis-server does."""
    if not isinstance(buf, bytes):
        buf = bytes(buf)
    n = len(buf)
    if n < HEADER_SIZE:
        raise MessageError(f"message of {n} bytes is shorter than the {HEADER_SIZE}-byte header")
    (sig, totlen, ver, port, t, count, current_epoch, config_epoch, offset, sender, myslots, slaveof, myip,
     nexts, _notused, pport, cport, flags, state, mflags) = _HEADER.unpack_from(buf, 0)
    if sig != SIGNATURE:
        raise MessageError("Bad message signature")
    if totlen != n:
        raise MessageError(f"totlen {totlen} does not match the {n} bytes given")
    if ver != PROTO_VER:
        raise MessageError(f"unsupported cluster bus protocol version {ver}")
    header = Header(t, sender, current_epoch, config_epoch, offset, myslots,
                    None if slaveof == NULL_NAME else slaveof, _cstr(myip), port, pport, cport, flags, state,
                    mflags, count)
    tname = _type_name(t)
    body: Body
    if t in PING_TYPES:
        explen = HEADER_SIZE + count * GOSSIP_SIZE
        if explen > totlen:
            raise MessageError(f"{tname} packet with gossip count {count} that exceeds total packet length "
                               f"({totlen})")
        ping = PingBody([Gossip(name, ps, pr, _cstr(ip), gport, gcport, gflags, gpport)
                         for name, ps, pr, ip, gport, gcport, gflags, gpport, _ in
                         _GOSSIP.iter_unpack(buf[HEADER_SIZE:explen])])
        if mflags[0] & FLAG0_EXT_DATA:
            explen = _decode_exts(buf, explen, totlen, nexts, ping, tname)
        body = ping
    elif t == TYPE_FAIL:
        explen = HEADER_SIZE + FAIL_BODY_SIZE
        body = FailBody(buf[HEADER_SIZE:explen])
    elif t == TYPE_PUBLISH or t == TYPE_PUBLISHSHARD:
        if totlen < HEADER_SIZE + PUBLISH_FIXED_SIZE:
            raise MessageError(f"{tname} packet too short for its lengths")
        clen, mlen = _PUBLISH_LENS.unpack_from(buf, HEADER_SIZE)
        start = HEADER_SIZE + PUBLISH_FIXED_SIZE
        explen = start + clen + mlen
        body = PublishBody(buf[start:start + clen], buf[start + clen:explen])
    elif t in HEADER_ONLY_TYPES:
        explen = HEADER_SIZE
        body = None
    elif t == TYPE_UPDATE:
        explen = HEADER_SIZE + UPDATE_BODY_SIZE
        if totlen != explen:
            raise MessageError(f"Received invalid update packet of length {totlen} but expected length {explen}")
        epoch, name, slots = _UPDATE.unpack_from(buf, HEADER_SIZE)
        body = UpdateBody(epoch, name, slots)
    elif t == TYPE_MODULE:
        if totlen < HEADER_SIZE + MODULE_FIXED_SIZE:
            raise MessageError("module packet too short for its length")
        module_id: int = _MODULE_ID.unpack_from(buf, HEADER_SIZE)[0]
        plen, mtype = _MODULE_REST.unpack_from(buf, HEADER_SIZE + 8)
        start = HEADER_SIZE + MODULE_FIXED_SIZE
        explen = start + plen
        body = ModuleBody(module_id, mtype, buf[start:explen])
    else:
        explen = totlen
        body = RawBody(buf[HEADER_SIZE:])
    if explen != totlen:
        raise MessageError(f"Received invalid {tname} packet of length {totlen} but expected length {explen}")
    return Message(header, body)


# ---- slot bitmaps: bit (slot & 7) of byte (slot >> 3), as Redis's bitmapTestBit ----

def empty_bitmap() -> bytearray:
    return bytearray(SLOTS_BITMAP_LEN)


def _check_slot(slot: int) -> int:
    if not 0 <= slot < CLUSTER_SLOTS:
        raise ValueError(f"slot {slot} out of range")
    return slot


def slots_to_bitmap(slots: Iterable[int]) -> bytes:
    bm = bytearray(SLOTS_BITMAP_LEN)
    for slot in slots:
        _check_slot(slot)
        bm[slot >> 3] |= 1 << (slot & 7)
    return bytes(bm)


def bitmap_to_slots(bm: bytes | bytearray | memoryview) -> list[int]:
    """The set slots, ascending."""
    return bit_list(int.from_bytes(bm, "little"))


def bitmap_test(bm: bytes | bytearray | memoryview, slot: int) -> bool:
    return bool(bm[slot >> 3] & (1 << (slot & 7)))


def bitmap_set(bm: bytearray, slot: int) -> None:
    _check_slot(slot)
    bm[slot >> 3] |= 1 << (slot & 7)


def bitmap_clear(bm: bytearray, slot: int) -> None:
    _check_slot(slot)
    bm[slot >> 3] &= ~(1 << (slot & 7)) & 0xFF


def bitmap_count(bm: bytes | bytearray | memoryview) -> int:
    return int.from_bytes(bm, "little").bit_count()
