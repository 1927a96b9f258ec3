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


def parse_mpop_args(argv: list[bytes], numkeys_idx: int, ends: dict[bytes, bool]) -> tuple[list[bytes], bool, int]:
    """LMPOP/ZMPOP and their blocking forms: numkeys key [key ...] END [COUNT count], from numkeys_idx on.

    `ends` maps the upper-cased end words (LEFT/RIGHT, MIN/MAX) to the flag returned: (keys, flag, count).
    """
    numkeys = parse_int(argv[numkeys_idx], errors.NUMKEYS_NOT_POSITIVE)
    if not 1 <= numkeys <= LLONG_MAX:
        raise ReplyError(errors.NUMKEYS_NOT_POSITIVE)
    where_idx = numkeys_idx + numkeys + 1
    n_args = len(argv)
    if where_idx >= n_args:
        raise ReplyError(errors.SYNTAX)
    flag = ends.get(argv[where_idx].upper())
    if flag is None:
        raise ReplyError(errors.SYNTAX)
    count = -1
    j = where_idx + 1
    while j < n_args:
        if count == -1 and j + 1 < n_args and argv[j].upper() == b"COUNT":
            j += 1
            count = parse_int(argv[j], errors.COUNT_NOT_POSITIVE)
            if count < 1:
                raise ReplyError(errors.COUNT_NOT_POSITIVE)
        else:
            raise ReplyError(errors.SYNTAX)
        j += 1
    return argv[numkeys_idx + 1:where_idx], flag, (1 if count == -1 else count)
