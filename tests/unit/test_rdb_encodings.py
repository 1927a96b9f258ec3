"""Unit tests for the RDB building blocks: CRC-64 (_speedups.crc64), LZF (_speedups.lzf) and the compact blob
codecs of persistence/encodings.py (listpack, ziplist, intset, zipmap, RDB lengths and strings).

Oracle checks take DUMP payloads from a private redis-server 7.0 and decode them with these functions, compare
with the server's own replies, and re-encode to the very bytes Redis produced. Ziplists and zipmaps (which 7.0
no longer writes) are built here, RESTOREd into redis-server, and read back to confirm both sides agree."""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import random
from collections.abc import Iterator

import pytest
import redis
from helpers.procs import REDIS_SERVER, ServerProcess, start_server

from pyredcache._speedups.crc64 import crc64
from pyredcache._speedups.lzf import lzf_compress, lzf_compress_for_rdb, lzf_decompress
from pyredcache.persistence.encodings import (
    encode_rdb_length,
    encode_rdb_string,
    intset_encode,
    intset_members,
    listpack_encode,
    listpack_entries,
    read_rdb_length,
    read_rdb_string,
    ziplist_entries,
    zipmap_pairs,
)

RDB_TYPE_STRING = 0
RDB_TYPE_HASH_ZIPMAP = 9
RDB_TYPE_LIST_ZIPLIST = 10
RDB_TYPE_SET_INTSET = 11
RDB_TYPE_ZSET_ZIPLIST = 12
RDB_TYPE_HASH_ZIPLIST = 13
RDB_TYPE_HASH_LISTPACK = 16
RDB_TYPE_ZSET_LISTPACK = 17
RDB_TYPE_LIST_QUICKLIST_2 = 18

# ================================================================================================ CRC-64


def _crc64_bitwise(crc: int, data: bytes) -> int:
    poly = int(f"{0xad93d23594c935a9:064b}"[::-1], 2)
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
    return crc


def test_crc64_check_value() -> None:
    assert crc64(0, b"123456789") == 0xE9C6D914C4B8D9CA


def test_crc64_redis_test_vector() -> None:
    # crc64.c's own self-test string.
    li = (b"This is a test of the emergency broadcast system; this is only a test. Do not be alarmed. "
          b"Please stand by.")
    assert crc64(0, li) == _crc64_bitwise(0, li)


def test_crc64_empty_and_bytes_like() -> None:
    assert crc64(0, b"") == 0
    assert crc64(12345, b"") == 12345
    assert crc64(0, bytearray(b"123456789")) == 0xE9C6D914C4B8D9CA
    assert crc64(0, memoryview(b"..123456789")[2:]) == 0xE9C6D914C4B8D9CA


def test_crc64_matches_bitwise_reference_and_is_incremental() -> None:
    rng = random.Random(64)
    for _ in range(300):
        data = rng.randbytes(rng.randint(0, 80))
        assert crc64(0, data) == _crc64_bitwise(0, data)
        cut = rng.randint(0, len(data))
        assert crc64(crc64(0, data[:cut]), data[cut:]) == crc64(0, data)


# ================================================================================================ LZF


def _liblzf() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("lzf")
    try:
        lib = ctypes.CDLL(name or "liblzf.so.1")
    except OSError:
        return None
    lib.lzf_compress.restype = ctypes.c_uint
    lib.lzf_compress.argtypes = [ctypes.c_char_p, ctypes.c_uint, ctypes.c_char_p, ctypes.c_uint]
    lib.lzf_decompress.restype = ctypes.c_uint
    lib.lzf_decompress.argtypes = [ctypes.c_char_p, ctypes.c_uint, ctypes.c_char_p, ctypes.c_uint]
    return lib


def _sample(rng: random.Random, n: int) -> bytes:
    kind = rng.randrange(5)
    if kind == 0:
        return bytes(rng.choice(b"ab") for _ in range(n))
    if kind == 1:
        words = [b"foo", b"bar", b"bazz", b"hello", b"x", b"redis", b"0123"]
        return b"".join(rng.choice(words) for _ in range(n // 3 + 1))[:n]
    if kind == 2:
        return rng.randbytes(n)
    if kind == 3:
        return b"z" * n
    return bytes(rng.choice(b"abcdefgh") for _ in range(n))


def test_lzf_round_trip_random_and_repetitive() -> None:
    rng = random.Random(1)
    for _ in range(400):
        data = _sample(rng, rng.randint(1, 5000))
        comp = lzf_compress(data, len(data) * 33 // 32 + 16)   # room for incompressible input too
        assert comp is not None
        assert lzf_decompress(comp, len(data)) == data


def test_lzf_round_trip_megabytes() -> None:
    rng = random.Random(2)
    text = b"".join(b"key:%d value:%d; " % (rng.randrange(1000), rng.randrange(10**6)) for _ in range(150_000))
    noise = rng.randbytes(1 << 20)
    for data in (text, noise + text[:100_000], b"\x00" * (3 << 20)):
        comp = lzf_compress(data, len(data) * 33 // 32 + 16)
        assert comp is not None
        assert lzf_decompress(comp, len(data)) == data
    assert lzf_compress(noise) is None                # random data does not shrink
    assert len(lzf_compress(text) or b"") < len(text) // 2


def test_lzf_compress_none_when_not_smaller() -> None:
    assert lzf_compress(b"") is None
    assert lzf_compress(b"abc") is None
    assert lzf_compress(bytes(range(256))) is None
    assert lzf_compress(b"a" * 100) is not None


def test_lzf_compress_for_rdb_rules() -> None:
    # rdbSaveRawString compresses only strings longer than 20 bytes, and only when liblzf fits the stream
    # in len - 4 bytes.
    assert lzf_compress_for_rdb(b"a" * 20) is None
    out = lzf_compress_for_rdb(b"a" * 21)
    assert out is not None and len(out) <= 17 and lzf_decompress(out, 21) == b"a" * 21
    rng = random.Random(3)
    for _ in range(300):
        data = _sample(rng, rng.randint(15, 400))
        out = lzf_compress_for_rdb(data)
        if out is not None:
            assert len(data) > 20 and len(out) <= len(data) - 4
            assert lzf_decompress(out, len(data)) == data


def test_lzf_compress_byte_identical_to_liblzf() -> None:
    # Debian's redis-server links the system liblzf; its streams are what DUMP and SAVE produce there.
    lib = _liblzf()
    if lib is None:
        pytest.skip("liblzf is not installed")
    rng = random.Random(4)
    for i in range(1500):
        data = _sample(rng, rng.randint(1, 3000 if i % 20 else 70_000))
        out_len = rng.choice([len(data) - 1, len(data) - 4, len(data) // 2, len(data) + 40])
        if out_len <= 0:
            continue
        buf = ctypes.create_string_buffer(out_len + 8)
        n = lib.lzf_compress(data, len(data), buf, out_len)
        assert lzf_compress(data, out_len) == (buf.raw[:n] if n else None), (len(data), out_len)


def test_lzf_decompress_corruption_raises() -> None:
    good = lzf_compress(b"hello hello hello hello hello", 64)
    assert good is not None
    with pytest.raises(ValueError):
        lzf_decompress(good, 28)                        # wrong expected length (too short)
    with pytest.raises(ValueError):
        lzf_decompress(good, 30)                        # wrong expected length (too long)
    with pytest.raises(ValueError):
        lzf_decompress(good[:-1], 29)                   # truncated
    with pytest.raises(ValueError):
        lzf_decompress(b"", 5)
    with pytest.raises(ValueError):
        lzf_decompress(b"\x05ab", 6)                    # literal run past the input
    with pytest.raises(ValueError):
        lzf_decompress(b"\x20\x00", 3)                  # back reference before the start
    with pytest.raises(ValueError):
        lzf_decompress(b"\x00a\xe0", 20)                # long back reference cut short
    with pytest.raises(ValueError):
        lzf_decompress(b"\x00a\x40", 5)                 # back reference missing its offset byte
    with pytest.raises(ValueError):
        lzf_decompress(b"\x00a", -1)
    with pytest.raises(ValueError):
        lzf_decompress(b"\x00a\xe0\xff\x00", 1 << 50)         # absurd length: refused, not allocated
    assert lzf_decompress(b"", 0) == b""
    assert lzf_decompress(b"\x00a\xe0\xff\x00\xe0\xff\x00", 1 + 2 * 264) == b"a" * 529   # max expansion
    assert lzf_decompress(b"\x00a\x20\x00", 4) == b"aaaa"   # overlapping (run-length) reference


def test_lzf_decompress_fuzz_never_crashes() -> None:
    rng = random.Random(5)
    base = lzf_compress(b"".join(b"item-%d," % (i % 37) for i in range(400)), 4000)
    assert base is not None
    for _ in range(3000):
        data = bytearray(base)
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        cut = rng.randint(1, len(data))
        try:
            out = lzf_decompress(bytes(data[:cut]), rng.choice([2600, 2500, 100, 5000]))
        except ValueError:
            continue
        assert isinstance(out, bytes)
    for _ in range(1000):
        try:
            lzf_decompress(rng.randbytes(rng.randint(1, 50)), rng.randint(0, 300))
        except ValueError:
            pass


def test_lzf_decompress_matches_liblzf_on_garbage() -> None:
    lib = _liblzf()
    if lib is None:
        pytest.skip("liblzf is not installed")
    rng = random.Random(6)
    for _ in range(3000):
        data = rng.randbytes(rng.randint(1, 40))
        out_len = rng.randint(1, 200)
        buf = ctypes.create_string_buffer(out_len)
        n = lib.lzf_decompress(data, len(data), buf, out_len)
        try:
            ours: bytes | None = lzf_decompress(data, out_len)
        except ValueError:
            ours = None
        assert ours == (buf.raw[:n] if n == out_len else None)


# ================================================================================================ listpack

EDGE_ITEMS = [
    b"", b"a", b"0", b"1", b"-1", b"127", b"128", b"-4096", b"4095", b"4096", b"-4097", b"32767", b"-32768",
    b"32768", b"-32769", b"8388607", b"-8388608", b"8388608", b"2147483647", b"-2147483648", b"2147483648",
    b"9223372036854775807", b"-9223372036854775808", b"9223372036854775808", b"-9223372036854775809",
    b"007", b"-0", b"+1", b" 1", b"1 ", b"1.5", b"0x10", b"x" * 63, b"y" * 64, b"z" * 4095, b"w" * 4096,
    b"\x00\xff\xfe", b"99999999999999999999999",
]


def test_listpack_round_trip_edge_items() -> None:
    lp = listpack_encode(EDGE_ITEMS)
    assert listpack_entries(lp) == EDGE_ITEMS
    assert listpack_entries(listpack_encode([])) == []
    assert listpack_encode([]) == b"\x07\x00\x00\x00\x00\x00\xff"


def test_listpack_encodings_are_the_smallest() -> None:
    def body(item: bytes) -> bytes:
        return listpack_encode([item])[6:-1]

    assert body(b"5") == b"\x05\x01"
    assert body(b"-1") == b"\xdf\xff\x02"
    assert body(b"4095") == b"\xcf\xff\x02"
    assert body(b"-4096") == b"\xd0\x00\x02"
    assert body(b"4096") == b"\xf1\x00\x10\x03"
    assert body(b"8388607") == b"\xf2\xff\xff\x7f\x04"
    assert body(b"-2147483648") == b"\xf3\x00\x00\x00\x80\x05"
    assert body(b"2147483648") == b"\xf4\x00\x00\x00\x80\x00\x00\x00\x00\x09"
    assert body(b"ab") == b"\x82ab\x03"
    assert body(b"q" * 64)[:2] == b"\xe0\x40" and body(b"q" * 64)[-1:] == b"\x42"
    s = body(b"q" * 5000)
    assert s[:5] == b"\xf0\x88\x13\x00\x00" and s[-2:] == bytes((5005 >> 7, (5005 & 127) | 128))


def test_listpack_backlen_thresholds() -> None:
    # Entry sizes 127/128 and 16382/16383 straddle the 1/2 and 2/3-byte back-length encodings.
    for n in (125, 126, 16379, 16380, 16381, 2_097_145, 2_097_146):
        item = b"s" * n
        lp = listpack_encode([item, b"7", item])
        assert listpack_entries(lp) == [item, b"7", item]


def test_listpack_count_saturates_at_65535() -> None:
    items = [b"%d" % i for i in range(70_000)]
    lp = listpack_encode(items)
    assert lp[4:6] == b"\xff\xff"
    assert listpack_entries(lp) == items
    lp2 = listpack_encode(items[:65534])
    assert lp2[4:6] == (65534).to_bytes(2, "little")


def _corrupt_listpacks() -> list[tuple[str, bytes]]:
    good = listpack_encode([b"hello", b"12", b"x" * 70])
    size = len(good)

    def with_total(b: bytes, total: int) -> bytes:
        return total.to_bytes(4, "little") + b[4:]

    return [
        ("empty", b""),
        ("short header", good[:5]),
        ("total bytes too big", with_total(good, size + 1)),
        ("total bytes too small", with_total(good, size - 1)),
        ("truncated", with_total(good[:-3], size - 3)),
        ("no terminator", with_total(good[:-1] + b"\x00", size)),
        ("count mismatch", good[:4] + b"\x02\x00" + good[6:]),
        ("bad backlen", good[:12] + b"\x09" + good[13:]),
        ("invalid encoding", with_total(good[:6] + b"\xf5\x01" + good[6:], size + 2)),
        ("string past end", with_total(good[:6] + b"\xbf" + good[6:], size + 1)),
        ("32-bit string past end", with_total(good[:6] + b"\xf0\xff\xff\xff\x7f" + good[6:], size + 5)),
        ("only terminator, header says 1", b"\x07\x00\x00\x00\x01\x00\xff"),
        ("entry runs into terminator", with_total(good[:6] + b"\x85ab\xff", 11)),
        ("int past end", b"\x09\x00\x00\x00\x01\x00\xf4\x00\xff"),
    ]


@pytest.mark.parametrize(("what", "blob"), _corrupt_listpacks(), ids=[c[0] for c in _corrupt_listpacks()])
def test_listpack_corruption_raises(what: str, blob: bytes) -> None:
    with pytest.raises(ValueError):
        listpack_entries(blob)


def test_listpack_fuzz_never_crashes() -> None:
    rng = random.Random(7)
    base = listpack_encode(EDGE_ITEMS[:30])
    for _ in range(4000):
        data = bytearray(base)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            out = listpack_entries(bytes(data))
        except ValueError:
            continue
        assert all(isinstance(x, bytes) for x in out)


# ================================================================================================ ziplist (test-side encoder)


def _zl_entry(item: bytes, prevlen: int) -> bytes:
    pre = bytes((prevlen,)) if prevlen < 254 else b"\xfe" + prevlen.to_bytes(4, "little")
    v: int | None
    try:
        v = int(item) if item and item == b"%d" % int(item) else None
    except ValueError:
        v = None
    if v is not None and len(item) <= 20 and -(1 << 63) <= v < (1 << 63):
        if 0 <= v <= 12:
            return pre + bytes((0xF1 + v,))
        for enc, width in ((0xFE, 1), (0xC0, 2), (0xF0, 3), (0xD0, 4), (0xE0, 8)):
            if -(1 << (8 * width - 1)) <= v < (1 << (8 * width - 1)):
                return pre + bytes((enc,)) + v.to_bytes(width, "little", signed=True)
    n = len(item)
    if n < 64:
        return pre + bytes((n,)) + item
    if n < 16384:
        return pre + bytes((0x40 | (n >> 8), n & 0xFF)) + item
    return pre + b"\x80" + n.to_bytes(4, "big") + item


def _ziplist(items: list[bytes]) -> bytes:
    body = b""
    prev = 0
    tail = 10
    for it in items:
        e = _zl_entry(it, prev)
        tail = 10 + len(body)
        body += e
        prev = len(e)
    total = 10 + len(body) + 1
    return (total.to_bytes(4, "little") + tail.to_bytes(4, "little") + min(len(items), 65535).to_bytes(2, "little")
            + body + b"\xff")


ZL_ITEMS = [b"", b"0", b"12", b"13", b"-1", b"127", b"-128", b"128", b"32767", b"-32769", b"8388607", b"8388608",
            b"2147483648", b"-9223372036854775808", b"007", b"a" * 63, b"b" * 64, b"c" * 300, b"tail"]


def test_ziplist_round_trip() -> None:
    assert ziplist_entries(_ziplist(ZL_ITEMS)) == ZL_ITEMS
    assert ziplist_entries(_ziplist([])) == []
    big = [b"v" * 20_000, b"1", b"w" * 70]                 # 32-bit string length and a 5-byte prevlen
    assert ziplist_entries(_ziplist(big)) == big


def test_ziplist_corruption_raises() -> None:
    good = _ziplist([b"hello", b"12", b"x" * 70])
    size = len(good)
    bad = [
        b"",
        good[:9],
        (size + 1).to_bytes(4, "little") + good[4:],
        good[:-1] + b"\x00",
        good[:4] + (3).to_bytes(4, "little") + good[8:],            # tail offset wrong
        good[:8] + b"\x05\x00" + good[10:],                         # count mismatch
        good[:10] + b"\x07" + good[11:],                            # first prevlen must be 0
        good[:10] + b"\x00\x3f" + good[12:],                        # string past the end
        good[:10] + b"\x00\xc1" + good[12:],                        # unknown encoding byte
    ]
    for blob in bad:
        with pytest.raises(ValueError):
            ziplist_entries(blob)


def test_ziplist_fuzz_never_crashes() -> None:
    rng = random.Random(8)
    base = _ziplist(ZL_ITEMS)
    for _ in range(3000):
        data = bytearray(base)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            ziplist_entries(bytes(data))
        except ValueError:
            pass


# ================================================================================================ intset


def test_intset_widths_and_order() -> None:
    assert intset_encode([3, 1, 2]) == b"\x02\x00\x00\x00\x03\x00\x00\x00\x01\x00\x02\x00\x03\x00"
    assert intset_encode([1, 1, 1])[4:8] == b"\x01\x00\x00\x00"
    assert intset_encode([32767, -32768])[:4] == b"\x02\x00\x00\x00"
    assert intset_encode([32768])[:4] == b"\x04\x00\x00\x00"
    assert intset_encode([-32769])[:4] == b"\x04\x00\x00\x00"
    assert intset_encode([2**31])[:4] == b"\x08\x00\x00\x00"
    assert intset_encode([-(2**31) - 1])[:4] == b"\x08\x00\x00\x00"
    assert intset_encode([]) == b"\x02\x00\x00\x00\x00\x00\x00\x00"
    with pytest.raises(ValueError):
        intset_encode([2**63])
    vals = [-(2**63), -5, 0, 7, 2**63 - 1]
    assert intset_members(intset_encode(vals)) == vals


def test_intset_corruption_raises() -> None:
    good = intset_encode([1, 2, 3])
    bad = [
        b"",
        good[:7],
        b"\x03\x00\x00\x00" + good[4:],                              # unknown width
        good[:-1],                                                   # size mismatch
        good + b"\x00",
        b"\x02\x00\x00\x00\x00\x00\x00\x00",                         # empty (Redis rejects it)
        intset_encode([1]) [:4] + b"\x02\x00\x00\x00\x05\x00\x05\x00",  # duplicate
        b"\x02\x00\x00\x00\x02\x00\x00\x00\x05\x00\x01\x00",         # out of order
    ]
    for blob in bad:
        with pytest.raises(ValueError):
            intset_members(blob)


# ================================================================================================ zipmap (test-side encoder)


def _zm_len(n: int) -> bytes:
    return bytes((n,)) if n < 254 else b"\xfe" + n.to_bytes(4, "little")


def _zipmap(pairs: list[tuple[bytes, bytes]], free: int = 0) -> bytes:
    out = bytes((min(len(pairs), 254),))
    for f, v in pairs:
        out += _zm_len(len(f)) + f + _zm_len(len(v)) + bytes((free,)) + v + b"\x00" * free
    return out + b"\xff"


ZM_PAIRS = [(b"f1", b"v1"), (b"", b"empty-field"), (b"long", b"L" * 300), (b"n", b"12345")]


def test_zipmap_pairs() -> None:
    flat = [x for p in ZM_PAIRS for x in p]
    assert zipmap_pairs(_zipmap(ZM_PAIRS)) == flat
    assert zipmap_pairs(_zipmap(ZM_PAIRS, free=3)) == flat
    many = [(b"k%d" % i, b"v") for i in range(300)]                 # count byte 254 = unknown
    assert zipmap_pairs(_zipmap(many)) == [x for p in many for x in p]


def test_zipmap_corruption_raises() -> None:
    good = _zipmap(ZM_PAIRS)
    bad = [b"", b"\x00", b"\x00\xff", good[:-1], good + b"\x00", b"\x05" + good[1:], b"\x01\x02f1\x02\x00v", b"\x01\xfff",
           b"\x01\x02f1\x02\x09v1\xff", b"\x01\xfe\xff\xff\xff\x7f"]
    for blob in bad:
        with pytest.raises(ValueError):
            zipmap_pairs(blob)


# ================================================================================================ RDB lengths and strings


def test_rdb_lengths_round_trip() -> None:
    for n in (0, 1, 63, 64, 16383, 16384, 2**32 - 1, 2**32, 2**40):
        enc = encode_rdb_length(n)
        assert read_rdb_length(b"xx" + enc, 2) == (n, 2 + len(enc), False)
    assert encode_rdb_length(63) == b"\x3f"
    assert encode_rdb_length(64) == b"\x40\x40"
    assert encode_rdb_length(16384) == b"\x80\x00\x00\x40\x00"
    assert encode_rdb_length(2**32) == b"\x81\x00\x00\x00\x01\x00\x00\x00\x00"
    assert read_rdb_length(b"\xc3", 0) == (3, 1, True)
    for bad in (b"", b"\x40", b"\x80\x00", b"\x81\x00\x00", b"\x82"):
        with pytest.raises(ValueError):
            read_rdb_length(bad, 0)


def test_rdb_strings_round_trip() -> None:
    for s in (b"", b"0", b"-128", b"127", b"128", b"-32768", b"32768", b"2147483647", b"-2147483648",
              b"2147483648", b"007", b"+5", b"-0", b"a" * 21, b"ab" * 40, bytes(range(256))):
        for compress in (True, False):
            enc = encode_rdb_string(s, compress)
            assert read_rdb_string(b"x" + enc, 1) == (s, 1 + len(enc))
    assert encode_rdb_string(b"12") == b"\xc0\x0c"
    assert encode_rdb_string(b"-129") == b"\xc1\x7f\xff"
    assert encode_rdb_string(b"2147483648") == b"\x0a2147483648"
    assert encode_rdb_string(b"a" * 30)[:1] == b"\xc3"
    assert encode_rdb_string(b"a" * 30, compress=False) == b"\x1e" + b"a" * 30
    for bad in (b"\x05abc", b"\xc0", b"\xc1\x00", b"\xc2\x00\x00", b"\xc3\x05\x0a\x00", b"\xc4",
                b"\xc3\x02\x05\x00a"):
        with pytest.raises(ValueError):
            read_rdb_string(bad, 0)


# ================================================================================================ oracle: DUMP payloads


@pytest.fixture(scope="module")
def lp_redis() -> Iterator[redis.Redis]:
    """A private redis-server with roomy listpack limits (12/32-bit string entries, >65535 elements) and
    strict RESTORE validation."""
    if REDIS_SERVER is None:
        pytest.skip("Debian's redis-server is not installed")
    sp: ServerProcess = start_server("redis", {
        "hash-max-listpack-entries": "100000", "hash-max-listpack-value": "100000",
        "zset-max-listpack-entries": "1000", "zset-max-listpack-value": "100000",
        "sanitize-dump-payload": "yes",
    })
    client = redis.Redis(port=sp.port, protocol=2)
    try:
        yield client
    finally:
        client.close()
        sp.cleanup()


def _split_dump(d: bytes) -> tuple[int, bytes]:
    """(type byte, RDB value) of a DUMP payload, after checking its version and CRC-64 trailer."""
    assert d[-10:-8] == b"\x0a\x00"                   # RDB version 10, little endian
    assert int.from_bytes(d[-8:], "little") == crc64(0, d[:-8])
    return d[0], d[1:-10]


def _raw(r: redis.Redis, *args: str | int) -> list[bytes]:
    """A command's reply without redis-py's response callbacks (ZRANGE WITHSCORES scores stay bytes)."""
    conn = r.connection_pool.get_connection()
    try:
        conn.send_command(*args)
        reply = conn.read_response()
    finally:
        r.connection_pool.release(conn)
    assert isinstance(reply, list)
    return reply


def _dump_payload(rdb_type: int, value: bytes) -> bytes:
    body = bytes((rdb_type,)) + value + b"\x0a\x00"
    return body + crc64(0, body).to_bytes(8, "little")


def _dump_blob(r: redis.Redis, key: str, expect_type: int) -> bytes:
    d = r.dump(key)
    assert isinstance(d, bytes)
    t, value = _split_dump(d)
    assert t == expect_type
    blob, end = read_rdb_string(value, 0)
    assert end == len(value)
    return blob


HASH_VALUES = [b"v", b"1", b"-1", b"300", b"-5000", b"70000", b"9000000000", b"-9223372036854775808", b"007",
               b"3.14", b"x" * 63, b"y" * 64, b"z" * 5000, b"", b"\x00\xff"]


def test_oracle_dump_trailer_crc(lp_redis: redis.Redis) -> None:
    r = lp_redis
    r.set("s:crc", "hello")
    r.rpush("l:crc", *range(50))
    r.sadd("set:crc", *(f"m{i}" for i in range(200)))
    for key in ("s:crc", "l:crc", "set:crc"):
        d = r.dump(key)
        assert isinstance(d, bytes)
        _split_dump(d)


def test_oracle_strings_encode_like_redis(lp_redis: redis.Redis) -> None:
    r = lp_redis
    rng = random.Random(9)
    values = [b"12", b"-129", b"2147483648", b"007", b"", b"a" * 21, b"a" * 20, b"hello world " * 20]
    values += [_sample(rng, rng.randint(1, 2000)) for _ in range(150)]
    for v in values:
        r.set("s:enc", v)
        d = r.dump("s:enc")
        assert isinstance(d, bytes)
        t, value = _split_dump(d)
        assert t == RDB_TYPE_STRING
        assert read_rdb_string(value, 0) == (v, len(value))
        assert encode_rdb_string(v) == value, v[:40]


def test_oracle_hash_listpack(lp_redis: redis.Redis) -> None:
    r = lp_redis
    r.delete("h:lp")
    fields = [b"f%d" % i for i in range(len(HASH_VALUES))] + [b"12", b"-7", b"big" * 30]
    values = HASH_VALUES + [b"a", b"b", b"c"]
    for f, v in zip(fields, values, strict=True):
        r.hset("h:lp", f, v)
    assert r.object("encoding", "h:lp") == b"listpack"
    blob = _dump_blob(r, "h:lp", RDB_TYPE_HASH_LISTPACK)
    entries = listpack_entries(blob)
    flat = [x for pair in zip(fields, values, strict=True) for x in pair]
    assert entries == flat
    got = r.hgetall("h:lp")
    assert dict(zip(entries[::2], entries[1::2], strict=True)) == got
    assert listpack_encode(flat) == blob


def test_oracle_random_hashes_and_lists_encode_like_redis(lp_redis: redis.Redis) -> None:
    r = lp_redis
    rng = random.Random(11)
    bounds = [127, 128, 4095, 4096, 32767, 32768, 2**23 - 1, 2**23, 2**31 - 1, 2**31, 2**63 - 1]

    def value() -> bytes:
        k = rng.randrange(4)
        if k == 0:
            b = rng.choice(bounds)
            return b"%d" % rng.choice([b, -b, -b - 1, rng.randint(-b, b)])
        if k == 1:
            return rng.choice([b"0", b"-0", b"01", b"+7", b"1e3", b" 5", b"-"])
        return rng.randbytes(rng.choice([0, 1, 10, 63, 64, 65, 300]))

    for i in range(15):
        key = f"h:rnd{i}"
        r.delete(key)
        flat: list[bytes] = []
        seen: set[bytes] = set()
        for _ in range(rng.randint(1, 40)):
            f, v = value(), value()
            if f in seen:
                continue
            seen.add(f)
            flat += [f, v]
            r.hset(key, f, v)
        blob = _dump_blob(r, key, RDB_TYPE_HASH_LISTPACK)
        assert listpack_entries(blob) == flat
        assert listpack_encode(flat) == blob
    r.delete("l:rnd")
    items = [value() for _ in range(100)]
    r.rpush("l:rnd", *items)
    d = r.dump("l:rnd")
    assert isinstance(d, bytes)
    _t, v = _split_dump(d)
    nodes, pos, _enc = read_rdb_length(v, 0)
    assert nodes == 1
    _container, pos, _enc = read_rdb_length(v, pos)
    blob, _pos = read_rdb_string(v, pos)
    assert listpack_encode(items) == blob
    assert listpack_entries(bytearray(blob)) == items
    assert listpack_entries(memoryview(b"xx" + blob)[2:]) == items


def test_oracle_hash_listpack_over_65535_elements(lp_redis: redis.Redis) -> None:
    # Filling such a hash with HSET is quadratic on the server, so the blob goes in through RESTORE: Redis
    # accepts the "unknown count" header and DUMPs the very same bytes back.
    r = lp_redis
    pairs = {b"%d" % i: b"v%d" % (i % 300) for i in range(33_000)}
    flat = [x for kv in pairs.items() for x in kv]
    blob = listpack_encode(flat)
    assert blob[4:6] == b"\xff\xff"
    r.restore("h:big", 0, _dump_payload(RDB_TYPE_HASH_LISTPACK, encode_rdb_string(blob)), replace=True)
    assert r.object("encoding", "h:big") == b"listpack"
    assert r.hlen("h:big") == 33_000
    assert r.hget("h:big", "32999") == b"v%d" % (32999 % 300)
    assert _dump_blob(r, "h:big", RDB_TYPE_HASH_LISTPACK) == blob
    assert listpack_entries(blob) == flat


def test_oracle_zset_listpack(lp_redis: redis.Redis) -> None:
    r = lp_redis
    r.delete("z:lp")
    r.zadd("z:lp", {"a": 1, "b": 2.5, "c": -3, "d": 1e15, "e": 0.1, "f": 1234567, "12": 7, "g" * 80: 1 / 3,
                    "h": -0.0, "i": 4096, "j": 1e300, "k": float("inf")})
    assert r.object("encoding", "z:lp") == b"listpack"
    blob = _dump_blob(r, "z:lp", RDB_TYPE_ZSET_LISTPACK)
    entries = listpack_entries(blob)
    raw = _raw(r, "ZRANGE", "z:lp", 0, -1, "WITHSCORES")
    assert entries[::2] == raw[::2]
    assert [float(x) for x in entries[1::2]] == [float(x) for x in raw[1::2]]
    assert listpack_encode(entries) == blob


def test_oracle_set_intset(lp_redis: redis.Redis) -> None:
    r = lp_redis
    for key, members, width in (("i:16", [5, -3, 0, 32767, -32768], 2), ("i:32", [1, 70000, -2**31], 4),
                                ("i:64", [1, 2**40, -(2**63), 2**63 - 1], 8)):
        r.delete(key)
        r.sadd(key, *members)
        assert r.object("encoding", key) == b"intset"
        blob = _dump_blob(r, key, RDB_TYPE_SET_INTSET)
        assert blob[:4] == width.to_bytes(4, "little")
        got = intset_members(blob)
        assert got == sorted(int(x) for x in r.smembers(key))
        assert intset_encode(members) == blob


def test_oracle_list_quicklist(lp_redis: redis.Redis) -> None:
    r = lp_redis
    r.delete("l:ql")
    rng = random.Random(10)
    items = [rng.choice([b"%d" % rng.randint(-10**12, 10**12), b"s" * rng.randint(0, 200), b"x"])
             for _ in range(3000)]
    with r.pipeline(transaction=False) as p:
        for k in range(0, len(items), 500):
            p.rpush("l:ql", *items[k:k + 500])
        p.lpush("l:ql", b"head1", b"head2")
        p.execute()
    d = r.dump("l:ql")
    assert isinstance(d, bytes)
    t, value = _split_dump(d)
    assert t == RDB_TYPE_LIST_QUICKLIST_2
    nodes, pos, enc = read_rdb_length(value, 0)
    assert not enc and nodes > 1
    got: list[bytes] = []
    for _ in range(nodes):
        container, pos, _enc = read_rdb_length(value, pos)
        assert container == 2                          # QUICKLIST_NODE_CONTAINER_PACKED
        blob, pos = read_rdb_string(value, pos)
        node = listpack_entries(blob)
        assert listpack_encode(node) == blob
        got += node
    assert pos == len(value)
    assert got == r.lrange("l:ql", 0, -1)


def test_oracle_restore_ziplists(lp_redis: redis.Redis) -> None:
    """Ziplists built here are accepted by redis-server's RESTORE (with sanitize-dump-payload yes) and read
    back as ziplist_entries reads them."""
    r = lp_redis
    zl_list = _ziplist(ZL_ITEMS)
    quicklist_v1 = encode_rdb_length(1) + encode_rdb_string(zl_list)
    r.delete("zl:l", "zl:h", "zl:z")
    r.restore("zl:l", 0, _dump_payload(14, quicklist_v1))     # RDB_TYPE_LIST_QUICKLIST
    assert r.lrange("zl:l", 0, -1) == ziplist_entries(zl_list)
    hash_items = [b"f1", b"1", b"f2", b"-300", b"f3", b"x" * 100, b"9", b"nine"]
    zl_hash = _ziplist(hash_items)
    r.restore("zl:h", 0, _dump_payload(RDB_TYPE_HASH_ZIPLIST, encode_rdb_string(zl_hash)))
    entries = ziplist_entries(zl_hash)
    assert r.hgetall("zl:h") == dict(zip(entries[::2], entries[1::2], strict=True))
    zset_items = [b"a", b"1", b"b", b"2.5", b"c", b"100000"]
    zl_zset = _ziplist(zset_items)
    r.restore("zl:z", 0, _dump_payload(RDB_TYPE_ZSET_ZIPLIST, encode_rdb_string(zl_zset)))
    entries = ziplist_entries(zl_zset)
    assert _raw(r, "ZRANGE", "zl:z", 0, -1, "WITHSCORES") == entries
    # A ziplist corrupt enough for ziplist_entries is refused by Redis too.
    bad = zl_hash[:8] + b"\x07\x00" + zl_hash[10:]
    with pytest.raises(ValueError):
        ziplist_entries(bad)
    with pytest.raises(redis.ResponseError):
        r.restore("zl:bad", 0, _dump_payload(RDB_TYPE_HASH_ZIPLIST, encode_rdb_string(bad)))


def test_oracle_restore_zipmap(lp_redis: redis.Redis) -> None:
    r = lp_redis
    zm = _zipmap(ZM_PAIRS, free=2)
    r.delete("zm:h")
    r.restore("zm:h", 0, _dump_payload(RDB_TYPE_HASH_ZIPMAP, encode_rdb_string(zm)))
    flat = zipmap_pairs(zm)
    assert r.hgetall("zm:h") == dict(zip(flat[::2], flat[1::2], strict=True))


def test_oracle_restore_our_blobs(lp_redis: redis.Redis) -> None:
    """Blobs from listpack_encode / intset_encode load in redis-server exactly as intended."""
    r = lp_redis
    flat = [b"f%d" % i for i in range(10)]
    hash_flat = [x for i, f in enumerate(flat) for x in (f, HASH_VALUES[i])]
    r.delete("ours:h", "ours:s", "ours:l")
    r.restore("ours:h", 0, _dump_payload(RDB_TYPE_HASH_LISTPACK, encode_rdb_string(listpack_encode(hash_flat))))
    assert r.hgetall("ours:h") == dict(zip(hash_flat[::2], hash_flat[1::2], strict=True))
    r.restore("ours:s", 0, _dump_payload(RDB_TYPE_SET_INTSET, encode_rdb_string(intset_encode([9, -2, 2**40]))))
    assert r.smembers("ours:s") == {b"9", b"-2", b"%d" % 2**40}
    node = listpack_encode([b"a", b"12", b"b" * 100])
    ql = encode_rdb_length(1) + encode_rdb_length(2) + encode_rdb_string(node)
    r.restore("ours:l", 0, _dump_payload(RDB_TYPE_LIST_QUICKLIST_2, ql))
    assert r.lrange("ours:l", 0, -1) == [b"a", b"12", b"b" * 100]


@pytest.mark.parametrize(("what", "blob"), _corrupt_listpacks()[1:], ids=[c[0] for c in _corrupt_listpacks()[1:]])
def test_oracle_redis_refuses_corrupt_listpacks_too(lp_redis: redis.Redis, what: str, blob: bytes) -> None:
    with pytest.raises(redis.ResponseError):
        lp_redis.restore("lp:bad", 0, _dump_payload(RDB_TYPE_HASH_LISTPACK, encode_rdb_string(blob)),
                         replace=True)


def test_crc64_and_lzf_on_large_buffers() -> None:
    data = os.urandom(1 << 20) * 3
    assert crc64(0, data) == crc64(crc64(0, data[:12345]), data[12345:])
