"""RESP2/RESP3 reply writer (Cython buffer in _speedups/resp.pyx) and a value encoder for tools and tests."""
from __future__ import annotations

from typing import Any

from .._speedups.resp import ReplyWriter

__all__ = ["ReplyWriter", "encode_value"]


def encode_value(value: Any, resp: int = 2) -> bytes:
    """Encode a Python value as RESP (None → null, int, bytes/str → bulk, list → array, dict → map)."""
    w = ReplyWriter(resp)
    _write(w, value)
    return bytes(w.take())


def _write(w: ReplyWriter, value: Any) -> None:
    if value is None:
        w.null()
    elif isinstance(value, bool):
        w.boolean(value)
    elif isinstance(value, int):
        w.integer(value)
    elif isinstance(value, float):
        w.double(value)
    elif isinstance(value, (bytes, bytearray, str)):
        w.bulk(value)
    elif isinstance(value, dict):
        w.map_header(len(value))
        for k, v in value.items():
            _write(w, k)
            _write(w, v)
    elif isinstance(value, (set, frozenset)):
        w.set_header(len(value))
        for item in value:
            _write(w, item)
    elif isinstance(value, (list, tuple)):
        w.array_header(len(value))
        for item in value:
            _write(w, item)
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as RESP")
