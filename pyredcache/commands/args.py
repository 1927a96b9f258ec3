"""Argument parsing helpers that raise Redis's exact errors (integers, floats, ranges, options)."""
from __future__ import annotations

import math

from .. import errors
from .._speedups.numbers import string2ll
from ..datatypes.longdouble import parse_long_double
from ..errors import ReplyError

LLONG_MAX = (1 << 63) - 1
LLONG_MIN = -(1 << 63)


def _parse_int_generic(raw: bytes | bytearray, error: str) -> int:
    """parse_int for inputs string2ll does not take (not bytes or bytearray): int() plus a round trip."""
    try:
        value = int(raw)
    except ValueError:
        raise ReplyError(error) from None
    # int() is laxer than Redis (spaces, '+', '_', leading zeros): the round trip rejects those.
    if b"%d" % value != raw or not LLONG_MIN <= value <= LLONG_MAX:
        raise ReplyError(error)
    return value


def parse_int(raw: bytes, error: str = errors.NOT_INTEGER) -> int:
    """string2ll: optional '-', digits, no '+', no spaces, no leading zeros, fits in a signed 64-bit int."""
    try:
        value = string2ll(raw)
    except TypeError:
        return _parse_int_generic(raw, error)
    if value is None:
        raise ReplyError(error)
    return value


def try_parse_int(raw: bytes | bytearray) -> int | None:
    """parse_int without raising (None when raw is not a canonical 64-bit integer)."""
    try:
        return string2ll(raw)
    except TypeError:
        pass
    try:
        return _parse_int_generic(raw, errors.NOT_INTEGER)
    except ReplyError:
        return None


def parse_nonneg_int(raw: bytes, error: str) -> int:
    value = parse_int(raw)
    if value < 0:
        raise ReplyError(error)
    return value


def parse_float(raw: bytes | bytearray, error: str = errors.NOT_FLOAT) -> float:
    """strtod as Redis uses it: no surrounding spaces, no NaN, 'inf'/'-inf' allowed."""
    if not raw or raw[0] in b" \t\r\n\v\f" or raw[-1] in b" \t\r\n\v\f" or b"_" in raw:
        raise ReplyError(error)
    try:
        value = float(raw)
    except ValueError:
        raise ReplyError(error) from None
    if math.isnan(value):
        raise ReplyError(error)
    return value


def parse_timeout_seconds(raw: bytes) -> float:
    """Blocking command timeouts (getTimeoutFromObjectOrReply with UNIT_SECONDS)."""
    # string2ld (strtold) decides what is a number: it also reads hex floats, refuses overflow/underflow.
    ld = parse_long_double(raw)
    if ld is None:
        raise ReplyError(errors.TIMEOUT_NOT_FLOAT)
    value = float.fromhex(raw.decode()) if b"x" in raw or b"X" in raw else float(raw)
    if value == 0.0 and ld[0] > 0:
        value = 5e-324      # positive but below double range (1e-400): still rounds up to 1 ms
    # Redis rounds up to whole milliseconds in a long long: a tiny negative value becomes 0 (forever), and
    # one that overflows (inf included) lands on LLONG_MIN, hence "negative".
    ms = value * 1000.0
    if math.isinf(ms) or ms >= 9.223372036854775807e18:
        raise ReplyError(errors.TIMEOUT_NEGATIVE)
    whole_ms = math.ceil(ms)
    if whole_ms < 0:
        raise ReplyError(errors.TIMEOUT_NEGATIVE)
    return whole_ms / 1000.0


def upper(raw: bytes) -> bytes:
    return raw.upper()
