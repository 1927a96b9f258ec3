"""Unit tests for _speedups.numbers.string2ll and args.parse_int: the C parser must accept and reject exactly
what the former pure-Python parser (int() plus a decimal round trip and a 64-bit range check) did."""

from __future__ import annotations

import random

import pytest

from pyredcache import errors
from pyredcache._speedups.numbers import string2ll
from pyredcache.commands.args import parse_int, try_parse_int
from pyredcache.datatypes.encoding import string_int_value
from pyredcache.datatypes.sets import is_int_member
from pyredcache.errors import ReplyError

LLONG_MAX = (1 << 63) - 1
LLONG_MIN = -(1 << 63)


def reference(raw: bytes | bytearray) -> int | None:
    """The previous implementation of args.parse_int, kept as the specification."""
    try:
        value = int(raw)
    except ValueError:
        return None
    if b"%d" % value != raw or not LLONG_MIN <= value <= LLONG_MAX:
        return None
    return value


EDGES = [
    b"", b"0", b"-0", b"+0", b"00", b"-00", b"1", b"-1", b"+1", b"01", b"-01", b"007", b" 1", b"1 ", b"\t1",
    b"1\n", b"\n1", b"1_000", b"1e3", b"1.0", b"1.", b".1", b"-", b"--1", b"+", b"+-1", b"-+1", b"0x10",
    b"0b1", b"0o7", b"\x001", b"1\x00", b"12\x0034", b"\x00", b"\xd9\xa1", b"\xef\xbc\x91", b"a", b"1a",
    b"a1", b"9223372036854775807", b"9223372036854775808", b"-9223372036854775808", b"-9223372036854775809",
    b"09223372036854775807", b"-09223372036854775808", b"18446744073709551615", b"18446744073709551616",
    b"18446744073709551620", b"99999999999999999999", b"-99999999999999999999", b"100000000000000000000",
    b"-18446744073709551616", b"-18446744073709551615", b"12345678901234567890", b"1234567890123456789",
    b"-1234567890123456789", b"\xff", b"1" * 21, b"-" + b"1" * 20, b"1" * 19, b"-" + b"1" * 19,
]


def _random_inputs(n: int) -> list[bytes]:
    rng = random.Random(20261127)
    alphabet = b"0123456789-+ _.e\x00\t\nx"
    out: list[bytes] = []
    for _ in range(n):
        kind = rng.randrange(5)
        if kind == 0:
            out.append(b"%d" % rng.randint(LLONG_MIN - 1000, LLONG_MAX + 1000))
        elif kind == 1:
            out.append(b"%d" % rng.randint(-(1 << 70), 1 << 70))
        elif kind == 2:
            out.append(b"%d" % rng.randint(-1000, 1000))
        elif kind == 3:
            out.append(bytes(rng.choice(alphabet) for _ in range(rng.randrange(0, 24))))
        else:
            # A canonical number with one byte changed, inserted or dropped.
            s = bytearray(b"%d" % rng.randint(LLONG_MIN, LLONG_MAX))
            pos = rng.randrange(len(s) + 1)
            op = rng.randrange(3)
            if op == 0 and pos < len(s):
                s[pos] = rng.choice(alphabet)
            elif op == 1:
                s.insert(pos, rng.choice(alphabet))
            elif pos < len(s):
                del s[pos]
            out.append(bytes(s))
    return out


ALL_INPUTS = EDGES + [b"%d" % v for v in range(-300, 301)] + _random_inputs(40000)


def test_string2ll_matches_reference_bytes() -> None:
    mismatches = [raw for raw in ALL_INPUTS if string2ll(raw) != reference(raw)]
    assert mismatches == []


def test_string2ll_matches_reference_bytearray() -> None:
    mismatches = [raw for raw in ALL_INPUTS if string2ll(bytearray(raw)) != reference(bytearray(raw))]
    assert mismatches == []


def test_every_width_and_the_64_bit_edges() -> None:
    for digits in range(1, 21):
        for value in (10 ** (digits - 1), 10 ** digits - 1):
            for v in (value, -value):
                raw = b"%d" % v
                assert string2ll(raw) == reference(raw), raw
    for v in (LLONG_MAX, LLONG_MAX - 1, LLONG_MIN, LLONG_MIN + 1):
        assert string2ll(b"%d" % v) == v
    for v in (LLONG_MAX + 1, LLONG_MIN - 1, 1 << 64, -(1 << 64)):
        assert string2ll(b"%d" % v) is None


def test_parse_int_and_try_parse_int_follow_string2ll() -> None:
    for raw in ALL_INPUTS[:5000]:
        expected = reference(raw)
        assert try_parse_int(raw) == expected
        assert try_parse_int(bytearray(raw)) == expected
        if expected is None:
            with pytest.raises(ReplyError) as info:
                parse_int(raw, errors.NOT_INTEGER)
            assert str(info.value) == str(ReplyError(errors.NOT_INTEGER))
        else:
            assert parse_int(raw) == expected


def test_parse_int_keeps_the_callers_error() -> None:
    with pytest.raises(ReplyError) as info:
        parse_int(b"+5", errors.MUST_BE_POSITIVE)
    assert str(info.value) == str(ReplyError(errors.MUST_BE_POSITIVE))


def test_other_types_take_the_generic_path() -> None:
    with pytest.raises(TypeError):
        string2ll("12")  # type: ignore[arg-type]
    # str was never a canonical byte string: the round trip rejected it.
    assert try_parse_int("12") is None  # type: ignore[arg-type]
    with pytest.raises(ReplyError):
        parse_int("12")  # type: ignore[arg-type]


def test_datatype_helpers_follow_the_reference() -> None:
    for raw in ALL_INPUTS:
        expected = reference(raw)
        assert string_int_value(raw) == expected
        assert is_int_member(raw) == (expected is not None)
    assert string_int_value(bytearray(b"-42")) == -42
