"""Reply parsing for our client roles (replica link, MIGRATE, tools, tests): a thin hiredis.Reader wrapper."""
from __future__ import annotations

from typing import Any

import hiredis

NEED_DATA = False


class ReplyReader:
    """feed(bytes) then get() → one parsed reply, or NEED_DATA (False) when incomplete."""

    def __init__(self) -> None:
        self._reader = hiredis.Reader(notEnoughData=NEED_DATA)

    def feed(self, data: bytes) -> None:
        self._reader.feed(data)

    def get(self) -> Any:
        return self._reader.gets()
