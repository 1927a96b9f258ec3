"""Server statistics: command/connection counters, errorstats, instantaneous metrics, the slow log."""
from __future__ import annotations

import time
from collections import deque
from typing import TYPE_CHECKING

from .._speedups.fastpath import CommandStat

if TYPE_CHECKING:
    from .client import Client

_METRIC_SAMPLES = 16


class Stats:
    """INFO stats counters (those not owned by the keyspace Context), plus per-command counters."""

    def __init__(self) -> None:
        from ..commands.table import row_count

        # indexed by CommandSpec.index; kept as the same list across CONFIG RESETSTAT
        self.commands: list[CommandStat] = [CommandStat() for _ in range(row_count())]
        self.numconnections = 0
        self.rejected_conn = 0
        self.total_error_replies = 0
        self.errors: dict[bytes, int] = {}
        self.net_input_bytes = 0     # of clients already closed; live clients add their own
        self.net_output_bytes = 0
        self.unexpected_error_replies = 0
        self.client_qbuf_limit_disconnections = 0
        self.client_outbuf_limit_disconnections = 0
        self.evicted_clients = 0
        self.evicted_keys = 0
        # INFO total/current_eviction_exceeded_time: time spent over maxmemory (server/eviction.py).
        self.eviction_exceeded_ns = 0
        self.eviction_exceeded_since = 0     # perf_counter_ns() when it went over, 0 while under
        self.expire_cycle_time_used_us = 0
        self.lazyfreed_objects = 0
        self.reads_processed = 0
        self.writes_processed = 0
        self.peak_memory = 0         # the highest used_memory seen (server/memory.py); RESETSTAT restarts it
        self._samples: dict[str, deque[float]] = {}
        self._last: dict[str, tuple[float, float]] = {}

    def count_error(self, message: bytes) -> None:
        """errorstats: the error code is the first word of the message (Redis's afterErrorReply)."""
        self.total_error_replies += 1
        space = message.find(b" ")
        code = message if space < 0 else message[:space]
        if len(self.errors) >= 128 and code not in self.errors:
            # Redis stops tracking new error codes past 128 of them and counts them under errorstat_ERRORSTATS_DISABLED
            return
        self.errors[code] = self.errors.get(code, 0) + 1

    @property
    def numcommands(self) -> int:
        """total_commands_processed: every call() counts once, so it is the sum of the per-command calls."""
        return sum(row.calls for row in self.commands)

    def reset(self) -> None:
        """resetServerStats + resetCommandTableStats (CONFIG RESETSTAT): every counter, the instantaneous
        samples and the peak memory."""
        commands = self.commands
        self.__init__()  # type: ignore[misc]
        for row in commands:
            row.reset()
        self.commands = commands
        self.peak_memory = 0

    @staticmethod
    def latency_percentiles(hist: dict[int, int], percentiles: list[float]) -> list[int]:
        """Percentile values in ns as Redis's HDR histogram reports them (1 ns..1 s, 2 significant digits)."""
        total = sum(hist.values())
        ordered = sorted(hist.items())
        out = []
        for p in percentiles:
            wanted = max(1, int((min(p, 100.0) / 100.0) * total + 0.5))
            seen = 0
            value = ordered[-1][0]
            for duration_us, count in ordered:
                seen += count
                if seen >= wanted:
                    value = duration_us
                    break
            ns = min(max(value * 1000, 1), 1_000_000_000)
            out.append(_hdr_lowest_equivalent(ns) if p == 0.0 else _hdr_highest_equivalent(ns))
        return out

    def track(self, name: str, value: float) -> None:
        """trackInstantaneousMetric: per-second rate of a growing counter, averaged over 16 samples."""
        now = time.monotonic()
        last = self._last.get(name)
        self._last[name] = (now, value)
        if last is None:
            return
        elapsed = now - last[0]
        if elapsed <= 0:
            return
        samples = self._samples.setdefault(name, deque(maxlen=_METRIC_SAMPLES))
        samples.append((value - last[1]) / elapsed)

    def instantaneous(self, name: str) -> float:
        samples = self._samples.get(name)
        if not samples:
            return 0.0
        return sum(samples) / len(samples)


def _hdr_bucket(value: int) -> tuple[int, int]:
    # hdr_histogram with lowest value 1 and 2 significant figures: 256 sub-buckets, unit magnitude 0.
    bucket = max((value | 255).bit_length() - 8, 0)
    return bucket, value >> bucket


def _hdr_lowest_equivalent(value: int) -> int:
    bucket, sub = _hdr_bucket(value)
    return sub << bucket


def _hdr_highest_equivalent(value: int) -> int:
    bucket, sub = _hdr_bucket(value)
    return (sub << bucket) + (1 << bucket) - 1


class SlowLog:
    """SLOWLOG entries: id, unix time, duration µs, trimmed argv, client address and name."""

    MAX_ARGC = 32
    MAX_STRING = 128

    def __init__(self, max_len: int) -> None:
        self.entries: deque[tuple[int, int, int, list[bytes], bytes, bytes]] = deque()
        self.next_id = 0
        self.max_len = max_len

    def add(self, c: Client, argv: list[bytes], duration_us: int) -> None:
        if self.max_len <= 0:
            return
        trimmed: list[bytes] = []
        argc = min(len(argv), self.MAX_ARGC)
        for i in range(argc):
            if argc != len(argv) and i == argc - 1:
                trimmed.append(b"... (%d more arguments)" % (len(argv) - argc + 1))
                break
            arg = argv[i]
            if len(arg) > self.MAX_STRING:
                arg = arg[: self.MAX_STRING] + b"... (%d more bytes)" % (len(arg) - self.MAX_STRING)
            trimmed.append(arg)
        self.entries.appendleft(
            (self.next_id, int(time.time()), duration_us, trimmed, c.addr.encode(), c.name)
        )
        self.next_id += 1
        while len(self.entries) > self.max_len:
            self.entries.pop()

    def trim(self, max_len: int) -> None:
        self.max_len = max_len
        while len(self.entries) > max(max_len, 0):
            self.entries.pop()

    def reset(self) -> None:
        self.entries.clear()
