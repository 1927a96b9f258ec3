"""The RDB codec without servers: round trips of every value type, the blob formats, encoding choices on load,
whole-file framing (version, checksum, opcodes), and corrupt input (every truncation and many byte flips of
a set of payloads) failing cleanly with ValueError / the RESTORE errors."""
from __future__ import annotations

import io
import math
import random

import pytest

from pyredcache import errors
from pyredcache._speedups.keyspace import Context, Db
from pyredcache.datatypes.hashes import Hash
from pyredcache.datatypes.lists import RedisList
from pyredcache.datatypes.sets import RedisSet
from pyredcache.datatypes.zsets import RedisZSet
from pyredcache.errors import ReplyError
from pyredcache.persistence import rdb
from pyredcache.persistence.dump import create_dump_payload, verify_and_parse
from pyredcache.persistence.rdb import (
    DefaultLimits,
    EmptyKeyError,
    End,
    Entry,
    FunctionBlob,
    crc64,
    decode_value,
    encode_length,
    encode_string,
    encode_value,
    read_rdb,
    write_rdb,
)


class Limits(DefaultLimits):
    def __init__(self, **kw: int) -> None:
        for k, v in kw.items():
            setattr(self, k, v)


VALUES: list[object] = [
    b"", b"0", b"-1", b"127", b"-128", b"32767", b"-32769", b"2147483647", b"-2147483648", b"2147483648",
    b"9223372036854775807", b"012", b"1.5", b"x" * 100, b"ab" * 1000, bytearray(b"raw bytes"),
    RedisList([b"a", b"12", b"-70000", b"x" * 5000, b"9223372036854775807", b""]),
    RedisList([str(i).encode() for i in range(5000)]),
    Hash([(b"f", b"v"), (b"1", b"-1")]),
    Hash([(b"f%d" % i, b"v%d" % i) for i in range(300)], listpack=False),
    RedisSet.build([b"1", b"-5", b"300"], 512),
    RedisSet.build([b"1", b"70000", b"-9223372036854775808"], 512),
    RedisSet.build([b"a", b"b"], 512),
    RedisZSet.build([(b"a", 1.0), (b"b", -0.5), (b"c", math.inf), (b"d", -math.inf), (b"e", 1e-300)], 128, 64),
    RedisZSet.build([(b"m%d" % i, i / 7) for i in range(200)], 128, 64),
]


def _same(a: object, b: object) -> bool:
    if isinstance(a, (bytes, bytearray)):
        return isinstance(b, bytes) and b == bytes(a)
    if isinstance(a, RedisZSet):
        return isinstance(b, RedisZSet) and list(a.items()) == list(b.items()) and a.encoding == b.encoding
    if isinstance(a, RedisSet):
        return isinstance(b, RedisSet) and set(a) == set(b) and a.encoding == b.encoding
    if isinstance(a, Hash):
        return isinstance(b, Hash) and dict(a) == dict(b) and a.encoding == b.encoding
    return isinstance(b, RedisList) and list(a) == list(b)  # type: ignore[call-overload]


@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("index", range(len(VALUES)))
def test_round_trip(index: int, compress: bool) -> None:
    value = VALUES[index]
    rdb_type, body = encode_value(value, compress)
    back, end = decode_value(rdb_type, body, 0, DefaultLimits())
    assert end == len(body)
    assert _same(value, back)
    assert _same(value, verify_and_parse(create_dump_payload(value, compress)))


def test_crc64_check_value() -> None:
    assert crc64(0, b"123456789") == 0xE9C6D914C4B8D9CA


def test_length_encodings() -> None:
    assert encode_length(63) == b"\x3f"
    assert encode_length(64) == b"\x40\x40"
    assert encode_length(16383) == b"\x7f\xff"
    assert encode_length(16384) == b"\x80\x00\x00\x40\x00"
    assert encode_length(1 << 32) == b"\x81" + (1 << 32).to_bytes(8, "big")
    for n in (0, 1, 63, 64, 16383, 16384, 1 << 32):
        r = rdb._Reader(encode_length(n))
        assert r.length() == n


def test_string_encodings() -> None:
    assert encode_string(b"12") == b"\xc0\x0c"
    assert encode_string(b"-200") == b"\xc1\x38\xff"
    assert encode_string(b"100000") == b"\xc2\xa0\x86\x01\x00"
    assert encode_string(b"2147483648") == b"\x0a2147483648"
    assert encode_string(b"0012") == b"\x040012"
    assert encode_string(b"a" * 100)[0] == 0xC3
    assert encode_string(b"a" * 100, compress=False) == b"\x40\x64" + b"a" * 100


def test_load_encoding_choices() -> None:
    small = Limits(hash_max_entries=2, hash_max_value=3, set_max_intset=2, zset_max_entries=2, zset_max_value=3)
    # plain hash: entries and lengths count
    _, body = encode_value(Hash([(b"a", b"1"), (b"b", b"2")], listpack=False))
    assert decode_value(4, body, 0, small)[0].encoding == b"listpack"  # type: ignore[attr-defined]
    _, body = encode_value(Hash([(b"a", b"long value")], listpack=False))
    assert decode_value(4, body, 0, small)[0].encoding == b"hashtable"  # type: ignore[attr-defined]
    # listpack hash: only the entry count
    t, body = encode_value(Hash([(b"a", b"long value")]))
    assert decode_value(t, body, 0, small)[0].encoding == b"listpack"  # type: ignore[attr-defined]
    t, body = encode_value(Hash([(b"a", b"1"), (b"b", b"2"), (b"c", b"3")]))
    assert decode_value(t, body, 0, small)[0].encoding == b"hashtable"  # type: ignore[attr-defined]
    # intset over the limit
    t, body = encode_value(RedisSet.build([b"1", b"2", b"3"], 512))
    assert decode_value(t, body, 0, small)[0].encoding == b"hashtable"  # type: ignore[attr-defined]
    # skiplist zset small enough becomes a listpack; -0 becomes 0 there
    z = RedisZSet.build([(b"a", -0.0)], 0, 0)
    t, body = encode_value(z)
    loaded = decode_value(t, body, 0, small)[0]
    assert isinstance(loaded, RedisZSet) and loaded.encoding == b"listpack"
    assert math.copysign(1.0, loaded.score(b"a") or 0.0) == 1.0


def test_old_types_decode() -> None:
    lim = DefaultLimits()
    # RDB_TYPE_ZSET with string scores, inf markers
    body = encode_length(3) + encode_string(b"a") + b"\x031.5" + encode_string(b"b") + b"\xfe" \
        + encode_string(b"c") + b"\xff"
    z = decode_value(3, body, 0, lim)[0]
    assert isinstance(z, RedisZSet) and list(z.items()) == [(b"c", -math.inf), (b"a", 1.5), (b"b", math.inf)]
    with pytest.raises(ValueError, match="NAN"):
        decode_value(3, encode_length(1) + encode_string(b"a") + b"\xfd", 0, lim)
    # RDB_TYPE_LIST (linked list)
    lst = decode_value(1, encode_length(2) + encode_string(b"x") + encode_string(b"7"), 0, lim)[0]
    assert list(lst) == [b"x", b"7"]  # type: ignore[call-overload]
    # ziplist list: "a", 5 (immediate), 300 (int16)
    entries = b"\x00\x01a" + b"\x03\xf6" + b"\x02\xc0\x2c\x01"
    zl = (11 + len(entries)).to_bytes(4, "little") + (15).to_bytes(4, "little") + (3).to_bytes(2, "little") \
        + entries + b"\xff"
    lst = decode_value(10, encode_string(zl, False), 0, lim)[0]
    assert list(lst) == [b"a", b"5", b"300"]  # type: ignore[call-overload]
    # quicklist v1 of one ziplist node
    lst = decode_value(14, encode_length(1) + encode_string(zl, False), 0, lim)[0]
    assert list(lst) == [b"a", b"5", b"300"]  # type: ignore[call-overload]
    # zipmap hash: {"f": "vv"}
    zm = b"\x01" + b"\x01f" + b"\x02\x00vv" + b"\xff"
    h = decode_value(9, encode_string(zm, False), 0, lim)[0]
    assert dict(h) == {b"f": b"vv"} and h.encoding == b"listpack"  # type: ignore[call-overload,attr-defined]


@pytest.mark.parametrize("rdb_type", [15, 19])
def test_streams_refused(rdb_type: int) -> None:
    with pytest.raises(ValueError, match="stream values are not supported"):
        decode_value(rdb_type, b"\x00", 0)


def test_empty_values() -> None:
    for t in (1, 2, 3, 4, 5, 14, 18):
        with pytest.raises(EmptyKeyError):
            decode_value(t, b"\x00", 0)
    with pytest.raises(ReplyError) as exc:
        verify_and_parse(_footer(b"\x12\x00"))
    assert exc.value.message == errors.BAD_DATA_FORMAT.encode()


def _footer(data: bytes, version: int = 10) -> bytes:
    data += version.to_bytes(2, "little")
    return data + crc64(0, data).to_bytes(8, "little")


def test_payload_footer_errors() -> None:
    good = create_dump_payload(b"x")
    for bad in (b"", b"123456789", good[:-1] + b"\x00", _footer(b"\x00\x01x", 11)):
        with pytest.raises(ReplyError) as exc:
            verify_and_parse(bad)
        assert exc.value.message == errors.DUMP_BAD.encode()


CORRUPTIBLE = [VALUES[1], VALUES[13], VALUES[14], VALUES[16], VALUES[18], VALUES[19], VALUES[20], VALUES[22],
               VALUES[23], VALUES[24]]


@pytest.mark.parametrize("index", range(len(CORRUPTIBLE)))
def test_truncations_fail_cleanly(index: int) -> None:
    rdb_type, body = encode_value(CORRUPTIBLE[index], True)
    for cut in range(len(body)):
        try:
            decode_value(rdb_type, body[:cut], 0)
        except ValueError:
            continue
        # a cut at a boundary of a valid prefix can only "succeed" if nothing was lost: never here
        pytest.fail(f"truncation at {cut} of {len(body)} decoded")


@pytest.mark.parametrize("index", range(len(CORRUPTIBLE)))
def test_byte_flips_fail_cleanly_or_decode(index: int) -> None:
    rng = random.Random(index)
    value = CORRUPTIBLE[index]
    payload = bytearray(create_dump_payload(value))
    for _ in range(300):
        corrupt = bytearray(payload)
        for _ in range(rng.randrange(1, 4)):
            corrupt[rng.randrange(len(corrupt) - 10)] = rng.randrange(256)
        body = bytes(corrupt[:-10])
        try:
            decode_value(body[0], body, 1)
        except ValueError:
            pass
        with pytest.raises(ReplyError):     # the checksum catches it first on RESTORE
            if bytes(corrupt) != bytes(payload):
                verify_and_parse(bytes(corrupt))
            else:
                raise ReplyError("unchanged")


# -------------------------------------------------------------------------------------------- whole files


def _keyspace() -> tuple[Context, list[Db]]:
    ctx = Context()
    ctx.now_ms = 1_700_000_000_000
    dbs = [Db(ctx, i) for i in range(4)]
    dbs[0].set_key(b"a", b"1")
    dbs[0].set_key(b"b", RedisList([b"x"]))
    dbs[0].set_expire(b"b", 1_800_000_000_000)
    dbs[2].set_key(b"c", Hash([(b"f", b"v")]))
    return ctx, dbs


def test_file_round_trip_and_chunking() -> None:
    _ctx, dbs = _keyspace()
    big = RedisList([b"%d" % i for i in range(100000)])
    dbs[3].set_key(b"big", big)
    chunks: list[bytes] = []

    class Sink:
        def write(self, data: bytes) -> int:
            chunks.append(data)
            return len(data)

    n = write_rdb(Sink(), dbs, {"aof-base": 0}, lru=False, lfu=False)
    data = b"".join(chunks)
    assert n == len(data)
    assert max(len(c) for c in chunks) <= 64 * 1024
    assert data.startswith(b"REDIS0010")
    items = list(read_rdb(memoryview(data)))
    entries = [i for i in items if isinstance(i, Entry)]
    assert [(e.dbid, e.key) for e in entries] == [(0, b"a"), (0, b"b"), (2, b"c"), (3, b"big")] or \
        sorted((e.dbid, e.key) for e in entries) == [(0, b"a"), (0, b"b"), (2, b"c"), (3, b"big")]
    assert next(e for e in entries if e.key == b"b").expire_ms == 1_800_000_000_000
    assert list(next(e for e in entries if e.key == b"big").value) == list(big)  # type: ignore[call-overload]
    assert items[-1] == End(True)


def _file(body: bytes, version: int = 10, checksum: bool = True) -> bytes:
    data = b"REDIS%04d" % version + body + b"\xff"
    return data + (crc64(0, data) if checksum else 0).to_bytes(8, "little")


def test_file_framing() -> None:
    entry = b"\x00" + encode_string(b"k") + encode_string(b"v")
    assert list(read_rdb(_file(entry)))[-1] == End(True)
    assert list(read_rdb(_file(entry, checksum=False)))[-1] == End(False)     # 0: not computed
    assert list(read_rdb(_file(entry, version=9)))[0] == Entry(0, b"k", b"v")
    old = b"REDIS0004" + entry + b"\xff"          # before version 5: no checksum at all
    assert list(read_rdb(old))[-1] == End(False)
    with pytest.raises(ValueError, match="Can't handle RDB format version 11"):
        list(read_rdb(_file(entry, version=11)))
    with pytest.raises(ValueError, match="Wrong signature"):
        list(read_rdb(b"RADIS0010" + entry))
    bad = bytearray(_file(entry))
    bad[-2] ^= 1
    with pytest.raises(ValueError, match="checksum"):
        list(read_rdb(bytes(bad)))
    assert list(read_rdb(bytes(bad), verify_checksum=False))[-1] == End(False)
    # seconds expiry, idle, freq, function blob, empty key skipped
    body = (b"\xfd" + (1000).to_bytes(4, "little") + b"\xf8" + encode_length(7) + entry
            + b"\xf9\x05" + entry + b"\xf5" + encode_string(b"#!lua name=x")
            + b"\x12" + encode_string(b"e") + b"\x00")
    items = list(read_rdb(_file(body)))
    assert items[0] == Entry(0, b"k", b"v", 1_000_000, 7, -1)
    assert items[1] == Entry(0, b"k", b"v", -1, -1, 5)
    assert items[2] == FunctionBlob(b"#!lua name=x")
    assert items[3] == End(True)
    for opcode in (b"\xf7", b"\xf6"):
        with pytest.raises(ValueError):
            list(read_rdb(_file(opcode + b"\x00")))


def test_file_truncations_fail_cleanly() -> None:
    _ctx, dbs = _keyspace()
    out = io.BytesIO()
    write_rdb(out, dbs, {}, lru=True, lfu=False)
    data = out.getvalue()
    for cut in range(len(data)):
        with pytest.raises(ValueError):
            list(read_rdb(data[:cut]))
