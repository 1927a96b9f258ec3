"""Unit tests for the replication stream's pure parts: the backlog's offsets and trimming, and the command
encoding the stream carries (the interop and stream-oracle tests check the same bytes against redis-server)."""

from __future__ import annotations

import random

import pytest
from pyredcache._speedups.resp import encode_command

from pyredcache.replication.backlog import Backlog


def _reference(argv: list[bytes]) -> bytes:
    return b"*%d\r\n" % len(argv) + b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in argv)


def test_encode_command_matches_resp_multibulk() -> None:
    rng = random.Random(5)
    cases = [[b"PING"], [b"SET", b"k", b""], [b"SET", b"k\r\n", b"\x00\xff" * 600]]
    cases += [[bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40))) for _ in range(rng.randrange(1, 12))]
              for _ in range(200)]
    for argv in cases:
        assert encode_command(argv) == _reference(argv)
    assert encode_command([b"APPEND", bytearray(b"ab")]) == _reference([b"APPEND", b"ab"])
    with pytest.raises(TypeError):
        encode_command([b"SET", "text"])


def test_backlog_offsets_follow_redis() -> None:
    # A backlog created when master_repl_offset is 100 starts at offset 101 (the next byte).
    b = Backlog(10, 101)
    assert b.histlen == 0 and b.covers(101) and not b.covers(102) and not b.covers(100)
    b.append(b"abcdef")                     # offsets 101..106
    assert b.covers(101) and b.covers(107) and not b.covers(108)
    assert b.since(104) == b"def" and b.since(107) == b""
    b.append(b"ghijkl")                     # 12 bytes fed, 10 kept: 103..112
    assert b.first_byte_offset == 103 and b.histlen == 10
    assert not b.covers(102) and b.since(103) == b"cdefghijkl"
    b.resize(4)
    assert b.first_byte_offset == 109 and b.since(109) == b"ijkl"


def test_backlog_keeps_exactly_the_last_size_bytes() -> None:
    rng = random.Random(9)
    b = Backlog(1000, 1)
    fed = bytearray()
    for _ in range(500):
        chunk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 50)))
        b.append(chunk)
        fed += chunk
        start = max(1, len(fed) - 1000 + 1)
        assert b.first_byte_offset == start and b.since(start) == bytes(fed[start - 1:])
