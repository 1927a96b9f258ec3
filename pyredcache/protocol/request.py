"""Sans-IO RESP request parser (multibulk + inline) with Redis's limits and exact protocol errors.

The loop lives in _speedups/resp.pyx; this module is its public face. Usage:
    parser = RequestParser(max_bulk_len, query_buffer_limit)
    for argv in parser.feed(data): ...
    if parser.error: reply b"-" + parser.error + b"\\r\\n", then close (Redis's setProtocolError)
"""
from __future__ import annotations

from .._speedups.resp import RequestParser, split_args_py

__all__ = ["RequestParser", "split_args"]


def split_args(line: bytes) -> list[bytes] | None:
    """sdssplitargs: split a line into arguments (quotes and escapes); None on unbalanced quotes."""
    result: list[bytes] | None = split_args_py(line)
    return result
