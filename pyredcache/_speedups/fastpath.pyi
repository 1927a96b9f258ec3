"""Type stubs for pyredcache._speedups.fastpath (per-command counters and the plain-request fast path)."""

from collections.abc import Callable
from typing import Any

from .keyspace import Context

FAST_LATENCY_BUCKETS: int

class CommandStat:
    calls: int
    usec: int
    rejected_calls: int
    failed_calls: int
    latency: dict[int, int]
    def __init__(self) -> None: ...
    def reset(self) -> None: ...
    def record(self, duration_us: int, track_latency: bool) -> None: ...
    def latency_histogram(self) -> dict[int, int]: ...

class FastPath:
    enabled: bool
    prop: Any
    hold: bool
    cluster_mode: bool
    cluster_ok: bool
    def __init__(self, reply_error: type[BaseException], on_reply_error: Callable[[bytes], None],
                 on_exception: Callable[[Any, list[bytes]], None], ready_keys: list[Any],
                 serve_ready: Callable[[], None]) -> None: ...
    def set_memory_guard(self, ctx: Context, keyspace_limit: int) -> None: ...
    def set_cluster(self, served: bytes | bytearray, ok: bool) -> None: ...
    def set_cluster_bitmap(self, bitmap: bytes | bytearray, ok: bool) -> None: ...
    def clear_cluster_slot(self, slot: int) -> None: ...
    def learn(self, name: bytes, handler: Callable[[Any, list[bytes]], None], arity: int, row: CommandStat,
              log_name: bytes, slowlog_ok: bool, monitor_ok: bool, key_first: int = -1, key_last: int = 0,
              key_step: int = 1) -> None: ...
    def run(self, c: Any, requests: list[list[bytes]], i: int, server: Any) -> int: ...
