"""x87 80-bit long double arithmetic for INCRBYFLOAT/HINCRBYFLOAT: exact parse, add and format.

Pure functions on exact (mantissa, exponent) pairs, so results match Redis's `long double` digits.
"""
from __future__ import annotations

import re

# ------------------------------------------------------------------------------ x87 long double arithmetic
# Redis's INCRBYFLOAT works in `long double`: on x86-64 the 80-bit x87 format (64-bit significand,
# exponents down to subnormal 2**-16445, values below 2**16384). Values here are exact pairs (m, e) meaning
# m * 2**e with |m| < 2**64; e == _LD_INF marks an infinity (sign of m). Parsing follows strtold (correctly
# rounded, hex floats, inf/infinity; Redis rejects NaN, overflow and underflow to zero); printing follows
# glibc's %.17Lf (exact, ties to even) with Redis's trailing-zero stripping (ld2string LD_STR_HUMAN).

LD_ZERO = (0, 0)
_LD_INF = 1 << 40
_LD_BITS = 64
_LD_MIN_EXP = -16445          # the smallest subnormal is 2**-16445
_LD_LIMIT_BITS = 16384        # finite values are below 2**16384
_MAX_LD_CHARS = 5 * 1024      # MAX_LONG_DOUBLE_CHARS: string2ld refuses longer input
_CHUNK = 4000                 # digits per int<->str step (Python refuses more than 4300 at once)
_CHUNK_POWER: int = 10 ** _CHUNK
_TEN17: int = 10 ** 17

_DEC_RE = re.compile(rb"([+-]?)(?:([0-9]+)(?:\.([0-9]*))?|\.([0-9]+))(?:[eE]([+-]?[0-9]+))?")
_HEX_RE = re.compile(
    rb"([+-]?)0[xX](?:([0-9a-fA-F]+)(?:\.([0-9a-fA-F]*))?|\.([0-9a-fA-F]+))(?:[pP]([+-]?[0-9]+))?"
)
_INF_RE = re.compile(rb"([+-]?)(?:inf|infinity)", re.IGNORECASE)


def _ld_round(num: int, den: int, exp2: int) -> tuple[int, int] | None:
    """num/den * 2**exp2 (num, den > 0) rounded to nearest-even in the x87 format.

    None on overflow; (0, e) when it underflows to zero.
    """
    shift = _LD_BITS + 2 - (num.bit_length() - den.bit_length())
    if shift > 0:
        q, r = divmod(num << shift, den)
    else:
        q, r = divmod(num, den << -shift)
    e = exp2 - shift
    drop = q.bit_length() - _LD_BITS
    if e + drop < _LD_MIN_EXP:
        drop = _LD_MIN_EXP - e        # subnormal: fewer significant bits
    low = q & ((1 << drop) - 1)
    half = 1 << (drop - 1)
    q >>= drop
    e += drop
    if low > half or (low == half and (r or q & 1)):
        q += 1
        if q.bit_length() > _LD_BITS:
            q >>= 1
            e += 1
    if q.bit_length() + e > _LD_LIMIT_BITS:
        return None
    return q, e


def _digits_to_int(digits: bytes) -> int:
    if len(digits) <= _CHUNK:
        return int(digits)
    return _digits_to_int(digits[:-_CHUNK]) * _CHUNK_POWER + int(digits[-_CHUNK:])


def _int_to_digits(value: int) -> bytes:
    if value < _CHUNK_POWER:
        return b"%d" % value
    high, low = divmod(value, _CHUNK_POWER)
    return _int_to_digits(high) + b"%0*d" % (_CHUNK, low)


def _exponent(raw: bytes | None) -> int:
    if not raw:
        return 0
    sign = -1 if raw[:1] == b"-" else 1
    digits = raw.lstrip(b"+-").lstrip(b"0")
    if len(digits) > 9:
        return sign * 10 ** 9      # far past any finite or nonzero long double
    return sign * int(digits or b"0")


def parse_long_double(raw: bytes | bytearray) -> tuple[int, int] | None:
    """string2ld: the long double a string spells, or None if Redis would say "not a valid float"."""
    if not raw or len(raw) >= _MAX_LD_CHARS:
        return None
    raw = bytes(raw)
    m = _DEC_RE.fullmatch(raw)
    if m is not None:
        sign, whole, frac, only_frac, exp = m.groups()
        if only_frac is not None:
            whole, frac = b"", only_frac
        frac = frac or b""
        digits = (whole + frac).lstrip(b"0")
        k = _exponent(exp) - len(frac)
        stripped = digits.rstrip(b"0")
        k += len(digits) - len(stripped)
        digits = stripped
        if not digits:
            return LD_ZERO
        lead = len(digits) - 1 + k       # the value is in [10**lead, 10**(lead+1))
        if lead > 4932:
            return None                  # overflow (ERANGE, HUGE_VAL)
        if lead < -4952:
            return None                  # underflows to zero (ERANGE)
        mantissa = _digits_to_int(digits)
        if k >= 0:
            rounded = _ld_round(mantissa * 10 ** k, 1, 0)
        else:
            rounded = _ld_round(mantissa, 5 ** -k, k)
    else:
        m = _HEX_RE.fullmatch(raw)
        if m is None:
            inf = _INF_RE.fullmatch(raw)
            if inf is None:
                return None              # includes nan: Redis refuses it
            return (-1 if inf.group(1) == b"-" else 1), _LD_INF
        sign, whole, frac, only_frac, exp = m.groups()
        if only_frac is not None:
            whole, frac = b"", only_frac
        frac = frac or b""
        mantissa = int(whole + frac or b"0", 16)
        if not mantissa:
            return LD_ZERO
        e2 = _exponent(exp) - 4 * len(frac)
        if mantissa.bit_length() + e2 > _LD_LIMIT_BITS:
            return None
        if mantissa.bit_length() + e2 < _LD_MIN_EXP - 1:
            return None
        rounded = _ld_round(mantissa, 1, e2)
    if rounded is None or not rounded[0]:
        return None
    if sign == b"-":
        return -rounded[0], rounded[1]
    return rounded


def add_long_double(x: tuple[int, int], y: tuple[int, int]) -> tuple[int, int] | None:
    """x + y rounded to long double; None when the sum is infinite or NaN."""
    mx, ex = x
    my, ey = y
    if ex == _LD_INF or ey == _LD_INF:
        return None
    e = min(ex, ey)
    m = (mx << (ex - e)) + (my << (ey - e))
    if not m:
        return LD_ZERO
    rounded = _ld_round(abs(m), 1, e)
    if rounded is None:
        return None
    return (-rounded[0], rounded[1]) if m < 0 else rounded


def format_long_double(x: tuple[int, int]) -> bytes:
    """ld2string(LD_STR_HUMAN): %.17Lf, trailing zeros (and a bare '.') removed, "-0" printed as "0"."""
    m, e = x
    negative = m < 0
    m = abs(m)
    if e >= 0:
        text = _int_to_digits(m << e)
    else:
        den = 1 << -e
        q, r = divmod(m * _TEN17, den)
        r <<= 1
        if r > den or (r == den and q & 1):
            q += 1
        whole, frac = divmod(q, _TEN17)
        text = _int_to_digits(whole)
        if frac:
            text += (b".%017d" % frac).rstrip(b"0")
    if negative and text != b"0":
        return b"-" + text
    return text
