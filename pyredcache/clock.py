"""The server's TTL clock: wall time in ms, which embedded test servers may freeze or advance.

Only TTL arithmetic reads it; timeouts, cron and cluster timers use time.monotonic().
"""
from __future__ import annotations

import time


class Clock:
    """Wall-clock milliseconds with an optional offset and freeze (time control for tests)."""

    __slots__ = ("offset_ms", "frozen_at_ms", "controllable")

    def __init__(self, controllable: bool = False) -> None:
        self.controllable = controllable
        self.offset_ms = 0
        self.frozen_at_ms: int | None = None

    def now_ms(self) -> int:
        if self.frozen_at_ms is not None:
            return self.frozen_at_ms
        return int(time.time() * 1000) + self.offset_ms

    def now_us(self) -> int:
        if self.frozen_at_ms is not None:
            return self.frozen_at_ms * 1000
        return int(time.time() * 1_000_000) + self.offset_ms * 1000

    def advance(self, seconds: float) -> None:
        self._check()
        delta = int(seconds * 1000)
        if self.frozen_at_ms is not None:
            self.frozen_at_ms += delta
        else:
            self.offset_ms += delta

    def freeze(self) -> None:
        self._check()
        self.frozen_at_ms = self.now_ms()

    def unfreeze(self) -> None:
        self._check()
        if self.frozen_at_ms is not None:
            self.offset_ms = self.frozen_at_ms - int(time.time() * 1000)
            self.frozen_at_ms = None

    def _check(self) -> None:
        if not self.controllable:
            raise RuntimeError("time control is disabled (set pyredcache-time-control yes)")
