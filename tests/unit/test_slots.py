"""Unit tests for _speedups.slots: CRC16-XMODEM (cross-checked with crcmod) and cluster hash-tag slots."""

from __future__ import annotations

import random

import pytest

from pyredcache._speedups.slots import crc16, key_hash_slot

crcmod_predefined = pytest.importorskip("crcmod.predefined")


def test_crc16_published_check_value() -> None:
    assert crc16(b"123456789") == 0x31C3


def test_crc16_empty_is_zero() -> None:
    assert crc16(b"") == 0


def test_crc16_accepts_bytes_like() -> None:
    assert crc16(bytearray(b"123456789")) == 0x31C3
    assert crc16(memoryview(b"xx123456789")[2:]) == 0x31C3


def test_crc16_matches_crcmod_xmodem_on_random_inputs() -> None:
    ref = crcmod_predefined.mkCrcFun("xmodem")
    rng = random.Random(16384)
    for _ in range(2000):
        data = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 64)))
        assert crc16(data) == ref(data), data


# Values from redis-server 7.0.15 CLUSTER KEYSLOT.
@pytest.mark.parametrize(
    ("key", "slot"),
    [
        (b"foo", 12182),
        (b"bar", 5061),
        (b"hello", 866),
        (b"123456789", 12739),
        (b"user:1000", 1649),
        (b"", 0),
        (b"{user1000}.following", 3443),
        (b"{user1000}.followers", 3443),
        (b"foo{bar}{zap}", 5061),  # first tag only: hashes "bar"
        (b"foo{}{bar}", 8363),  # empty first tag: whole key hashed
        (b"foo{{bar}}zap", 4015),  # tag is "{bar"
        (b"{}", 15257),
        (b"{", 4092),
        (b"}", 12090),
        (b"a{b", 13340),  # unterminated tag: whole key
        (b"{a}", 15495),
        (b"a}b{c}", 7365),  # '}' before the '{' does not count
    ],
)
def test_key_hash_slot_known_values(key: bytes, slot: int) -> None:
    assert key_hash_slot(key) == slot


def test_key_hash_slot_hash_tag_groups_keys() -> None:
    assert key_hash_slot(b"{user1000}.following") == key_hash_slot(b"{user1000}.followers")
    assert key_hash_slot(b"x{tag}y") == key_hash_slot(b"tag")
    assert key_hash_slot(b"a{tag}") == key_hash_slot(b"zzz{tag}zzz{other}")


def test_key_hash_slot_is_crc16_masked() -> None:
    rng = random.Random(7)
    for _ in range(500):
        key = bytes(rng.choice(b"abc{}xyz") for _ in range(rng.randint(0, 12)))
        start = key.find(b"{")
        end = key.find(b"}", start + 1) if start >= 0 else -1
        hashed = key[start + 1 : end] if start >= 0 and end > start + 1 else key
        assert key_hash_slot(key) == crc16(hashed) & 16383
        assert 0 <= key_hash_slot(key) < 16384


def test_key_hash_slot_rejects_non_bytes() -> None:
    with pytest.raises(TypeError):
        key_hash_slot("foo")  # type: ignore[arg-type]
