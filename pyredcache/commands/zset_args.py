"""Sorted-set argument parsing shared by the zset command modules: scores (strtod as Redis calls it), score
ranges ("(1.5", "-inf"), lex ranges ("[a", "(b", "-", "+") and rank indexes, with Redis 7.0's exact errors."""
from __future__ import annotations

import math
import re

from .. import errors
from ..datatypes.zsets import LEX_NEG_INF, LEX_POS_INF, LexBound, ScoreRange
from ..errors import ReplyError

# strtod's grammar after its leading white space: decimal, hexadecimal (C99), inf/infinity, nan[(...)].
_DECIMAL = re.compile(rb"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_HEX = re.compile(rb"([+-]?)0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?)")
_INF = re.compile(rb"([+-]?)(?:inf|infinity)", re.IGNORECASE)
_NAN = re.compile(rb"[+-]?nan(?:\([0-9A-Za-z_]*\))?", re.IGNORECASE)
_SPACE = b" \t\n\v\f\r"
_NONZERO_DIGIT = re.compile(rb"[1-9a-fA-F]")
# A decimal zero with no non-zero digit before its exponent: strtod reads it as (-)0 without ERANGE.
_PLAIN_ZERO = re.compile(rb"[+-]?(?:0+\.?0*|\.0+)(?:[eE][+-]?[0-9]+)?")


def strtod(raw: bytes) -> tuple[float, bool] | None:
    """C strtod over the whole of `raw` (leading white space allowed, as strtod skips it).

    Returns (value, erange) or None when raw is not entirely one number. erange is strtod's ERANGE: the value
    overflowed to +-inf or underflowed to zero.
    """
    # A NUL ends the C string: strtod never looks past it.
    nul = raw.find(b"\0")
    if nul >= 0:
        raw = raw[:nul]
    if not raw:
        return 0.0, False   # no conversion, but the end pointer already sits on the terminator
    text = raw.lstrip(_SPACE)
    if _DECIMAL.fullmatch(text):
        value = float(text)
        mantissa = text.split(b"e")[0].split(b"E")[0]
    elif (m := _HEX.fullmatch(text)) is not None:
        body = m.group(2)
        if b"p" not in body and b"P" not in body:
            body += b"p0"
        try:
            value = float.fromhex((m.group(1) + b"0x" + body).decode())
        except OverflowError:
            return (-math.inf if m.group(1) == b"-" else math.inf), True
        mantissa = body.split(b"p")[0].split(b"P")[0]
    elif (m := _INF.fullmatch(text)) is not None:
        return (-math.inf if m.group(1) == b"-" else math.inf), False
    elif _NAN.fullmatch(text):
        return math.nan, False
    else:
        return None
    if math.isinf(value):
        return value, True
    if value == 0.0 and _NONZERO_DIGIT.search(mantissa):
        return value, True
    return value, False


def parse_score(raw: bytes, error: str = errors.NOT_FLOAT) -> float:
    """getDoubleFromObject: the whole string, no leading space, no NaN, no overflow/underflow (ERANGE)."""
    if raw.isdigit() and len(raw) < 300:
        # The usual score, a plain decimal integer: exact via int (cheaper than float(bytes)), rounded as
        # strtod rounds, and too short to overflow.
        return float(int(raw))
    try:
        value = float(raw)
    except ValueError:
        pass
    else:
        # float() and strtod agree on plain finite non-zero decimals and on plain zeros ("0", the usual
        # ZADD score); everything else (1e-400, 0_1, spaces, hex, inf, nan) takes the exact path.
        if value != 0.0:
            if value - value == 0.0 and raw[0] not in _SPACE and raw[-1] not in _SPACE and b"_" not in raw:
                return value
        elif _PLAIN_ZERO.fullmatch(raw):
            return value
    if not raw or raw[0] in _SPACE or b"\0" in raw:
        raise ReplyError(error)
    parsed = strtod(raw)
    if parsed is None or parsed[1] or math.isnan(parsed[0]):
        raise ReplyError(error)
    return parsed[0]


def _range_item(raw: bytes) -> tuple[float, bool]:
    exclusive = raw[:1] == b"("
    parsed = strtod(raw[1:] if exclusive else raw)
    if parsed is None or math.isnan(parsed[0]):
        raise ReplyError(errors.ZSET_MIN_MAX_NOT_FLOAT)
    return parsed[0], exclusive


def parse_score_range(raw_min: bytes, raw_max: bytes) -> ScoreRange:
    """zslParseRange: "(" marks an exclusive bound; inf/-inf allowed; NaN rejected."""
    lo, minex = _range_item(raw_min)
    hi, maxex = _range_item(raw_max)
    return ScoreRange(lo, hi, minex, maxex)


def _lex_item(raw: bytes) -> LexBound:
    first = raw[:1]
    if first == b"+" or first == b"-":
        # Redis checks the next C char is NUL: "+" alone (or followed by a NUL byte).
        if len(raw) > 1 and raw[1] != 0:
            raise ReplyError(errors.ZSET_LEX_RANGE)
        return LexBound(b"", False, LEX_POS_INF if first == b"+" else LEX_NEG_INF)
    if first == b"(":
        return LexBound(raw[1:], True)
    if first == b"[":
        return LexBound(raw[1:], False)
    raise ReplyError(errors.ZSET_LEX_RANGE)


def parse_lex_range(raw_min: bytes, raw_max: bytes) -> tuple[LexBound, LexBound]:
    """zslParseLexRange: "[x" inclusive, "(x" exclusive, "-" and "+" the ends."""
    return _lex_item(raw_min), _lex_item(raw_max)


def normalise_rank_range(start: int, end: int, length: int) -> tuple[int, int] | None:
    """Redis's rank-range rules (negative from the end, clamp); None when the range is empty."""
    if start < 0:
        start += length
    if end < 0:
        end += length
    if start < 0:
        start = 0
    if start > end or start >= length:
        return None
    if end >= length:
        end = length - 1
    return start, end
