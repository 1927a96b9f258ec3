"""Bitmap commands (Redis group "bitmap"): SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO.

They work on string values; in-place edits turn the value into a bytearray (OBJECT ENCODING raw), as Redis
unshares the string. Counting and searching run in C through int.from_bytes / bytes.lstrip, never per byte.
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from .. import errors
from ..errors import ReplyError
from ..keyspace.notify import Event, signal_write
from ..server.client import ClientFlag
from .args import parse_int
from .table import KeyFlag, command, key_range

if TYPE_CHECKING:
    from ..server.client import Client

_ONE = b":1\r\n"
_ZERO = b":0\r\n"
_MINUS_ONE = b":-1\r\n"
_STRING_EVENT = Event.STRING
_GENERIC_EVENT = Event.GENERIC

_U64 = (1 << 64) - 1
_NOT_TABLE = bytes(255 - i for i in range(256))

# BITFIELD overflow behaviours (BFOVERFLOW_*).
_WRAP = 0
_SAT = 1
_FAIL = 2
_OVERFLOW_TYPES = {b"wrap": _WRAP, b"sat": _SAT, b"fail": _FAIL}

# BITFIELD operations.
_GET = 0
_SET = 1
_INCRBY = 2


def _cstr_lower(raw: bytes) -> bytes:
    """An argument as strcasecmp sees it: lower-cased, cut at the first NUL."""
    if b"\x00" in raw:
        raw = raw.split(b"\x00", 1)[0]
    return raw.lower()


def _to_int64(value: int) -> int:
    """Reinterpret the low 64 bits of value as a signed 64-bit integer (C's wrap-around)."""
    value &= _U64
    return value - (1 << 64) if value >> 63 else value


def _bit_offset(c: Client, raw: bytes, bits: int = 0) -> int:
    """getBitOffsetFromArgument: a bit offset, or '#N' (N * bits) when bits > 0; bounded by proto-max-bulk-len."""
    use_hash = bits > 0 and raw[:1] == b"#"
    offset = parse_int(raw[1:] if use_hash else raw, errors.BIT_OFFSET)
    if use_hash:
        offset = _to_int64(offset * bits)
    if offset < 0 or ((offset >> 3) >= c.server.config["proto-max-bulk-len"]
                      and not c.flags & ClientFlag.PRIMARY):
        raise ReplyError(errors.BIT_OFFSET)
    return offset


def _writable_string(c: Client, key: bytes, max_bit: int) -> tuple[bytearray, bool]:
    """lookupStringForBitCommand: the key's value as a bytearray long enough to hold bit max_bit (created
    zero-filled when missing), and whether it was created or grown. Raises WRONGTYPE."""
    db = c.db
    need = (max_bit >> 3) + 1
    old = db.get_string_write(key)
    if old is None:
        buf = bytearray(need)
        db.set_key(key, buf)
        return buf, True
    if type(old) is bytearray:
        buf = old
    else:
        buf = bytearray(old)
        db.set_value(key, buf)      # keeps the TTL
    grown = len(buf) < need
    if grown:
        buf.extend(bytes(need - len(buf)))
    return buf, grown


# -------------------------------------------------------------------------------------------- SETBIT / GETBIT

@command("setbit", 4, "WRITE DENYOOM", keys=[key_range(1, "RW ACCESS UPDATE")], acl="@bitmap", group="bitmap",
         since="2.2.0", complexity="O(1)",
         summary="Sets or clears the bit at offset in the string value stored at key",
         args="key:key offset:integer value:integer")
def setbit_command(c: Client, argv: list[bytes]) -> None:
    """SETBIT key offset value"""
    offset = _bit_offset(c, argv[2])
    on = parse_int(argv[3], errors.BIT_VALUE)
    if on & ~1:
        raise ReplyError(errors.BIT_VALUE)
    key = argv[1]
    buf, changed = _writable_string(c, key, offset)
    byte = offset >> 3
    mask = 0x80 >> (offset & 7)
    old = buf[byte]
    was = 1 if old & mask else 0
    if changed or was != on:
        buf[byte] = (old | mask) if on else (old & ~mask)
        signal_write(c.server, c.db, key, b"setbit", _STRING_EVENT)
    c.out.raw(_ONE if was else _ZERO)


@command("getbit", 3, "READONLY FAST", keys=[key_range(1, "RO ACCESS")], acl="@bitmap", group="bitmap",
         since="2.2.0", complexity="O(1)",
         summary="Returns the bit value at offset in the string value stored at key",
         args="key:key offset:integer")
def getbit_command(c: Client, argv: list[bytes]) -> None:
    """GETBIT key offset"""
    offset = _bit_offset(c, argv[2])
    value = c.db.get_string_read(argv[1])
    byte = offset >> 3
    if value is None or byte >= len(value):
        c.out.raw(_ZERO)
        return
    c.out.raw(_ONE if value[byte] & (0x80 >> (offset & 7)) else _ZERO)


# ---------------------------------------------------------------------------------------- BITCOUNT / BITPOS

def _popcount(value: bytes | bytearray, start: int, end: int) -> int:
    """Set bits in value[start:end + 1] (C speed: one big integer, then int.bit_count)."""
    if start == 0 and end == len(value) - 1:
        return int.from_bytes(value, "big").bit_count()
    return int.from_bytes(memoryview(value)[start:end + 1], "big").bit_count()


def _unit_is_bit(raw: bytes) -> bool:
    unit = _cstr_lower(raw)
    if unit == b"bit":
        return True
    if unit == b"byte":
        return False
    raise ReplyError(errors.SYNTAX)


@command("bitcount", -2, "READONLY", keys=[key_range(1, "RO ACCESS")], acl="@bitmap", group="bitmap",
         since="2.6.0", complexity="O(N)", summary="Count set bits in a string",
         args="key:key [index:{start:integer end:integer [index_unit:{BYTE|BIT}]<7.0.0>}]",
         history=(("7.0.0", "Added the `BYTE|BIT` option."),))
def bitcount_command(c: Client, argv: list[bytes]) -> None:
    """BITCOUNT key [start end [BYTE|BIT]]"""
    value = c.db.get_string_read(argv[1])
    if value is None:            # Redis 7.0 answers 0 before looking at the other arguments
        c.out.raw(_ZERO)
        return
    argc = len(argv)
    size = len(value)
    if argc == 2:
        c.out.integer(_popcount(value, 0, size - 1) if size else 0)
        return
    if argc == 3 or argc > 5:   # a start without an end: syntax error before any integer parsing
        raise ReplyError(errors.SYNTAX)
    start = parse_int(argv[2])
    end = parse_int(argv[3])
    if start < 0 and end < 0 and start > end:   # answered before the unit is parsed, as bitcountCommand does
        c.out.raw(_ZERO)
        return
    is_bit = argc == 5 and _unit_is_bit(argv[4])
    total = size << 3 if is_bit else size
    if start < 0:
        start = max(total + start, 0)
    if end < 0:
        end = max(total + end, 0)
    if end >= total:
        end = total - 1
    if start > end:
        c.out.raw(_ZERO)
        return
    if not is_bit:
        c.out.integer(_popcount(value, start, end))
        return
    first_mask = ~((1 << (8 - (start & 7))) - 1) & 0xFF     # bits before start in the first byte
    last_mask = (1 << (7 - (end & 7))) - 1                  # bits after end in the last byte
    start >>= 3
    end >>= 3
    count = _popcount(value, start, end)
    count -= (value[start] & first_mask).bit_count() + (value[end] & last_mask).bit_count()
    c.out.integer(count)


def _find_bit(value: bytes | bytearray, start: int, count: int, bit: int) -> int:
    """redisBitpos over value[start:start + count]: the first bit equal to `bit`, relative to start; -1 when
    looking for 1 and none is there, count * 8 when looking for 0 and none is there."""
    chunk = memoryview(value)[start:start + count].tobytes() if (start or count != len(value)) else value
    rest = chunk.lstrip(b"\xff" if not bit else b"\x00")
    if not rest:
        return -1 if bit else count << 3
    byte = rest[0] if bit else rest[0] ^ 0xFF
    return ((count - len(rest)) << 3) + 8 - byte.bit_length()


@command("bitpos", -3, "READONLY", keys=[key_range(1, "RO ACCESS")], acl="@bitmap", group="bitmap",
         since="2.8.7", complexity="O(N)", summary="Find first bit set or clear in a string",
         args="key:key bit:integer [index:{start:integer [end_index:{end:integer "
              "[index_unit:{BYTE|BIT}]<7.0.0>}]}]",
         history=(("7.0.0", "Added the `BYTE|BIT` option."),))
def bitpos_command(c: Client, argv: list[bytes]) -> None:
    """BITPOS key bit [start [end [BYTE|BIT]]]"""
    bit = parse_int(argv[2])
    if bit != 0 and bit != 1:
        raise ReplyError(errors.BIT_ARGUMENT)
    value = c.db.get_string_read(argv[1])
    if value is None:            # an endless run of zero bits
        c.out.raw(_MINUS_ONE if bit else _ZERO)
        return
    argc = len(argv)
    size = len(value)
    end_given = False
    first_mask = last_mask = 0
    if argc == 3:
        start, end = 0, size - 1
    elif argc <= 6:
        total = size
        start = parse_int(argv[3])
        is_bit = argc == 6 and _unit_is_bit(argv[5])
        if argc >= 5:
            end = parse_int(argv[4])
            end_given = True
        else:
            end = (total << 3) + 7 if is_bit else total - 1
        if is_bit:
            total <<= 3
        if start < 0:
            start = max(total + start, 0)
        if end < 0:
            end = max(total + end, 0)
        if end >= total:
            end = total - 1
        if is_bit and start <= end:
            first_mask = ~((1 << (8 - (start & 7))) - 1) & 0xFF
            last_mask = (1 << (7 - (end & 7))) - 1
            start >>= 3
            end >>= 3
    else:
        raise ReplyError(errors.SYNTAX)
    if start > end:
        c.out.raw(_MINUS_ONE)
        return
    nbytes = end - start + 1
    pos_v, start, nbytes = _bitpos_masked(value, start, end, nbytes, bit, first_mask, last_mask)
    if end_given and bit == 0 and pos_v == nbytes << 3:
        c.out.raw(_MINUS_ONE)
        return
    if pos_v != -1:
        pos_v += start << 3
    c.out.integer(pos_v)


def _bitpos_masked(value: bytes | bytearray, start: int, end: int, nbytes: int, bit: int,
                   first_mask: int, last_mask: int) -> tuple[int, int, int]:
    """bitposCommand's search with BIT-unit edge masks: (pos relative to start, start, bytes) as they stand
    once a match or the end of the range is reached."""
    if first_mask:
        tmp = value[start] & ~first_mask & 0xFF if bit else value[start] | first_mask
        if last_mask and nbytes == 1:
            tmp = tmp & ~last_mask & 0xFF if bit else tmp | last_mask
        pos = _find_bit(bytes((tmp,)), 0, 1, bit)
        if nbytes == 1 or (pos != -1 and pos != 8):
            return (pos, start, nbytes)
        start += 1
        nbytes -= 1
    cur = nbytes - (1 if last_mask else 0)
    if cur > 0:
        pos = _find_bit(value, start, cur, bit)
        if nbytes == cur or (pos != -1 and pos != cur << 3):
            return (pos, start, nbytes)
        start += cur
        nbytes -= cur
    tmp = value[end] & ~last_mask & 0xFF if bit else value[end] | last_mask
    return (_find_bit(bytes((tmp,)), 0, 1, bit), start, nbytes)


# ------------------------------------------------------------------------------------------------- BITOP

@command("bitop", -4, "WRITE DENYOOM", keys=[key_range(2, "OW UPDATE"), key_range(3, "RO ACCESS", lastkey=-1)],
         acl="@bitmap", group="bitmap", since="2.6.0", complexity="O(N)",
         summary="Perform bitwise operations between strings",
         args="operation:string destkey:key key:key...")
def bitop_command(c: Client, argv: list[bytes]) -> None:
    """BITOP AND|OR|XOR|NOT destkey key [key ...]"""
    op = _cstr_lower(argv[1])
    if op not in (b"and", b"or", b"xor", b"not"):
        raise ReplyError(errors.SYNTAX)
    if op == b"not" and len(argv) != 4:
        raise ReplyError(errors.BITOP_NOT_ONE_KEY)
    db = c.db
    sources: list[bytes | bytearray] = []
    maxlen = 0
    for key in argv[3:]:
        value = db.get_string_read(key)
        if value is None:
            value = b""
        sources.append(value)
        if len(value) > maxlen:
            maxlen = len(value)
    dest = argv[2]
    if not maxlen:
        if db.delete(dest):
            signal_write(c.server, db, dest, b"del", _GENERIC_EVENT)
        c.out.raw(_ZERO)
        return
    if op == b"not":
        result = bytearray(sources[0].translate(_NOT_TABLE))
    else:
        acc = int.from_bytes(sources[0], "big") << ((maxlen - len(sources[0])) << 3)
        for value in sources[1:]:
            n = int.from_bytes(value, "big") << ((maxlen - len(value)) << 3)
            if op == b"and":
                acc &= n
            elif op == b"or":
                acc |= n
            else:
                acc ^= n
        result = bytearray(acc.to_bytes(maxlen, "big"))
    db.set_key(dest, result)
    signal_write(c.server, db, dest, b"set", _STRING_EVENT)
    c.out.integer(maxlen)


# ---------------------------------------------------------------------------------------------- BITFIELD

# Every valid type spelled canonically, so the common case is one dict lookup.
_TYPES: dict[bytes, tuple[bool, int]] = {
    **{b"i%d" % n: (True, n) for n in range(1, 65)}, **{b"u%d" % n: (False, n) for n in range(1, 64)},
}
_SUBCOMMANDS: dict[bytes, int] = {b"get": _GET, b"set": _SET, b"incrby": _INCRBY}
_SUBCOMMANDS.update({name.upper(): op for name, op in _SUBCOMMANDS.items()})


def _bitfield_type(raw: bytes) -> tuple[bool, int]:
    """getBitfieldTypeFromArgument: (signed, bits) from 'i1'..'i64' / 'u1'..'u63'."""
    known = _TYPES.get(raw)
    if known is not None:
        return known
    head = raw[:1]
    if head == b"i":
        signed = True
    elif head == b"u":
        signed = False
    else:
        raise ReplyError(errors.BITFIELD_TYPE)
    digits = raw[1:]
    if b"\x00" in digits:
        digits = digits.split(b"\x00", 1)[0]
    try:
        bits = parse_int(digits)
    except ReplyError:
        raise ReplyError(errors.BITFIELD_TYPE) from None
    if bits < 1 or bits > (64 if signed else 63):
        raise ReplyError(errors.BITFIELD_TYPE)
    return signed, bits


def _get_field(buf: bytes | bytearray, offset: int, bits: int) -> int:
    """The unsigned field of `bits` bits at bit `offset` (zero past the end of buf)."""
    first = offset >> 3
    nbytes = ((offset + bits - 1) >> 3) - first + 1
    chunk = buf[first:first + nbytes]
    word = int.from_bytes(chunk, "big") << ((nbytes - len(chunk)) << 3)
    return (word >> ((nbytes << 3) - (offset & 7) - bits)) & ((1 << bits) - 1)


def _set_field(buf: bytearray, offset: int, bits: int, value: int) -> None:
    first = offset >> 3
    nbytes = ((offset + bits - 1) >> 3) - first + 1
    shift = (nbytes << 3) - (offset & 7) - bits
    mask = ((1 << bits) - 1) << shift
    word = int.from_bytes(buf[first:first + nbytes], "big")
    word = (word & ~mask) | ((value << shift) & mask)
    buf[first:first + nbytes] = word.to_bytes(nbytes, "big")


def _signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value >> (bits - 1) else value


def _signed_overflow(value: int, incr: int, bits: int, owtype: int) -> tuple[int, int]:
    """checkSignedBitfieldOverflow: (overflow direction 1/-1/0, limit value) with C's int64 arithmetic."""
    fmax = (1 << 63) - 1 if bits == 64 else (1 << (bits - 1)) - 1
    fmin = -fmax - 1
    maxincr = _to_int64(fmax - value)
    minincr = _to_int64(fmin - value)
    if value > fmax or (bits != 64 and incr > maxincr) or (value >= 0 and incr > 0 and incr > maxincr):
        direction, limit = 1, fmax
    elif value < fmin or (bits != 64 and incr < minincr) or (value < 0 and incr < 0 and incr < minincr):
        direction, limit = -1, fmin
    else:
        return 0, 0
    if owtype == _WRAP:
        limit = _signed((value + incr) & ((1 << bits) - 1), bits)
    return direction, limit


def _unsigned_overflow(value: int, incr: int, bits: int, owtype: int) -> tuple[int, int]:
    """checkUnsignedBitfieldOverflow (value as uint64, incr as int64; bits <= 63)."""
    fmax = (1 << bits) - 1
    maxincr = _to_int64(fmax - value)
    minincr = _to_int64(-value)
    if value > fmax or incr > maxincr:
        direction, limit = 1, fmax
    elif incr < 0 and incr < minincr:
        direction, limit = -1, 0
    else:
        return 0, 0
    if owtype == _WRAP:
        limit = (value + incr) & fmax
    return direction, limit


_RO_FLAGS = KeyFlag.RO | KeyFlag.ACCESS
_RW_FLAGS = KeyFlag.RW | KeyFlag.ACCESS | KeyFlag.UPDATE


def bitfield_get_keys(argv: list[bytes]) -> list[tuple[int, int]]:
    """bitfieldGetKeys: the key is RO ACCESS when only GET (and OVERFLOW) follow, else RW ACCESS UPDATE."""
    argc = len(argv)
    i = 2
    while i < argc:
        remaining = argc - i - 1
        arg = _cstr_lower(argv[i])
        if arg == b"get" and remaining >= 2:
            i += 3
        elif arg == b"overflow" and remaining >= 1:
            i += 2
        else:
            return [(1, _RW_FLAGS)]
    return [(1, _RO_FLAGS)]


def _bitfield_generic(c: Client, argv: list[bytes], read_only_command: bool) -> None:
    """bitfieldGeneric: parse every operation first, then run them all against the key."""
    ops: list[tuple[int, bool, int, int, int, int]] = []   # (opcode, signed, bits, offset, value, owtype)
    owtype = _WRAP
    read_only = True
    highest = 0
    argc = len(argv)
    j = 2
    while j < argc:
        remaining = argc - j - 1
        arg = argv[j]
        opcode = _SUBCOMMANDS.get(arg)
        if opcode is None:
            opcode = _SUBCOMMANDS.get(_cstr_lower(arg), -1)
        if opcode < 0 or remaining < (2 if opcode == _GET else 3):
            if remaining >= 1 and _cstr_lower(arg) == b"overflow":
                kind = _OVERFLOW_TYPES.get(_cstr_lower(argv[j + 1]))
                if kind is None:
                    raise ReplyError(errors.BITFIELD_OVERFLOW_TYPE)
                owtype = kind
                j += 2
                continue
            raise ReplyError(errors.SYNTAX)
        signed, bits = _bitfield_type(argv[j + 1])
        offset = _bit_offset(c, argv[j + 2], bits)
        value = 0
        if opcode != _GET:
            read_only = False
            if highest < offset + bits - 1:
                highest = offset + bits - 1
            value = parse_int(argv[j + 3])
            j += 4
        else:
            j += 3
        ops.append((opcode, signed, bits, offset, value, owtype))

    db = c.db
    key = argv[1]
    buf: bytes | bytearray | None
    if read_only:
        buf = db.get_string_read(key)
    else:
        if read_only_command:
            raise ReplyError(errors.BITFIELD_RO_ONLY_GET)
        buf = _writable_string(c, key, highest)[0]
    out = c.out
    out.array_header(len(ops))
    changes = 0
    for opcode, signed, bits, offset, value, owtype in ops:
        if opcode == _GET:
            if buf is None:
                out.raw(_ZERO)
            else:
                field = _get_field(buf, offset, bits)
                out.integer(_signed(field, bits) if signed else field)
            continue
        assert type(buf) is bytearray
        old = _get_field(buf, offset, bits)
        if signed:
            old = _signed(old, bits)
            if opcode == _INCRBY:
                overflow, limit = _signed_overflow(old, value, bits, owtype)
                new = limit if overflow else old + value
                reply = new
            else:
                overflow, limit = _signed_overflow(value, 0, bits, owtype)
                new = limit if overflow else value
                reply = old
        else:
            if opcode == _INCRBY:
                overflow, limit = _unsigned_overflow(old, value, bits, owtype)
                new = limit if overflow else old + value
                reply = new
            else:
                value &= _U64
                overflow, limit = _unsigned_overflow(value, 0, bits, owtype)
                new = limit if overflow else value
                reply = old
        if overflow and owtype == _FAIL:
            out.null()
            continue
        out.integer(reply)
        _set_field(buf, offset, bits, new)
        changes += 1
    if changes:
        signal_write(c.server, db, key, b"setbit", _STRING_EVENT)


@command("bitfield", -2, "WRITE DENYOOM",
         keys=[replace(key_range(1, "RW ACCESS UPDATE VARIABLE_FLAGS"),
                       notes="This command allows both access and modification of the key")],
         get_keys_fn=bitfield_get_keys,
         acl="@bitmap", group="bitmap", since="3.2.0", complexity="O(1) for each subcommand specified",
         summary="Perform arbitrary bitfield integer operations on strings",
         args="key:key [operation:{encoding_offset:GET={encoding:string offset:integer}"
              "|write:{[wrap_sat_fail:OVERFLOW={WRAP|SAT|FAIL}] "
              "write_operation:{encoding_offset_value:SET={encoding:string offset:integer value:integer}"
              "|encoding_offset_increment:INCRBY={encoding:string offset:integer increment:integer}}}}...]")
def bitfield_command(c: Client, argv: list[bytes]) -> None:
    """BITFIELD key [GET type offset | [OVERFLOW WRAP|SAT|FAIL] SET type offset value | INCRBY type offset
    increment ...]"""
    _bitfield_generic(c, argv, False)


@command("bitfield_ro", -2, "READONLY FAST", keys=[key_range(1, "RO ACCESS")], acl="@bitmap", group="bitmap",
         since="6.0.0", complexity="O(1) for each subcommand specified",
         summary="Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
         args="key:key [encoding_offset:GET={encoding:string offset:integer}]...")
def bitfield_ro_command(c: Client, argv: list[bytes]) -> None:
    """BITFIELD_RO key [GET type offset ...]"""
    _bitfield_generic(c, argv, True)
