"""DUMP/RESTORE payloads (cluster.c's createDumpPayload / verifyDumpPayload): an RDB value with a footer.

Layout: type byte, serialized value, RDB version (2 bytes little-endian), CRC-64 of everything before it
(8 bytes little-endian).
"""
from __future__ import annotations

from .. import errors
from ..errors import ReplyError
from .rdb import RDB_VERSION, Limits, crc64, decode_value, encode_value


def create_dump_payload(value: object, compress: bool = True, *, list_fill: int = -2) -> bytes:
    """The DUMP reply's bytes for value."""
    rdb_type, body = encode_value(value, compress, list_fill=list_fill)
    data = bytes((rdb_type,)) + body + RDB_VERSION.to_bytes(2, "little")
    return data + crc64(0, data).to_bytes(8, "little")


def verify_dump_payload(payload: bytes) -> bool:
    """verifyDumpPayload: a footer with an RDB version we can read and a matching CRC-64."""
    n = len(payload)
    if n < 10:
        return False
    version = int.from_bytes(payload[n - 10:n - 8], "little")
    if version > RDB_VERSION:
        return False
    view = memoryview(payload)
    return crc64(0, view[:n - 8]) == int.from_bytes(payload[n - 8:], "little")


def verify_and_parse(payload: bytes, limits: Limits | None = None, *, skip_checksum: bool = False) -> object:
    """RESTORE's payload checks then rdbLoadObjectType + rdbLoadObject: the value, or the ReplyError Redis
    sends (DUMP_BAD for the footer, "Bad data format" for a corrupt or empty value)."""
    n = len(payload)
    if skip_checksum:
        if n < 10 or int.from_bytes(payload[n - 10:n - 8], "little") > RDB_VERSION:
            raise ReplyError(errors.DUMP_BAD)
    elif not verify_dump_payload(payload):
        raise ReplyError(errors.DUMP_BAD)
    # As Redis's rio over the whole argument, a value may run into the footer bytes.
    view = memoryview(payload)
    try:
        value, _end = decode_value(view[0], view, 1, limits)
    except ValueError:
        raise ReplyError(errors.BAD_DATA_FORMAT) from None
    return value
